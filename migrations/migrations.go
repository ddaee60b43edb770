// Package migrations holds the numbered, append-only SQL migrations that
// `doithoai migrate` applies (goose format). Never edit a file that has
// shipped: add a new one. Number ranges by owner keep merges painless:
// 00001–00009 platform, 00010–00019 forum, 00020–00029 moderation,
// 00030–00039 livechat, 00040–00049 callcenter, 00050–00059 feedback.
package migrations

import "embed"

// FS is every migration, embedded in the binary.
//
//go:embed *.sql
var FS embed.FS

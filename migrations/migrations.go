// Package migrations holds the numbered, append-only SQL migrations that
// `doithoai migrate` applies (goose format). Never edit a file that has
// shipped: add a new one with the next number after the highest present,
// whatever package it serves. goose refuses a number lower
// than one a database already has, so the first files' ranges per owner
// (00010 forum, 00020 moderation, 00030 livechat, 00040 hotline, 00050
// feedback) are history, not slots to fill.
package migrations

import "embed"

// FS is every migration, embedded in the binary.
//
//go:embed *.sql
var FS embed.FS

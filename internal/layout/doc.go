// Package layout holds no code: its test reads every package's imports and
// fails when the dependency rules of ARCHITECTURE.md are broken (internal/
// imports no domain, a channel imports no other channel, moderation
// imports no channel).
package layout

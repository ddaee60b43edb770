// Package apperr defines the few kinds of failure that the rest of the code
// reports, so that one function (web.Error) maps them to HTTP statuses and
// users only ever see safe messages.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error for the caller.
type Kind int

const (
	Internal     Kind = iota // a bug or an outage: logged, shown as a generic message
	Invalid                  // bad input: 400 (or 422 on forms)
	Unauthorized             // not logged in or wrong credentials: 401
	Forbidden                // logged in but the role may not: 403
	NotFound                 // 404
	Conflict                 // state does not allow it (held by someone else): 409
	TooMany                  // rate limited: 429 with Retry-After
	Unavailable              // a dependency is down: 503
)

// Error is an error safe to show: Message is written for the user.
type Error struct {
	Kind       Kind
	Code       string        // stable machine-readable code, e.g. "title_required"
	Message    string        // for the user (translated by the caller when needed)
	RetryAfter time.Duration // for TooMany
	Err        error         // the cause, logged but never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind with a code and user-facing message.
func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// Invalidf is shorthand for an Invalid error.
func Invalidf(code, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Code: code, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf is shorthand for a NotFound error.
func NotFoundf(format string, args ...any) *Error {
	return &Error{Kind: NotFound, Code: "not_found", Message: fmt.Sprintf(format, args...)}
}

// Conflictf is shorthand for a Conflict error.
func Conflictf(code, format string, args ...any) *Error {
	return &Error{Kind: Conflict, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Forbiddenf is shorthand for a Forbidden error.
func Forbiddenf(format string, args ...any) *Error {
	return &Error{Kind: Forbidden, Code: "forbidden", Message: fmt.Sprintf(format, args...)}
}

// As returns the *Error in err's chain, or an Internal one wrapping err.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: Internal, Code: "internal", Message: "Something went wrong on our side; please try again.", Err: err}
}

// KindOf returns the kind of err (Internal when it is not an *Error).
func KindOf(err error) Kind { return As(err).Kind }

// Wrap adds operation context to *errp when it is not nil, so that an
// internal error is logged with the call that failed and not only with the
// route. Use it deferred at the top of a public method:
//
//	defer apperr.Wrap(&err, "forum.Store.FindQuestionByID(%d)", id)
//
// The cause stays in the chain (%w): errors.Is, errors.As and As still find
// it, so a wrapped NotFound is still a 404 with the same code and message.
// Only the logged text (Error) gains the context.
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}

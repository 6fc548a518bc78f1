package tandem

import (
	"errors"
	"fmt"
	"time"
)

// Code is the stable, machine-readable kind of an error. The HTTP layer maps
// each code to a status and writes it into RFC 9457 problem+json bodies, so
// clients can rely on it; codes are never renamed.
type Code string

// The error codes. Messages may change; codes do not.
const (
	CodeInvalid      Code = "invalid"      // malformed or unacceptable input (400/422)
	CodeUnauthorized Code = "unauthorized" // no valid credentials (401)
	CodeForbidden    Code = "forbidden"    // authenticated, but not allowed (403)
	CodeNotFound     Code = "not_found"    // absent, or hidden from this principal (404)
	CodeConflict     Code = "conflict"     // clashes with the current state (409)
	CodeTooLarge     Code = "too_large"    // over a size limit (413)
	CodeRateLimited  Code = "rate_limited" // too many attempts; see RetryAfter (429)
	CodeMFARequired  Code = "mfa_required" // a second factor is needed to go on (401)
	CodeUnavailable  Code = "unavailable"  // a dependency is down (503)
	CodeInternal     Code = "internal"     // a bug or an unexpected failure (500)
)

// Error is a domain error with a stable code and a message that is safe to
// show to the caller. Err, when set, is the underlying cause: it is kept for
// logs and errors.Is/As and never shown to clients.
type Error struct {
	Code    Code
	Message string
	// Field names the offending input field of an invalid request, if any.
	Field string
	// RetryAfter is how long a rate-limited caller should wait.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	msg := string(e.Code) + ": " + e.Message
	if e.Field != "" {
		msg += " (" + e.Field + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, tandem.ErrNotFound) works for any not-found error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Code == e.Code
}

// Sentinels for errors.Is: they match any *Error of their code.
var (
	ErrInvalid      = &Error{Code: CodeInvalid}
	ErrUnauthorized = &Error{Code: CodeUnauthorized}
	ErrForbidden    = &Error{Code: CodeForbidden}
	ErrNotFound     = &Error{Code: CodeNotFound}
	ErrConflict     = &Error{Code: CodeConflict}
	ErrRateLimited  = &Error{Code: CodeRateLimited}
	ErrMFARequired  = &Error{Code: CodeMFARequired}
)

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an invalid-input error about one field.
func Invalid(field, message string) error {
	return &Error{Code: CodeInvalid, Field: field, Message: message}
}

// ErrorCode returns the code of err: the code of the first *Error in its
// chain, CodeInternal for any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

package engine

import (
	"errors"
	"fmt"
)

// Kind classifies an engine error; the HTTP layer maps kinds to statuses.
type Kind int

const (
	KindInvalid       Kind = iota + 1 // a malformed request: 400
	KindNotFound                      // unknown type or id: 404
	KindNotSupported                  // a parameter or feature not implemented: 400
	KindUnprocessable                 // a source row that cannot be served under an "error" policy: 500
	KindUnavailable                   // the database failed or timed out: 503
	KindUnknownType                   // a resource type not served: 404, not-supported
	KindForbidden                     // the token does not allow it: 403
	KindAmbiguous                     // the request names more than one record where it must name one: 400
)

// Error is an error with a kind, the parameter it concerns (if any), a
// message safe to show a client, and (for database failures) the cause,
// which is logged but never shown.
type Error struct {
	Kind      Kind
	Param     string
	SpineCode string
	Msg       string
	Cause     error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %v", e.Msg, e.Cause)
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Cause }

func invalid(param, spine, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Param: param, SpineCode: spine, Msg: fmt.Sprintf(format, args...)}
}

// AsError returns err as an *Error when it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

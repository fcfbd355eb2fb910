package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Error types, as Prometheus' API names them, plus the two of authentication.
const (
	TypeBadData      = "bad_data"
	TypeUnauthorized = "unauthorized"
	TypeForbidden    = "forbidden"
	TypeNotFound     = "not_found"
	TypeTimeout      = "timeout"
	TypeCanceled     = "canceled"
	TypeExecution    = "execution"
	TypeUnavailable  = "unavailable"
	TypeInternal     = "internal"
)

// Error is an API error: the HTTP status, a type from the Type constants and the cause. The
// cause's text is the message the client sees, except for TypeInternal, whose client sees only
// a generic message with the request id; every 5xx is logged with its cause.
type Error struct {
	Status int
	Type   string
	Err    error
}

func (e *Error) Error() string { return e.Type + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

func badData(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Type: TypeBadData, Err: fmt.Errorf(format, args...)}
}

func notFound(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Type: TypeNotFound, Err: fmt.Errorf(format, args...)}
}

func forbidden(format string, args ...any) *Error {
	return &Error{Status: http.StatusForbidden, Type: TypeForbidden, Err: fmt.Errorf(format, args...)}
}

func unauthorized(format string, args ...any) *Error {
	return &Error{Status: http.StatusUnauthorized, Type: TypeUnauthorized, Err: fmt.Errorf(format, args...)}
}

// asError maps any handler error to an *Error: typed errors keep their status, a context
// deadline is a timeout, a canceled request is canceled, anything else is internal.
func asError(err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusServiceUnavailable, Type: TypeTimeout, Err: err}
	case errors.Is(err, context.Canceled):
		return &Error{Status: 499, Type: TypeCanceled, Err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Type: TypeInternal, Err: err}
}

type errorBody struct {
	Error struct {
		Type      string `json:"type"`
		Message   string `json:"message"`
		RequestID string `json:"request_id,omitempty"`
	} `json:"error"`
}

// writeError writes e as JSON. Internals of a 5xx stay in the log, keyed by the request id.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e *Error, reqID string) {
	var body errorBody
	body.Error.Type = e.Type
	body.Error.RequestID = reqID
	body.Error.Message = e.Err.Error()
	if e.Status >= 500 {
		s.log.Error("request failed", "request_id", reqID, "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", e.Err)
		if e.Type == TypeInternal { // our own texts (timeout, unavailable) are safe to show; causes are not
			body.Error.Message = fmt.Sprintf("internal error; the server log has the details under request id %s", reqID)
		}
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="auditlake"`)
	}
	writeJSON(w, e.Status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // a failed write means the client went away
}

// decodeJSON reads a JSON request body into v, refusing unknown fields and bodies over max.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, max int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, max)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return badData("request body is larger than %d bytes", max)
		}
		return badData("request body: %v", err)
	}
	if dec.More() {
		return badData("request body: more than one JSON value")
	}
	return nil
}

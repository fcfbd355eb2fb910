package web

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/auditlake/auditlake/internal/ingest"
)

// PushFunc stores one pushed request body (JSON lines or a JSON array of audit records,
// optionally gzip or zstd compressed) and returns after it committed. key is the request's
// Idempotency-Key header ("" for none). ingest.Push's Ingest is one.
type PushFunc func(ctx context.Context, body io.Reader, key string) (ingest.PushResult, error)

// maxPushBody bounds a pushed body on the wire; ingest bounds it again after decompression.
const maxPushBody = 64 << 20

func (s *Server) push(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Push == nil {
		return &Error{Status: http.StatusServiceUnavailable, Type: TypeUnavailable,
			Err: errors.New("this server takes no pushed events (it has no push source)")}
	}
	body := http.MaxBytesReader(w, r.Body, maxPushBody)
	res, err := s.opts.Push(r.Context(), body, r.Header.Get("Idempotency-Key"))
	var bad *ingest.PushBadRequest
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, res)
		return nil
	case errors.As(err, &bad):
		return badData("%v", bad)
	case errors.As(err, &mbe), errors.Is(err, ingest.ErrPushTooLarge):
		return &Error{Status: http.StatusRequestEntityTooLarge, Type: TypeBadData, Err: errors.New("request body is too large: send smaller batches")}
	case errors.Is(err, ingest.ErrIdempotencyConflict):
		return &Error{Status: http.StatusConflict, Type: TypeBadData, Err: err}
	}
	return err
}

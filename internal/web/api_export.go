package web

import (
	"context"
	"errors"
	"net/http"
)

// ExportRequest asks the server to run one Delta Lake export (what auditlake export does),
// for clients that cannot open the database while the server holds it.
type ExportRequest struct {
	To           string   `json:"to"`                       // folder, file:// or bucket URL
	Tables       []string `json:"tables,omitempty"`         // silver, gold or schema.table; default both
	Optimize     bool     `json:"optimize,omitempty"`       // also compact past partitions
	Retention    string   `json:"retention,omitempty"`      // Go duration: then retire older rows the lake holds
	Vacuum       bool     `json:"vacuum,omitempty"`         // then delete files no version within vacuum_retain needs
	VacuumRetain string   `json:"vacuum_retain,omitempty"`  // Go duration; default the tables' own
	VacuumDryRun bool     `json:"vacuum_dry_run,omitempty"` // only count what vacuum would delete
}

// ExportFunc runs one export and returns what it did (a JSON-encodable summary).
type ExportFunc func(ctx context.Context, req ExportRequest) (any, error)

func (s *Server) runExport(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Export == nil {
		return &Error{Status: http.StatusServiceUnavailable, Type: TypeUnavailable, Err: errors.New("this server does not run exports")}
	}
	var req ExportRequest
	if err := decodeJSON(w, r, &req, 64<<10); err != nil {
		return err
	}
	if req.To == "" {
		return badData("to: the export needs a destination")
	}
	res, err := s.opts.Export(r.Context(), req)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		// The caller is an admin who asked for this export; the message (paths, bucket URLs
		// without credentials) is what it needs to fix it.
		return &Error{Status: http.StatusUnprocessableEntity, Type: TypeExecution, Err: err}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

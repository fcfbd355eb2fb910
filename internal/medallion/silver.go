package medallion

import (
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/auditlog"
	"github.com/auditlake/auditlake/internal/store"
)

// Origin says where a batch of events came from; it fills silver's bookkeeping columns.
type Origin struct {
	File       string          // source_file
	Format     auditlog.Format // source_format
	IngestedAt time.Time       // ingested_at: the commit time of the file version in the ledger
}

// SilverWriter appends events to silver.audit inside one transaction and records the services
// and request-param keys it sees in the catalog.
type SilverWriter struct {
	app *store.Appender
	cat *Catalog
	row [21]driver.Value
}

// NewSilverWriter opens an appender on silver.audit in tx.
func NewSilverWriter(tx *store.Tx, cat *Catalog) (*SilverWriter, error) {
	app, err := tx.Appender("silver", "audit")
	if err != nil {
		return nil, err
	}
	return &SilverWriter{app: app, cat: cat}, nil
}

// Append adds one event.
func (w *SilverWriter) Append(ev *auditlog.Event, o Origin) error {
	w.cat.observe(ev)
	t := ev.Time.UTC()
	var params store.OrderedMap
	for _, p := range ev.Params {
		params.Set(p.Key, p.Value)
	}
	r := &w.row
	r[0] = t
	r[1] = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	r[2] = nullIfEmpty(ev.WorkspaceID)
	r[3] = str(ev.AccountID)
	r[4] = nullIfEmpty(ev.Version)
	r[5] = ev.ServiceName
	r[6] = ev.ActionName
	r[7] = map[string]any{"email": str(ev.Email), "subject_name": str(ev.SubjectName)}
	r[8] = str(ev.SourceIP)
	r[9] = str(ev.UserAgent)
	r[10] = str(ev.SessionID)
	r[11] = str(ev.RequestID)
	r[12] = params
	var code any
	if ev.StatusCode != nil {
		code = *ev.StatusCode
	}
	r[13] = map[string]any{"status_code": code, "error_message": str(ev.ErrorMessage), "result": str(ev.Result)}
	r[14] = nullIfEmpty(ev.AuditLevel)
	r[15] = ev.EventID
	r[16] = map[string]any{"run_by": str(ev.RunBy), "run_as": str(ev.RunAs), "acting_resource": str(ev.ActingResource)}
	r[17] = email(ev)
	r[18] = string(o.Format)
	r[19] = o.File
	r[20] = o.IngestedAt.UTC()
	if err := w.app.Append(r[:]...); err != nil {
		return fmt.Errorf("appending to silver.audit: %w", err)
	}
	return nil
}

// email is silver's flat email column: the caller's email, or for login events that carry
// none (failed logins), the user the request names (spec §4.10).
func email(ev *auditlog.Event) any {
	if ev.Email != nil && *ev.Email != "" {
		return *ev.Email
	}
	for _, k := range []string{"user", "userName"} {
		if v, ok := ev.Param(k); ok && v != "" && strings.Contains(v, "@") {
			return v
		}
	}
	return str(ev.Email)
}

func str(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

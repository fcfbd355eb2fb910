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

// silverFlat are the flat columns Go appends; silverInsert builds silver's nested columns from
// them inside DuckDB (vectorized), which costs a fraction of converting structs and maps per row
// through the driver.
var silverFlat = []struct {
	name string
	typ  store.ColumnType
}{
	{"event_time", store.TimestampTZ}, {"workspace_id", store.Varchar}, {"account_id", store.Varchar},
	{"version", store.Varchar}, {"service_name", store.Varchar}, {"action_name", store.Varchar},
	{"email", store.Varchar}, {"subject_name", store.Varchar}, {"source_ip_address", store.Varchar},
	{"user_agent", store.Varchar}, {"session_id", store.Varchar}, {"request_id", store.Varchar},
	{"params", store.Varchar}, {"status_code", store.Integer}, {"error_message", store.Varchar},
	{"result", store.Varchar}, {"audit_level", store.Varchar}, {"event_id", store.Varchar},
	{"run_by", store.Varchar}, {"run_as", store.Varchar}, {"acting_resource", store.Varchar},
	{"flat_email", store.Varchar}, {"source_format", store.Varchar}, {"source_file", store.Varchar},
	{"ingested_at", store.TimestampTZ},
}

// event_date is the UTC day counted from the epoch (the session time zone is UTC): a cast of
// the TIMESTAMPTZ goes through ICU's calendar per row, about 1 µs. The params JSON is parsed once
// by json_transform; a cast to JSON first validates it in a second parse.
const silverInsert = `INSERT INTO silver.audit SELECT
	event_time, DATE '1970-01-01' + CAST(floor(epoch_us(event_time) / 86400000000) AS INTEGER),
	workspace_id, account_id, version, service_name, action_name,
	{'email': email, 'subject_name': subject_name},
	source_ip_address, user_agent, session_id, request_id,
	json_transform(params, '"MAP(VARCHAR, VARCHAR)"'),
	{'status_code': status_code, 'error_message': error_message, 'result': result},
	audit_level, event_id,
	{'run_by': run_by, 'run_as': run_as, 'acting_resource': acting_resource},
	flat_email, source_format, source_file, ingested_at
FROM appended_data`

// SilverWriter appends events to silver.audit inside one transaction and records the services
// and request-param keys it sees in the catalog.
type SilverWriter struct {
	app    *store.Appender
	cat    *Catalog
	row    []driver.Value
	params []byte
}

// NewSilverWriter opens an appender on silver.audit in tx.
func NewSilverWriter(tx *store.Tx, cat *Catalog) (*SilverWriter, error) {
	names := make([]string, len(silverFlat))
	types := make([]store.ColumnType, len(silverFlat))
	for i, c := range silverFlat {
		names[i], types[i] = c.name, c.typ
	}
	app, err := tx.QueryAppender(silverInsert, names, types)
	if err != nil {
		return nil, fmt.Errorf("silver appender: %w", err)
	}
	return &SilverWriter{app: app, cat: cat, row: make([]driver.Value, len(silverFlat))}, nil
}

// Append adds one event. Rows reach silver.audit when the appender flushes (at the latest when
// the transaction commits).
func (w *SilverWriter) Append(ev *auditlog.Event, o Origin) error {
	w.cat.observe(ev)
	w.params = auditlog.AppendParamsJSON(w.params[:0], ev.Params)
	var code any
	if ev.StatusCode != nil {
		code = *ev.StatusCode
	}
	r := w.row
	r[0] = ev.Time.UTC()
	r[1] = nullIfEmpty(ev.WorkspaceID)
	r[2] = str(ev.AccountID)
	r[3] = nullIfEmpty(ev.Version)
	r[4] = ev.ServiceName
	r[5] = ev.ActionName
	r[6] = str(ev.Email)
	r[7] = str(ev.SubjectName)
	r[8] = str(ev.SourceIP)
	r[9] = str(ev.UserAgent)
	r[10] = str(ev.SessionID)
	r[11] = str(ev.RequestID)
	r[12] = w.params // the driver copies it
	r[13] = code
	r[14] = str(ev.ErrorMessage)
	r[15] = str(ev.Result)
	r[16] = nullIfEmpty(ev.AuditLevel)
	r[17] = ev.EventID
	r[18] = str(ev.RunBy)
	r[19] = str(ev.RunAs)
	r[20] = str(ev.ActingResource)
	r[21] = email(ev)
	r[22] = string(o.Format)
	r[23] = o.File
	r[24] = o.IngestedAt.UTC()
	if err := w.app.Append(r...); err != nil {
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

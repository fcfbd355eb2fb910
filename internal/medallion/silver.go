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
// through the driver. Every value crosses cgo on the one writer's thread, so fields that are
// rarely set travel together as one JSON object, NULL when none is (extras, see Prepare). (A
// file's constants sent as an index into a temporary table cost more: an INSERT per file.)
var silverFlat = []struct {
	name string
	typ  store.ColumnType
}{
	{"event_time", store.TimestampTZ}, {"workspace_id", store.Varchar}, {"account_id", store.Varchar},
	{"version", store.Varchar}, {"service_name", store.Varchar}, {"action_name", store.Varchar},
	{"email", store.Varchar}, {"source_ip_address", store.Varchar},
	{"user_agent", store.Varchar}, {"session_id", store.Varchar}, {"request_id", store.Varchar},
	{"params", store.Varchar}, {"status_code", store.Integer}, {"extras", store.Varchar},
	{"audit_level", store.Varchar}, {"event_id", store.Varchar}, {"flat_email", store.Varchar},
	{"source_format", store.Varchar}, {"source_file", store.Varchar}, {"ingested_at", store.TimestampTZ},
}

// extrasKeys are the fields of the extras object; silverInsert reads them as x[1], x[2], ...
var extrasKeys = [...]string{"subject_name", "error_message", "result", "run_by", "run_as", "acting_resource"}

// extrasPaths is the JSON path list of extrasKeys, in their order.
var extrasPaths = func() string {
	paths := make([]string, len(extrasKeys))
	for i, k := range extrasKeys {
		paths[i] = store.QuoteLiteral("$." + k)
	}
	return "[" + strings.Join(paths, ", ") + "]"
}()

// event_date is the UTC day counted from the epoch (the session time zone is UTC): a cast of
// the TIMESTAMPTZ goes through ICU's calendar per row, about 1 µs. The params JSON is parsed once
// by json_transform; a cast to JSON first validates it in a second parse. The extras are parsed
// once for all six paths, and only for the rows that have any.
var silverInsert = `INSERT INTO silver.audit SELECT
	event_time, DATE '1970-01-01' + CAST(floor(epoch_us(event_time) / 86400000000) AS INTEGER),
	workspace_id, account_id, version, service_name, action_name,
	{'email': email, 'subject_name': x[1]},
	source_ip_address, user_agent, session_id, request_id,
	json_transform(params, '"MAP(VARCHAR, VARCHAR)"'),
	{'status_code': status_code, 'error_message': x[2], 'result': x[3]},
	audit_level, event_id,
	{'run_by': x[4], 'run_as': x[5], 'acting_resource': x[6]},
	coalesce(flat_email, email), source_format, source_file, ingested_at
FROM (SELECT *, CASE WHEN extras IS NOT NULL THEN json_extract_string(extras, ` + extrasPaths + `) END AS x
	FROM appended_data)`

// SilverWriter appends events to silver.audit inside one transaction and records the services
// and request-param keys it sees in the catalog.
type SilverWriter struct {
	app *store.Appender
	cat *Catalog
	row []driver.Value
	buf []byte // Append's Prepare arena, reused per event
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
	var p Prepared
	p, w.buf = Prepare(ev, w.buf[:0])
	return w.append(ev, p, o)
}

// Prepared is what the writer derives from an event (its params as JSON, the email column),
// computed by a decoder (Prepare) so that the one writer of a transaction only appends.
type Prepared struct {
	params   []byte
	extras   []byte // nil: none of the rarely set fields is
	email    string
	hasEmail bool // email is NULL otherwise
}

// Prepare derives ev's Prepared. Its JSON (params, extras) is appended to arena, which is returned;
// the Prepared keeps pointing at its bytes when a later Prepare grows the arena.
func Prepare(ev *auditlog.Event, arena []byte) (Prepared, []byte) {
	start := len(arena)
	arena = auditlog.AppendParamsJSON(arena, ev.Params)
	p := Prepared{params: arena[start:len(arena):len(arena)]}
	p.email, p.hasEmail = email(ev)
	if start = len(arena); hasExtras(ev) {
		arena = appendExtras(arena, ev)
		p.extras = arena[start:len(arena):len(arena)]
	}
	return p, arena
}

// PrepareAll prepares every event of evs and gathers their keys.
func PrepareAll(evs []auditlog.Event) ([]Prepared, KeySet) {
	prep := make([]Prepared, len(evs))
	keys := KeySet{}
	var arena []byte
	for i := range evs {
		prep[i], arena = Prepare(&evs[i], arena)
		keys.Add(&evs[i])
	}
	return prep, keys
}

// KeySet is the services and request-param keys of a batch of events, gathered where the
// events are decoded, so that the writer records them once per batch instead of per event.
type KeySet map[string]map[string]struct{}

// Add records ev's service and keys.
func (k KeySet) Add(ev *auditlog.Event) {
	ks := k[ev.ServiceName]
	if ks == nil {
		ks = map[string]struct{}{}
		k[ev.ServiceName] = ks
	}
	for _, p := range ev.Params {
		ks[p.Key] = struct{}{}
	}
}

// AppendPrepared adds events with their Prepared values (prep[i] belongs to evs[i]); keys
// holds every service and key among them.
func (w *SilverWriter) AppendPrepared(evs []auditlog.Event, prep []Prepared, keys KeySet, o Origin) error {
	if len(prep) != len(evs) {
		return fmt.Errorf("BUG: %d events with %d prepared values", len(evs), len(prep))
	}
	w.cat.observeKeys(keys)
	for i := range evs {
		if err := w.append(&evs[i], prep[i], o); err != nil {
			return err
		}
	}
	return nil
}

// append adds ev with its prepared values.
func (w *SilverWriter) append(ev *auditlog.Event, p Prepared, o Origin) error {
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
	r[7] = str(ev.SourceIP)
	r[8] = str(ev.UserAgent)
	r[9] = str(ev.SessionID)
	r[10] = str(ev.RequestID)
	r[11] = p.params // the driver copies it
	r[12] = code
	r[13] = nil
	if p.extras != nil {
		r[13] = p.extras
	}
	r[14] = nullIfEmpty(ev.AuditLevel)
	r[15] = ev.EventID
	// The flat email column is the email column for all but failed logins: NULL stands for
	// "the same" (silverInsert coalesces), a NULL crossing cgo without a copy. A NULL flat
	// email implies a NULL email (email), so the coalesce gives it back exactly.
	r[16] = nil
	if p.hasEmail && (ev.Email == nil || *ev.Email != p.email) {
		r[16] = p.email
	}
	r[17] = string(o.Format)
	r[18] = o.File
	r[19] = o.IngestedAt.UTC()
	if err := w.app.Append(r...); err != nil {
		return fmt.Errorf("appending to silver.audit: %w", err)
	}
	return nil
}

// hasExtras reports whether any of the rarely set fields (extrasKeys) is.
func hasExtras(ev *auditlog.Event) bool {
	return ev.SubjectName != nil || ev.ErrorMessage != nil || ev.Result != nil || ev.RunBy != nil || ev.RunAs != nil || ev.ActingResource != nil
}

// appendExtras appends the JSON object of ev's rarely set fields that are set.
func appendExtras(dst []byte, ev *auditlog.Event) []byte {
	dst = append(dst, '{')
	first := true
	for i, v := range [...]*string{ev.SubjectName, ev.ErrorMessage, ev.Result, ev.RunBy, ev.RunAs, ev.ActingResource} {
		if v == nil {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = auditlog.AppendJSONString(dst, extrasKeys[i])
		dst = append(dst, ':')
		dst = auditlog.AppendJSONString(dst, *v)
	}
	return append(dst, '}')
}

// email is silver's flat email column: the caller's email, or for login events that carry
// none (failed logins), the user the request names (spec §4.10).
func email(ev *auditlog.Event) (string, bool) {
	if ev.Email != nil && *ev.Email != "" {
		return *ev.Email, true
	}
	for _, k := range []string{"user", "userName"} {
		if v, ok := ev.Param(k); ok && v != "" && strings.Contains(v, "@") {
			return v, true
		}
	}
	if ev.Email != nil {
		return "", true
	}
	return "", false
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

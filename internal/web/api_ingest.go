package web

import (
	"database/sql"
	"encoding/base64"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"
)

// SourceStatus is what the ingestion loop reports about one source.
type SourceStatus struct {
	Name          string      `json:"name"`
	URL           string      `json:"url"` // credentials and query strings removed
	Interval      string      `json:"interval"`
	Runs          int64       `json:"runs"`
	LastRunAt     *time.Time  `json:"last_run_at,omitempty"`
	LastSuccessAt *time.Time  `json:"last_success_at,omitempty"`
	LastError     string      `json:"last_error,omitempty"`
	LastRun       *RunSummary `json:"last_run,omitempty"`
	// Kind is bucket or stream.
	Kind string `json:"kind,omitempty"`
	// Stopped says a credentials or permission error stopped the source (the others go on);
	// a config reload starts it again.
	Stopped bool `json:"stopped,omitempty"`
	// Offsets are a stream's stored offsets by partition: the first offset not yet ingested.
	Offsets map[string]int64 `json:"offsets,omitempty"`
	// Lag is what the source holds that is not yet ingested: messages for a stream.
	Lag *int64 `json:"lag,omitempty"`
}

// RunSummary is one ingestion run of a source.
type RunSummary struct {
	Objects         int64   `json:"objects"`
	Ingested        int64   `json:"ingested"`
	Failed          int64   `json:"failed"`
	Records         int64   `json:"records"`
	Quarantined     int64   `json:"quarantined"`
	Bytes           int64   `json:"bytes"`
	DurationSeconds float64 `json:"duration_seconds"`
}

// IngestStatus is the body of GET /api/v1/ingest/status.
type IngestStatus struct {
	Sources []SourceStatus `json:"sources"`
	Files   FileStats      `json:"files"`
	// Events counts silver rows; NewestEventTime is the latest event_time in them.
	Events          int64      `json:"events"`
	NewestEventTime *time.Time `json:"newest_event_time,omitempty"`
	// FreshnessSeconds is now minus NewestEventTime: how far behind the newest data is.
	FreshnessSeconds *float64 `json:"freshness_seconds,omitempty"`
	// DeliveryLagSeconds is, over the 100 files ingested last, the longest time from a file's
	// modification in the source to its commit: how long delivered data waits for ingestion.
	DeliveryLagSeconds *float64         `json:"delivery_lag_seconds,omitempty"`
	Quarantine         QuarantineCounts `json:"quarantine"`
}

// FileStats summarizes the ledger.
type FileStats struct {
	Count          int64            `json:"count"`
	Bytes          int64            `json:"bytes"`
	ByFormat       map[string]int64 `json:"by_format"`
	LastIngestedAt *time.Time       `json:"last_ingested_at,omitempty"`
}

// QuarantineCounts counts the quarantined lines.
type QuarantineCounts struct {
	Lines    int64         `json:"lines"`
	Files    int64         `json:"files"`     // files with at least one quarantined line
	ByReason []ReasonCount `json:"by_reason"` // the 20 most frequent reasons
}

// ReasonCount is how many lines were quarantined for one reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	Lines  int64  `json:"lines"`
}

func (s *Server) ingestStatus(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	now := s.now()
	st := IngestStatus{Sources: []SourceStatus{}, Files: FileStats{ByFormat: map[string]int64{}}, Quarantine: QuarantineCounts{ByReason: []ReasonCount{}}}
	for _, src := range s.opts.IngestStatus() {
		src.URL = redactURL(src.URL)
		st.Sources = append(st.Sources, src)
	}
	var last sql.NullTime
	if err := s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(size), 0), max(ingested_at),
		coalesce(sum(quarantined), 0), count(*) FILTER (WHERE quarantined > 0) FROM bronze.files`).
		Scan(&st.Files.Count, &st.Files.Bytes, &last, &st.Quarantine.Lines, &st.Quarantine.Files); err != nil {
		return err
	}
	if last.Valid {
		t := last.Time.UTC()
		st.Files.LastIngestedAt = &t
	}
	rows, err := s.db.QueryContext(ctx, "SELECT format, count(*) FROM bronze.files GROUP BY format ORDER BY format")
	if err != nil {
		return err
	}
	for rows.Next() {
		var f string
		var n int64
		if err := rows.Scan(&f, &n); err != nil {
			rows.Close()
			return err
		}
		st.Files.ByFormat[f] = n
	}
	rows.Close()
	rows, err = s.db.QueryContext(ctx, "SELECT reason, count(*) FROM bronze.quarantine GROUP BY reason ORDER BY count(*) DESC, reason LIMIT 20")
	if err != nil {
		return err
	}
	for rows.Next() {
		var rc ReasonCount
		if err := rows.Scan(&rc.Reason, &rc.Lines); err != nil {
			rows.Close()
			return err
		}
		st.Quarantine.ByReason = append(st.Quarantine.ByReason, rc)
	}
	rows.Close()
	var newest sql.NullTime
	if err := s.db.QueryRowContext(ctx, "SELECT count(*), max(event_time) FROM silver.audit").Scan(&st.Events, &newest); err != nil {
		return err
	}
	if newest.Valid {
		t := newest.Time.UTC()
		st.NewestEventTime = &t
		f := now.Sub(t).Seconds()
		st.FreshnessSeconds = &f
	}
	var lagUS sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT max(epoch_us(ingested_at) - epoch_us(mod_time)) FROM
		(SELECT ingested_at, mod_time FROM bronze.files WHERE mod_time IS NOT NULL ORDER BY ingested_at DESC LIMIT 100)`).Scan(&lagUS); err != nil {
		return err
	}
	if lagUS.Valid {
		l := max(float64(lagUS.Int64)/1e6, 0)
		st.DeliveryLagSeconds = &l
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// redactURL drops credentials and the query string (SAS tokens, signatures) from a source URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	return u.String()
}

// QuarantinedLine is one line that could not be ingested.
type QuarantinedLine struct {
	SourceFile    string    `json:"source_file"`
	Line          int64     `json:"line"`
	Record        *int64    `json:"record,omitempty"` // index inside an Event Hub body
	Reason        string    `json:"reason"`
	Raw           string    `json:"raw"`
	RawEncoding   string    `json:"raw_encoding"` // utf-8 or base64
	RawBytes      int       `json:"raw_bytes"`
	Truncated     bool      `json:"truncated"`
	QuarantinedAt time.Time `json:"quarantined_at"`
}

// Quarantine is a page of GET /api/v1/ingest/quarantine.
type Quarantine struct {
	Lines      []QuarantinedLine `json:"lines"`
	NextCursor string            `json:"next_cursor,omitempty"`
	HasMore    bool              `json:"has_more"`
}

type quarantineCursor struct {
	File   int64 `json:"f"`
	Line   int64 `json:"l"`
	Record int64 `json:"r"`
}

// maxRaw bounds the raw bytes of one quarantined line in a response.
const maxRaw = 16 << 10

func (s *Server) quarantine(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := pageLimit(q)
	if err != nil {
		return err
	}
	var cf, cl, cr any
	if c := first(q, "cursor"); c != "" {
		var cur quarantineCursor
		if err := decodeCursor(c, &cur); err != nil {
			return err
		}
		cf, cl, cr = cur.File, cur.Line, cur.Record
	}
	rows, err := s.db.QueryContext(r.Context(), `SELECT file_id, source_file, line, record, coalesce(record, -1), reason, raw, quarantined_at
		FROM bronze.quarantine
		WHERE $1::INTEGER IS NULL OR file_id > $1 OR (file_id = $1 AND (line > $2 OR (line = $2 AND coalesce(record, -1) > $3)))
		ORDER BY file_id, line, coalesce(record, -1)
		LIMIT $4`, cf, cl, cr, limit+1)
	if err != nil {
		return err
	}
	defer rows.Close()
	out := Quarantine{Lines: []QuarantinedLine{}}
	var last quarantineCursor
	for rows.Next() {
		var l QuarantinedLine
		var fileID, rec int64
		var record sql.NullInt64
		var raw []byte
		if err := rows.Scan(&fileID, &l.SourceFile, &l.Line, &record, &rec, &l.Reason, &raw, &l.QuarantinedAt); err != nil {
			return err
		}
		if len(out.Lines) == limit {
			out.HasMore = true
			break
		}
		if record.Valid {
			l.Record = &record.Int64
		}
		l.RawBytes = len(raw)
		if len(raw) > maxRaw {
			raw, l.Truncated = raw[:maxRaw], true
		}
		for cut := 0; l.Truncated && cut < utf8.UTFMax-1 && !utf8.Valid(raw); cut++ {
			raw = raw[:len(raw)-1] // do not split the last character
		}
		if utf8.Valid(raw) {
			l.Raw, l.RawEncoding = string(raw), "utf-8"
		} else {
			l.Raw, l.RawEncoding = base64.StdEncoding.EncodeToString(raw), "base64"
		}
		l.SourceFile = redactURL(l.SourceFile)
		l.QuarantinedAt = l.QuarantinedAt.UTC()
		out.Lines = append(out.Lines, l)
		last = quarantineCursor{File: fileID, Line: l.Line, Record: rec}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if out.HasMore {
		out.NextCursor = encodeCursor(last)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/kql"
	"github.com/auditlake/auditlake/internal/query"
)

// QueryRequest is the body of POST /api/v1/query.
type QueryRequest struct {
	Query    string `json:"query"`
	Language string `json:"language"`          // kql | sql
	Now      string `json:"now,omitempty"`     // RFC 3339; pins now() and ago() in KQL, current_timestamp() in Databricks SQL
	Dialect  string `json:"dialect,omitempty"` // SQL dialect: duckdb (default) or databricks
}

const maxQueryBytes = 256 << 10

func (s *Server) runQuery(w http.ResponseWriter, r *http.Request) error {
	var req QueryRequest
	if err := decodeJSON(w, r, &req, maxQueryBytes+4096); err != nil {
		return err
	}
	lang := strings.ToLower(strings.TrimSpace(req.Language))
	switch lang {
	case "kql", "sql":
	case "":
		return badData(`"language" is required: "kql" or "sql"`)
	default:
		return badData(`"language" %q: want "kql" or "sql"`, req.Language)
	}
	if strings.TrimSpace(req.Query) == "" {
		return badData(`"query" is empty`)
	}
	if len(req.Query) > maxQueryBytes {
		return badData(`"query" is longer than %d bytes`, maxQueryBytes)
	}
	dialect, err := query.ParseDialect(req.Dialect)
	if err != nil {
		return badData(`"dialect": %v`, err)
	}
	if req.Dialect != "" && lang != "sql" {
		return badData(`"dialect" applies to "language": "sql"`)
	}
	var now time.Time
	if req.Now != "" {
		t, err := time.Parse(time.RFC3339Nano, req.Now)
		if err != nil {
			return badData(`"now" %q: want an RFC 3339 time such as 2019-12-29T00:00:00Z`, req.Now)
		}
		now = t
	}
	res, err := s.execute(r, "query", lang, req.Query, func(ctx context.Context) (*query.Result, error) {
		opts := query.Options{MaxRows: s.opts.MaxRows, Timeout: s.opts.QueryTimeout}
		if lang == "kql" {
			if now.IsZero() {
				now = s.now()
			}
			return query.RunKQL(ctx, s.db.SQL(), req.Query, query.KQLOptions{Options: opts, Now: now, Catalog: &s.catalog})
		}
		return query.RunSQL(ctx, s.db.SQL(), req.Query, query.SQLOptions{Options: opts, Dialect: dialect, Now: now})
	})
	if err != nil {
		return err
	}
	return writeResult(w, res)
}

// execute runs one API query, times it, counts it and records it in the query log.
func (s *Server) execute(r *http.Request, kind, lang, text string, run func(ctx context.Context) (*query.Result, error)) (*query.Result, error) {
	start := s.now()
	t0 := time.Now()
	res, err := run(r.Context())
	rows := -1
	if err == nil {
		rows = len(res.Rows)
	}
	return res, s.record(r, kind, lang, text, start, time.Since(t0), rows, err)
}

// record writes a query's entry in the query log and its duration metric, and returns its error
// classified for the client (queryError). rows is ignored when err is set.
func (s *Server) record(r *http.Request, kind, lang, text string, start time.Time, d time.Duration, rows int, err error) error {
	p := principalOf(r)
	e := logEntry{
		At: start, Who: p.Name, Role: p.Role.String(), TokenID: p.TokenID, Kind: kind, Language: lang,
		Query: text, Duration: d, RequestID: requestIDOf(r), RemoteAddr: r.RemoteAddr,
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
		err = s.queryError(err)
		e.Err = err.Error()
	} else {
		n := int64(rows)
		e.Rows = &n
	}
	s.qlog.add(e)
	s.metrics.queryDuration.WithLabelValues(kind, lang, outcome).Observe(d.Seconds())
	return err
}

// queryError classifies an error of a user query: the query's own faults are 4xx with their
// message (the position of a KQL error, DuckDB's binder text), limits are timeouts, and
// database trouble is internal.
func (s *Server) queryError(err error) error {
	var pe *kql.ParseError
	switch {
	case errors.As(err, &pe):
		return &Error{Status: http.StatusBadRequest, Type: TypeBadData, Err: err}
	case errors.Is(err, query.ErrNotSelect), errors.Is(err, query.ErrNotAllowed):
		return &Error{Status: http.StatusBadRequest, Type: TypeBadData, Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusServiceUnavailable, Type: TypeTimeout, Err: fmt.Errorf("the query took longer than the %v limit", s.opts.QueryTimeout)}
	case errors.Is(err, context.Canceled):
		return &Error{Status: 499, Type: TypeCanceled, Err: errors.New("the request was canceled")}
	}
	msg := err.Error()
	if strings.Contains(msg, "IO Error") || strings.Contains(msg, "INTERNAL") || strings.Contains(msg, "FATAL") {
		return err // internal: hidden from the client, logged
	}
	return &Error{Status: http.StatusUnprocessableEntity, Type: TypeExecution, Err: err}
}

// writeResult writes a query result in the query issue's JSON shape
// ({"columns":[{"name","type"}],"rows":[[…]],"render"?}).
func writeResult(w http.ResponseWriter, res *query.Result) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Result-Rows", strconv.Itoa(len(res.Rows)))
	return query.Write(w, res, "json")
}

// TableInfo describes a table or view for GET /api/v1/tables.
type TableInfo struct {
	Name    string       `json:"name"`   // as KQL names it: DatabricksClusters, silver.audit
	Schema  string       `json:"schema"` // DuckDB schema
	Table   string       `json:"table"`  // DuckDB table or view name
	Columns []ColumnInfo `json:"columns"`
}

// ColumnInfo is a column with its DuckDB and KQL types.
type ColumnInfo struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	KQLType string `json:"kql_type"`
}

func (s *Server) tables(w http.ResponseWriter, r *http.Request) error {
	cat, err := query.LoadCatalog(r.Context(), s.db.SQL())
	if err != nil {
		return err
	}
	out := struct {
		Tables []TableInfo `json:"tables"`
	}{Tables: []TableInfo{}}
	for _, name := range cat.TableNames() {
		sc, _ := cat.Table(name)
		ti := TableInfo{Name: name, Columns: []ColumnInfo{}}
		switch len(sc.Path) {
		case 1:
			ti.Schema, ti.Table = "main", sc.Path[0]
		case 2:
			ti.Schema, ti.Table = sc.Path[0], sc.Path[1]
		}
		if ti.Schema == "meta" && ti.Table == "tokens" {
			continue // not for browsing, even without secrets in it
		}
		for _, c := range sc.Columns {
			ti.Columns = append(ti.Columns, ColumnInfo{Name: c.Name, Type: c.Native, KQLType: c.Type.String()})
		}
		out.Tables = append(out.Tables, ti)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

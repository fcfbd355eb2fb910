package web

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type resultBody struct {
	Columns []struct{ Name, Type string }
	Rows    [][]any
	Render  string
}

func TestQueryKQLAndSQL(t *testing.T) {
	f := newFixture(t, Options{})
	want := count(t, f.db, "SELECT count(*) FROM silver.audit")
	require.Positive(t, want)
	for _, q := range []QueryRequest{
		{Language: "sql", Query: "SELECT count(*) AS n FROM silver.audit"},
		{Language: "kql", Query: "['silver.audit'] | count", Now: "2019-12-29T00:00:00Z"},
		{Language: "sql", Dialect: "databricks", Query: "SELECT count(*) AS n FROM silver.audit"},
	} {
		code, body := f.do("POST", "/api/v1/query", f.tokens[RoleAnalyst], q)
		require.Equal(t, 200, code, "%s", body)
		var res resultBody
		require.NoError(t, json.Unmarshal(body, &res))
		require.Len(t, res.Rows, 1)
		require.EqualValues(t, want, res.Rows[0][0], q.Language)
	}
	code, body := f.do("POST", "/api/v1/query", f.tokens[RoleAnalyst], QueryRequest{Language: "kql", Query: "range x from 1 to 3 step 1 | render timechart"})
	require.Equal(t, 200, code, "%s", body)
	var res resultBody
	require.NoError(t, json.Unmarshal(body, &res))
	require.Equal(t, "timechart", res.Render)
	require.Len(t, res.Rows, 3)
}

func TestQueryErrors(t *testing.T) {
	f := newFixture(t, Options{})
	for _, tc := range []struct {
		req      QueryRequest
		status   int
		typ, msg string
	}{
		{QueryRequest{Language: "kql", Query: "NoSuchTable | count"}, 400, "bad_data", "NoSuchTable"},
		{QueryRequest{Language: "kql", Query: "print x = "}, 400, "bad_data", "1:"},
		{QueryRequest{Language: "sql", Query: "DROP TABLE silver.audit"}, 400, "bad_data", "only one SELECT"},
		{QueryRequest{Language: "sql", Query: "SELECT 1; SELECT 2"}, 400, "bad_data", "2 statements"},
		{QueryRequest{Language: "sql", Query: "SELECT * FROM read_text('/etc/hostname')"}, 400, "bad_data", "read_text reads files"},
		{QueryRequest{Language: "sql", Query: "SELECT * FROM '/etc/hostname.csv'"}, 422, "execution", "disabled by configuration"},
		{QueryRequest{Language: "sql", Query: "SELECT no_such_column FROM silver.audit"}, 422, "execution", "no_such_column"},
		{QueryRequest{Language: "cobol", Query: "x"}, 400, "bad_data", "language"},
		{QueryRequest{Language: "sql", Query: " "}, 400, "bad_data", "empty"},
		{QueryRequest{Language: "sql", Query: "SELECT 1", Dialect: "oracle"}, 400, "bad_data", "dialect"},
		{QueryRequest{Language: "kql", Query: "print 1", Dialect: "databricks"}, 400, "bad_data", "dialect"},
		{QueryRequest{Language: "kql", Query: "print 1", Now: "yesterday"}, 400, "bad_data", "RFC 3339"},
	} {
		code, body := f.do("POST", "/api/v1/query", f.tokens[RoleAnalyst], tc.req)
		require.Equal(t, tc.status, code, "%+v: %s", tc.req, body)
		var e errorBody
		require.NoError(t, json.Unmarshal(body, &e))
		require.Equal(t, tc.typ, e.Error.Type, "%s", body)
		require.Contains(t, e.Error.Message, tc.msg)
		require.NotEmpty(t, e.Error.RequestID)
	}
	code, body := f.do("POST", "/api/v1/query", f.tokens[RoleAnalyst], map[string]any{"query": "print 1", "language": "kql", "extra": 1})
	require.Equal(t, 400, code, "unknown fields are refused: %s", body)
}

func TestQueryLogRecordsWhoRanWhat(t *testing.T) {
	f := newFixture(t, Options{})
	const ok = "SELECT 42 AS answer -- query log test"
	const bad = "SELECT nope FROM silver.audit -- query log test"
	code, _ := f.do("POST", "/api/v1/query", f.tokens[RoleAnalyst], QueryRequest{Language: "sql", Query: ok}, "X-Request-Id", "qlog-test-1")
	require.Equal(t, 200, code)
	code, _ = f.do("POST", "/api/v1/query", f.tokens[RoleAnalyst], QueryRequest{Language: "sql", Query: bad})
	require.Equal(t, 422, code)
	f.srv.qlog.flush(t.Context())

	var who, role, lang, kind, reqID string
	var rows int64
	var ms float64
	var at time.Time
	require.NoError(t, f.db.QueryRowContext(t.Context(), `SELECT who, role, language, kind, rows, duration_ms, request_id, started_at
		FROM meta.query_log WHERE query = ?`, ok).Scan(&who, &role, &lang, &kind, &rows, &ms, &reqID, &at))
	require.Equal(t, f.names[RoleAnalyst], who)
	require.Equal(t, "analyst", role)
	require.Equal(t, "sql", lang)
	require.Equal(t, "query", kind)
	require.EqualValues(t, 1, rows)
	require.GreaterOrEqual(t, ms, 0.0)
	require.Equal(t, "qlog-test-1", reqID)
	require.WithinDuration(t, time.Now(), at, time.Minute)

	var errText string
	require.NoError(t, f.db.QueryRowContext(t.Context(), "SELECT error FROM meta.query_log WHERE query = ? AND rows IS NULL", bad).Scan(&errText))
	require.Contains(t, errText, "nope")

	// The log is queryable like the rest, through the API.
	code, body := f.do("POST", "/api/v1/query", f.tokens[RoleAnalyst], QueryRequest{Language: "kql",
		Query: `['meta.query_log'] | where query has "query log test" | summarize n = count() by who`})
	require.Equal(t, 200, code, "%s", body)
	var res resultBody
	require.NoError(t, json.Unmarshal(body, &res))
	require.Equal(t, [][]any{{f.names[RoleAnalyst], float64(2)}}, res.Rows)
	require.NotContains(t, string(body), f.tokens[RoleAnalyst])
}

func TestTablesListsTheFaces(t *testing.T) {
	f := newFixture(t, Options{})
	var out struct{ Tables []TableInfo }
	f.getJSON("/api/v1/tables", RoleAnalyst, &out)
	names := map[string]TableInfo{}
	for _, ti := range out.Tables {
		names[ti.Name] = ti
	}
	require.Contains(t, names, "silver.audit")
	require.Contains(t, names, "DatabricksClusters")
	require.Contains(t, names, "meta.query_log")
	require.NotContains(t, names, "meta.tokens")
	var sawTime bool
	for _, c := range names["silver.audit"].Columns {
		if c.Name == "event_time" {
			sawTime = true
			require.Equal(t, "datetime", c.KQLType)
			require.Contains(t, c.Type, "TIMESTAMP")
		}
	}
	require.True(t, sawTime)
}

package query_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/query"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
)

// sandbox creates a database with one small table and opens it as a sandbox.
func sandbox(t *testing.T, memory string) *store.DB {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(t.Context(), store.Options{Dir: dir})
	require.NoError(t, err)
	require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error {
		return tx.Exec(`CREATE TABLE main.t AS SELECT i, 'row ' || i AS s, TIMESTAMPTZ '2019-12-28 10:00:00+00' + to_seconds(i) AS ts,
			DATE '2019-12-28' AS d, {'a': i, 'b': [1, 2]} AS nested FROM range(3) r(i)`)
	}))
	require.NoError(t, db.Close())
	sb, err := store.Open(t.Context(), store.Options{Dir: dir, Sandbox: true, MemoryLimit: memory})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	return sb
}

func TestSandboxRefusesEverythingButOneSelect(t *testing.T) {
	db := sandbox(t, "")
	outside := filepath.Join(t.TempDir(), "x")
	for _, tc := range []struct{ sql, want string }{
		{"SELECT * FROM read_text('/etc/hostname')", "file system operations are disabled"},
		{"SELECT * FROM glob('/etc/*')", "file system operations are disabled"},
		{"SELECT * FROM read_csv('" + outside + "')", "file system operations are disabled"},
		{"COPY (SELECT 1) TO '" + outside + "'", "only one SELECT statement is allowed, not COPY"},
		{"ATTACH '" + outside + "' AS y", "not ATTACH"},
		{"INSTALL httpfs", "not INSTALL"},
		{"LOAD httpfs", "not LOAD"},
		{"SET threads = 1", "not SET"},
		{"PRAGMA enable_profiling", "not PRAGMA"},
		{"SELECT 1; SELECT 2", "this text has 2 statements"},
		{"DROP TABLE main.t", "not DROP"},
		{"INSERT INTO main.t VALUES (1, 'x', now(), today(), NULL)", "not INSERT"},
		{"CREATE TABLE u AS SELECT 1", "not CREATE"},
		{"", "the query is empty"},
		{"SELEC 1", "syntax error"},
	} {
		_, err := query.Run(t.Context(), db.SQL(), tc.sql, query.Options{})
		require.Error(t, err, tc.sql)
		require.Contains(t, err.Error(), tc.want, tc.sql)
	}
	// Even past the check, the connection cannot change its configuration.
	_, err := db.SQL().ExecContext(t.Context(), "SET enable_external_access = true")
	require.Error(t, err)

	res, err := query.Run(t.Context(), db.SQL(), "WITH x AS (SELECT * FROM main.t) SELECT count(*) AS n FROM x", query.Options{})
	require.NoError(t, err)
	require.Equal(t, []query.Column{{Name: "n", Type: "BIGINT"}}, res.Columns)
	require.EqualValues(t, 3, res.Rows[0][0])
}

func TestLimitsSayWhichLimitWasHit(t *testing.T) {
	db := sandbox(t, "64MB")
	_, err := query.Run(t.Context(), db.SQL(), "SELECT * FROM range(10)", query.Options{MaxRows: 5})
	require.ErrorContains(t, err, "more than the 5-row limit")

	_, err = query.Run(t.Context(), db.SQL(), "SELECT count(*) FROM range(10000000000) a, range(1000) b WHERE a.range * b.range = -1", query.Options{Timeout: 200 * time.Millisecond})
	require.ErrorContains(t, err, "longer than the 200ms limit")

	_, err = query.Run(t.Context(), db.SQL(), "SELECT list(i) FROM range(50000000) r(i)", query.Options{})
	require.ErrorContains(t, err, "more memory than its limit")
}

func TestOutputFormats(t *testing.T) {
	db := sandbox(t, "")
	res, err := query.Run(t.Context(), db.SQL(), "SELECT i, s, ts, d, nested FROM main.t ORDER BY i", query.Options{})
	require.NoError(t, err)

	var csv bytes.Buffer
	require.NoError(t, query.Write(&csv, res, "csv"))
	require.Equal(t, "i,s,ts,d,nested\n"+
		`0,row 0,2019-12-28T10:00:00Z,2019-12-28,"{""a"":0,""b"":[1,2]}"`+"\n"+
		`1,row 1,2019-12-28T10:00:01Z,2019-12-28,"{""a"":1,""b"":[1,2]}"`+"\n"+
		`2,row 2,2019-12-28T10:00:02Z,2019-12-28,"{""a"":2,""b"":[1,2]}"`+"\n", csv.String())

	var js bytes.Buffer
	require.NoError(t, query.Write(&js, res, "json"))
	var got struct {
		Columns []query.Column `json:"columns"`
		Rows    [][]any        `json:"rows"`
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &got))
	require.Len(t, got.Columns, 5)
	require.Equal(t, "ts", got.Columns[2].Name)
	require.Equal(t, []any{2.0, "row 2", "2019-12-28T10:00:02Z", "2019-12-28", map[string]any{"a": 2.0, "b": []any{1.0, 2.0}}}, got.Rows[2])

	var tbl bytes.Buffer
	require.NoError(t, query.Write(&tbl, res, "table"))
	lines := strings.Split(strings.TrimSpace(tbl.String()), "\n")
	require.Len(t, lines, 6) // header, rule, 3 rows, count
	require.True(t, strings.HasPrefix(lines[0], "i  s"), lines[0])
	require.Equal(t, "(3 rows)", lines[5])

	require.ErrorContains(t, query.Write(&tbl, res, "xml"), `unknown output format "xml"`)
}

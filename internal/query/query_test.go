package query_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
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

// TestSandboxRefusesEverythingButOneSelect tries every escape from a query we know of: reading
// local files or URLs through each file-reading table function DuckDB has and through
// replacement scans, writing or moving data (COPY, EXPORT/IMPORT DATABASE, ATTACH), extensions,
// settings, secrets, calls, DDL and DML, several statements, and the functions that reveal the
// server's paths or change its state. Each must be refused with an error saying what was wrong,
// and the sandbox must still answer afterwards.
func TestSandboxRefusesEverythingButOneSelect(t *testing.T) {
	db := sandbox(t, "")
	dir := t.TempDir()
	outside := filepath.Join(dir, "x.csv")
	require.NoError(t, os.WriteFile(outside, []byte("a,b\n1,2\n"), 0o644))
	lit := "'" + outside + "'"
	const fsOff = "file system operations are disabled"
	const reads = "reads files"
	cases := []struct{ sql, want string }{
		// Files, through every table function that reads one.
		{"SELECT * FROM read_text('/etc/hostname')", "read_text " + reads},
		{"SELECT * FROM read_blob(" + lit + ")", "read_blob " + reads},
		{"SELECT * FROM read_csv(" + lit + ")", "read_csv " + reads},
		{"SELECT * FROM read_csv_auto(" + lit + ")", "read_csv_auto " + reads},
		{"SELECT * FROM read_csv([" + lit + ", " + lit + "])", "read_csv " + reads},
		{"SELECT * FROM read_json(" + lit + ")", "read_json " + reads},
		{"SELECT * FROM read_json_auto(" + lit + ")", "read_json_auto " + reads},
		{"SELECT * FROM read_json_objects(" + lit + ")", "read_json_objects " + reads},
		{"SELECT * FROM read_json_objects_auto(" + lit + ")", "read_json_objects_auto " + reads},
		{"SELECT * FROM read_ndjson(" + lit + ")", "read_ndjson " + reads},
		{"SELECT * FROM read_ndjson_objects(" + lit + ")", "read_ndjson_objects " + reads},
		{"SELECT * FROM read_parquet(" + lit + ")", "read_parquet " + reads},
		{"SELECT * FROM parquet_scan(" + lit + ")", "parquet_scan " + reads},
		{"SELECT * FROM parquet_metadata(" + lit + ")", "parquet_metadata " + reads},
		{"SELECT * FROM parquet_schema(" + lit + ")", "parquet_schema " + reads},
		{"SELECT * FROM read_duckdb(" + lit + ")", "read_duckdb " + reads},
		{"SELECT * FROM sniff_csv(" + lit + ")", "sniff_csv " + reads},
		{"SELECT * FROM glob('/etc/*')", "glob " + reads},
		{`SELECT * FROM "READ_TEXT"('/etc/passwd')`, "read_text " + reads},
		{"SELECT * FROM system.main.read_text('/etc/passwd')", "read_text " + reads},
		{"SELECT * FROM (SELECT * FROM read_text('/etc/passwd'))", "read_text " + reads},
		{"WITH x AS (SELECT * FROM read_csv(" + lit + ")) SELECT * FROM x", "read_csv " + reads},
		{"SELECT 1 WHERE EXISTS (SELECT * FROM glob('/root/*'))", "glob " + reads},
		{"SELECT * FROM main.t, LATERAL (SELECT * FROM read_blob('/etc/shadow'))", "read_blob " + reads},
		// Replacement scans: a quoted file name or URL as a table.
		{"SELECT * FROM " + lit, fsOff},
		{"SELECT * FROM '/etc/passwd'", "Table with name /etc/passwd does not exist"},
		{"SELECT * FROM 'https://example.com/x.parquet'", fsOff},
		{"FROM 's3://bucket/x.csv'", fsOff},
		// Writing or moving data, other databases.
		{"COPY (SELECT 1) TO " + lit, "only one SELECT statement is allowed, not COPY"},
		{"COPY main.t TO " + lit + " (FORMAT parquet)", "not COPY"},
		{"COPY main.t FROM " + lit, "not COPY"},
		{"EXPORT DATABASE '" + dir + "'", "not EXPORT"},
		{"IMPORT DATABASE '" + dir + "'", "not IMPORT"},
		{"ATTACH " + lit + " AS y", "not ATTACH"},
		{"ATTACH ':memory:' AS m", "not ATTACH"},
		{"DETACH auditlake", "not DETACH"},
		{"USE memory", "not USE"},
		// Extensions.
		{"INSTALL httpfs", "not INSTALL"},
		{"FORCE INSTALL httpfs FROM 'http://example.com'", "not FORCE"},
		{"LOAD httpfs", "not LOAD"},
		// Settings.
		{"SET threads = 1", "not SET"},
		{"SET GLOBAL enable_external_access = true", "not SET"},
		{"RESET memory_limit", "not RESET"},
		{"PRAGMA enable_profiling", "not PRAGMA"},
		{"SELECT current_setting('temp_directory')", "current_setting('temp_directory')"},
		{"SELECT current_setting('secret_directory')", "current_setting('secret_directory')"},
		{"SELECT current_setting('home_directory')", "current_setting('home_directory')"},
		{"SELECT current_setting(lower('EXTENSION_DIRECTORY'))", "current_setting(a computed name)"},
		{"SELECT * FROM duckdb_settings()", "table function duckdb_settings"},
		{"SELECT * FROM pg_settings", "system view pg_settings"},
		{"SELECT * FROM duckdb_databases()", "table function duckdb_databases"},
		{"SELECT getenv('HOME')", "function getenv"},
		// Calls and secrets.
		{"CALL pragma_version()", "not CALL"},
		{"CALL duckdb_secrets()", "not CALL"},
		{"CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')", "not CREATE"},
		{"CREATE PERSISTENT SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')", "not CREATE"},
		{"DROP SECRET s", "not DROP"},
		{"SELECT * FROM duckdb_secrets()", "table function duckdb_secrets"},
		{"SELECT * FROM which_secret('s3://bucket/x', 's3')", "table function which_secret"},
		// Functions that change state or run text this check never saw.
		{"SELECT * FROM enable_logging(storage := 'file', storage_path := '" + dir + "')", "table function enable_logging"},
		{"SELECT * FROM truncate_duckdb_logs()", "table function truncate_duckdb_logs"},
		{"SELECT * FROM duckdb_logs", "system view duckdb_logs"},
		{"SELECT * FROM checkpoint()", "table function checkpoint"},
		{"SELECT * FROM query('SELECT * FROM read_text(''/etc/passwd'')')", "table function query"},
		{"SELECT * FROM query_table('main.t')", "table function query_table"},
		{"SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))", "table function json_execute_serialized_sql"},
		{"SELECT * FROM arrow_scan(1, 2, 3)", "table function arrow_scan"},
		{"SELECT sleep_ms(100000)", "function sleep_ms"},
		// DDL, DML, transactions, maintenance.
		{"DROP TABLE main.t", "not DROP"},
		{"INSERT INTO main.t VALUES (1, 'x', now(), today(), NULL)", "not INSERT"},
		{"UPDATE main.t SET i = 0", "not UPDATE"},
		{"DELETE FROM main.t", "not DELETE"},
		{"CREATE TABLE u AS SELECT 1", "not CREATE"},
		{"CREATE TEMP TABLE u AS SELECT 1", "not CREATE"},
		{"CREATE VIEW v AS SELECT * FROM read_text('/etc/passwd')", "not CREATE"},
		{"CREATE MACRO m(x) AS x", "not CREATE"},
		{"ALTER TABLE main.t ADD COLUMN z INT", "not ALTER"},
		{"BEGIN TRANSACTION", "not BEGIN"},
		{"CHECKPOINT", "not CHECKPOINT"},
		{"VACUUM", "not VACUUM"},
		// Several statements, or none.
		{"SELECT 1; SELECT 2", "this text has 2 statements"},
		{"SELECT 1; DROP TABLE main.t", "only one SELECT statement is allowed: a statement after the first is not a SELECT"},
		{"", "the query is empty"},
		{"SELEC 1", "syntax error"},
	}
	for _, tc := range cases {
		_, err := query.Run(t.Context(), db.SQL(), tc.sql, query.Options{})
		require.Error(t, err, tc.sql)
		require.Contains(t, err.Error(), tc.want, tc.sql)
	}
	t.Logf("%d escape attempts refused", len(cases))
	// Even past the check, the connection cannot change its configuration.
	_, err := db.SQL().ExecContext(t.Context(), "SET enable_external_access = true")
	require.Error(t, err)

	// What a query may do still works, and nothing above changed the sandbox.
	for _, ok := range []string{
		"WITH x AS (SELECT * FROM main.t) SELECT count(*) AS n FROM x",
		"SELECT count(*) FROM range(3)",
		"SELECT count(*) FROM generate_series(1, 3)",
		"SELECT count(*) FROM (SELECT unnest([1, 2, 3]))",
		"SELECT count(*) FROM duckdb_columns() WHERE table_name = 't' AND column_name <> 'nested' AND column_name <> 'd'",
		"SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name IN ('i', 's', 'ts')",
		"SELECT length(current_setting('TimeZone')) FROM main.t",
	} {
		res, err := query.Run(t.Context(), db.SQL(), ok, query.Options{})
		require.NoError(t, err, ok)
		require.EqualValues(t, 3, res.Rows[0][0], ok)
	}
	res, err := query.Run(t.Context(), db.SQL(), "DESCRIBE main.t", query.Options{})
	require.NoError(t, err)
	require.Len(t, res.Rows, 5)
}

// TestSandboxWithFileTables checks that --table files are readable as tables while files stay
// shut: enable_external_access is turned off after they are loaded.
func TestSandboxWithFileTables(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "ev.csv")
	require.NoError(t, os.WriteFile(f, []byte("a,b\n1,2\n3,4\n"), 0o644))
	db, err := store.Open(t.Context(), store.Options{Sandbox: true, Files: []store.FileTable{{Name: "ev", Path: f}}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	res, err := query.Run(t.Context(), db.SQL(), "SELECT sum(a + b) AS s FROM ev", query.Options{})
	require.NoError(t, err)
	require.Equal(t, "10", fmt.Sprint(res.Rows[0][0]))
	_, err = query.Run(t.Context(), db.SQL(), "SELECT * FROM '"+f+"'", query.Options{})
	require.ErrorContains(t, err, "file system operations are disabled")
	_, err = query.Run(t.Context(), db.SQL(), "SELECT * FROM read_csv('"+f+"')", query.Options{})
	require.ErrorContains(t, err, "read_csv reads files")
}

// TestSandboxStopsRunawayQueries checks that the limits stop what the check lets through: a
// recursive CTE without end, a huge cross join counted or returned, and an aggregate that
// outgrows memory, each with an error that says which limit was hit.
func TestSandboxStopsRunawayQueries(t *testing.T) {
	db := sandbox(t, "64MB")
	limits := query.Options{Timeout: 2 * time.Second, MaxRows: 10_000}
	for _, tc := range []struct {
		sql  string
		want []string // any of these
	}{
		{"WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r", []string{"longer than the 2s limit", "more memory than its limit"}},
		{"WITH RECURSIVE r(i, s) AS (SELECT 1, repeat('x', 1000) UNION ALL SELECT i + 1, s FROM r) SELECT max(i) FROM r", []string{"longer than the 2s limit", "more memory than its limit"}},
		{"SELECT count(*) FROM range(1000000) a, range(1000000) b", []string{"longer than the 2s limit"}},
		{"SELECT * FROM range(1000000) a, range(1000000) b", []string{"more than the 10000-row limit", "longer than the 2s limit"}},
		{"SELECT a.range FROM range(1000000) a, range(1000000) b ORDER BY a.range * b.range DESC LIMIT 1", []string{"longer than the 2s limit", "more memory than its limit"}},
		{"SELECT string_agg(repeat('x', 1000), ',') FROM range(10000000)", []string{"more memory than its limit", "longer than the 2s limit"}},
	} {
		_, err := query.Run(t.Context(), db.SQL(), tc.sql, limits)
		require.Error(t, err, tc.sql)
		found := false
		for _, w := range tc.want {
			found = found || strings.Contains(err.Error(), w)
		}
		require.True(t, found, "%s: %v", tc.sql, err)
	}
	res, err := query.Run(t.Context(), db.SQL(), "SELECT count(*) FROM main.t", limits)
	require.NoError(t, err)
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

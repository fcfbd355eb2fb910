package query_test

import (
	"path/filepath"
	"testing"

	"github.com/auditlake/auditlake/internal/query"
	"github.com/stretchr/testify/require"
)

// TestDatabricksDialectStaysInTheSandbox checks that translation cannot widen what a query may
// do: literals and identifiers are re-quoted (no text escapes them), and what the sandbox
// refuses in DuckDB SQL it refuses in Databricks SQL too.
func TestDatabricksDialectStaysInTheSandbox(t *testing.T) {
	db := sandbox(t, "")
	outside := filepath.Join(t.TempDir(), "x")
	run := func(q string) (*query.Result, error) {
		return query.RunSQL(t.Context(), db.SQL(), q, query.SQLOptions{Dialect: query.DialectDatabricks})
	}
	for _, tc := range []struct{ sql, want string }{
		{"SELECT * FROM read_text('/etc/hostname')", "read_text reads files"},
		{"SELECT * FROM `read_text`(\"/etc/hostname\")", "read_text reads files"},
		{"SELECT * FROM json.`/etc/hostname`", "json"},
		{"SELECT * FROM parquet.`" + outside + "`", "parquet"},
		{"SELECT 1; DROP TABLE main.t", "only one SELECT statement is allowed"},
		{"SELECT 1 /* a */ ; ATTACH '" + outside + "' AS y", "only one SELECT statement is allowed"},
		{"COPY (SELECT 1) TO '" + outside + "'", "only one SELECT statement is allowed, not COPY"},
		{"SET spark.sql.ansi.enabled = true", "not SET"},
		{"INSTALL httpfs", "not INSTALL"},
		{"CREATE TABLE u AS SELECT 1", "not CREATE"},
		{"SELECT `a\"; DROP TABLE main.t; --` FROM main.t", `a"; DROP TABLE main.t; --`},
		{"SELECT * FROM system.information_schema.tables", "table system.information_schema.tables is not available"},
	} {
		_, err := run(tc.sql)
		require.Error(t, err, tc.sql)
		require.Contains(t, err.Error(), tc.want, tc.sql)
	}
	// A quote inside a string stays inside the string.
	res, err := run(`SELECT "x'); COPY (SELECT 1) TO '` + outside + `' --" AS s`)
	require.NoError(t, err)
	require.Equal(t, []any{"x'); COPY (SELECT 1) TO '" + outside + "' --"}, res.Rows[0])
	n, err := run("SELECT count(*) AS n FROM main.t")
	require.NoError(t, err)
	require.EqualValues(t, 3, n.Rows[0][0], "the table is still there")
}

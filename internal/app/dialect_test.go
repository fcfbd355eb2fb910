package app_test

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/app"
	"github.com/stretchr/testify/require"
)

// TestDatabricksDialect runs the CLI's query path with --dialect databricks: --explain prints
// the DuckDB SQL without a database, and errors carry line:col and a caret.
func TestDatabricksDialect(t *testing.T) {
	env := app.Env{Data: filepath.Join(t.TempDir(), "none")}
	var out bytes.Buffer
	now := time.Date(2019, 12, 29, 0, 0, 0, 0, time.UTC)
	require.NoError(t, app.Query(t.Context(), env, app.QueryOptions{Dialect: "databricks", Explain: true, Now: now,
		Text: "SELECT count(*) FROM system.access.audit WHERE event_time >= current_timestamp() - INTERVAL 24 HOURS"}, &out))
	require.Contains(t, out.String(), " FROM silver.audit) AS \"audit\" WHERE event_time >= TIMESTAMPTZ '2019-12-29 00:00:00+00' - INTERVAL '24 hour'\n")

	err := app.Query(t.Context(), env, app.QueryOptions{Dialect: "databricks", Explain: true, Text: "SELECT *\nFROM system.billing.usage"}, &out)
	require.EqualError(t, err, "2:6: table system.billing.usage is not available: auditlake holds system.access.audit (as silver.audit)\nFROM system.billing.usage\n     ^")

	err = app.Query(t.Context(), env, app.QueryOptions{Dialect: "postgres", Text: "SELECT 1"}, &out)
	require.EqualError(t, err, `unknown SQL dialect "postgres" (use duckdb or databricks)`)
}

package store_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
)

// A shadowing sandbox answers for a table with a query over it and the allowed files, and
// every view sees the shadow; everything else stays shut.
func TestShadowSandbox(t *testing.T) {
	dir, lake := t.TempDir(), t.TempDir()
	db, err := store.Open(t.Context(), store.Options{Dir: dir})
	require.NoError(t, err)
	require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error {
		if err := tx.Exec("INSERT INTO meta.services VALUES ('clusters')"); err != nil {
			return err
		}
		if err := tx.Exec("CREATE VIEW gold.n AS SELECT count(*) AS n FROM silver.audit"); err != nil {
			return err
		}
		return tx.Exec("COPY (SELECT 7 AS x) TO " + store.QuoteLiteral(filepath.Join(lake, "cold.parquet")) + " (FORMAT parquet)")
	}))
	require.NoError(t, db.Close())
	require.NoError(t, os.WriteFile(filepath.Join(t.TempDir(), "secret"), []byte("x"), 0o600))

	cold := "SELECT * FROM hot.silver.audit UNION ALL BY NAME SELECT * FROM (SELECT TIMESTAMPTZ '2019-12-01 00:00:00+00' AS event_time, DATE '2019-12-01' AS event_date, 'clusters' AS service_name, 'create' AS action_name, 'e' AS event_id, 'delivery' AS source_format, 'f' AS source_file, now() AS ingested_at FROM read_parquet(" + store.QuoteLiteral(filepath.Join(lake, "cold.parquet")) + "))"
	sb, err := store.Open(t.Context(), store.Options{Dir: dir, Sandbox: true, AllowedDirs: []string{lake}, Shadow: map[string]string{"silver.audit": cold}})
	require.NoError(t, err)
	defer sb.Close()
	var n int64
	require.NoError(t, sb.QueryRowContext(t.Context(), "SELECT count(*) FROM silver.audit").Scan(&n))
	require.Equal(t, int64(1), n, "the shadow's row")
	require.NoError(t, sb.QueryRowContext(t.Context(), "SELECT n FROM gold.n").Scan(&n))
	require.Equal(t, int64(1), n, "views are defined again over the shadow")
	require.NoError(t, sb.QueryRowContext(t.Context(), "SELECT count(*) FROM meta.services").Scan(&n))
	require.Equal(t, int64(1), n, "other tables read through")
	_, err = sb.SQL().ExecContext(t.Context(), "SELECT * FROM read_text('/etc/hostname')")
	require.ErrorContains(t, err, "disabled")
	_, err = sb.SQL().ExecContext(t.Context(), "SET enable_external_access = true")
	require.Error(t, err)
	_, err = sb.SQL().ExecContext(t.Context(), "INSERT INTO hot.meta.services VALUES ('x')")
	require.Error(t, err, "the database itself stays read-only")
}

// A migration missing below the highest applied one (they are written in parallel and may
// land out of order) is applied when the database is opened.
func TestMigrationsLandingOutOfOrderAreApplied(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(t.Context(), store.Options{Dir: dir})
	require.NoError(t, err)
	require.NoError(t, db.Write(t.Context(), func(tx *store.Tx) error {
		if err := tx.Exec("DROP TABLE meta.exports"); err != nil {
			return err
		}
		return tx.Exec("DELETE FROM meta.migrations WHERE name = '0007_exports'")
	}))
	require.NoError(t, db.Close())
	db, err = store.Open(t.Context(), store.Options{Dir: dir})
	require.NoError(t, err)
	defer db.Close()
	var n int64
	require.NoError(t, db.QueryRowContext(t.Context(), "SELECT count(*) FROM meta.exports").Scan(&n))
	require.Zero(t, n)
}

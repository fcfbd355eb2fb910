package app_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/app"
	"github.com/auditlake/auditlake/internal/generate"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
)

// serve keeps the lake of the config's export section up to date, with its database locked
// down except for the lake folder.
func TestServeExportsContinuously(t *testing.T) {
	src := t.TempDir()
	_, err := generate.Run(t.Context(), generate.Options{Out: src, Scenario: "steady", Days: 1, Workspaces: 1, EventsPerDay: 50, Seed: 3})
	require.NoError(t, err)
	lake := filepath.Join(t.TempDir(), "lake")
	cfg := filepath.Join(t.TempDir(), "auditlake.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf("sources:\n  - {name: logs, url: %q, interval: 1s}\nexport:\n  to: %q\n  interval: 10s\n  vacuum: 1h\n", src, lake)), 0o644))
	// A file an earlier, crashed export left behind, older than the vacuum's hour.
	orphan := filepath.Join(lake, "silver", "audit", "event_date=2000-01-01", "part-orphan.parquet")
	require.NoError(t, os.MkdirAll(filepath.Dir(orphan), 0o755))
	require.NoError(t, os.WriteFile(orphan, []byte("never committed"), 0o644))
	old := time.Now().Add(-2 * time.Hour)
	require.NoError(t, os.Chtimes(orphan, old, old))
	env := app.Env{Data: filepath.Join(t.TempDir(), "data")}
	_, _, err = app.TokenCreate(t.Context(), env, "analyst", "t")
	require.NoError(t, err)
	_, stop := startServe(t, env, app.ServeOptions{Listen: "127.0.0.1:0", Config: cfg})
	// The lake's silver table exists once an export ran after the first ingest; a commit with
	// data files has "add" lines.
	commitWithData := func() bool {
		for v := 0; v < 5; v++ {
			b, err := os.ReadFile(filepath.Join(lake, "silver", "audit", "_delta_log", fmt.Sprintf("%020d.json", v)))
			if err == nil && len(b) > 0 && bytes.Contains(b, []byte(`{"add":`)) {
				return true
			}
		}
		return false
	}
	require.Eventually(t, commitWithData, 60*time.Second, 100*time.Millisecond)
	require.Eventually(t, func() bool { _, err := os.Stat(orphan); return os.IsNotExist(err) }, 30*time.Second, 100*time.Millisecond,
		"the vacuum after the first export deletes the orphan")
	require.NoError(t, stop())

	db, err := store.Open(t.Context(), store.Options{Dir: env.Data, ReadOnly: true})
	require.NoError(t, err)
	defer db.Close()
	var n int64
	require.NoError(t, db.QueryRowContext(t.Context(), "SELECT count(*) FROM silver.audit").Scan(&n))
	require.Positive(t, n)
	var dest string
	require.NoError(t, db.QueryRowContext(t.Context(), "SELECT destination FROM meta.exports ORDER BY exported_at DESC LIMIT 1").Scan(&dest))
	require.Equal(t, lake, dest)
}

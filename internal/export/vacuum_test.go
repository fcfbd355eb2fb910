package export_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/export"
	"github.com/stretchr/testify/require"
)

func TestVacuumDeletesOnlyWhatNoVersionWithinTheRetentionNeeds(t *testing.T) {
	r := newRig(t)
	r.write("workspaceId=1234/date=2019-12-27/a.json", records(0, 100, ""))
	r.ingest()
	r.export()
	r.write("workspaceId=1234/date=2019-12-27/a.json", records(0, 120, "")) // replaces the first data file
	r.ingest()
	require.Equal(t, 1, r.export()[0].Removed)
	table := filepath.Join(r.lake, "silver", "audit")
	live := map[string]bool{}
	for _, a := range r.same("silver.audit").Files() {
		live[a.Path] = true
	}
	// A crashed export's leftovers: a data file no commit added and a staging folder.
	orphan := filepath.Join(table, "event_date=2019-12-27", "part-orphan.parquet")
	staged := filepath.Join(table, "_staging-dead", "part-x.parquet")
	for _, p := range []string{orphan, staged} {
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("not committed"), 0o644))
	}
	vacuum := func(now time.Time, retain time.Duration, dry bool) export.VacuumSummary {
		t.Helper()
		e, err := export.New(export.Options{DB: r.db, To: r.lake, Tables: []string{"silver"}, Now: func() time.Time { return now }})
		require.NoError(t, err)
		s, err := e.Vacuum(t.Context(), retain, dry)
		require.NoError(t, err)
		require.Len(t, s, 1)
		return s[0]
	}

	// Everything is younger than the default week: nothing goes.
	s := vacuum(time.Now(), 0, false)
	require.Zero(t, s.Files)
	require.Equal(t, 3, s.Kept, "the replaced file, the orphan, the staged file")

	// The leftovers age past the week; the replaced file was removed just now, so it stays.
	old := time.Now().Add(-8 * 24 * time.Hour)
	for _, p := range []string{orphan, staged} {
		require.NoError(t, os.Chtimes(p, old, old))
	}
	require.Equal(t, 2, vacuum(time.Now(), 0, true).Files, "dry run counts")
	require.FileExists(t, orphan)
	s = vacuum(time.Now(), 0, false)
	require.Equal(t, 2, s.Files)
	require.NoFileExists(t, orphan)
	require.NoDirExists(t, filepath.Dir(staged), "an emptied staging folder goes too")
	require.Equal(t, 1, s.Kept)

	// A week and a day after the rewrite the replaced file goes too; the table reads the same.
	s = vacuum(time.Now().Add(8*24*time.Hour), 0, false)
	require.Equal(t, 1, s.Files)
	require.Zero(t, s.Kept)
	snap := r.same("silver.audit")
	for _, a := range snap.Files() {
		require.True(t, live[a.Path], a.Path)
		require.FileExists(t, filepath.Join(table, filepath.FromSlash(a.Path)))
	}

	// A checkpoint written after the retention leaves the expired tombstone out.
	require.Len(t, snap.Tombstones(), 1)
	r.write("workspaceId=1234/date=2019-12-28/b.json", records(500, 510, ""))
	r.ingest()
	e, err := export.New(export.Options{DB: r.db, To: r.lake, Tables: []string{"silver"}, CheckpointInterval: 1,
		Now: func() time.Time { return time.Now().Add(8 * 24 * time.Hour) }})
	require.NoError(t, err)
	_, err = e.Run(t.Context())
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(table, "_delta_log", "00000000000000000002.checkpoint.parquet"))
	snap = r.same("silver.audit")
	require.Empty(t, snap.Tombstones())

	_, err = e.Vacuum(t.Context(), 30*time.Minute, false)
	require.ErrorContains(t, err, "shorter than 1h0m0s")
}

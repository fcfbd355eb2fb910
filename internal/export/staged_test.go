package export_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/export"
	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
)

// A locked-down database (the server's) may write only its staging folder; StageLocal exports
// to any folder through it: new files, a rewrite, a compaction and checkpoints.
func TestStagedExportFromALockedDatabase(t *testing.T) {
	stage, data := t.TempDir(), t.TempDir()
	db, err := store.Open(t.Context(), store.Options{Dir: data, Locked: true, AllowedDirs: []string{stage}})
	require.NoError(t, err)
	r := &rig{t: t, db: db, src: t.TempDir(), lake: filepath.Join(t.TempDir(), "lake")}
	b, err := source.Open(t.Context(), r.src)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	r.in, err = ingest.New(ingest.Options{DB: db, Source: b, RetryBackoff: time.Millisecond})
	require.NoError(t, err)
	run := func(o export.Options) error {
		o.DB, o.To = db, r.lake
		e, err := export.New(o)
		require.NoError(t, err)
		defer e.Close()
		_, err = e.Run(t.Context())
		return err
	}

	r.write("workspaceId=1234/date=2019-12-27/a.json", records(0, 100, ""))
	r.ingest()
	require.Error(t, run(export.Options{}), "the locked database may not write the lake itself")
	require.NoError(t, os.RemoveAll(r.lake))

	staged := export.Options{TempDir: stage, StageLocal: true, CheckpointInterval: 2}
	require.NoError(t, run(staged))
	r.write("workspaceId=1234/date=2019-12-28/b.json", records(100, 150, ""))
	r.ingest()
	require.NoError(t, run(staged))
	r.write("workspaceId=1234/date=2019-12-27/a.json", records(0, 130, "")) // a rewrite
	r.ingest()
	staged.Optimize = true
	require.NoError(t, run(staged)) // version 2: a checkpoint, read back by the next run
	r.write("workspaceId=1234/date=2019-12-29/c.json", records(500, 510, ""))
	r.ingest()
	require.NoError(t, run(staged))
	require.FileExists(t, filepath.Join(r.lake, "silver", "audit", "_delta_log", "00000000000000000002.checkpoint.parquet"))
	left, err := os.ReadDir(stage)
	require.NoError(t, err)
	require.Empty(t, left, "staging cleaned up")
	// Read back through a database that may read the lake.
	require.NoError(t, db.Close())
	r.db, err = store.Open(t.Context(), store.Options{Dir: data})
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.db.Close() })
	r.same("silver.audit")
	r.same("gold.clusters")
}

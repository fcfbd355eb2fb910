package export

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/delta"
	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store/storetest"
	"github.com/stretchr/testify/require"
)

// A second writer that commits the version this export wanted wins; the export fails with
// ErrConflict, commits nothing, and the next export writes the rows exactly once.
func TestConcurrentWriterLosesTheCommitRaceCleanly(t *testing.T) {
	db := storetest.Open(t)
	src := t.TempDir()
	lake := filepath.Join(t.TempDir(), "lake")
	var lines string
	for i := 0; i < 50; i++ {
		lines += fmt.Sprintf(`{"timestamp":%d,"workspaceId":1,"serviceName":"clusters","actionName":"create","requestId":"r%d","requestParams":{},"response":{"statusCode":200}}`+"\n", 1577527200000+int64(i)*1000, i)
	}
	require.NoError(t, os.MkdirAll(filepath.Join(src, "d"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(src, "d", "a.json"), []byte(lines), 0o644))
	b, err := source.Open(t.Context(), src)
	require.NoError(t, err)
	defer b.Close()
	in, err := ingest.New(ingest.Options{DB: db, Source: b})
	require.NoError(t, err)
	_, err = in.Once(t.Context())
	require.NoError(t, err)

	e, err := New(Options{DB: db, To: lake, Tables: []string{"silver"}, Now: func() time.Time { return time.UnixMilli(1577600000000) }})
	require.NoError(t, err)
	root := filepath.Join(lake, "silver", "audit")
	e.beforeCommit = func(_ string, v int64) {
		// The other writer creates the table first (a blind commit with the same protocol).
		other := `{"commitInfo":{"operation":"CREATE TABLE","engineInfo":"other"}}
{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}
{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[]}","partitionColumns":[],"configuration":{}}}
`
		require.NoError(t, os.MkdirAll(filepath.Join(root, delta.LogDir), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, delta.LogDir, delta.CommitName(v)), []byte(other), 0o644))
	}
	_, err = e.Run(t.Context())
	require.Error(t, err)
	require.True(t, errors.Is(err, ErrConflict), err)
	require.Contains(t, err.Error(), "version 0 of")
	data, err := os.ReadFile(filepath.Join(root, delta.LogDir, delta.CommitName(0)))
	require.NoError(t, err)
	require.Contains(t, string(data), `"engineInfo":"other"`, "the winner's commit is untouched")
	_, err = os.Stat(filepath.Join(root, delta.LogDir, delta.CommitName(1)))
	require.True(t, os.IsNotExist(err), "the loser committed nothing")
}

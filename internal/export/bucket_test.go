package export_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/export"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/source/sourcetest"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"
)

// TestExportToBuckets exports to every bucket kind through its real protocol peer (in-process
// S3 and GCS servers, Azurite), checks that a commit is put-if-absent there, and reads the
// tables back.
func TestExportToBuckets(t *testing.T) {
	for _, tc := range []struct {
		name string
		peer func(t *testing.T) (url string, b *blob.Bucket)
	}{
		{"s3", func(t *testing.T) (string, *blob.Bucket) {
			q, w := sourcetest.S3(t, "lake")
			return "s3://lake/auditlake?" + q, w
		}},
		{"gcs", func(t *testing.T) (string, *blob.Bucket) {
			b, w := sourcetest.GCS(t)
			return "gs://" + b + "/auditlake", w
		}},
		{"azure", func(t *testing.T) (string, *blob.Bucket) {
			c, q, w := sourcetest.Azure(t)
			return "azblob://" + c + "/auditlake?" + q, w
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, bucket := tc.peer(t)
			r := newRig(t)
			r.write("workspaceId=1234/date=2019-12-27/a.json", records(0, 120, ""))
			r.ingest()
			run := func() []export.TableSummary {
				e, err := export.New(export.Options{DB: r.db, To: url, CheckpointInterval: 2})
				require.NoError(t, err)
				defer e.Close()
				s, err := e.Run(t.Context())
				require.NoError(t, err)
				return s
			}
			require.Equal(t, 1, run()[0].Added)
			require.Zero(t, run()[0].Added, "nothing new")
			r.write("workspaceId=1234/date=2019-12-27/a.json", records(0, 150, ""))
			r.ingest()
			s := run()[0]
			require.Equal(t, 1, s.Removed)
			require.Equal(t, int64(1), s.Version)
			r.write("workspaceId=1234/date=2019-12-28/b.json", records(5000, 5010, ""))
			r.ingest()
			require.Equal(t, int64(2), run()[0].Version, "version 2: a checkpoint is due")

			// The store refuses a second commit of the same version.
			d, err := source.OpenDest(t.Context(), url)
			require.NoError(t, err)
			defer d.Close()
			err = d.PutIfAbsent(t.Context(), "silver/audit/_delta_log/00000000000000000001.json", []byte("{}\n"))
			require.True(t, errors.Is(err, source.ErrExist), "%v", err)

			// A vacuum a week and a day later deletes the replaced file and nothing the table reads.
			later, err := export.New(export.Options{DB: r.db, To: url, Now: func() time.Time { return time.Now().Add(8 * 24 * time.Hour) }})
			require.NoError(t, err)
			defer later.Close()
			vs, err := later.Vacuum(t.Context(), 0, false)
			require.NoError(t, err)
			require.Equal(t, "silver.audit", vs[0].Table)
			require.Equal(t, 1, vs[0].Files, "the data file the rewrite replaced")

			// Read it back from a local copy of the bucket.
			r.lake = filepath.Join(t.TempDir(), "copy")
			copyBucket(t, bucket, "auditlake/", r.lake)
			_, err = os.Stat(filepath.Join(r.lake, "silver", "audit", "_delta_log", "00000000000000000002.checkpoint.parquet"))
			require.NoError(t, err)
			r.same("silver.audit")
			r.same("gold.clusters")
		})
	}
}

func copyBucket(t *testing.T, b *blob.Bucket, prefix, dir string) {
	t.Helper()
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(t.Context())
		if err == io.EOF {
			return
		}
		require.NoError(t, err)
		data, err := b.ReadAll(t.Context(), o.Key)
		require.NoError(t, err)
		p := filepath.Join(dir, filepath.FromSlash(o.Key[len(prefix):]))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, data, 0o644))
	}
}

package source_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/source/sourcetest"
	"github.com/stretchr/testify/require"
)

func TestFolderConformance(t *testing.T) {
	sourcetest.Run(t, func(t *testing.T) sourcetest.Peer {
		dir := t.TempDir()
		return sourcetest.Peer{
			URI: "file://" + dir,
			Put: func(t *testing.T, key string, data []byte) {
				p := filepath.Join(dir, key)
				require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
				require.NoError(t, os.WriteFile(p, data, 0o644))
			},
			Delete: func(t *testing.T, key string) { require.NoError(t, os.Remove(filepath.Join(dir, key))) },
		}
	})
}

func TestS3Conformance(t *testing.T) { sourcetest.Run(t, sourcetest.S3Peer) }

func TestGCSConformance(t *testing.T) { sourcetest.Run(t, sourcetest.GCSPeer) }

func TestAzureConformance(t *testing.T) { sourcetest.Run(t, sourcetest.AzurePeer) }

func TestOpenErrorsNameTheSourceWithoutItsQuery(t *testing.T) {
	for _, tc := range []struct{ uri, want string }{
		{"ftp://host/x?password=hunter2", `scheme "ftp" is not supported`},
		{"s3:///prefix?token=hunter2", "no bucket name"},
	} {
		_, err := source.Open(t.Context(), tc.uri)
		require.ErrorContains(t, err, tc.want)
		require.NotContains(t, err.Error(), "hunter2")
	}
	q, _ := sourcetest.S3(t, "exists")
	b, err := source.Open(t.Context(), "s3://missing-bucket/x?"+q)
	require.NoError(t, err) // opening is lazy; listing finds out
	defer b.Close()
	_, err = b.List(t.Context())
	require.ErrorContains(t, err, "bucket not found")
	require.True(t, source.IsPermanent(err))
}

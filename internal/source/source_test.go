package source_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/source/sourcetest"
	"github.com/stretchr/testify/require"
)

func TestFolderConformance(t *testing.T) { sourcetest.Run(t, sourcetest.FolderPeer) }

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

// TestRecentListingsSeekPastOldPartitions checks that on S3 and GCS a recent listing after a
// full one costs a request per workspace folder, not one per partition of its history.
func TestRecentListingsSeekPastOldPartitions(t *testing.T) {
	for name, newPeer := range map[string]func(*testing.T) sourcetest.Peer{"s3": sourcetest.S3Peer, "gcs": sourcetest.GCSPeer} {
		t.Run(name, func(t *testing.T) {
			p := newPeer(t)
			day := time.Date(2019, 12, 28, 0, 0, 0, 0, time.UTC)
			for ws := 1; ws <= 3; ws++ {
				for d := range 60 {
					p.Put(t, fmt.Sprintf("workspaceId=%d/date=%s/a.json", ws, day.AddDate(0, 0, -d).Format(time.DateOnly)), []byte("{}\n"))
				}
			}
			b, err := source.Open(t.Context(), p.URI)
			require.NoError(t, err)
			defer b.Close()
			before := p.Faults.Requests()
			all, err := b.List(t.Context())
			require.NoError(t, err)
			require.Len(t, all, 180)
			require.Equal(t, 1, p.Faults.Requests()-before, "a full listing of 180 keys is one page")

			before = p.Faults.Requests()
			recent, err := b.ListSince(t.Context(), day.AddDate(0, 0, -2))
			require.NoError(t, err)
			require.Len(t, recent, 9)
			require.Equal(t, 1+3, p.Faults.Requests()-before, "the root folder, then one seek per workspace")
		})
	}
}

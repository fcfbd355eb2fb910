package source_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/source/sourcetest"
	"github.com/stretchr/testify/require"
)

// BenchmarkListRecent lists the last four days of a bucket holding a year of delivery
// (10 workspaces × 365 days) on the in-process S3 server, seeking past old partitions and
// walking them by name.
func BenchmarkListRecent(b *testing.B) {
	for _, objects := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("objects=%d", objects), func(b *testing.B) { benchListRecent(b, objects) })
	}
}

func benchListRecent(b *testing.B, objects int) {
	srv, err := sourcetest.StartS3("bench")
	require.NoError(b, err)
	defer srv.Close()
	end := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	for i := range objects {
		key := fmt.Sprintf("logs/workspaceId=%d/date=%s/auditlogs_%08d.json", 1000+i%10, end.AddDate(0, 0, -(i/10)%365).Format(time.DateOnly), i)
		require.NoError(b, srv.Put("bench", key, []byte("{}\n")))
	}
	src, err := source.Open(b.Context(), "s3://bench/logs?"+srv.Query)
	require.NoError(b, err)
	defer src.Close()
	all, err := src.List(b.Context()) // a full listing first, as the ingester's first run
	require.NoError(b, err)
	since := end.AddDate(0, 0, -3)
	want := 0
	for _, o := range all {
		if !o.Date.Before(since) {
			want++
		}
	}
	for _, seek := range []bool{true, false} {
		b.Run(fmt.Sprintf("seek=%v", seek), func(b *testing.B) {
			src.SetSeeks(seek)
			for b.Loop() {
				objs, err := src.ListSince(b.Context(), since)
				require.NoError(b, err)
				require.Len(b, objs, want)
			}
		})
	}
}

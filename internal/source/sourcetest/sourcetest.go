// Package sourcetest is the conformance suite every bucket backend passes, run against a real
// protocol peer of that backend (a folder, an in-process S3 server, ...).
package sourcetest

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/source"
	"github.com/stretchr/testify/require"
)

// Peer is one backend under test.
type Peer struct {
	// URI opens the source under test (with its prefix), e.g. s3://logs/audit?endpoint=...
	URI string
	// Put writes an object at key (relative to the prefix).
	Put func(t *testing.T, key string, data []byte)
	// Delete removes the object at key.
	Delete func(t *testing.T, key string)
	// Faults injects errors in front of the peer; nil for a peer that is no HTTP service
	// (a folder: and tests run as root, which file modes do not stop).
	Faults *Faults
}

// Run runs the suite. newPeer returns a fresh, empty peer for each case.
func Run(t *testing.T, newPeer func(t *testing.T) Peer) {
	t.Run("discovery", func(t *testing.T) {
		p := newPeer(t)
		p.Put(t, "workspaceId=123/date=2019-12-28/auditlogs_a.json", []byte("{}\n"))
		p.Put(t, "workspaceId=0/date=2019-12-29/auditlogs_b.json.gz", []byte("x"))
		p.Put(t, "workspaceId=123/date=2019-12-28/_SUCCESS", []byte(""))
		p.Put(t, "notes/readme.txt", []byte("not audit"))
		b, err := source.Open(t.Context(), p.URI)
		require.NoError(t, err)
		defer b.Close()
		objs, err := b.List(t.Context())
		require.NoError(t, err)
		require.Len(t, objs, 2, "only audit objects are listed")
		require.True(t, strings.HasSuffix(objs[0].Key, "workspaceId=0/date=2019-12-29/auditlogs_b.json.gz"), objs[0].Key)
		require.Equal(t, "0", objs[0].WorkspaceID)
		require.Equal(t, time.Date(2019, 12, 29, 0, 0, 0, 0, time.UTC), objs[0].Date)
		require.Equal(t, "123", objs[1].WorkspaceID)
		require.EqualValues(t, 3, objs[1].Size)
		require.False(t, objs[1].ModTime.IsZero())
		require.True(t, strings.HasSuffix(objs[1].URL, "/"+objs[1].Key), objs[1].URL)
		require.NotContains(t, objs[1].URL, "?", "object URLs carry no client options")

		r, err := b.Open(t.Context(), objs[1].Key)
		require.NoError(t, err)
		data, err := io.ReadAll(r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		require.Equal(t, "{}\n", string(data))
	})

	t.Run("rewrite changes the version", func(t *testing.T) {
		p := newPeer(t)
		p.Put(t, "a.json", []byte("{\"n\":1}\n"))
		b, err := source.Open(t.Context(), p.URI)
		require.NoError(t, err)
		defer b.Close()
		before, err := b.List(t.Context())
		require.NoError(t, err)
		require.Len(t, before, 1)
		// Same size, new content, within the same second: the version must still differ, by
		// etag (object stores) or by a fine-grained mtime (local disks).
		p.Put(t, "a.json", []byte("{\"n\":2}\n"))
		after, err := b.List(t.Context())
		require.NoError(t, err)
		require.Len(t, after, 1)
		require.Equal(t, before[0].Size, after[0].Size)
		require.True(t, !after[0].ModTime.Equal(before[0].ModTime) || after[0].ETag != before[0].ETag,
			"a rewritten object must look different: %+v vs %+v", before[0], after[0])
	})

	t.Run("listing since a day prunes older partitions", func(t *testing.T) {
		p := newPeer(t)
		for _, k := range []string{
			"workspaceId=1/date=2019-11-30/old.json",
			"workspaceId=1/date=2019-12-27/recent.json",
			"workspaceId=2/date=2019-12-28/new.json",
			"insights-logs-clusters/resourceId=/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.DATABRICKS/WORKSPACES/WS-1/y=2019/m=12/d=26/h=23/m=00/PT1H.json",
			"insights-logs-clusters/resourceId=/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.DATABRICKS/WORKSPACES/WS-1/y=2019/m=12/d=27/h=01/m=00/PT1H.json",
			"insights-logs-clusters/resourceId=/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.DATABRICKS/WORKSPACES/WS-1/y=2018/m=12/d=30/h=01/m=00/PT1H.json",
			"exports/undated.jsonl",
		} {
			p.Put(t, k, []byte("{}\n"))
		}
		b, all := listAll(t, p.URI)
		require.Len(t, all, 7)
		recent, err := b.ListSince(t.Context(), time.Date(2019, 12, 27, 0, 0, 0, 0, time.UTC))
		require.NoError(t, err)
		var names []string
		for _, o := range recent {
			names = append(names, o.Key[strings.LastIndexByte(o.Key[:strings.LastIndexByte(o.Key, '/')], '/')+1:])
			if strings.Contains(o.Key, "WORKSPACES") {
				require.Equal(t, "WS-1", o.WorkspaceID)
				require.Equal(t, time.Date(2019, 12, 27, 0, 0, 0, 0, time.UTC), o.Date)
			}
		}
		require.Equal(t, []string{"exports/undated.jsonl", "m=00/PT1H.json", "date=2019-12-27/recent.json", "date=2019-12-28/new.json"}, names)
	})

	t.Run("recent listings after a full one", func(t *testing.T) {
		// The full listing learns the layout; later recent listings may seek inside
		// date-partitioned folders (S3, GCS) instead of listing their partitions by name, and
		// must still see new partitions, new workspaces and rewrites in recent partitions.
		p := newPeer(t)
		const az = "insights-logs-clusters/resourceId=/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.DATABRICKS/WORKSPACES/WS-1/"
		for _, k := range []string{
			"workspaceId=1/date=2018-12-30/old.json",
			"workspaceId=1/date=2019-12-01/old.json",
			"workspaceId=1/date=2019-12-27/a.json",
			"workspaceId=2/date=2019-12-28/b.json",
			az + "y=2019/m=11/d=30/h=23/m=00/PT1H.json",
			az + "y=2019/m=12/d=27/h=01/m=00/PT1H.json",
			"exports/undated.jsonl",
		} {
			p.Put(t, k, []byte("{}\n"))
		}
		b, all := listAll(t, p.URI)
		require.Len(t, all, 7)
		pre := strings.TrimSuffix(all[0].Key, "exports/undated.jsonl") // the source's prefix

		p.Put(t, "workspaceId=1/date=2019-12-01/old.json", []byte("{\"rewritten\":1}\n"))
		p.Put(t, "workspaceId=1/date=2019-12-27/a.json", []byte("{\"rewritten\":1}\n"))
		p.Put(t, "workspaceId=1/date=2019-12-29/new.json", []byte("{}\n"))
		p.Put(t, "workspaceId=3/date=2019-12-29/c.json", []byte("{}\n"))
		p.Put(t, az+"y=2019/m=12/d=29/h=02/m=00/PT1H.json", []byte("{}\n"))
		p.Put(t, az+"y=2020/m=01/d=01/h=00/m=00/PT1H.json", []byte("{}\n"))
		recent, err := b.ListSince(t.Context(), time.Date(2019, 12, 27, 0, 0, 0, 0, time.UTC))
		require.NoError(t, err)
		var keys []string
		for _, o := range recent {
			keys = append(keys, strings.TrimPrefix(o.Key, pre))
			if strings.HasSuffix(o.Key, "workspaceId=1/date=2019-12-27/a.json") {
				require.EqualValues(t, len("{\"rewritten\":1}\n"), o.Size, "the rewritten version")
			}
		}
		require.Equal(t, []string{
			"exports/undated.jsonl",
			az + "y=2019/m=12/d=27/h=01/m=00/PT1H.json",
			az + "y=2019/m=12/d=29/h=02/m=00/PT1H.json",
			az + "y=2020/m=01/d=01/h=00/m=00/PT1H.json",
			"workspaceId=1/date=2019-12-27/a.json",
			"workspaceId=1/date=2019-12-29/new.json",
			"workspaceId=2/date=2019-12-28/b.json",
			"workspaceId=3/date=2019-12-29/c.json",
		}, keys, "recent partitions, new partitions and new workspaces; not the old ones")

		all, err = b.List(t.Context())
		require.NoError(t, err)
		require.Len(t, all, 11)
		for _, o := range all {
			if strings.HasSuffix(o.Key, "workspaceId=1/date=2019-12-01/old.json") {
				require.EqualValues(t, len("{\"rewritten\":1}\n"), o.Size, "a full listing sees the rewrite of an old partition's file")
			}
		}
	})

	t.Run("permission error", func(t *testing.T) {
		p := newPeer(t)
		if p.Faults == nil {
			t.Skip("this peer is no HTTP service; a permission error cannot be injected in front of it")
		}
		p.Put(t, "workspaceId=1/date=2019-12-28/a.json", []byte("{}\n"))
		b, err := source.Open(t.Context(), p.URI)
		require.NoError(t, err)
		defer b.Close()
		p.Faults.Deny()
		_, err = b.List(t.Context())
		require.Error(t, err)
		require.True(t, source.IsPermanent(err), "a permission error is permanent: %v", err)
		require.Contains(t, err.Error(), "permission denied (check the credentials and the bucket policy)")
		if _, query, ok := strings.Cut(p.URI, "?"); ok {
			require.NotContains(t, err.Error(), query, "no client options (they may hold secrets) in the message")
		}
	})

	t.Run("throttling is retried", func(t *testing.T) {
		p := newPeer(t)
		if p.Faults == nil {
			t.Skip("this peer is no HTTP service; throttling cannot be injected in front of it")
		}
		p.Put(t, "workspaceId=1/date=2019-12-28/a.json", []byte("{}\n"))
		p.Put(t, "workspaceId=1/date=2019-12-29/b.json", []byte("{}\n"))
		b, err := source.Open(t.Context(), p.URI)
		require.NoError(t, err)
		defer b.Close()
		answered := p.Faults.Throttle(2)
		objs, err := b.List(t.Context())
		require.NoError(t, err, "throttled requests are retried with backoff")
		require.Len(t, objs, 2)
		require.Equal(t, 2, answered(), "the first two requests were throttled")
		// Reads too.
		answered = p.Faults.Throttle(1)
		r, err := b.Open(t.Context(), objs[0].Key)
		if err == nil {
			_, err = io.ReadAll(r)
			_ = r.Close()
		}
		require.NoError(t, err)
		require.Equal(t, 1, answered())
	})

	t.Run("deleted object", func(t *testing.T) {
		p := newPeer(t)
		p.Put(t, "a.json", []byte("{}\n"))
		p.Put(t, "b.json", []byte("{}\n"))
		b, err := source.Open(t.Context(), p.URI)
		require.NoError(t, err)
		defer b.Close()
		p.Delete(t, "a.json")
		objs, err := b.List(t.Context())
		require.NoError(t, err)
		require.Len(t, objs, 1)
		_, err = b.Open(t.Context(), strings.Replace(objs[0].Key, "b.json", "a.json", 1))
		require.Error(t, err)
		require.True(t, source.IsNotFound(err), "%v", err)
	})
}

// listAll opens the source (closed when the test ends) and lists all of it.
func listAll(t *testing.T, uri string) (*source.Bucket, []source.Object) {
	t.Helper()
	b, err := source.Open(t.Context(), uri)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	all, err := b.List(t.Context())
	require.NoError(t, err)
	return b, all
}

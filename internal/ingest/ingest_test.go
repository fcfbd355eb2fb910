package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/medallion"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/source/sourcetest"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/auditlake/auditlake/internal/store/storetest"
	"github.com/stretchr/testify/require"
)

// line is one delivery-format record; n makes it unique.
func line(n int, service, action string) string {
	return fmt.Sprintf(`{"version":"2.0","auditLevel":"WORKSPACE_LEVEL","timestamp":%d,"orgId":"1234","shardName":"s","workspaceId":1234,"sourceIPAddress":"10.0.0.%d:0","userAgent":"curl/7.29.0","sessionId":null,"userIdentity":{"email":"u%d@example.com","subjectName":null},"serviceName":"%s","actionName":"%s","requestId":"req-%d","requestParams":{"cluster_name":"c-%d","num":"%d"},"response":{"statusCode":200,"errorMessage":null,"result":null}}`,
		1577527200000+int64(n)*1000, n%250, n%7, service, action, n, n, n)
}

func lines(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		b.WriteString(line(i, "clusters", "create"))
		b.WriteByte('\n')
	}
	return b.String()
}

func write(t *testing.T, dir, rel, content string) string {
	t.Helper()
	p := filepath.Join(dir, rel)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// bump moves a file's mtime forward so a rewrite within the same clock tick is seen.
func bump(t *testing.T, p string, d time.Duration) {
	t.Helper()
	st, err := os.Stat(p)
	require.NoError(t, err)
	require.NoError(t, os.Chtimes(p, st.ModTime().Add(d), st.ModTime().Add(d)))
}

type rig struct {
	t   *testing.T
	db  *store.DB
	dir string
	in  *ingest.Ingester
}

func newRig(t *testing.T) *rig {
	t.Helper()
	dir := t.TempDir()
	db := storetest.Open(t)
	src, err := source.Open(t.Context(), dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = src.Close() })
	in, err := ingest.New(ingest.Options{DB: db, Source: src, RetryBackoff: time.Millisecond, TxRows: 40})
	require.NoError(t, err)
	return &rig{t: t, db: db, dir: dir, in: in}
}

func (r *rig) once() ingest.Summary {
	r.t.Helper()
	s, err := r.in.Once(r.t.Context())
	require.NoError(r.t, err)
	return s
}

func (r *rig) count(q string, args ...any) int64 {
	r.t.Helper()
	return storetest.Count(r.t, r.db, q, args...)
}

func (r *rig) checkOK() {
	r.t.Helper()
	rep, err := medallion.Check(r.t.Context(), r.db)
	require.NoError(r.t, err)
	require.True(r.t, rep.OK(), "%+v", rep.Violations)
}

func TestIngestTwiceChangesNothing(t *testing.T) {
	r := newRig(t)
	write(t, r.dir, "workspaceId=1234/date=2019-12-28/auditlogs_a.json", lines(0, 50))
	write(t, r.dir, "workspaceId=1234/date=2019-12-28/auditlogs_b.json", lines(50, 120))
	write(t, r.dir, "workspaceId=0/date=2019-12-28/auditlogs_c.json.gz", gz(t, lines(120, 130)))
	write(t, r.dir, "README.txt", "not an audit object")

	s := r.once()
	require.EqualValues(t, 3, s.Objects)
	require.EqualValues(t, 3, s.Ingested)
	require.EqualValues(t, 130, s.Records)
	require.EqualValues(t, 130, r.count("SELECT count(*) FROM silver.audit"))
	require.EqualValues(t, 130, r.count("SELECT count(DISTINCT event_id) FROM silver.audit"))
	require.EqualValues(t, 130, r.count("SELECT count(*) FROM gold.clusters WHERE request_params.cluster_name LIKE 'c-%'"))
	require.EqualValues(t, 1, r.count("SELECT count(*) FROM bronze.files WHERE workspace_id = '0' AND partition_date = DATE '2019-12-28'"))
	require.EqualValues(t, 130, r.count("SELECT count(*) FROM silver.audit WHERE source_ip_address NOT LIKE '%:%'"), "port suffix stripped")

	s = r.once()
	require.EqualValues(t, 0, s.Ingested)
	require.EqualValues(t, 0, s.Unchanged, "an unchanged object is not even read again")
	require.EqualValues(t, 130, r.count("SELECT count(*) FROM silver.audit"))
	require.EqualValues(t, 3, r.count("SELECT count(*) FROM bronze.files"))
	r.checkOK()
}

func TestRewrittenFileEndsWithExactlyItsNewContent(t *testing.T) {
	r := newRig(t)
	p := write(t, r.dir, "workspaceId=1234/date=2019-12-28/auditlogs_a.json", lines(0, 40))
	write(t, r.dir, "workspaceId=1234/date=2019-12-28/auditlogs_b.json", lines(1000, 1010))
	r.once()

	// Databricks rewrites a delivered file with more lines.
	write(t, r.dir, "workspaceId=1234/date=2019-12-28/auditlogs_a.json", lines(0, 75))
	bump(t, p, time.Second)
	s := r.once()
	require.EqualValues(t, 1, s.Ingested)
	require.EqualValues(t, 1, s.Rewritten)
	require.EqualValues(t, 85, r.count("SELECT count(*) FROM silver.audit"))
	require.EqualValues(t, 75, r.count("SELECT count(*) FROM silver.audit WHERE source_file LIKE '%auditlogs_a.json'"))
	require.EqualValues(t, 85, r.count("SELECT count(DISTINCT request_id) FROM silver.audit"))
	require.EqualValues(t, 2, r.count("SELECT versions FROM bronze.files WHERE path LIKE '%auditlogs_a.json'"))

	// A rewrite may also change or drop lines: the file still ends with exactly its content.
	write(t, r.dir, "workspaceId=1234/date=2019-12-28/auditlogs_a.json", lines(500, 505))
	bump(t, p, 2*time.Second)
	r.once()
	require.EqualValues(t, 5, r.count("SELECT count(*) FROM silver.audit WHERE source_file LIKE '%auditlogs_a.json'"))
	require.EqualValues(t, 5, r.count("SELECT count(*) FROM silver.audit WHERE request_id BETWEEN 'req-500' AND 'req-504'"))
	require.EqualValues(t, 15, r.count("SELECT count(*) FROM silver.audit"))

	// Touched but unchanged: nothing but the ledger's mtime moves.
	bump(t, p, 3*time.Second)
	s = r.once()
	require.EqualValues(t, 1, s.Unchanged)
	require.EqualValues(t, 0, s.Rewritten)
	require.EqualValues(t, 15, r.count("SELECT count(*) FROM silver.audit"))
	r.checkOK()
}

func TestMalformedLinesAreQuarantinedAndTheRestIngested(t *testing.T) {
	r := newRig(t)
	content := strings.Join([]string{
		line(1, "jobs", "runFailed"),
		`{"version":"2.0","timestamp":`, // truncated JSON
		line(2, "jobs", "runStart"),
		"",                // empty lines are skipped, but counted in line numbers
		`not json at all`, // garbage
		`{"version":"2.0","timestamp":1577527200000,"actionName":"x"}`, // no serviceName
		line(3, "jobs", "runSucceeded") + "\r",                         // CRLF
		`[1,2,3]`,
	}, "\n") + "\n"
	write(t, r.dir, "workspaceId=1234/date=2019-12-28/auditlogs_q.json", content)
	s := r.once()
	require.EqualValues(t, 3, s.Records)
	require.EqualValues(t, 4, s.Quarantined)
	require.EqualValues(t, 3, r.count("SELECT count(*) FROM gold.jobs"))

	rows, err := r.db.QueryContext(t.Context(), "SELECT line, reason, raw FROM bronze.quarantine ORDER BY line")
	require.NoError(t, err)
	defer rows.Close()
	var got []int
	for rows.Next() {
		var ln int
		var reason string
		var raw []byte
		require.NoError(t, rows.Scan(&ln, &reason, &raw))
		got = append(got, ln)
		require.Contains(t, reason, fmt.Sprintf("line %d", ln), "the reason says where")
		require.NotEmpty(t, raw, "raw bytes kept")
	}
	require.Equal(t, []int{2, 5, 6, 8}, got)
	require.EqualValues(t, 4, r.count("SELECT quarantined FROM bronze.files"))
	require.EqualValues(t, 1, r.count("SELECT count(*) FROM bronze.quarantine WHERE reason ILIKE '%serviceName%'"))
	r.checkOK()
}

func TestUnreadableObjectIsReportedAndRetriedNextRun(t *testing.T) {
	r := newRig(t)
	write(t, r.dir, "workspaceId=1234/date=2019-12-28/good.json", lines(0, 10))
	full := gz(t, lines(10, 20))
	p := write(t, r.dir, "workspaceId=1234/date=2019-12-28/broken.json.gz", string(full[:len(full)/2]))

	s := r.once()
	require.EqualValues(t, 1, s.Failed)
	require.Len(t, s.Errors, 1)
	require.Contains(t, s.Errors[0].Error(), "broken.json.gz")
	require.EqualValues(t, 10, r.count("SELECT count(*) FROM silver.audit"))
	require.EqualValues(t, 1, r.count("SELECT count(*) FROM bronze.files"), "a failed object stays out of the ledger")

	write(t, r.dir, "workspaceId=1234/date=2019-12-28/broken.json.gz", full)
	bump(t, p, time.Second)
	s = r.once()
	require.EqualValues(t, 0, s.Failed)
	require.EqualValues(t, 20, r.count("SELECT count(*) FROM silver.audit"))
	r.checkOK()
}

func TestReplayRebuildsIdenticalSilverAndGold(t *testing.T) {
	r := newRig(t)
	write(t, r.dir, "a/1.json", lines(0, 30))
	write(t, r.dir, "a/2.json", line(99, "databrickssql", "executeFastQuery")+"\n"+
		strings.Replace(line(98, "databrickssql", "executeAdhocQuery"), `"cluster_name"`, `"DataSourceId"`, 1)+"\n")
	write(t, r.dir, "b/3.json", "garbage\n"+line(77, "unityCatalog", "getTable")+"\n")
	r.once()
	ctx := t.Context()
	snapshot := func(name string) {
		require.NoError(t, r.db.Write(ctx, func(tx *store.Tx) error {
			return tx.Exec("CREATE TABLE main." + name + "_silver AS SELECT * FROM silver.audit;" +
				"CREATE TABLE main." + name + "_gold AS SELECT * FROM gold.clusters;" +
				"CREATE TABLE main." + name + "_sql AS SELECT * FROM gold.databrickssql")
		}))
	}
	snapshot("before")
	st, err := medallion.Replay(ctx, r.db)
	require.NoError(t, err)
	require.EqualValues(t, 33, st.Records)
	require.Zero(t, st.Errors)
	for _, q := range []string{
		"SELECT count(*) FROM ((SELECT * FROM before_silver EXCEPT ALL SELECT * FROM silver.audit) UNION ALL (SELECT * FROM silver.audit EXCEPT ALL SELECT * FROM before_silver))",
		"SELECT count(*) FROM ((SELECT * FROM before_gold EXCEPT ALL SELECT * FROM gold.clusters) UNION ALL (SELECT * FROM gold.clusters EXCEPT ALL SELECT * FROM before_gold))",
		"SELECT count(*) FROM ((SELECT * FROM before_sql EXCEPT ALL SELECT * FROM gold.databrickssql) UNION ALL (SELECT * FROM gold.databrickssql EXCEPT ALL SELECT * FROM before_sql))",
	} {
		require.Zero(t, r.count(q), q)
	}
	require.EqualValues(t, 33, r.count("SELECT count(*) FROM silver.audit"))
	r.checkOK()

	// A planted inconsistency: a silver row that bronze does not hold.
	require.NoError(t, r.db.Write(ctx, func(tx *store.Tx) error {
		return tx.Exec("INSERT INTO silver.audit SELECT * FROM silver.audit LIMIT 1")
	}))
	rep, err := medallion.Check(ctx, r.db)
	require.NoError(t, err)
	require.False(t, rep.OK())
	require.Contains(t, fmt.Sprint(rep.Violations), "silver.audit has 34 rows, bronze.blocks holds 33")
}

func gz(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, err := w.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.String()
}

func TestWatchPicksUpNewAndRewrittenFiles(t *testing.T) {
	r := newRig(t)
	p := write(t, r.dir, "workspaceId=1/date=2019-12-28/a.json", lines(0, 5))
	ctx, cancel := context.WithCancel(t.Context())
	runs := make(chan ingest.Summary, 100)
	done := make(chan error, 1)
	go func() {
		done <- r.in.Watch(ctx, 20*time.Millisecond, func(s ingest.Summary, err error) {
			if err != nil {
				t.Errorf("watch run: %v", err) // not require: this is the watcher's goroutine
			}
			runs <- s
		})
	}()
	waitFor := func(want int64) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case <-runs:
				if r.count("SELECT count(*) FROM silver.audit") == want {
					return
				}
			case <-deadline:
				t.Fatalf("silver never reached %d rows", want)
			}
		}
	}
	waitFor(5)
	write(t, r.dir, "workspaceId=1/date=2019-12-28/b.json", lines(5, 12))
	waitFor(12)
	write(t, r.dir, "workspaceId=1/date=2019-12-28/a.json", lines(0, 9))
	bump(t, p, time.Second)
	waitFor(16)
	cancel()
	require.NoError(t, <-done)
	r.checkOK()
}

func TestDeletedObjectKeepsItsRows(t *testing.T) {
	r := newRig(t)
	p := write(t, r.dir, "workspaceId=1/date=2019-12-28/a.json", lines(0, 8))
	write(t, r.dir, "workspaceId=1/date=2019-12-28/b.json", lines(8, 10))
	r.once()
	require.NoError(t, os.Remove(p))
	s := r.once()
	require.EqualValues(t, 1, s.Objects)
	require.EqualValues(t, 0, s.Ingested)
	require.EqualValues(t, 10, r.count("SELECT count(*) FROM silver.audit"))
	r.checkOK()
}

// TestS3SourceExactlyOnce ingests from an S3 bucket (an in-process S3 server): a re-run
// ingests nothing, a rewritten object replaces its rows, a new object is picked up.
func TestS3SourceExactlyOnce(t *testing.T) {
	q, writer := sourcetest.S3(t, "audit-logs")
	put := func(key, content string) {
		require.NoError(t, writer.WriteAll(t.Context(), "delivery/"+key, []byte(content), nil))
	}
	put("workspaceId=1234/date=2019-12-28/auditlogs_a.json", lines(0, 20))
	put("workspaceId=1234/date=2019-12-28/auditlogs_b.json.gz", gz(t, lines(20, 30)))
	db := storetest.Open(t)
	src, err := source.Open(t.Context(), "s3://audit-logs/delivery?"+q)
	require.NoError(t, err)
	defer src.Close()
	in, err := ingest.New(ingest.Options{DB: db, Source: src})
	require.NoError(t, err)
	count := func() int64 { return storetest.Count(t, db, "SELECT count(*) FROM silver.audit") }

	s, err := in.Once(t.Context())
	require.NoError(t, err)
	require.EqualValues(t, 2, s.Ingested)
	require.EqualValues(t, 30, count())
	require.EqualValues(t, 2, storetest.Count(t, db, "SELECT count(*) FROM bronze.files WHERE path LIKE 's3://audit-logs/delivery/workspaceId=1234/%' AND etag IS NOT NULL"))

	s, err = in.Once(t.Context())
	require.NoError(t, err)
	require.EqualValues(t, 0, s.Ingested+s.Unchanged, "nothing is read again")

	put("workspaceId=1234/date=2019-12-28/auditlogs_a.json", lines(0, 25))
	put("workspaceId=1234/date=2019-12-29/auditlogs_c.json", lines(30, 33))
	s, err = in.Once(t.Context())
	require.NoError(t, err)
	require.EqualValues(t, 1, s.Rewritten)
	require.EqualValues(t, 2, s.Ingested)
	require.EqualValues(t, 38, count())
	rep, err := medallion.Check(t.Context(), db)
	require.NoError(t, err)
	require.True(t, rep.OK(), "%+v", rep.Violations)
}

// TestPollsListOnlyRecentPartitionsBetweenFullScans runs on every bucket backend: between
// full listings a poll lists only recent partitions (S3 and GCS seek in each workspace
// folder), so a new file is ingested by the next poll and a file written into an old
// partition by the next full listing.
func TestPollsListOnlyRecentPartitionsBetweenFullScans(t *testing.T) {
	for name, newPeer := range sourcetest.Peers {
		t.Run(name, func(t *testing.T) {
			p := newPeer(t)
			put := func(key, content string) { p.Put(t, key, []byte(content)) }
			db := storetest.Open(t)
			src, err := source.Open(t.Context(), p.URI)
			require.NoError(t, err)
			defer src.Close()
			now := time.Date(2019, 12, 31, 12, 0, 0, 0, time.UTC)
			in, err := ingest.New(ingest.Options{DB: db, Source: src, Now: func() time.Time { return now }})
			require.NoError(t, err)
			once := func() ingest.Summary {
				s, err := in.Once(t.Context())
				require.NoError(t, err)
				return s
			}
			for d := 1; d <= 30; d++ {
				put(fmt.Sprintf("workspaceId=1/date=2019-12-%02d/a.json", d), lines(d*10, d*10+2))
			}
			require.EqualValues(t, 30, once().Objects, "the first run lists everything")

			// A late file and a rewrite in old partitions, a new file in a recent one, a new workspace.
			put("workspaceId=1/date=2019-12-02/late.json", lines(900, 903))
			put("workspaceId=1/date=2019-12-03/a.json", lines(30, 34))
			put("workspaceId=1/date=2019-12-29/b.json", lines(950, 951))
			put("workspaceId=2/date=2019-12-30/c.json", lines(960, 961))
			now = now.Add(time.Minute)
			s := once()
			require.EqualValues(t, 6, s.Objects, "a poll lists 2019-12-27 .. 2019-12-30 only")
			require.EqualValues(t, 2, s.Ingested, "the new files, at once")

			now = now.Add(time.Hour) // the periodic full listing finds the late file and the rewrite
			s = once()
			require.EqualValues(t, 33, s.Objects)
			require.EqualValues(t, 2, s.Ingested)
			require.EqualValues(t, 1, s.Rewritten)
			require.EqualValues(t, 60+3+2+2, storetest.Count(t, db, "SELECT count(*) FROM silver.audit"))
			rep, err := medallion.Check(t.Context(), db)
			require.NoError(t, err)
			require.True(t, rep.OK(), "%+v", rep.Violations)
		})
	}
}

func TestFullScanEveryNegativeListsEverythingAtEachPoll(t *testing.T) {
	r := newRig(t)
	src, err := source.Open(t.Context(), r.dir)
	require.NoError(t, err)
	defer src.Close()
	in, err := ingest.New(ingest.Options{DB: r.db, Source: src, FullScanEvery: -1})
	require.NoError(t, err)
	write(t, r.dir, "workspaceId=1/date=2019-12-30/a.json", lines(0, 2))
	_, err = in.Once(t.Context())
	require.NoError(t, err)
	write(t, r.dir, "workspaceId=1/date=2019-01-01/old.json", lines(2, 3))
	s, err := in.Once(t.Context())
	require.NoError(t, err)
	require.EqualValues(t, 1, s.Ingested, "a file in a year-old partition, found by the next poll")
}

// TestDecodeAheadBelowAnObjectsSizeStillIngestsEverything gives the workers less room ahead
// of the writer than one object takes: each object is then decoded alone, and all of them
// arrive, in order, once each.
func TestDecodeAheadBelowAnObjectsSizeStillIngestsEverything(t *testing.T) {
	dir := t.TempDir()
	for i := range 12 {
		write(t, dir, fmt.Sprintf("workspaceId=1234/date=2019-12-28/auditlogs_%02d.json", i), lines(i*30, i*30+30))
	}
	db := storetest.Open(t)
	src, err := source.Open(t.Context(), dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = src.Close() })
	in, err := ingest.New(ingest.Options{DB: db, Source: src, TxRows: 100, Workers: 4, DecodeAhead: 1})
	require.NoError(t, err)
	s, err := in.Once(t.Context())
	require.NoError(t, err)
	require.EqualValues(t, 12, s.Ingested)
	require.EqualValues(t, 360, storetest.Count(t, db, "SELECT count(DISTINCT event_id) FROM silver.audit"))
	// The writer takes objects in listing order, so file ids follow the paths.
	require.EqualValues(t, 0, storetest.Count(t, db, `SELECT count(*) FROM (SELECT file_id, row_number() OVER (ORDER BY path) AS n,
		row_number() OVER (ORDER BY file_id) AS m FROM bronze.files) WHERE n <> m`))
}

package export_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/delta"
	"github.com/auditlake/auditlake/internal/export"
	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/medallion"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/auditlake/auditlake/internal/store/storetest"
	"github.com/stretchr/testify/require"
)

// record is one delivery-format record at minute n after 2019-12-27 22:00 UTC (dates 27 and 28).
func record(n int, service, action, extra string) string {
	return fmt.Sprintf(`{"version":"2.0","auditLevel":"WORKSPACE_LEVEL","timestamp":%d,"workspaceId":1234,"sourceIPAddress":"10.0.0.%d","userAgent":"curl/7.29.0","userIdentity":{"email":"u%d@example.com"},"serviceName":"%s","actionName":"%s","requestId":"req-%d","requestParams":{"cluster_name":"c-%d"%s},"response":{"statusCode":200}}`,
		1577484000000+int64(n)*60_000, n%250, n%7, service, action, n, n, extra)
}

func records(from, to int, extra string) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		svc := "clusters"
		if i%3 == 0 {
			svc = "jobs"
		}
		b.WriteString(record(i, svc, "create", extra))
		b.WriteByte('\n')
	}
	return b.String()
}

type rig struct {
	t    *testing.T
	db   *store.DB
	src  string
	lake string
	in   *ingest.Ingester
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, db: storetest.Open(t), src: t.TempDir(), lake: filepath.Join(t.TempDir(), "lake")}
	b, err := source.Open(t.Context(), r.src)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	r.in, err = ingest.New(ingest.Options{DB: r.db, Source: b, RetryBackoff: time.Millisecond})
	require.NoError(t, err)
	return r
}

func (r *rig) write(rel, content string) {
	r.t.Helper()
	p := filepath.Join(r.src, rel)
	require.NoError(r.t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(r.t, os.WriteFile(p, []byte(content), 0o644))
	// A rewrite within the same clock tick must still be seen as a new version.
	st, err := os.Stat(p)
	require.NoError(r.t, err)
	future := st.ModTime().Add(time.Duration(len(content)) * time.Millisecond)
	require.NoError(r.t, os.Chtimes(p, future, future))
}

// fullScan ingests with a new ingester, whose first poll lists every partition (later polls
// of one ingester list only recent date partitions).
func (r *rig) fullScan() {
	r.t.Helper()
	b, err := source.Open(r.t.Context(), r.src)
	require.NoError(r.t, err)
	r.t.Cleanup(func() { _ = b.Close() })
	r.in, err = ingest.New(ingest.Options{DB: r.db, Source: b, RetryBackoff: time.Millisecond})
	require.NoError(r.t, err)
	r.ingest()
}

func (r *rig) ingest() {
	r.t.Helper()
	_, err := r.in.Once(r.t.Context())
	require.NoError(r.t, err)
}

func (r *rig) export() []export.TableSummary {
	r.t.Helper()
	e, err := export.New(export.Options{DB: r.db, To: r.lake})
	require.NoError(r.t, err)
	s, err := e.Run(r.t.Context())
	require.NoError(r.t, err)
	return s
}

// same checks that the Delta table at lake/<schema>/<name> holds exactly the rows of table.
func (r *rig) same(table string) *delta.Snapshot {
	r.t.Helper()
	schema, name, _ := strings.Cut(table, ".")
	root := filepath.Join(r.lake, schema, name)
	snap, err := export.OpenLocal(r.t.Context(), r.db.SQL(), root)
	require.NoError(r.t, err)
	scan, err := export.ScanSQL(r.t.Context(), r.db.SQL(), snap, export.ScanOptions{Root: root})
	require.NoError(r.t, err)
	var cols []string
	for _, f := range snap.Schema.Fields {
		cols = append(cols, store.QuoteIdent(f.Name))
	}
	// Our rows, with the lake's column order (schema evolution appends fields).
	ours := "SELECT " + strings.Join(cols, ", ") + " FROM " + table
	var want, got, diff int64
	require.NoError(r.t, r.db.QueryRowContext(r.t.Context(), "SELECT count(*) FROM "+table).Scan(&want))
	require.NoError(r.t, r.db.QueryRowContext(r.t.Context(), "SELECT count(*) FROM ("+scan+")").Scan(&got))
	require.Equal(r.t, want, got, table)
	if !strings.HasPrefix(table, "gold.") { // gold structs are compared through their fields in TestSchemaEvolution
		q := "SELECT (SELECT count(*) FROM (" + ours + " EXCEPT ALL " + scan + ")) + (SELECT count(*) FROM (" + scan + " EXCEPT ALL " + ours + "))"
		require.NoError(r.t, r.db.QueryRowContext(r.t.Context(), q).Scan(&diff), q)
		require.Zero(r.t, diff, table)
	}
	return snap
}

func TestExportIsIncrementalAndExactlyOnce(t *testing.T) {
	r := newRig(t)
	r.write("workspaceId=1234/date=2019-12-27/a.json", records(0, 200, ""))
	r.write("workspaceId=1234/date=2019-12-28/b.json", records(200, 300, ""))
	r.ingest()
	first := r.export()
	require.NotEmpty(t, first)
	snap := r.same("silver.audit")
	require.Equal(t, int64(0), snap.Version)
	require.Len(t, snap.Files(), 2, "one file per date: a.json spans the 27th and 28th, b.json the 28th")
	require.Equal(t, []string{"event_date"}, snap.Metadata.PartitionColumns)
	require.Equal(t, 1, snap.Protocol.MinReaderVersion)
	require.Equal(t, 2, snap.Protocol.MinWriterVersion)
	r.same("gold.clusters")
	r.same("gold.jobs")

	// Nothing new: no commit.
	for _, s := range r.export() {
		require.Zero(t, s.Added+s.Removed, s.Table)
	}
	require.Equal(t, int64(0), r.same("silver.audit").Version)

	// A new file adds a file and touches nothing else.
	r.write("workspaceId=1234/date=2019-12-28/c.json", records(300, 320, ""))
	r.ingest()
	s := r.export()[0]
	require.Equal(t, "silver.audit", s.Table)
	require.Equal(t, 1, s.Added)
	require.Zero(t, s.Removed)
	r.same("silver.audit")

	// A rewritten file replaces every data file holding its old rows, and the other source
	// files sharing those data files are written again on their date.
	r.write("workspaceId=1234/date=2019-12-27/a.json", records(0, 250, ""))
	r.ingest()
	s = r.export()[0]
	require.Positive(t, s.Removed)
	snap = r.same("silver.audit")
	require.Equal(t, "auditlake:silver.audit", snap.Txns["auditlake:silver.audit"].AppID)
	require.Equal(t, int64(3), snap.Txns["auditlake:silver.audit"].Version)
	r.same("gold.clusters")

	// Stats describe the file.
	for _, a := range snap.Files() {
		require.Contains(t, a.Stats, `"numRecords":`)
		require.Contains(t, a.Tags["auditlake.files"], ":")
	}
}

// A run killed after writing its first commit's temporary file, before linking it, leaves a
// _delta_log with no commit in it. The next run creates the table instead of refusing it.
func TestLogWithOnlyATemporaryFileIsANewTable(t *testing.T) {
	r := newRig(t)
	r.write("workspaceId=1234/date=2019-12-27/a.json", records(0, 50, ""))
	r.ingest()
	logDir := filepath.Join(r.lake, "silver", "audit", delta.LogDir)
	require.NoError(t, os.MkdirAll(logDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(logDir, ".tmp-0123456789abcdef"), []byte(`{"commitInfo":`), 0o644))
	r.export()
	require.Equal(t, int64(0), r.same("silver.audit").Version)
}

func TestCheckpointsEveryTenCommits(t *testing.T) {
	r := newRig(t)
	for i := 0; i < 12; i++ {
		r.write(fmt.Sprintf("workspaceId=1234/date=2019-12-28/f%02d.json", i), records(i*10, i*10+10, ""))
		r.ingest()
		r.export()
	}
	root := filepath.Join(r.lake, "silver", "audit")
	_, err := os.Stat(filepath.Join(root, "_delta_log", delta.CheckpointName(10)))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(root, "_delta_log", "_last_checkpoint"))
	require.NoError(t, err)
	require.Contains(t, string(b), `"version":10`)
	// The reader starts from the checkpoint: the JSON commits before it are not needed.
	for v := int64(0); v < 10; v++ {
		require.NoError(t, os.Remove(filepath.Join(root, "_delta_log", delta.CommitName(v))))
	}
	snap := r.same("silver.audit")
	require.Equal(t, int64(11), snap.Version)
	require.Len(t, snap.Files(), 12)
}

func TestSchemaEvolutionAppendsFields(t *testing.T) {
	r := newRig(t)
	r.write("workspaceId=1234/date=2019-12-28/a.json", records(0, 30, ""))
	r.ingest()
	r.export()
	r.write("workspaceId=1234/date=2019-12-28/b.json", records(30, 60, `,"autotermination_minutes":"0"`))
	r.ingest()
	r.export()
	snap := r.same("gold.clusters")
	rp, ok := snap.Schema.Field("request_params")
	require.True(t, ok)
	require.NotNil(t, rp.Type.Struct)
	var names []string
	for _, f := range rp.Type.Struct.Fields {
		names = append(names, f.Name)
	}
	require.Equal(t, []string{"cluster_name", "autotermination_minutes"}, names, "new fields are appended")
	root := filepath.Join(r.lake, "gold", "clusters")
	scan, err := export.ScanSQL(t.Context(), r.db.SQL(), snap, export.ScanOptions{Root: root})
	require.NoError(t, err)
	var zero, null int64
	require.NoError(t, r.db.QueryRowContext(t.Context(), "SELECT count(*) FILTER (WHERE request_params.autotermination_minutes = '0'), count(*) FILTER (WHERE request_params.autotermination_minutes IS NULL) FROM ("+scan+")").Scan(&zero, &null))
	want := storetest.Count(t, r.db, "SELECT count(*) FROM gold.clusters WHERE request_params.autotermination_minutes = '0'")
	require.Equal(t, want, zero)
	require.Equal(t, storetest.Count(t, r.db, "SELECT count(*) FROM gold.clusters")-want, null)
}

func TestOptimizeCompactsPastPartitionsWithoutChangingRows(t *testing.T) {
	r := newRig(t)
	for i := 0; i < 4; i++ {
		r.write(fmt.Sprintf("workspaceId=1234/date=2019-12-28/f%d.json", i), records(i*50, i*50+50, ""))
		r.ingest()
		r.export()
	}
	before := r.same("silver.audit")
	require.Greater(t, len(before.Files()), 2)
	e, err := export.New(export.Options{DB: r.db, To: r.lake, Tables: []string{"silver"}, Optimize: true})
	require.NoError(t, err)
	s, err := e.Run(t.Context())
	require.NoError(t, err)
	require.Equal(t, 2, s[0].Added, "one file per past date (the 27th and the 28th)")
	after := r.same("silver.audit")
	require.Len(t, after.Files(), 2)
	require.Equal(t, before.Version+1, after.Version)
	// f0..f2 have rows on the 27th, f2 and f3 on the 28th: each new file's tag is the union of
	// the tags of the files it replaced.
	tags := map[string]int{}
	for _, a := range after.Files() {
		require.False(t, a.DataChange)
		tags[*a.PartitionValues["event_date"]] = strings.Count(a.Tags["auditlake.files"], ":")
	}
	require.Equal(t, map[string]int{"2019-12-27": 3, "2019-12-28": 2}, tags)
	// Compaction changed no row, so the next export has nothing to do.
	for _, s := range r.export() {
		require.Zero(t, s.Added+s.Removed, s.Table)
	}
}

// recordsOn is n records at minutes after midnight of day (2019-12-dd) UTC.
func recordsOn(day, from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		ts := time.Date(2019, 12, day, 0, 0, 0, 0, time.UTC).Add(time.Duration(i%1400) * time.Minute).UnixMilli()
		fmt.Fprintf(&b, `{"timestamp":%d,"workspaceId":1234,"serviceName":"clusters","actionName":"create","requestId":"r-%d-%d","requestParams":{"cluster_name":"c"},"response":{"statusCode":200}}`+"\n", ts, day, i)
	}
	return b.String()
}

func TestRetentionDeletesOnlyWhatTheLakeHolds(t *testing.T) {
	r := newRig(t)
	now := time.Date(2019, 12, 31, 12, 0, 0, 0, time.UTC)
	exporter := func() *export.Exporter {
		e, err := export.New(export.Options{DB: r.db, To: r.lake, Now: func() time.Time { return now }})
		require.NoError(t, err)
		return e
	}
	lakeRows := func() int64 {
		root := filepath.Join(r.lake, "silver", "audit")
		snap, err := export.OpenLocal(t.Context(), r.db.SQL(), root)
		require.NoError(t, err)
		scan, err := export.ScanSQL(t.Context(), r.db.SQL(), snap, export.ScanOptions{Root: root})
		require.NoError(t, err)
		var n int64
		require.NoError(t, r.db.QueryRowContext(t.Context(), "SELECT count(*) FROM ("+scan+")").Scan(&n))
		return n
	}
	r.write("workspaceId=1234/date=2019-12-01/a.json", recordsOn(1, 0, 30))
	r.write("workspaceId=1234/date=2019-12-01/a2.json", recordsOn(1, 100, 20))
	r.write("workspaceId=1234/date=2019-12-28/b.json", recordsOn(28, 0, 40))
	r.ingest()
	_, err := exporter().Run(t.Context())
	require.NoError(t, err)
	// An old file ingested after the export is not in the lake yet.
	r.write("workspaceId=1234/date=2019-12-28/c.json", recordsOn(2, 0, 10)) // late: old events in a new file
	r.ingest()
	require.Equal(t, int64(100), storetest.Count(t, r.db, "SELECT count(*) FROM silver.audit"))

	s, err := exporter().Retain(t.Context(), now.AddDate(0, 0, -10))
	require.NoError(t, err)
	require.Equal(t, 2, s.Files, "a and a2 are old and exported; c is old but not exported; b is recent")
	require.Equal(t, int64(50), s.Rows)
	require.Equal(t, int64(50), storetest.Count(t, r.db, "SELECT count(*) FROM silver.audit"))
	require.Equal(t, int64(90), lakeRows())
	rep, err := medallion.Check(t.Context(), r.db)
	require.NoError(t, err)
	require.True(t, rep.OK(), "%+v", rep.Violations)

	// The next export takes c; retention then retires it too, and exports stay no-ops.
	_, err = exporter().Run(t.Context())
	require.NoError(t, err)
	s, err = exporter().Retain(t.Context(), now.AddDate(0, 0, -10))
	require.NoError(t, err)
	require.Equal(t, 1, s.Files)
	require.Equal(t, int64(100), lakeRows())
	sums, err := exporter().Run(t.Context())
	require.NoError(t, err)
	for _, s := range sums {
		require.Zero(t, s.Added+s.Removed, "retired rows stay in the lake: %s", s.Table)
	}

	// A retired file rewritten with more lines: its new content replaces its old rows in the
	// lake, and a2, which shared a data file with it, is carried over from that file.
	r.write("workspaceId=1234/date=2019-12-01/a.json", recordsOn(1, 0, 35))
	r.fullScan()
	_, err = exporter().Run(t.Context())
	require.NoError(t, err)
	require.Equal(t, int64(105), lakeRows())
	rep, err = medallion.Check(t.Context(), r.db)
	require.NoError(t, err)
	require.True(t, rep.OK(), "%+v", rep.Violations)
}

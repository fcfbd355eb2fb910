package ingest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/medallion"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/source/sourcetest"
	"github.com/auditlake/auditlake/internal/store/storetest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
)

// kafkaRig is an in-process Kafka cluster with one topic, and a database.
type kafkaRig struct {
	*rig
	k       *sourcetest.Kafka
	cluster *kfake.Cluster
	url     string
}

func newKafkaRig(t *testing.T, partitions int32) *kafkaRig {
	t.Helper()
	k := sourcetest.StartKafka(t, "audit", partitions, nil)
	return &kafkaRig{rig: &rig{t: t, db: storetest.Open(t)}, k: k, cluster: k.Cluster,
		url: "kafka://" + strings.Join(k.Addrs, ",") + "/audit?group=auditlake-test"}
}

// produce writes values to one partition.
func (r *kafkaRig) produce(partition int32, values ...string) {
	r.t.Helper()
	bs := make([][]byte, len(values))
	for i, v := range values {
		bs[i] = []byte(v)
	}
	r.k.Produce(r.t, partition, bs...)
}

// open starts a fresh consumer, as a restarted process would.
func (r *kafkaRig) open(opts ingest.StreamOptions) (*ingest.StreamIngester, *source.Stream) {
	r.t.Helper()
	st, err := source.OpenStream(r.t.Context(), r.url, source.StreamOptions{})
	require.NoError(r.t, err)
	r.t.Cleanup(func() { _ = st.Close() })
	opts.DB, opts.Stream = r.db, st
	if opts.MaxWait == 0 {
		opts.MaxWait = 50 * time.Millisecond
	}
	si, err := ingest.NewStream(opts)
	require.NoError(r.t, err)
	return si, st
}

// drain fetches and commits until want rows are in silver or the deadline passes.
func (r *kafkaRig) drain(si *ingest.StreamIngester, want int64) ingest.Summary {
	r.t.Helper()
	var total ingest.Summary
	ctx, cancel := context.WithTimeout(r.t.Context(), 20*time.Second)
	defer cancel()
	for r.count("SELECT count(*) FROM silver.audit")+r.count("SELECT count(*) FROM bronze.quarantine") < want {
		msgs, err := si.Fetch(ctx)
		require.NoError(r.t, err)
		s, err := si.Commit(ctx, msgs)
		require.NoError(r.t, err)
		total.Ingested += s.Ingested
		total.Lines += s.Lines
		total.Records += s.Records
		total.Quarantined += s.Quarantined
	}
	return total
}

// noDuplicates asserts every request id in silver is there once.
func (r *kafkaRig) noDuplicates() {
	r.t.Helper()
	require.EqualValues(r.t, 0, r.count("SELECT count(*) FROM (SELECT request_id FROM silver.audit GROUP BY 1 HAVING count(*) > 1)"))
}

// gathered is the value of a metric of one source in reg.
func gathered(t *testing.T, reg *prometheus.Registry, name, src string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "source" && l.GetValue() == src {
					return m.GetCounter().GetValue() + m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no metric %s{source=%q}", name, src)
	return 0
}

func recordsOf(from, to int) []string {
	out := make([]string, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, line(i, "clusters", "create"))
	}
	return out
}

func TestStreamIngestsBatchesFromEveryPartition(t *testing.T) {
	r := newKafkaRig(t, 3)
	for p := int32(0); p < 3; p++ {
		r.produce(p, recordsOf(int(p)*100, int(p)*100+40)...)
	}
	reg := prometheus.NewRegistry()
	m, err := ingest.NewMetrics(reg)
	require.NoError(t, err)
	si, st := r.open(ingest.StreamOptions{Name: "kafka-audit", Metrics: m})
	sum := r.drain(si, 120)
	require.EqualValues(t, 120, sum.Records)
	require.EqualValues(t, 120, r.count("SELECT count(*) FROM silver.audit"))
	require.EqualValues(t, 120, r.count("SELECT count(*) FROM gold.clusters"))
	require.Equal(t, map[int32]int64{0: 40, 1: 40, 2: 40}, si.Offsets())
	require.EqualValues(t, 3, r.count("SELECT count(*) FROM meta.stream_offsets WHERE stream = ? AND next_offset = 40", st.ID()))
	// Ledger rows are per partition and batch, named by their offsets.
	require.EqualValues(t, 0, r.count("SELECT count(*) FROM silver.audit WHERE NOT starts_with(source_file, ?)", st.ID()+"/"))
	require.EqualValues(t, 120, r.count(`SELECT sum(records) FROM bronze.files WHERE regexp_matches(path, ?)`, "^kafka://[^/]+/audit/[0-2]/[0-9]+-[0-9]+$"))
	require.InDelta(t, 120, gathered(t, reg, "auditlake_source_records_total", "kafka-audit"), 0)
	r.checkOK()

	// More messages continue where the database left off.
	r.produce(1, recordsOf(1000, 1005)...)
	r.drain(si, 125)
	require.EqualValues(t, 45, si.Offsets()[1])
	r.noDuplicates()

	// Lag is the end of each partition minus the stored offset.
	lag, err := si.Lag(t.Context())
	require.NoError(t, err)
	require.Equal(t, map[int32]int64{0: 0, 1: 0, 2: 0}, lag)
	r.produce(2, recordsOf(2000, 2007)...)
	lag, err = si.Lag(t.Context())
	require.NoError(t, err)
	require.EqualValues(t, 7, lag[2])

	// Replay rebuilds the same silver from the stream's bronze.
	before := r.count("SELECT count(*) FROM silver.audit")
	_, err = medallion.Replay(t.Context(), r.db)
	require.NoError(t, err)
	require.Equal(t, before, r.count("SELECT count(*) FROM silver.audit"))
	r.checkOK()
}

func TestStreamCrashAfterDatabaseCommitBeforeOffsetCommit(t *testing.T) {
	r := newKafkaRig(t, 2)
	r.produce(0, recordsOf(0, 30)...)
	r.produce(1, recordsOf(100, 130)...)
	si, st := r.open(ingest.StreamOptions{})
	r.drain(si, 60)
	// The process dies right after the database commit: the group's offsets were never
	// published, and the client goes away.
	require.NoError(t, st.Close())
	group := r.cluster.GroupInfo("auditlake-test")
	require.True(t, group == nil || len(group.Commits) == 0, "nothing was published to the group: %+v", group)

	r.produce(0, recordsOf(30, 40)...)
	si2, _ := r.open(ingest.StreamOptions{})
	r.drain(si2, 70)
	require.EqualValues(t, 70, r.count("SELECT count(*) FROM silver.audit"), "no loss")
	r.noDuplicates()
	require.Equal(t, map[int32]int64{0: 40, 1: 30}, si2.Offsets())

	// Publishing afterwards gives the group the database's offsets (monitoring only).
	require.NoError(t, si2.Publish(t.Context()))
	group = r.cluster.GroupInfo("auditlake-test")
	require.NotNil(t, group)
	got := map[int32]int64{}
	for p, c := range group.Commits["audit"] {
		got[p] = c.Offset
	}
	require.Equal(t, map[int32]int64{0: 40, 1: 30}, got)
	r.checkOK()
}

func TestStreamResumesFromDatabaseOffsetsNotGroupOffsets(t *testing.T) {
	r := newKafkaRig(t, 1)
	r.produce(0, recordsOf(0, 20)...)
	si, st := r.open(ingest.StreamOptions{})
	r.drain(si, 20)
	// The group says everything up to 5 was consumed; the database says 20.
	require.NoError(t, st.Publish(t.Context(), map[int32]int64{0: 5}))
	require.NoError(t, st.Close())
	r.produce(0, recordsOf(20, 25)...)
	si2, _ := r.open(ingest.StreamOptions{})
	r.drain(si2, 25)
	require.EqualValues(t, 25, r.count("SELECT count(*) FROM silver.audit"))
	r.noDuplicates()
}

func TestStreamCrashBeforeDatabaseCommitRedelivers(t *testing.T) {
	r := newKafkaRig(t, 2)
	r.produce(0, recordsOf(0, 25)...)
	r.produce(1, recordsOf(100, 125)...)
	si, st := r.open(ingest.StreamOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var fetched int
	for fetched < 50 {
		msgs, err := si.Fetch(ctx)
		require.NoError(t, err)
		fetched += len(msgs)
	}
	// Fetched, never committed: the process dies.
	require.NoError(t, st.Close())
	require.EqualValues(t, 0, r.count("SELECT count(*) FROM silver.audit"))

	si2, _ := r.open(ingest.StreamOptions{})
	r.drain(si2, 50)
	require.EqualValues(t, 50, r.count("SELECT count(*) FROM silver.audit"), "everything redelivered")
	r.noDuplicates()

	// A commit that fails (here: its context ends inside the transaction) rewinds the stream
	// to the stored offsets, so the same ingester fetches the messages again.
	r.produce(0, recordsOf(25, 35)...)
	var msgs []source.Message
	for len(msgs) < 10 {
		m, err := si2.Fetch(ctx)
		require.NoError(t, err)
		msgs = append(msgs, m...)
	}
	dead, kill := context.WithCancel(ctx)
	kill()
	_, err := si2.Commit(dead, msgs)
	require.Error(t, err)
	require.EqualValues(t, 50, r.count("SELECT count(*) FROM silver.audit"))
	r.drain(si2, 60)
	require.EqualValues(t, 60, r.count("SELECT count(*) FROM silver.audit"))
	r.noDuplicates()
	r.checkOK()
}

func TestStreamQuarantinesBadMessagesWithTheirOffsets(t *testing.T) {
	r := newKafkaRig(t, 1)
	good := recordsOf(0, 4)
	r.produce(0,
		good[0],                          // offset 0
		"not json at all",                // 1
		good[1],                          // 2
		`{"serviceName":"clusters"}`,     // 3: JSON, but not a whole record
		"",                               // 4: empty message, skipped
		good[2]+"\n"+good[3]+"\n{broken", // 5: JSON lines in one message, the last bad
	)
	si, st := r.open(ingest.StreamOptions{})
	sum := r.drain(si, 4+3)
	require.EqualValues(t, 4, sum.Records)
	require.EqualValues(t, 3, sum.Quarantined)
	type q struct {
		partition int32
		offset    int64
		record    *int32
		reason    string
	}
	rows, err := r.db.QueryContext(t.Context(), `SELECT "partition", "offset", record, reason FROM bronze.stream_quarantine WHERE stream = ? ORDER BY "offset"`, st.ID())
	require.NoError(t, err)
	defer rows.Close()
	var got []q
	for rows.Next() {
		var x q
		require.NoError(t, rows.Scan(&x.partition, &x.offset, &x.record, &x.reason))
		got = append(got, x)
	}
	require.NoError(t, rows.Err())
	require.Len(t, got, 3)
	require.EqualValues(t, 1, got[0].offset)
	require.Nil(t, got[0].record)
	require.Contains(t, got[0].reason, "topic audit partition 0 offset 1:")
	require.EqualValues(t, 3, got[1].offset)
	require.Contains(t, got[1].reason, "offset 3:")
	require.EqualValues(t, 5, got[2].offset)
	require.NotNil(t, got[2].record)
	require.EqualValues(t, 2, *got[2].record, "third record of the message")
	require.Contains(t, got[2].reason, "line 3 of the message")
	require.Equal(t, map[int32]int64{0: 6}, si.Offsets(), "bad messages move the offset on")
	r.checkOK()
}

// hubBody is an Event Hub message: several Azure diagnostic records.
func hubBody(from, n int) string {
	recs := make([]string, n)
	for i := range recs {
		k := from + i
		recs[i] = fmt.Sprintf(`{"time":"2019-12-28T10:%02d:%02dZ","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.DATABRICKS/WORKSPACES/WS-1","category":"clusters","operationName":"Microsoft.Databricks/clusters/create","operationVersion":"1.0.0","identity":"{\"email\":\"u%d@example.com\",\"subjectName\":null}","properties":{"sourceIPAddress":"10.0.0.1","logId":"log-%d","serviceName":"clusters","userAgent":"curl","response":"{\"statusCode\":200}","sessionId":null,"actionName":"create","requestId":"req-hub-%d","requestParams":"{\"cluster_name\":\"c-%d\"}"},"Host":"h"}`,
			k/60%60, k%60, k, k, k, k)
	}
	return `{"records":[` + strings.Join(recs, ",") + `]}`
}

func TestStreamEventHubBodiesWithSeveralRecords(t *testing.T) {
	r := newKafkaRig(t, 2)
	r.produce(0, hubBody(0, 5), hubBody(5, 3))
	r.produce(1, hubBody(100, 4), line(7, "clusters", "delete")) // a delivery record after hub bodies: a second run
	si, st := r.open(ingest.StreamOptions{})
	sum := r.drain(si, 13)
	require.EqualValues(t, 13, sum.Records)
	require.EqualValues(t, 12, r.count("SELECT count(*) FROM silver.audit WHERE source_format = 'azure'"))
	require.EqualValues(t, 1, r.count("SELECT count(*) FROM silver.audit WHERE source_format = 'delivery'"))
	require.EqualValues(t, 12, r.count("SELECT count(DISTINCT event_id) FROM silver.audit WHERE source_format = 'azure'"))
	// Partition 1 holds two formats: two ledger rows, offsets 0-0 and 1-1.
	require.EqualValues(t, 1, r.count("SELECT count(*) FROM bronze.files WHERE path = ? AND format = 'azure'", st.ID()+"/1/0-0"))
	require.EqualValues(t, 1, r.count("SELECT count(*) FROM bronze.files WHERE path = ? AND format = 'delivery'", st.ID()+"/1/1-1"))
	before := r.count("SELECT count(*) FROM silver.audit")
	_, err := medallion.Replay(t.Context(), r.db)
	require.NoError(t, err)
	require.Equal(t, before, r.count("SELECT count(*) FROM silver.audit"))
	require.EqualValues(t, 12, r.count("SELECT count(*) FROM silver.audit WHERE source_format = 'azure'"))
	r.checkOK()
}

package ingest_test

import (
	"strings"
	"testing"

	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/medallion"
	"github.com/auditlake/auditlake/internal/store/storetest"
	"github.com/stretchr/testify/require"
)

func newPush(t *testing.T, opts ingest.PushOptions) (*ingest.Push, *rig) {
	t.Helper()
	r := &rig{t: t, db: storetest.Open(t)}
	opts.DB = r.db
	p, err := ingest.NewPush(opts)
	require.NoError(t, err)
	return p, r
}

func TestPushCommitsGoodLinesAndReportsBadOnesByLine(t *testing.T) {
	p, r := newPush(t, ingest.PushOptions{Name: "fluent-bit"})
	body := line(1, "clusters", "create") + "\n" + "{not json\n\n" + line(2, "jobs", "runNow") + "\n" + `{"serviceName":"clusters"}` + "\n"
	res, err := p.Ingest(t.Context(), strings.NewReader(body), "")
	require.NoError(t, err)
	require.EqualValues(t, 2, res.Accepted)
	require.EqualValues(t, 4, res.Lines)
	require.EqualValues(t, 2, res.Quarantined)
	require.Len(t, res.Errors, 2)
	require.Equal(t, 2, res.Errors[0].Line)
	require.Equal(t, 5, res.Errors[1].Line)
	require.True(t, strings.HasPrefix(res.Batch, "push://fluent-bit/"), res.Batch)
	require.EqualValues(t, 2, r.count("SELECT count(*) FROM silver.audit WHERE source_file = ?", res.Batch))
	require.EqualValues(t, 2, r.count("SELECT count(*) FROM bronze.quarantine WHERE source_file = ?", res.Batch))
	require.EqualValues(t, 1, r.count("SELECT count(*) FROM gold.jobs"))

	// Without a key, the same body is a new request.
	res2, err := p.Ingest(t.Context(), strings.NewReader(body), "")
	require.NoError(t, err)
	require.NotEqual(t, res.Batch, res2.Batch)
	require.EqualValues(t, 4, r.count("SELECT count(*) FROM silver.audit"))
	r.checkOK()
	before := r.count("SELECT count(*) FROM silver.audit")
	_, err = medallion.Replay(t.Context(), r.db)
	require.NoError(t, err)
	require.Equal(t, before, r.count("SELECT count(*) FROM silver.audit"))
}

func TestPushWithAnIdempotencyKeyIsStoredOnce(t *testing.T) {
	p, r := newPush(t, ingest.PushOptions{})
	body := line(1, "clusters", "create") + "\nbad\n"
	first, err := p.Ingest(t.Context(), strings.NewReader(body), "vector-batch-42")
	require.NoError(t, err)
	require.False(t, first.Duplicate)
	again, err := p.Ingest(t.Context(), strings.NewReader(body), "vector-batch-42")
	require.NoError(t, err)
	require.True(t, again.Duplicate)
	require.Equal(t, first.Accepted, again.Accepted)
	require.Equal(t, first.Quarantined, again.Quarantined)
	require.Equal(t, first.Errors, again.Errors)
	require.Equal(t, first.Batch, again.Batch)
	require.EqualValues(t, 1, r.count("SELECT count(*) FROM silver.audit"))
	require.EqualValues(t, 1, r.count("SELECT count(*) FROM bronze.quarantine"))

	_, err = p.Ingest(t.Context(), strings.NewReader(line(9, "clusters", "delete")+"\n"), "vector-batch-42")
	require.ErrorIs(t, err, ingest.ErrIdempotencyConflict)
	require.EqualValues(t, 1, r.count("SELECT count(*) FROM silver.audit"))
	r.checkOK()
}

func TestPushTakesJSONArraysCompressedBodiesAndEventHubBodies(t *testing.T) {
	p, r := newPush(t, ingest.PushOptions{MaxBytes: 1 << 16})
	// Fluent Bit's json format: one array, pretty or not.
	res, err := p.Ingest(t.Context(), strings.NewReader("[\n "+line(1, "clusters", "create")+",\n "+line(2, "clusters", "edit")+"\n]"), "")
	require.NoError(t, err)
	require.EqualValues(t, 2, res.Accepted)
	// gzip.
	res, err = p.Ingest(t.Context(), strings.NewReader(gz(t, line(3, "clusters", "delete")+"\n")), "")
	require.NoError(t, err)
	require.EqualValues(t, 1, res.Accepted)
	// An Event Hub body with three records.
	res, err = p.Ingest(t.Context(), strings.NewReader(hubBody(0, 3)+"\n"), "")
	require.NoError(t, err)
	require.EqualValues(t, 3, res.Accepted)
	require.EqualValues(t, 6, r.count("SELECT count(*) FROM silver.audit"))

	_, err = p.Ingest(t.Context(), strings.NewReader("[1, 2"), "")
	var bad *ingest.PushBadRequest
	require.ErrorAs(t, err, &bad)
	_, err = p.Ingest(t.Context(), strings.NewReader(strings.Repeat(line(4, "clusters", "create")+"\n", 200)), "")
	require.ErrorIs(t, err, ingest.ErrPushTooLarge)
	require.EqualValues(t, 6, r.count("SELECT count(*) FROM silver.audit"), "a refused request writes nothing")
	r.checkOK()
}

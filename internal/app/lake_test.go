package app

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
)

// Retention moves old rows to the lake; queries over old and new data give the same answers
// before and after, through silver, gold and the Log Analytics views, in SQL and KQL.
func TestQueriesReadRetiredRowsFromTheLake(t *testing.T) {
	src, data := t.TempDir(), t.TempDir()
	lake := filepath.Join(t.TempDir(), "lake")
	env := Env{Data: data}
	for day := 1; day <= 30; day += 3 {
		var b strings.Builder
		for i := 0; i < 20; i++ {
			ts := time.Date(2019, 12, day, 8+i%10, i, 0, 0, time.UTC).UnixMilli()
			svc, act := "clusters", "create"
			if i%4 == 0 {
				svc, act = "jobs", "runFailed"
			}
			fmt.Fprintf(&b, `{"timestamp":%d,"workspaceId":1234,"serviceName":"%s","actionName":"%s","userIdentity":{"email":"u%d@example.com"},"requestId":"r-%d-%d","requestParams":{"cluster_name":"job-%d-run-1"},"response":{"statusCode":200}}`+"\n",
				ts, svc, act, i%3, day, i, 100+i%5)
		}
		p := filepath.Join(src, fmt.Sprintf("workspaceId=1234/date=2019-12-%02d/a.json", day))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o644))
	}
	_, err := Ingest(t.Context(), env, IngestOptions{Source: src})
	require.NoError(t, err)

	queries := []QueryOptions{
		{Text: "SELECT event_date, service_name, count(*) AS n FROM silver.audit GROUP BY ALL ORDER BY ALL"},
		{Text: "SELECT request_params.cluster_name, count(*) FROM gold.clusters GROUP BY 1 ORDER BY 1"},
		{Text: `DatabricksJobs | summarize n = count() by bin(TimeGenerated, 7d), ActionName | order by TimeGenerated asc`, KQL: true},
		{Text: `DatabricksClusters | where TimeGenerated < datetime(2019-12-10) | summarize dcount(RequestId)`, KQL: true},
	}
	run := func(o QueryOptions) string {
		var out bytes.Buffer
		o.Format = "csv"
		require.NoError(t, Query(t.Context(), env, o, &out), o.Text)
		return out.String()
	}
	before := make([]string, len(queries))
	for i, q := range queries {
		before[i] = run(q)
		require.Greater(t, strings.Count(before[i], "\n"), 1, q.Text)
	}

	now := func() time.Time { return time.Date(2019, 12, 31, 0, 0, 0, 0, time.UTC) }
	db, err := env.open(t.Context(), false)
	require.NoError(t, err)
	res, err := runExport(t.Context(), env, db, ExportOptions{To: lake, Retention: 14 * 24 * time.Hour}, now)
	require.NoError(t, err)
	ret := res.Retained
	require.NotNil(t, ret)
	require.Equal(t, 6, ret.Files, "the files of Dec 1 to 16 leave DuckDB")
	var hot int64
	require.NoError(t, db.QueryRowContext(t.Context(), "SELECT count(*) FROM silver.audit").Scan(&hot))
	require.Equal(t, int64(80), hot)
	require.NoError(t, db.Close())

	for i, q := range queries {
		require.Equal(t, before[i], run(q), "same answer after retention: %s", q.Text)
	}
	// --lake reads the lake alone: all 200 rows are there.
	require.Equal(t, "n\n200\n", run(QueryOptions{Text: "SELECT count(*) AS n FROM silver.audit", Lake: "auto"}))
	// The sandbox still refuses files outside the lake.
	var out bytes.Buffer
	err = Query(t.Context(), env, QueryOptions{Text: "SELECT * FROM read_text('/etc/hostname')", Format: "csv"}, &out)
	require.Error(t, err)
	_ = store.FileName
}

package dashboard_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/dashboard"
	"github.com/auditlake/auditlake/internal/generate"
	"github.com/auditlake/auditlake/internal/ingest"
	"github.com/auditlake/auditlake/internal/query"
	"github.com/auditlake/auditlake/internal/source"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
)

func TestViewsAreWellFormed(t *testing.T) {
	views := dashboard.Views()
	require.GreaterOrEqual(t, len(views), 20)
	seen := map[string]bool{}
	for _, v := range views {
		require.False(t, seen[v.Name], "duplicate view %s", v.Name)
		seen[v.Name] = true
		require.NotEmpty(t, v.Title, v.Name)
		require.NotEmpty(t, v.Description, v.Name)
		require.Contains(t, []string{"kql", "sql"}, v.Language, v.Name)
		require.NotContains(t, v.Query, "// title:", "the header is not part of the query")
		for _, p := range v.Params {
			require.Regexp(t, `\b`+regexp.QuoteMeta(p.Name)+`\b`, v.Query, "%s declares %s but does not use it", v.Name, p.Name)
			_, err := paramValue(p, p.Default)
			require.NoError(t, err, "%s: default of %s", v.Name, p.Name)
		}
		got, ok := dashboard.Lookup(v.Name)
		require.True(t, ok)
		require.Equal(t, v, got)
	}
	for _, name := range []string{"events_by_service", "failed_logins", "errors_by_service", "top_users", "ingest_health",
		"cluster_creates_per_day", "cluster_creators_on_day", "jobs_behind_creates", "job_creator", "clusters_without_autotermination",
		"logins", "login_failures", "denied_access", "admin_changes", "secret_reads", "out_of_hours_sensitive",
		"job_runs", "job_failures", "top_failing_jobs", "job_events"} {
		require.True(t, seen[name], "view %s is missing", name)
	}
	_, ok := dashboard.Lookup("no_such_view")
	require.False(t, ok)
}

// paramValue turns a parameter's text (a default, or a URL value) into the Go value that
// query.Params binds as a typed KQL literal in a let statement.
func paramValue(p dashboard.Param, text string) (any, error) {
	switch p.Type {
	case "string":
		return text, nil
	case "long":
		return strconv.ParseInt(text, 10, 64)
	case "real":
		return strconv.ParseFloat(text, 64)
	case "bool":
		return strconv.ParseBool(text)
	case "datetime":
		if len(text) == len("2006-01-02") {
			return time.Parse("2006-01-02", text)
		}
		return time.Parse(time.RFC3339Nano, text)
	case "timespan":
		return time.ParseDuration(text)
	}
	return nil, fmt.Errorf("unknown type %s", p.Type)
}

// seedDB is the seed scenario (December 2019, the 2019-12-28 spike) generated and ingested once
// for the tests of this package, opened as the sandbox the web layer runs views in.
var seedDB = sync.OnceValues(func() (*store.DB, error) { return openSeed() })
var seedDir string

func openSeed() (*store.DB, error) {
	ctx := context.Background()
	src := filepath.Join(seedDir, "src")
	if _, err := generate.Run(ctx, generate.Options{Out: src, Scenario: "seed", EventsPerDay: 300, Seed: 7}); err != nil {
		return nil, err
	}
	data := filepath.Join(seedDir, "data")
	db, err := store.Open(ctx, store.Options{Dir: data})
	if err != nil {
		return nil, err
	}
	b, err := source.Open(ctx, src)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	in, err := ingest.New(ingest.Options{DB: db, Source: b})
	if err != nil {
		return nil, err
	}
	if _, err := in.Once(ctx); err != nil {
		return nil, err
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	return store.Open(ctx, store.Options{Dir: data, Sandbox: true})
}

// runView runs a view with its defaults, overridden by params.
func runView(t *testing.T, db *sql.DB, name string, params map[string]string) *query.Result {
	t.Helper()
	v, ok := dashboard.Lookup(name)
	require.True(t, ok, name)
	bound := query.Params{}
	for _, p := range v.Params {
		val := p.Default
		if s, ok := params[p.Name]; ok {
			val = s
		}
		x, err := paramValue(p, val)
		require.NoError(t, err)
		bound[p.Name] = x
	}
	require.Equal(t, "kql", v.Language, "only KQL views so far")
	res, err := query.RunKQL(t.Context(), db, v.Query, query.KQLOptions{Options: query.Options{Params: bound}})
	require.NoError(t, err, "view %s", name)
	return res
}

func sqlRows(t *testing.T, db *sql.DB, q string) [][]any {
	t.Helper()
	res, err := query.Run(t.Context(), db, q, query.Options{})
	require.NoError(t, err, q)
	return res.Rows
}

func sqlInt(t *testing.T, db *sql.DB, q string) int64 {
	t.Helper()
	rows := sqlRows(t, db, q)
	require.Len(t, rows, 1, q)
	return toInt(t, rows[0][0])
}

func toInt(t *testing.T, v any) int64 {
	t.Helper()
	switch n := v.(type) {
	case int64:
		return n
	case int32:
		return int64(n)
	case int:
		return int64(n)
	case float64:
		return int64(n)
	}
	t.Fatalf("%v (%T) is not a number", v, v)
	return 0
}

// col returns the index of a named column.
func col(t *testing.T, res *query.Result, name string) int {
	t.Helper()
	for i, c := range res.Columns {
		if c.Name == name {
			return i
		}
	}
	t.Fatalf("no column %s in %v", name, res.Columns)
	return -1
}

func sumCol(t *testing.T, res *query.Result, name string) int64 {
	i := col(t, res, name)
	var s int64
	for _, r := range res.Rows {
		s += toInt(t, r[i])
	}
	return s
}

func TestMain(m *testing.M) {
	// The seed database is shared by the tests of this package; it lives in a directory
	// removed when they end.
	dir, err := os.MkdirTemp("", "dashboard-seed-")
	if err != nil {
		panic(err)
	}
	seedDir = dir
	code := m.Run()
	if db, err := seedDB(); err == nil {
		db.Close()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestViewsOnTheSeedScenario runs every view with its defaults on the seed scenario and checks
// what each shows against the same facts computed in SQL over silver and gold.
func TestViewsOnTheSeedScenario(t *testing.T) {
	sdb, err := seedDB()
	require.NoError(t, err)
	db := sdb.SQL()

	results := map[string]*query.Result{}
	for _, v := range dashboard.Views() {
		res := runView(t, db, v.Name, nil)
		require.NotEmpty(t, res.Rows, "view %s has no rows on the seed scenario", v.Name)
		results[v.Name] = res
	}
	total := sqlInt(t, db, "SELECT count(*) FROM silver.audit")

	// Overview.
	require.Equal(t, total, sumCol(t, results["events_by_service"], "events"))
	require.Equal(t, "columnchart", results["events_by_service"].Render)
	require.Equal(t, []string{"day", "service", "events"}, names(results["events_by_service"]))
	loginFailures := sqlInt(t, db, "SELECT count(*) FROM silver.audit WHERE service_name IN ('accounts', 'accountsManager') AND lower(action_name) LIKE '%login' AND response.status_code <> 200")
	require.Positive(t, loginFailures)
	require.Equal(t, loginFailures, sumCol(t, results["failed_logins"], "failures"))
	require.Equal(t, loginFailures, sumCol(t, results["login_failures"], "failures"))
	require.Equal(t, loginFailures, sumCol(t, results["logins"], "failed"))
	require.Equal(t, sqlInt(t, db, "SELECT count(*) FROM silver.audit WHERE response.status_code >= 400"), sumCol(t, results["errors_by_service"], "errors"))
	top := sqlRows(t, db, "SELECT email, count(*) FROM silver.audit WHERE email <> '' GROUP BY 1 ORDER BY 2 DESC LIMIT 10")
	require.Len(t, results["top_users"].Rows, 10)
	for i, r := range top {
		require.Equal(t, r[0], results["top_users"].Rows[i][0])
		require.Equal(t, toInt(t, r[1]), toInt(t, results["top_users"].Rows[i][1]))
	}
	require.Equal(t, total, sumCol(t, results["ingest_health"], "events"))
	require.Equal(t, sqlInt(t, db, "SELECT count(*) FROM bronze.files"), sumCol(t, results["ingest_health"], "files"))

	// Clusters: the investigation of the seed scenario, view by view.
	perDay := results["cluster_creates_per_day"]
	require.Equal(t, "columnchart", perDay.Render)
	var spike []any
	for _, r := range perDay.Rows {
		if toInt(t, r[1]) > toInt(t, spike0(spike)) {
			spike = r
		}
	}
	require.Equal(t, []any{"2019-12-28T00:00:00Z", int64(714)}, []any{spike[0], toInt(t, spike[1])}, "the spike day")
	require.Equal(t, sqlInt(t, db, "SELECT count(*) FROM gold.clusters WHERE action_name = 'create'"), sumCol(t, perDay, "creates"))

	creators := results["cluster_creators_on_day"]
	require.Equal(t, []string{"creator", "creates", "clusters"}, names(creators))
	require.Equal(t, "JOB_LAUNCHER", creators.Rows[0][0])
	require.Equal(t, sqlInt(t, db, "SELECT count(*) FROM gold.clusters WHERE action_name = 'create' AND event_date = DATE '2019-12-28' AND request_params.cluster_creator = 'JOB_LAUNCHER'"), toInt(t, creators.Rows[0][1]))
	require.Equal(t, int64(714), sumCol(t, creators, "creates"))

	jobs := results["jobs_behind_creates"]
	require.Equal(t, "31303", jobs.Rows[0][col(t, jobs, "job_id")])
	require.GreaterOrEqual(t, toInt(t, jobs.Rows[0][col(t, jobs, "creates")]), int64(650))
	owner := jobs.Rows[0][col(t, jobs, "user_id")]
	require.NotEmpty(t, owner)

	email := sqlRows(t, db, "SELECT email FROM gold.jobs WHERE action_name = 'create' AND json_extract_string(response.result, '$.job_id') = '31303'")
	require.Len(t, email, 1)
	require.Contains(t, email[0][0], "@")
	jc := results["job_creator"]
	require.Len(t, jc.Rows, 2, "the jobs/create event and the SCIM add of the owner")
	for _, r := range jc.Rows {
		require.Equal(t, email[0][0], r[col(t, jc, "email")])
	}
	require.Contains(t, flatten(jc), owner, "the SCIM row names the owner's user_id")

	noAuto := results["clusters_without_autotermination"]
	require.Equal(t, sqlInt(t, db, "SELECT count(*) FROM gold.clusters WHERE action_name = 'create' AND request_params.cluster_creator IS NULL AND request_params.autotermination_minutes = '0'"), int64(len(noAuto.Rows)))

	// Other days give other answers: the views use their parameters.
	other := runView(t, db, "cluster_creators_on_day", map[string]string{"day": "2019-12-10"})
	require.Equal(t, sqlInt(t, db, "SELECT count(*) FROM gold.clusters WHERE action_name = 'create' AND event_date = DATE '2019-12-10'"), sumCol(t, other, "creates"))
	require.NotEqual(t, int64(714), sumCol(t, other, "creates"))
	require.Empty(t, runView(t, db, "job_creator", map[string]string{"job_id": "1"}).Rows)

	// Security.
	require.Equal(t, sqlInt(t, db, "SELECT count(*) FROM silver.audit WHERE response.status_code IN (401, 403)"), int64(len(results["denied_access"].Rows)))
	require.Equal(t, sqlInt(t, db, "SELECT count(*) FROM silver.audit WHERE service_name = 'secrets' AND action_name = 'getSecret'"), sumCol(t, results["secret_reads"], "reads"))
	admin := results["admin_changes"]
	require.Contains(t, column(admin, "action"), "setAdmin")
	require.Contains(t, column(admin, "action"), "grantPermission")
	ooh := results["out_of_hours_sensitive"]
	for _, r := range ooh.Rows {
		h := toInt(t, r[col(t, ooh, "hour")])
		day, err := time.Parse(time.RFC3339Nano, r[col(t, ooh, "TimeGenerated")].(string))
		require.NoError(t, err)
		weekend := day.Weekday() == time.Saturday || day.Weekday() == time.Sunday
		require.True(t, h < 7 || h >= 19 || weekend, "%v is within working hours", r)
		require.Regexp(t, `(?i)\.(hr|finance|salar|payroll|customers|pii)`, r[col(t, ooh, "table")])
	}

	// Jobs.
	require.Equal(t, sqlInt(t, db, "SELECT count(*) FROM gold.jobs WHERE action_name = 'runFailed'"), sumCol(t, results["job_runs"], "failed"))
	require.Equal(t, sqlInt(t, db, "SELECT count(*) FROM gold.jobs WHERE action_name = 'runFailed'"), sumCol(t, results["job_failures"], "failures"))
	tf := results["top_failing_jobs"]
	worst := sqlRows(t, db, "SELECT max(n) FROM (SELECT count(*) n FROM gold.jobs WHERE action_name = 'runFailed' GROUP BY request_params.jobId)")
	require.Equal(t, toInt(t, worst[0][0]), toInt(t, tf.Rows[0][col(t, tf, "failed")]))
	je := results["job_events"]
	require.Contains(t, column(je, "ActionName"), "cancelAllRuns", "job 31303 was stopped on the spike day")
}

func spike0(r []any) any {
	if r == nil {
		return int64(0)
	}
	return r[1]
}

func names(res *query.Result) []string {
	var out []string
	for _, c := range res.Columns {
		out = append(out, c.Name)
	}
	return out
}

func column(res *query.Result, name string) []any {
	var out []any
	for i, c := range res.Columns {
		if c.Name == name {
			for _, r := range res.Rows {
				out = append(out, r[i])
			}
		}
	}
	return out
}

func flatten(res *query.Result) []any {
	var out []any
	for _, r := range res.Rows {
		out = append(out, r...)
	}
	return out
}

// TestViewsTakeATimeRange checks the since/until parameters the UI's time-range control sets on
// every time-bound view: a window selects exactly the events in it, and data_range names the
// span the UI counts back from.
func TestViewsTakeATimeRange(t *testing.T) {
	sdb, err := seedDB()
	require.NoError(t, err)
	db := sdb.SQL()

	span := runView(t, db, "data_range", nil)
	require.Equal(t, []string{"oldest", "newest", "events"}, names(span))
	newest := sqlRows(t, db, "SELECT strftime(max(event_time), '%Y-%m-%dT%H:%M:%S.%gZ') FROM silver.audit")[0][0]
	require.Equal(t, newest, span.Rows[0][1])

	day := map[string]string{"since": "2019-12-28", "until": "2019-12-29"}
	perDay := runView(t, db, "cluster_creates_per_day", day)
	require.Len(t, perDay.Rows, 1)
	require.Equal(t, int64(714), toInt(t, perDay.Rows[0][1]))
	require.Equal(t, sqlInt(t, db, "SELECT count(*) FROM silver.audit WHERE event_date = DATE '2019-12-28'"),
		sumCol(t, runView(t, db, "events_by_service", day), "events"))
	week := map[string]string{"since": "2019-12-25T00:00:00Z", "until": "2020-01-01T00:00:00Z"}
	require.Equal(t, sqlInt(t, db, "SELECT count(*) FROM gold.jobs WHERE action_name = 'runFailed' AND event_time >= TIMESTAMP '2019-12-25' AND event_time < TIMESTAMP '2020-01-01'"),
		sumCol(t, runView(t, db, "job_failures", week), "failures"))

	// Every view with a range declares both ends, and an empty window gives no rows.
	empty := map[string]string{"since": "2000-01-01", "until": "2000-01-02"}
	n := 0
	for _, v := range dashboard.Views() {
		var has []string
		for _, p := range v.Params {
			if p.Name == "since" || p.Name == "until" {
				require.Equal(t, "datetime", p.Type, v.Name)
				has = append(has, p.Name)
			}
		}
		if len(has) == 0 {
			continue
		}
		n++
		require.Equal(t, []string{"since", "until"}, has, v.Name)
		require.Empty(t, runView(t, db, v.Name, empty).Rows, v.Name)
	}
	require.GreaterOrEqual(t, n, 15, "the time-bound views")
}

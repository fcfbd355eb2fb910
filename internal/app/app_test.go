package app_test

import (
	"bytes"
	"encoding/csv"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/auditlake/auditlake/internal/app"
	"github.com/stretchr/testify/require"
)

// sqlRows runs a query through the CLI's query path and returns the CSV rows without header.
func sqlRows(t *testing.T, env app.Env, q string) [][]string {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, app.Query(t.Context(), env, app.QueryOptions{Text: q, Format: "csv"}, &out), q)
	recs, err := csv.NewReader(&out).ReadAll()
	require.NoError(t, err)
	return recs[1:]
}

func sqlInt(t *testing.T, env app.Env, q string) int {
	t.Helper()
	rows := sqlRows(t, env, q)
	require.Len(t, rows, 1, q)
	n, err := strconv.Atoi(rows[0][0])
	require.NoError(t, err, q)
	return n
}

// TestSeedScenarioInvestigation is the blog investigation on the generated seed scenario, in SQL
// over gold.clusters: 714 creates on 2019-12-28, 709 by JOB_LAUNCHER, job 31303 first with at
// least 650, 5 user clusters without auto-termination, and the job's user_id leads to an email.
func TestSeedScenarioInvestigation(t *testing.T) {
	env := app.Env{Data: filepath.Join(t.TempDir(), "data")}
	// The demo generates the seed scenario into the data directory and ingests it.
	var demo bytes.Buffer
	require.NoError(t, app.Demo(t.Context(), env, app.DemoOptions{Seed: 7, EventsPerDay: 300}, &demo))
	out := demo.String()
	require.Contains(t, out, "quarantined 0,", "generated logs are valid")

	// Ingesting the same source again changes nothing.
	before := sqlInt(t, env, "SELECT count(*) FROM silver.audit")
	sum, err := app.Ingest(t.Context(), env, app.IngestOptions{Source: filepath.Join(env.Data, "demo-source")})
	require.NoError(t, err)
	require.Zero(t, sum.Ingested)
	require.Equal(t, before, sqlInt(t, env, "SELECT count(*) FROM silver.audit"))

	const day = "FROM gold.clusters WHERE action_name = 'create' AND event_date = DATE '2019-12-28'"
	require.Equal(t, 714, sqlInt(t, env, "SELECT count(*) "+day))
	require.Equal(t, 709, sqlInt(t, env, "SELECT count(*) "+day+" AND request_params.cluster_creator = 'JOB_LAUNCHER'"))
	top := sqlRows(t, env, "SELECT split_part(request_params.cluster_name, '-', 2), count(*) "+day+
		" AND request_params.cluster_creator = 'JOB_LAUNCHER' GROUP BY 1 ORDER BY 2 DESC LIMIT 1")
	require.Equal(t, "31303", top[0][0])
	n, _ := strconv.Atoi(top[0][1])
	require.GreaterOrEqual(t, n, 650)
	require.Equal(t, 5, sqlInt(t, env, "SELECT count(*) "+day+" AND request_params.cluster_creator IS NULL AND request_params.autotermination_minutes = '0'"))

	// Normal days have 180–230 creates.
	perDay := sqlRows(t, env, "SELECT event_date, count(*) FROM gold.clusters WHERE action_name = 'create' AND event_date <> DATE '2019-12-28' GROUP BY 1 ORDER BY 1")
	require.Len(t, perDay, 30)
	for _, r := range perDay {
		c, _ := strconv.Atoi(r[1])
		require.True(t, c >= 180 && c <= 230, "%s has %d creates", r[0], c)
	}

	// The job's user_id leads to an email, two ways: the jobs/create that returned job 31303, and
	// the SCIM add that names the user id.
	users := sqlRows(t, env, "SELECT DISTINCT request_params.user_id FROM gold.clusters WHERE request_params.cluster_name LIKE 'job-31303-run-%'")
	require.Len(t, users, 1, "every create of job 31303 carries the same user_id")
	userID := users[0][0]
	require.NotEmpty(t, userID)
	creator := sqlRows(t, env, "SELECT email, event_date FROM gold.jobs WHERE action_name = 'create' AND json_extract_string(response.result, '$.job_id') = '31303'")
	require.Len(t, creator, 1)
	require.Contains(t, creator[0][0], "@")
	require.Less(t, creator[0][1], "2019-12-28")
	named := sqlRows(t, env, "SELECT DISTINCT request_params.targetUserName FROM gold.accounts WHERE action_name = 'add' AND request_params.targetUserId = '"+userID+"'")
	require.Equal(t, [][]string{{creator[0][0]}}, named, "user_id %s is the job creator", userID)

	// The same numbers through the Log Analytics face.
	require.Equal(t, 714, sqlInt(t, env, "SELECT count(*) FROM DatabricksClusters WHERE ActionName = 'create' AND TimeGenerated >= TIMESTAMPTZ '2019-12-28' AND TimeGenerated < TIMESTAMPTZ '2019-12-29'"))

	var report bytes.Buffer
	require.NoError(t, app.Check(t.Context(), env, &report))
	require.Contains(t, report.String(), "ok:")

	// The demo's analyses found the same answer without being told it.
	require.Contains(t, out, "714")
	require.Contains(t, out, "JOB_LAUNCHER")
	require.Contains(t, out, "31303")
	require.Contains(t, out, creator[0][0])
}

// TestThreeWireFormatsGiveTheSameTables generates the same days in each wire format, ingests
// each into its own database and compares what silver holds. Azure diagnostic settings carry
// no account-level events (spec §2.1), so the Azure database lacks exactly those.
func TestThreeWireFormatsGiveTheSameTables(t *testing.T) {
	dir := t.TempDir()
	counts := map[string][][]string{}
	for _, f := range []string{"delivery", "azure", "system-table"} {
		src := filepath.Join(dir, f)
		_, err := app.GenerateFromFlags(t.Context(), app.GenerateFlags{Out: src, Scenario: "steady", Format: f,
			Start: "2024-03-04", Days: 2, Workspaces: 2, EventsPerDay: 150, Seed: 11})
		require.NoError(t, err)
		env := app.Env{Data: filepath.Join(dir, f+"-data")}
		sum, err := app.Ingest(t.Context(), env, app.IngestOptions{Source: src})
		require.NoError(t, err)
		require.Zero(t, sum.Quarantined, f)
		require.Zero(t, sum.Failed, f)
		require.Equal(t, []string{f}, column(sqlRows(t, env, "SELECT DISTINCT source_format FROM silver.audit")), f)
		counts[f] = sqlRows(t, env, `SELECT service_name, action_name, count(*), count(DISTINCT request_id),
			count(request_params), sum(cardinality(request_params)), count(response.status_code)
			FROM silver.audit WHERE audit_level = 'WORKSPACE_LEVEL' GROUP BY ALL ORDER BY ALL`)
		require.NotEmpty(t, counts[f])
		var report bytes.Buffer
		require.NoError(t, app.Check(t.Context(), env, &report), report.String())
	}
	require.Equal(t, counts["delivery"], counts["system-table"])
	// Azure workspaces sign in through Entra ID: the generator writes aadBrowserLogin (one
	// param, user) where the other formats have samlLogin (user, authentication_method).
	login := func(rows [][]string, action string) ([][]string, []string) {
		var rest [][]string
		var found []string
		for _, r := range rows {
			if r[0] == "accounts" && r[1] == action {
				found = r
				continue
			}
			rest = append(rest, r)
		}
		return rest, found
	}
	d, dl := login(counts["delivery"], "samlLogin")
	a, al := login(counts["azure"], "aadBrowserLogin")
	require.NotNil(t, dl)
	require.NotNil(t, al)
	require.Equal(t, dl[2], al[2], "as many logins")
	require.Equal(t, d, a)
}

func column(rows [][]string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r[0]
	}
	return out
}

// TestIngestSortsALargeTail: a run that leaves at least ClusterMinRows rows in delivery order
// sorts them by service and time before it returns; -1 turns that off.
func TestIngestSortsALargeTail(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	_, err := app.GenerateFromFlags(t.Context(), app.GenerateFlags{Out: src, Scenario: "steady", Format: "delivery",
		Start: "2024-03-04", Days: 2, Workspaces: 2, EventsPerDay: 150, Seed: 3})
	require.NoError(t, err)
	for _, min := range []int64{-1, 100} {
		env := app.Env{Data: filepath.Join(dir, "data"+strconv.FormatInt(min, 10))}
		var sorted []app.ClusterStats
		sum, err := app.Ingest(t.Context(), env, app.IngestOptions{Source: src, ClusterMinRows: min,
			OnCluster: func(st app.ClusterStats) { sorted = append(sorted, st) }})
		require.NoError(t, err)
		require.Greater(t, sum.Records, int64(100))
		// In storage order, a run of rows of one service is as long as the rows allow only when sorted.
		services := column(sqlRows(t, env, "SELECT service_name FROM silver.audit ORDER BY rowid"))
		changes := 0
		for i := 1; i < len(services); i++ {
			if services[i] != services[i-1] {
				changes++
			}
		}
		distinct := len(column(sqlRows(t, env, "SELECT DISTINCT service_name FROM silver.audit")))
		if min < 0 {
			require.Empty(t, sorted)
			require.Greater(t, changes, 10*distinct, "delivery order interleaves the services")
			continue
		}
		require.Len(t, sorted, 1)
		require.Equal(t, sum.Records, sorted[0].Rows)
		require.Equal(t, distinct-1, changes, "each service's rows are together")
		var report bytes.Buffer
		require.NoError(t, app.Check(t.Context(), env, &report), report.String())
	}
}

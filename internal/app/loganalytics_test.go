package app_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/app"
	"github.com/auditlake/auditlake/internal/generate"
	"github.com/stretchr/testify/require"
)

// The six queries Microsoft teaches for Databricks logs in Log Analytics (issue 3, item 5),
// verbatim.
const (
	laRecentJobs       = `DatabricksJobs | where TimeGenerated > ago(24h) | project TimeGenerated, OperationName, Identity, SourceIPAddress | order by TimeGenerated desc | take 100`
	laJobFailures      = `DatabricksJobs | where TimeGenerated > ago(7d) | where Response contains "error" or Response contains "failed" | summarize FailureCount = count() by OperationName, bin(TimeGenerated, 1h) | order by FailureCount desc`
	laClusterEvents    = `DatabricksClusters | where TimeGenerated > ago(7d) | summarize EventCount = count() by OperationName | order by EventCount desc`
	laTableAccess      = `DatabricksUnityCatalog | where TimeGenerated > ago(24h) | where OperationName has "getTable" or OperationName has "selectFromTable" | project TimeGenerated, Identity, OperationName, RequestParams | order by TimeGenerated desc`
	laFailureAlert     = `DatabricksJobs | where TimeGenerated > ago(1h) | where Response contains "error" or Response contains "failed" | summarize FailureCount = count() | where FailureCount > 5`
	laOutOfHoursAccess = `DatabricksUnityCatalog | where TimeGenerated > ago(1h) | where hourofday(TimeGenerated) < 6 or hourofday(TimeGenerated) > 20 | summarize AccessCount = count() by Identity | where AccessCount > 10`
)

// TestLogAnalyticsQueriesOnSeedData runs Microsoft's six Log Analytics queries verbatim through
// the CLI's query path on the generated seed scenario, ingested with the real ingest, and checks
// every answer against hand-written SQL over silver.audit for the same question.
//
// A lake queried at time now holds the events up to now, so the test ingests the generated
// events in stages, each cut at the next pinned now (ago(1h) has no upper bound, and future
// events would otherwise count). The nows are late December 2019 (the night after the
// 2019-12-28 cluster spike) and, for the two threshold alerts, the ends of the busiest one-hour
// windows found by scanning the generated events, so that the alerts fire there.
func TestLogAnalyticsQueriesOnSeedData(t *testing.T) {
	gen := t.TempDir()
	// The seed scenario with the detection plants mixed in, as the demo ingests it, over five
	// workspaces: enough volume for an identity to pass the out-of-hours threshold.
	_, err := generate.Run(t.Context(), generate.Options{Out: gen, Scenario: "seed", Workspaces: 5, Incidents: true, Seed: 1})
	require.NoError(t, err)
	lines := readGenerated(t, gen)

	late := time.Date(2019, 12, 29, 0, 0, 0, 0, time.UTC)
	failNow, failN := busiestHour(lines, func(e genEvent) bool { return e.ServiceName == "jobs" && e.failed() })
	var ucNow time.Time
	ucN := 0
	for _, email := range emails(lines) {
		at, n := busiestHour(lines, func(e genEvent) bool {
			return e.ServiceName == "unityCatalog" && e.UserIdentity.Email == email && e.outOfHours()
		})
		if n > ucN {
			ucNow, ucN = at, n
		}
	}
	// The seed data must make both alerts fire somewhere, or the test would check only empty answers.
	require.Greater(t, failN, 5, "no hour of the seed data has more than 5 job failures")
	require.Greater(t, ucN, 10, "no hour of the seed data has more than 10 out-of-hours table accesses by one identity")

	nows := []time.Time{late, failNow, ucNow}
	slices.SortFunc(nows, func(a, b time.Time) int { return a.Compare(b) })
	nows = slices.Compact(nows)

	src := t.TempDir()
	env := app.Env{Data: filepath.Join(t.TempDir(), "data")}
	var prev time.Time
	for stage, now := range nows {
		writeStage(t, src, lines, stage, prev, now)
		_, err := app.Ingest(t.Context(), env, app.IngestOptions{Source: src})
		require.NoError(t, err)
		prev = now
		t.Run(now.Format(time.RFC3339Nano), func(t *testing.T) {
			checkLogAnalyticsQueries(t, env, now, now.Equal(late), now.Equal(failNow), now.Equal(ucNow))
		})
	}
}

func checkLogAnalyticsQueries(t *testing.T, env app.Env, now time.Time, late, failing, outOfHours bool) {
	after := func(d time.Duration) string {
		return "TIMESTAMPTZ '" + now.Add(-d).Format("2006-01-02 15:04:05.000") + "+00'"
	}

	// 1. The latest 100 job events of the last 24 hours, newest first.
	got := kqlJSON(t, env, laRecentJobs, now)
	require.Equal(t, []string{"TimeGenerated:datetime", "OperationName:string", "Identity:dynamic", "SourceIPAddress:string"}, got.header())
	want := sqlRows(t, env, `SELECT event_time, 'Microsoft.Databricks/jobs/' || action_name, coalesce(user_identity.email, ''), coalesce(source_ip_address, '')
		FROM silver.audit WHERE service_name = 'jobs' AND event_time > `+after(24*time.Hour)+` ORDER BY event_time DESC LIMIT 100`)
	rows := got.mapRows(func(r []any) []string {
		return []string{ts(t, r[0]), r[1].(string), identityEmail(t, r[2]), r[3].(string)}
	})
	if late {
		require.Len(t, rows, 100)
	}
	requireSameRows(t, normTimes(t, want, 0), rows)
	for i := range rows {
		require.Equal(t, normTimes(t, want, 0)[i][0], rows[i][0], "row %d is out of order", i)
	}

	// 2. Job failures (a response with an error message, or one mentioning an error or a
	// failure) per operation and hour over the last 7 days, most failures first.
	failure := `(response.error_message IS NOT NULL OR contains(lower(coalesce(response.result, '')), 'error') OR contains(lower(coalesce(response.result, '')), 'failed'))`
	got = kqlJSON(t, env, laJobFailures, now)
	require.Equal(t, []string{"OperationName:string", "TimeGenerated:datetime", "FailureCount:long"}, got.header())
	want = sqlRows(t, env, `SELECT 'Microsoft.Databricks/jobs/' || action_name, date_trunc('hour', event_time), count(*)
		FROM silver.audit WHERE service_name = 'jobs' AND event_time > `+after(7*24*time.Hour)+` AND `+failure+` GROUP BY ALL`)
	rows = got.mapRows(func(r []any) []string { return []string{r[0].(string), ts(t, r[1]), num(r[2])} })
	requireSameRows(t, normTimes(t, want, 1), rows)
	requireDescending(t, rows, 2)
	if late {
		require.NotEmpty(t, rows)
		require.NotContains(t, column(rows), "Microsoft.Databricks/jobs/runSucceeded", "a successful run is not a failure")
	}

	// 3. Cluster events per operation over the last 7 days.
	got = kqlJSON(t, env, laClusterEvents, now)
	require.Equal(t, []string{"OperationName:string", "EventCount:long"}, got.header())
	want = sqlRows(t, env, `SELECT 'Microsoft.Databricks/clusters/' || action_name, count(*)
		FROM silver.audit WHERE service_name = 'clusters' AND event_time > `+after(7*24*time.Hour)+` GROUP BY ALL`)
	rows = got.mapRows(func(r []any) []string { return []string{r[0].(string), num(r[1])} })
	requireSameRows(t, want, rows)
	requireDescending(t, rows, 1)
	if late {
		require.Contains(t, column(rows), "Microsoft.Databricks/clusters/create")
	}

	// 4. Table reads (getTable, selectFromTable: whole terms, any case) of the last 24 hours.
	got = kqlJSON(t, env, laTableAccess, now)
	require.Equal(t, []string{"TimeGenerated:datetime", "Identity:dynamic", "OperationName:string", "RequestParams:dynamic"}, got.header())
	want = sqlRows(t, env, `SELECT event_time, coalesce(user_identity.email, ''), 'Microsoft.Databricks/unityCatalog/' || action_name, to_json(request_params)
		FROM silver.audit WHERE service_name = 'unityCatalog' AND event_time > `+after(24*time.Hour)+`
		AND lower(action_name) IN ('gettable', 'selectfromtable')`)
	for _, w := range want {
		w[3] = canonicalJSON(t, w[3])
	}
	rows = got.mapRows(func(r []any) []string {
		return []string{ts(t, r[0]), identityEmail(t, r[1]), r[2].(string), canonicalJSON(t, r[3])}
	})
	requireSameRows(t, normTimes(t, want, 0), rows)
	requireDescending(t, rows, 0)
	if late {
		require.NotEmpty(t, rows)
	}

	// 5. More than 5 job failures in the last hour: one row with the count, or none.
	got = kqlJSON(t, env, laFailureAlert, now)
	require.Equal(t, []string{"FailureCount:long"}, got.header())
	want = sqlRows(t, env, `SELECT count(*) FROM silver.audit WHERE service_name = 'jobs' AND event_time > `+after(time.Hour)+` AND `+failure+` HAVING count(*) > 5`)
	rows = got.mapRows(func(r []any) []string { return []string{num(r[0])} })
	require.Equal(t, want, rows)
	if failing {
		require.Len(t, rows, 1, "the busiest hour's failures must fire the alert")
	}

	// 6. Identities with more than 10 table-catalog accesses in the last hour, out of hours
	// (before 06:00 or from 21:00 UTC).
	got = kqlJSON(t, env, laOutOfHoursAccess, now)
	require.Equal(t, []string{"Identity:dynamic", "AccessCount:long"}, got.header())
	want = sqlRows(t, env, `SELECT coalesce(user_identity.email, ''), count(*) FROM silver.audit
		WHERE service_name = 'unityCatalog' AND event_time > `+after(time.Hour)+` AND (hour(event_time) < 6 OR hour(event_time) > 20)
		GROUP BY ALL HAVING count(*) > 10`)
	rows = got.mapRows(func(r []any) []string { return []string{identityEmail(t, r[0]), num(r[1])} })
	requireSameRows(t, want, rows)
	if outOfHours {
		require.NotEmpty(t, rows, "the busiest out-of-hours reader must be reported")
	}
}

// kqlResult is the --format json output of a KQL query.
type kqlResult struct {
	Columns []struct{ Name, Type string }
	Rows    [][]any
}

func kqlJSON(t *testing.T, env app.Env, q string, now time.Time) kqlResult {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, app.Query(t.Context(), env, app.QueryOptions{Text: q, Format: "json", KQL: true, Now: now}, &out), q)
	var res kqlResult
	dec := json.NewDecoder(&out)
	dec.UseNumber()
	require.NoError(t, dec.Decode(&res), q)
	return res
}

func (r kqlResult) header() []string {
	var h []string
	for _, c := range r.Columns {
		h = append(h, c.Name+":"+c.Type)
	}
	return h
}

func (r kqlResult) mapRows(f func([]any) []string) [][]string {
	out := [][]string{}
	for _, row := range r.Rows {
		out = append(out, f(row))
	}
	return out
}

// ts normalizes an ISO-8601 datetime to one spelling, so KQL and SQL results compare.
func ts(t *testing.T, v any) string {
	t.Helper()
	s, ok := v.(string)
	require.True(t, ok, "datetime %v is not a string", v)
	require.True(t, strings.HasSuffix(s, "Z"), "datetime %q does not end in Z", s)
	tm, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return tm.UTC().Format(time.RFC3339Nano)
}

func normTimes(t *testing.T, rows [][]string, col int) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = slices.Clone(r)
		out[i][col] = ts(t, r[col])
	}
	return out
}

func num(v any) string { return fmt.Sprint(v) }

// identityEmail reads the email of a dynamic Identity value.
func identityEmail(t *testing.T, v any) string {
	t.Helper()
	m, ok := v.(map[string]any)
	require.True(t, ok, "Identity %v is not a JSON object", v)
	e, _ := m["email"].(string)
	return e
}

func canonicalJSON(t *testing.T, v any) string {
	t.Helper()
	if s, ok := v.(string); ok {
		require.NoError(t, json.Unmarshal([]byte(s), &v), s)
	}
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func requireSameRows(t *testing.T, want, got [][]string) {
	t.Helper()
	key := func(rows [][]string) []string {
		k := make([]string, len(rows))
		for i, r := range rows {
			k[i] = strings.Join(r, "\x1f")
		}
		slices.Sort(k)
		return k
	}
	require.Equal(t, key(want), key(got))
}

// requireDescending checks that column col never increases (numbers or ISO datetimes).
func requireDescending(t *testing.T, rows [][]string, col int) {
	t.Helper()
	for i := 1; i < len(rows); i++ {
		a, errA := strconv.ParseFloat(rows[i-1][col], 64)
		b, errB := strconv.ParseFloat(rows[i][col], 64)
		if errA == nil && errB == nil {
			require.GreaterOrEqual(t, a, b, "row %d", i)
			continue
		}
		require.GreaterOrEqual(t, rows[i-1][col], rows[i][col], "row %d", i)
	}
}

// genEvent is what the test reads of a generated delivery-format line.
type genEvent struct {
	Timestamp    int64  `json:"timestamp"`
	ServiceName  string `json:"serviceName"`
	UserIdentity struct {
		Email string `json:"email"`
	} `json:"userIdentity"`
	Response struct {
		ErrorMessage *string `json:"errorMessage"`
		Result       *string `json:"result"`
	} `json:"response"`
}

func (e genEvent) failed() bool {
	if e.Response.ErrorMessage != nil {
		return true
	}
	r := strings.ToLower(ptr(e.Response.Result))
	return strings.Contains(r, "error") || strings.Contains(r, "failed")
}

func (e genEvent) outOfHours() bool {
	h := time.UnixMilli(e.Timestamp).UTC().Hour()
	return h < 6 || h > 20
}

func ptr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// genLine is one generated line with the file it came from.
type genLine struct {
	file string // relative to the generated folder
	raw  []byte
	ev   genEvent
}

func readGenerated(t *testing.T, dir string) []genLine {
	t.Helper()
	var lines []genLine
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			l := genLine{file: rel, raw: slices.Clone(sc.Bytes())}
			if err := json.Unmarshal(l.raw, &l.ev); err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
			lines = append(lines, l)
		}
		return sc.Err()
	}))
	require.NotEmpty(t, lines)
	return lines
}

func emails(lines []genLine) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lines {
		if e := l.ev.UserIdentity.Email; !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	slices.Sort(out)
	return out
}

// busiestHour returns the end of the one-hour window (end, end-1h] holding the most matching
// events, with their number; the end is a matching event's time.
func busiestHour(lines []genLine, match func(genEvent) bool) (time.Time, int) {
	var ms []int64
	for _, l := range lines {
		if match(l.ev) {
			ms = append(ms, l.ev.Timestamp)
		}
	}
	slices.Sort(ms)
	best, end, j := 0, int64(0), 0
	for i := range ms {
		for ms[j] <= ms[i]-time.Hour.Milliseconds() {
			j++
		}
		if i-j+1 > best {
			best, end = i-j+1, ms[i]
		}
	}
	return time.UnixMilli(end).UTC(), best
}

// writeStage writes the generated lines with from < timestamp <= to into src, in files named
// after their source files, so that an ingest of src adds exactly those events.
func writeStage(t *testing.T, src string, lines []genLine, stage int, from, to time.Time) {
	t.Helper()
	files := map[string]*bytes.Buffer{}
	var order []string
	for _, l := range lines {
		ms := l.ev.Timestamp
		if (!from.IsZero() && ms <= from.UnixMilli()) || ms > to.UnixMilli() {
			continue
		}
		b := files[l.file]
		if b == nil {
			b = &bytes.Buffer{}
			files[l.file] = b
			order = append(order, l.file)
		}
		b.Write(l.raw)
		b.WriteByte('\n')
	}
	for _, rel := range order {
		p := filepath.Join(src, filepath.Dir(rel), fmt.Sprintf("stage%d-%s", stage, filepath.Base(rel)))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, files[rel].Bytes(), 0o644))
	}
}

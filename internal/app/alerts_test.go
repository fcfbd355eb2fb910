package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/config"
	"github.com/auditlake/auditlake/internal/generate"
	"github.com/auditlake/auditlake/internal/rules"
	"github.com/auditlake/auditlake/internal/store"
	"github.com/stretchr/testify/require"
)

var (
	seedOnce sync.Once
	seedDir  string
	seedErr  error
)

// seedData returns a data directory holding the seed scenario's last 11 days (a week of baseline
// before the spike, 200 background events a day),
// built once per test binary and copied for each test, so tests may write to it.
func seedData(t *testing.T) Env {
	t.Helper()
	seedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "auditlake-alerts-seed-")
		if err != nil {
			seedErr = err
			return
		}
		seedDir = filepath.Join(dir, "data")
		src := filepath.Join(dir, "source")
		if _, seedErr = generate.Run(context.Background(), generate.Options{Out: src, Scenario: "seed", Seed: 1, EventsPerDay: 200,
			Start: time.Date(2019, 12, 19, 0, 0, 0, 0, time.UTC), Days: 11}); seedErr != nil {
			return
		}
		_, seedErr = Ingest(context.Background(), Env{Data: seedDir}, IngestOptions{Source: src})
	})
	require.NoError(t, seedErr)
	dst := filepath.Join(t.TempDir(), "data")
	require.NoError(t, os.MkdirAll(dst, 0o755))
	b, err := os.ReadFile(filepath.Join(seedDir, store.FileName))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dst, store.FileName), b, 0o644))
	return Env{Data: dst}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if seedDir != "" {
		_ = os.RemoveAll(filepath.Dir(seedDir))
	}
	os.Exit(code)
}

var spikeAt = time.Date(2019, 12, 28, 23, 0, 0, 0, time.UTC)

// jobBehindSpike answers the seed investigation's third question with the demo's own SQL (not
// the rule's): the job that launched the most clusters on the spike day and who created it.
func jobBehindSpike(t *testing.T, env Env) (job, creator string) {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, Query(t.Context(), env, QueryOptions{Text: SeedAnalyses[2].SQL, Format: "csv"}, &out))
	recs, err := csv.NewReader(&out).ReadAll()
	require.NoError(t, err)
	require.Greater(t, len(recs), 1)
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	return recs[1][col["job_id"]], recs[1][col["job_created_by"]]
}

func runOnce(t *testing.T, env Env, at time.Time, notify rules.NotifyFunc) []rules.Alert {
	t.Helper()
	var out bytes.Buffer
	err := AlertsRun(t.Context(), env, AlertsRunOptions{AlertsOptions: AlertsOptions{Format: "json", Notify: notify}, Once: true, At: at}, &out)
	require.NoError(t, err, "every built-in rule evaluates on the seed data")
	var alerts []rules.Alert
	require.NoError(t, json.Unmarshal(out.Bytes(), &alerts), out.String())
	return alerts
}

func byRule(alerts []rules.Alert, name string) []rules.Alert {
	var out []rules.Alert
	for _, a := range alerts {
		if a.Rule == name {
			out = append(out, a)
		}
	}
	return out
}

// TestAlertsRunSeedSpike is the "must show": on the seed scenario, alerts run --once
// at 2019-12-28T23:00:00Z reports the cluster spike with job 31303 and its creator; then the
// state survives the process (each AlertsRun opens and closes the database): the next hour the
// spike is still firing and not notified again, and once the spike left the window it resolves.
func TestAlertsRunSeedSpike(t *testing.T) {
	env := seedData(t)
	job, creator := jobBehindSpike(t, env)
	require.Equal(t, "31303", job)
	require.NotEmpty(t, creator)

	var sent []rules.Alert
	notify := func(_ context.Context, as []rules.Alert) error { sent = append(sent, as...); return nil }
	spike := byRule(runOnce(t, env, spikeAt, notify), "cluster-creation-spike")
	require.Len(t, spike, 1)
	a := spike[0]
	require.Equal(t, rules.SeverityHigh, a.Severity)
	require.Equal(t, "31303", a.Labels["job_id"])
	require.Equal(t, creator, a.Labels["job_creator"])
	require.Contains(t, a.Summary, "job 31303, created by "+creator)
	require.Greater(t, a.Value, 600.0)
	require.Len(t, byRule(sent, "cluster-creation-spike"), 1)

	// The raw JSON has the fields scripts read.
	var out bytes.Buffer
	require.NoError(t, AlertsRun(t.Context(), env, AlertsRunOptions{AlertsOptions: AlertsOptions{Format: "json"}, Once: true, At: spikeAt}, &out))
	var raw []map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &raw))
	for _, k := range []string{"rule", "severity", "labels", "value", "summary"} {
		require.Contains(t, raw[0], k)
	}

	// A restart later: still firing, not sent again.
	spike = byRule(runOnce(t, env, spikeAt.Add(time.Hour), notify), "cluster-creation-spike")
	require.Len(t, spike, 1)
	require.Len(t, byRule(sent, "cluster-creation-spike"), 1)

	// Two days on the spike is out of the window: resolved, and sent as resolved.
	require.Empty(t, byRule(runOnce(t, env, spikeAt.Add(48*time.Hour), notify), "cluster-creation-spike"))
	got := byRule(sent, "cluster-creation-spike")
	require.Len(t, got, 2)
	require.Equal(t, rules.AlertResolved, got[1].State)
	require.Equal(t, got[0].Fingerprint, got[1].Fingerprint)

	// The history says the same, queryable.
	var hist bytes.Buffer
	require.NoError(t, AlertsHistory(t.Context(), env, HistoryOptions{Format: "json", Rule: "cluster-creation-spike"}, &hist))
	var entries []HistoryEntry
	require.NoError(t, json.Unmarshal(hist.Bytes(), &entries))
	require.Len(t, entries, 2)
	require.Equal(t, []string{"firing", "resolved"}, []string{entries[1].To, entries[0].To}, "newest first")
	require.Equal(t, "31303", entries[1].Labels["job_id"])
	require.True(t, entries[0].Notified)

	var list bytes.Buffer
	require.NoError(t, RulesList(t.Context(), env, AlertsOptions{Format: "json"}, &list))
	var infos []RuleInfo
	require.NoError(t, json.Unmarshal(list.Bytes(), &infos))
	require.GreaterOrEqual(t, len(infos), 30)
	for _, i := range infos {
		require.Equal(t, "built-in", i.Origin)
		require.NotEqual(t, "error", i.State, "%s: %s", i.Name, i.LastError)
		require.NotNil(t, i.LastEval, i.Name)
	}
}

// TestAlertsBacktest replays the spike days hour by hour without touching stored state.
func TestAlertsBacktest(t *testing.T) {
	env := seedData(t)
	var out bytes.Buffer
	require.NoError(t, AlertsBacktest(t.Context(), env, BacktestOptions{
		AlertsOptions: AlertsOptions{Format: "json"},
		From:          time.Date(2019, 12, 27, 0, 0, 0, 0, time.UTC), To: time.Date(2019, 12, 30, 12, 0, 0, 0, time.UTC),
		Rules: []string{"cluster-creation-spike"},
	}, &out))
	var sent []rules.Alert
	require.NoError(t, json.Unmarshal(out.Bytes(), &sent))
	require.Len(t, sent, 2, out.String())
	require.Equal(t, rules.AlertFiring, sent[0].State)
	require.Equal(t, "31303", sent[0].Labels["job_id"])
	require.True(t, sent[0].At.After(time.Date(2019, 12, 28, 0, 0, 0, 0, time.UTC)) && sent[0].At.Before(spikeAt), sent[0].At)
	require.Equal(t, rules.AlertResolved, sent[1].State)
	require.True(t, sent[1].At.After(spikeAt), sent[1].At)

	db, err := env.sandbox(t.Context())
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRowContext(t.Context(), "SELECT (SELECT count(*) FROM alerts.rule_state) + (SELECT count(*) FROM alerts.history)").Scan(&n))
	require.Zero(t, n, "a backtest stores nothing")

	require.ErrorContains(t, AlertsBacktest(t.Context(), env, BacktestOptions{From: spikeAt, To: spikeAt, Rules: []string{"nope"}}, io.Discard), "no rule named nope")
	require.ErrorContains(t, AlertsBacktest(t.Context(), env, BacktestOptions{From: spikeAt, To: spikeAt.Add(-time.Hour)}, io.Discard), "is before --from")
}

// TestSchedulerOnDuckDB runs the scheduler against a real database with an injected clock: the
// hourly spike rule is evaluated on the hour through the spike, states and history land in the
// alerts schema, and a second scheduler on the reopened database continues from them.
func TestSchedulerOnDuckDB(t *testing.T) {
	env := seedData(t)
	all, err := RuleSet(t.Context(), &config.Config{})
	require.NoError(t, err)
	rs, err := selectRules(all, []string{"cluster-creation-spike"})
	require.NoError(t, err)

	run := func(start time.Time, evals int) []rules.Alert {
		db, err := env.open(t.Context(), false)
		require.NoError(t, err)
		defer db.Close()
		clock := &testClock{now: start}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var sent []rules.Alert
		m, err := rules.New(rules.Options{
			Rules: rs, Now: clock.Now, After: clock.After, Query: ruleQuery(db.SQL()),
			States: &stopAfter{dbStates: &dbStates{db: db, now: clock.Now}, n: evals, stop: cancel},
			Notify: func(_ context.Context, as []rules.Alert) error { sent = append(sent, as...); return nil },
		})
		require.NoError(t, err)
		require.NoError(t, m.Run(ctx))
		return sent
	}
	sent := run(time.Date(2019, 12, 28, 9, 30, 0, 0, time.UTC), 3) // 10:00, 11:00, 12:00
	require.Len(t, sent, 1)
	require.Equal(t, time.Date(2019, 12, 28, 10, 0, 0, 0, time.UTC), sent[0].At, "evaluated at the aligned instant")

	// Restarted two hours after its last evaluation: one catch-up at 14:00, then 15:00; the
	// series is still firing from the stored state, so nothing is sent.
	sent = run(time.Date(2019, 12, 28, 14, 10, 0, 0, time.UTC), 2)
	require.Empty(t, sent)

	db, err := env.sandbox(t.Context())
	require.NoError(t, err)
	defer db.Close()
	var last time.Time
	var firing int
	require.NoError(t, db.QueryRowContext(t.Context(), `SELECT last_eval, (SELECT count(*) FROM alerts.series WHERE status = 'firing')
		FROM alerts.rule_state WHERE rule = 'cluster-creation-spike'`).Scan(&last, &firing))
	require.Equal(t, time.Date(2019, 12, 28, 15, 0, 0, 0, time.UTC), last.UTC())
	require.Equal(t, 1, firing)
}

// stopAfter stops the scheduler once n evaluations are saved.
type stopAfter struct {
	*dbStates
	n    int
	stop func()
}

func (s *stopAfter) SaveEvaluation(ctx context.Context, ev rules.Evaluation) error {
	err := s.dbStates.SaveEvaluation(ctx, ev)
	if s.n--; s.n == 0 {
		s.stop()
	}
	return err
}

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *testClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	c.mu.Unlock()
	return ch
}

// TestRulesTestBuiltin runs every built-in rule's unit tests, as `auditlake rules test
// --builtin` does, so CI covers the whole pack.
func TestRulesTestBuiltin(t *testing.T) {
	var out bytes.Buffer
	sum, err := RulesTest(t.Context(), Env{}, RulesTestOptions{Builtin: true}, &out)
	require.NoError(t, err, out.String())
	rs, err := rules.Builtin()
	require.NoError(t, err)
	require.GreaterOrEqual(t, sum.Tests, len(rs), "at least one test per built-in rule")
	require.Zero(t, sum.Failed)
	require.Less(t, sum.Fixtures, 6, "fixtures are shared across test files")
}

// TestRulesTestFiles runs user test files with inline and file fixtures, and shows what a
// failure prints: the test's file:line, the missing and unexpected alerts.
func TestRulesTestFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	write("rules/logins.yaml", `rules:
  - name: failed-logins
    severity: medium
    language: sql
    query: |
      SELECT email FROM silver.audit
      WHERE action_name = 'login' AND response.status_code = 401
        AND event_time >= $window_start AND event_time < $window_end
    params: {min: 3}
    schedule: {every: 5m}
    window: 1h
    split_by: [email]
    condition: {op: ">=", threshold: 3}
    annotations: {summary: "{{ .Labels.email }} failed {{ .Value }} logins"}
`)
	line := func(min int, email string, status int) string {
		return `{"version":"2.0","auditLevel":"ACCOUNT_LEVEL","timestamp":` + jsonInt(time.Date(2019, 12, 10, 2, min, 0, 0, time.UTC).UnixMilli()) +
			`,"orgId":"1","shardName":"s","accountId":"a","sourceIPAddress":"10.0.0.1","userAgent":"curl","sessionId":null,` +
			`"userIdentity":{"email":"` + email + `"},"serviceName":"accounts","actionName":"login","requestId":"r` + jsonInt(int64(min)) +
			`","requestParams":{"user":"` + email + `"},"response":{"statusCode":` + jsonInt(int64(status)) + `,"errorMessage":null,"result":null}}`
	}
	var events []string
	for i := 0; i < 4; i++ {
		events = append(events, line(10+i, "x@y.com", 401))
	}
	events = append(events, line(20, "ok@y.com", 200))
	write("tests/fixtures/logins.jsonl", strings.Join(events, "\n")+"\n")
	good := write("tests/good.test.yaml", `rule_files: [../rules/logins.yaml]
tests:
  - name: fires from inline events
    fixture:
      events: |
`+indentLines(strings.Join(events, "\n"), "        ")+`
    eval_at: [2019-12-10T03:00:00Z, 2019-12-10T04:00:00Z]
    expect_alerts:
      - {rule: failed-logins, at: 2019-12-10T03:00:00Z, labels: {email: x@y.com}, value: 4, summary_contains: x@y.com failed 4}
  - name: fires from a file
    fixture: {files: [fixtures/logins.jsonl]}
    eval_at: [2019-12-10T03:00:00Z]
    expect_alerts:
      - {rule: failed-logins, at: 2019-12-10T03:00:00Z, labels: {email: x@y.com}}
  - name: quiet later
    fixture: {files: [fixtures/logins.jsonl]}
    eval_at: [2019-12-10T05:00:00Z]
    expect_none: true
`)
	var out bytes.Buffer
	sum, err := RulesTest(t.Context(), Env{}, RulesTestOptions{Files: []string{good}, Verbose: true}, &out)
	require.NoError(t, err, out.String())
	require.Equal(t, RulesTestSummary{Files: 1, Tests: 3, Fixtures: 2}, sum)

	bad := write("tests/bad.test.yaml", `rule_files: [../rules/logins.yaml]
tests:
  - name: wrong value
    fixture: {files: [fixtures/logins.jsonl]}
    eval_at: [2019-12-10T03:00:00Z]
    expect_alerts:
      - {rule: failed-logins, at: 2019-12-10T03:00:00Z, labels: {email: x@y.com}, value: 5}
  - name: not quiet
    fixture: {files: [fixtures/logins.jsonl]}
    eval_at: [2019-12-10T03:00:00Z]
    expect_none: true
`)
	out.Reset()
	sum, err = RulesTest(t.Context(), Env{}, RulesTestOptions{Files: []string{bad}}, &out)
	require.ErrorIs(t, err, ErrRulesTestFailed)
	require.Equal(t, 2, sum.Failed)
	s := out.String()
	require.Contains(t, s, "FAIL "+bad+":3: wrong value")
	require.Contains(t, s, "- line 7: expected failed-logins at 2019-12-10T03:00:00Z labels {email=\"x@y.com\"} value 5")
	require.Contains(t, s, `+ unexpected failed-logins at 2019-12-10T03:00:00Z labels {email="x@y.com"} value 4`)
	require.Contains(t, s, "FAIL "+bad+":8: not quiet")
	require.Contains(t, s, "expected no alerts, got at 2019-12-10T03:00:00Z")

	broken := write("tests/broken.test.yaml", "tests:\n  - name: x\n    fixture: {scenario: seed}\n")
	out.Reset()
	_, err = RulesTest(t.Context(), Env{}, RulesTestOptions{Files: []string{broken}}, &out)
	require.ErrorIs(t, err, ErrRulesTestFailed)
	require.Contains(t, out.String(), broken+`:2: test is missing field "eval_at"`)
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func indentLines(s, pre string) string {
	return pre + strings.ReplaceAll(s, "\n", "\n"+pre)
}

// TestLintRules reports every problem of rule files with file:line, including query problems
// found by DuckDB's parser and the KQL parser.
func TestLintRules(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(p, []byte(`rules:
  - name: sql-undeclared
    severity: low
    language: sql
    query: SELECT 1 AS n FROM silver.audit WHERE event_time >= $window_start AND n > $limit
    schedule: {every: 1m}
    window: 1h
    condition: {op: ">", threshold: 0}
  - name: sql-not-select
    severity: low
    language: sql
    query: DELETE FROM silver.audit
    schedule: {every: 1m}
    window: 1h
    condition: {op: ">", threshold: 0}
  - name: kql-broken
    severity: low
    language: kql
    query: |
      DatabricksAccounts
      | where (
    schedule: {every: 1m}
    window: 1h
    condition: {op: ">", threshold: 0}
  - name: ok
    severity: low
    language: kql
    query: DatabricksAccounts | where TimeGenerated >= window_start and ActionName in (actions)
    params: {actions: [login]}
    schedule: {every: 1m}
    window: 1h
    condition: {op: ">", threshold: 0}
`), 0o644))
	err := LintRules(t.Context(), []string{p})
	require.Error(t, err)
	msg := err.Error()
	require.Contains(t, msg, p+":5: query: query reads $limit, which the rule does not declare under params")
	require.Contains(t, msg, p+":12: query: query: only one SELECT statement is allowed, not DELETE")
	require.Contains(t, msg, p+":22: query: 3:1: expected an expression, found end of query")
	require.Len(t, strings.Split(strings.TrimSpace(msg), "\n"), 3, msg)
	require.NoError(t, LintRules(t.Context(), []string{filepath.Join("..", "rules", "builtin")}), "the built-in pack lints clean")
}

// TestConfiguredRules: a rule directory overrides a built-in by name, rules.disabled turns one
// off, rules.params overrides a default; problems name the config file's lines.
func TestConfiguredRules(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "rules"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rules", "spike.yaml"), []byte(`rules:
  - name: cluster-without-autotermination
    severity: critical
    language: kql
    query: DatabricksClusters | where TimeGenerated >= window_start and TimeGenerated < window_end
    schedule: {every: 5m}
    window: 1h
    condition: {op: ">", threshold: 0}
`), 0o644))
	cfgPath := filepath.Join(dir, "auditlake.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(`rules:
  dirs: [rules]
  disabled: [cluster-creation-spike]
  params:
    cluster-creation-spike.spike_factor: 5
`), 0o644))
	var out bytes.Buffer
	require.NoError(t, RulesList(t.Context(), Env{Data: dir}, AlertsOptions{Config: cfgPath, Format: "json"}, &out))
	var infos []RuleInfo
	require.NoError(t, json.Unmarshal(out.Bytes(), &infos))
	found := 0
	for _, i := range infos {
		switch i.Name {
		case "cluster-without-autotermination":
			found++
			require.Equal(t, filepath.Join(dir, "rules", "spike.yaml"), i.Origin)
			require.Equal(t, rules.SeverityCritical, i.Severity)
		case "cluster-creation-spike":
			found++
			require.False(t, i.Enabled)
			require.Equal(t, "disabled", i.State)
			require.Equal(t, int64(5), int64(i.Params["spike_factor"].(float64)))
		}
	}
	require.Equal(t, 2, found)

	require.NoError(t, os.WriteFile(cfgPath, []byte("rules:\n  disabled: [nope]\n  params: {spike_factor: high}\n"), 0o644))
	err := RulesList(t.Context(), Env{Data: dir}, AlertsOptions{Config: cfgPath}, io.Discard)
	require.Error(t, err)
	require.Contains(t, err.Error(), cfgPath+`:2: rules.disabled: no rule named "nope"`)
	require.Contains(t, err.Error(), cfgPath+`:3: rules.params.spike_factor: parameter spike_factor of rule "cluster-creation-spike" is a number, not a string`)
}

// TestAlertsRunNotifiesActionGroups: alerts run --once hands the spike to the outbox of the
// configured action groups and flushes it before it exits: a webhook peer receives it once, and
// a second run at a later hour sends nothing new.
func TestAlertsRunNotifiesActionGroups(t *testing.T) {
	env := seedData(t)
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	cfgPath := filepath.Join(t.TempDir(), "auditlake.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte("action_groups:\n  - name: default\n    webhook:\n      - url: "+srv.URL+"\n"), 0o600))
	for _, at := range []time.Time{spikeAt, spikeAt.Add(time.Hour)} {
		var out bytes.Buffer
		require.NoError(t, AlertsRun(t.Context(), env, AlertsRunOptions{AlertsOptions: AlertsOptions{Config: cfgPath, Format: "json"}, Once: true, At: at}, &out))
		require.Contains(t, out.String(), "31303")
	}
	mu.Lock()
	defer mu.Unlock()
	spikes := 0
	for _, b := range bodies {
		if strings.Contains(b, "cluster-creation-spike") {
			spikes++
			require.Contains(t, b, "31303")
		}
	}
	require.Equal(t, 1, spikes, "sent once across both runs: %q", bodies)
}

package rules

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// fakeClock is a clock whose After fires at once and moves the time forward, so Run's loop
// runs through simulated hours instantly and deterministically.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	c.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- now
	return ch
}

// counts is a QueryFunc seam: per evaluation time, the rows (one per user occurrence).
type counts struct {
	mu    sync.Mutex
	calls []time.Time
	rows  func(at time.Time) []string
	err   error
}

func (c *counts) query(_ context.Context, q Query, params map[string]any, at time.Time) ([]string, [][]any, error) {
	c.mu.Lock()
	c.calls = append(c.calls, at)
	c.mu.Unlock()
	if params[ParamWindowEnd] != at.UTC() {
		return nil, nil, fmt.Errorf("window_end %v is not the evaluation time %v", params[ParamWindowEnd], at)
	}
	if c.err != nil {
		return nil, nil, c.err
	}
	var rows [][]any
	for _, u := range c.rows(at) {
		rows = append(rows, []any{u})
	}
	return []string{"user"}, rows, nil
}

func TestEvalAtPersistsAndNotifies(t *testing.T) {
	r := evalRule(func(r *Rule) { r.Schedule = Schedule{Every: time.Hour}; r.NOfM = NOfM{N: 2, M: 3} })
	off := evalRule(func(r *Rule) { r.Name = "off"; r.Enabled = false })
	q := &counts{rows: func(time.Time) []string { return []string{"a", "a", "a", "a", "a", "b"} }}
	states := NewMemoryStates()
	var notified []Alert
	reg := prometheus.NewRegistry()
	m, err := New(Options{Rules: []Rule{r, off}, Query: q.query, States: states, Registerer: reg,
		Notify: func(_ context.Context, as []Alert) error { notified = append(notified, as...); return nil }})
	require.NoError(t, err)

	rep, err := m.EvalAt(t.Context(), t0)
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	require.Len(t, rep.Results, 1, "disabled rules are not evaluated")
	require.Empty(t, rep.Firing(), "1 of 3 violations is pending")
	require.Equal(t, StatusPending, states.states[r.Name].State.Series[Labels{"user": "a"}.Fingerprint()].Status)

	rep, err = m.EvalAt(t.Context(), t0.Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, rep.Firing(), 1)
	require.Equal(t, Labels{"user": "a"}, rep.Firing()[0].Labels)
	require.Len(t, notified, 1)
	require.Equal(t, rep.Results[0].Alerts, notified)

	// The same instant again, or an earlier one, is not evaluated: states only move forward.
	rep, err = m.EvalAt(t.Context(), t0)
	require.NoError(t, err)
	require.True(t, rep.Results[0].Skipped)
	require.Len(t, rep.Firing(), 1, "a skipped rule shows its stored firing series")
	require.Len(t, q.calls, 2)
	require.Len(t, notified, 1)

	hist := states.History()
	require.Len(t, hist, 2)
	require.Equal(t, StatusInactive, hist[0].From)
	require.Equal(t, StatusPending, hist[0].To)
	require.Nil(t, hist[0].Alert)
	require.Equal(t, StatusFiring, hist[1].To)
	require.NotNil(t, hist[1].Alert)

	require.Equal(t, 2.0, testutil.ToFloat64(m.metrics.evals.WithLabelValues(r.Name)))
	require.Equal(t, 1.0, testutil.ToFloat64(m.metrics.series.WithLabelValues(r.Name, "firing")))
	n, err := testutil.GatherAndCount(reg, "auditlake_rule_alerts_total")
	require.NoError(t, err)
	require.Equal(t, 1, n)

	// A new Manager on the same store continues: the series is still firing, nothing is re-sent.
	m2, err := New(Options{Rules: []Rule{r}, Query: q.query, States: states,
		Notify: func(_ context.Context, as []Alert) error { notified = append(notified, as...); return nil }})
	require.NoError(t, err)
	rep, err = m2.EvalAt(t.Context(), t0.Add(2*time.Hour))
	require.NoError(t, err)
	require.Len(t, rep.Firing(), 1)
	require.Empty(t, rep.Results[0].Alerts)
	require.Len(t, notified, 1)
}

func TestEvalAtFailures(t *testing.T) {
	r := evalRule(nil)
	q := &counts{rows: func(time.Time) []string { return []string{"a", "a", "a", "a", "a"} }, err: errors.New("boom")}
	states := NewMemoryStates()
	m, err := New(Options{Rules: []Rule{r}, Query: q.query, States: states})
	require.NoError(t, err)
	rep, err := m.EvalAt(t.Context(), t0)
	require.NoError(t, err)
	require.ErrorContains(t, rep.Err(), "rule failed-logins: query: boom")
	require.Equal(t, "query: boom", states.states[r.Name].LastError)
	require.Equal(t, 1.0, testutil.ToFloat64(m.metrics.failures.WithLabelValues(r.Name)))

	// A failing notifier keeps the state from advancing, so the alert is sent again later.
	q.err = nil
	fail := true
	var sent int
	m, err = New(Options{Rules: []Rule{r}, Query: q.query, States: NewMemoryStates(), Notify: func(context.Context, []Alert) error {
		if fail {
			return errors.New("outbox full")
		}
		sent++
		return nil
	}})
	require.NoError(t, err)
	rep, err = m.EvalAt(t.Context(), t0)
	require.NoError(t, err)
	require.ErrorContains(t, rep.Err(), "notifying: outbox full")
	require.Empty(t, rep.Firing())
	fail = false
	rep, err = m.EvalAt(t.Context(), t0.Add(time.Minute))
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	require.Len(t, rep.Firing(), 1)
	require.Equal(t, 1, sent)

	// A result missing a split_by column fails the rule, not the run.
	bad := evalRule(func(r *Rule) { r.Name = "bad"; r.SplitBy = []string{"nope"} })
	m, err = New(Options{Rules: []Rule{bad, r}, Query: q.query})
	require.NoError(t, err)
	rep, err = m.EvalAt(t.Context(), t0)
	require.NoError(t, err)
	require.ErrorContains(t, rep.Err(), `rule bad: query result: split_by column "nope"`)
	require.Len(t, rep.Firing(), 1)

	_, err = New(Options{Rules: []Rule{r}})
	require.ErrorContains(t, err, "Query is required")
	_, err = New(Options{Rules: []Rule{r, r}, Query: q.query})
	require.ErrorContains(t, err, "given twice")
}

// TestRunSchedules runs the scheduler through simulated time: an hourly rule is evaluated on the
// hour, a cron rule on its minutes, each at its scheduled instant; a rule whose stored state
// shows a missed instant is caught up once at start.
func TestRunSchedules(t *testing.T) {
	start := time.Date(2026, 3, 1, 10, 20, 0, 0, time.UTC)
	clock := &fakeClock{now: start}
	hourly := evalRule(func(r *Rule) { r.Name = "hourly"; r.Schedule = Schedule{Every: time.Hour} })
	cron, err := ParseCron("*/30 * * * *")
	require.NoError(t, err)
	halfHour := evalRule(func(r *Rule) { r.Name = "half-hour"; r.Schedule = Schedule{Cron: cron} })
	daily := evalRule(func(r *Rule) {
		r.Name = "daily"
		r.Schedule = Schedule{Every: 24 * time.Hour}
		r.Window = 24 * time.Hour
	})
	states := NewMemoryStates()
	// daily was last evaluated two days ago: its instant at midnight today was missed.
	states.states["daily"] = RuleState{LastEval: time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var mu sync.Mutex
	evals := map[string][]time.Time{}
	q := func(_ context.Context, q Query, params map[string]any, at time.Time) ([]string, [][]any, error) {
		mu.Lock()
		defer mu.Unlock()
		name := q.Text
		evals[name] = append(evals[name], at)
		if len(evals["hourly"]) >= 3 {
			cancel()
		}
		return []string{"user"}, nil, nil
	}
	for _, r := range []*Rule{&hourly, &halfHour, &daily} {
		r.Query = Query{Language: LanguageSQL, Text: r.Name}
	}
	m, err := New(Options{Rules: []Rule{hourly, halfHour, daily}, Query: q, States: states, Now: clock.Now, After: clock.After})
	require.NoError(t, err)
	require.NoError(t, m.Run(ctx))

	at := func(h, min int) time.Time { return time.Date(2026, 3, 1, h, min, 0, 0, time.UTC) }
	require.Equal(t, []time.Time{at(0, 0)}, evals["daily"], "caught up once at its missed instant")
	require.Equal(t, []time.Time{at(11, 0), at(12, 0), at(13, 0)}, evals["hourly"])
	require.Equal(t, []time.Time{at(10, 30), at(11, 0), at(11, 30), at(12, 0), at(12, 30), at(13, 0)}, evals["half-hour"])
	st, err := m.States(t.Context())
	require.NoError(t, err)
	require.Equal(t, at(13, 0), st["hourly"].LastEval)

	// ApplyRules wakes a waiting scheduler; disabled rules are dropped from the schedule.
	clock2 := &fakeClock{now: start}
	ctx2, cancel2 := context.WithCancel(t.Context())
	defer cancel2()
	evals = map[string][]time.Time{}
	var m2 *Manager
	q2 := func(_ context.Context, q Query, _ map[string]any, at time.Time) ([]string, [][]any, error) {
		mu.Lock()
		defer mu.Unlock()
		evals[q.Text] = append(evals[q.Text], at)
		if q.Text == "hourly" && len(evals["hourly"]) == 1 {
			off := hourly
			off.Enabled = false
			require.NoError(t, m2.ApplyRules([]Rule{off, halfHour}))
		}
		if len(evals["half-hour"]) >= 4 {
			cancel2()
		}
		return []string{"user"}, nil, nil
	}
	m2, err = New(Options{Rules: []Rule{hourly}, Query: q2, Now: clock2.Now, After: clock2.After})
	require.NoError(t, err)
	require.NoError(t, m2.Run(ctx2))
	require.Len(t, evals["hourly"], 1)
	require.GreaterOrEqual(t, len(evals["half-hour"]), 4)
	for _, e := range evals["half-hour"] {
		require.Contains(t, []int{0, 30}, e.Minute())
	}
}

func TestQueryParamsAndSetParam(t *testing.T) {
	r := evalRule(func(r *Rule) {
		r.Params = map[string]any{"threshold": int64(5), "tables": []any{"a.b.c"}, "tz": "UTC", "strict": true}
	})
	p := QueryParams(r, t0)
	require.Equal(t, t0.Add(-70*time.Minute), p[ParamWindowStart])
	require.Equal(t, t0, p[ParamWindowEnd])
	require.Equal(t, int64(5), p["threshold"])

	require.NoError(t, r.SetParam("threshold", 7.5), "numbers of either kind")
	require.NoError(t, r.SetParam("tables", []any{"x", "y"}))
	require.NoError(t, r.SetParam("tables", []any{}))
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"nope", 1, `rule "failed-logins" has no parameter "nope"`},
		{"threshold", "5", "parameter threshold of rule \"failed-logins\" is a number, not a string"},
		{"tz", []any{"UTC"}, "parameter tz of rule \"failed-logins\" is a string, not a list"},
		{"strict", int64(1), "parameter strict of rule \"failed-logins\" is a bool, not a number"},
	} {
		require.EqualError(t, r.SetParam(tc.name, tc.v), tc.want)
	}
	r.Params["tables"] = []any{"a"}
	require.ErrorContains(t, r.SetParam("tables", []any{int64(1)}), "is a list of strings, not of numbers")
	require.ErrorContains(t, r.SetParam("tables", []any{"a", int64(1)}), "list mixes string and number entries")
}

func TestBuiltinPackLoads(t *testing.T) {
	rs, err := Builtin()
	require.NoError(t, err)
	require.NotEmpty(t, rs)
	names := map[string]bool{}
	for _, r := range rs {
		require.True(t, r.Builtin)
		require.True(t, strings.HasPrefix(r.Pos.File, "builtin/"), r.Pos.File)
		names[r.Name] = true
	}
	require.True(t, names["cluster-creation-spike"])
	require.True(t, names["cluster-without-autotermination"])
}

package rules

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func evalRule(mod func(*Rule)) Rule {
	r := Rule{
		Name:        "failed-logins",
		Severity:    SeverityHigh,
		Schedule:    Schedule{Every: time.Minute},
		Window:      time.Hour,
		LateMargin:  10 * time.Minute,
		Measure:     Measure{Aggregation: AggCount},
		SplitBy:     []string{"user"},
		Condition:   Condition{Op: OpGE, Threshold: 5},
		NOfM:        NOfM{N: 1, M: 1},
		AutoResolve: true,
		Enabled:     true,
	}
	if mod != nil {
		mod(&r)
	}
	return r
}

// step is one evaluation, a minute after the previous one: the samples (user → value) and the
// alerts expected, rendered by alertLine, and the statuses by user afterwards.
type step struct {
	in     map[string]float64
	alerts []string
	status map[string]Status
}

func alertLine(a Alert) string {
	return fmt.Sprintf("%s %s %s", a.State, a.Labels.String(), formatValue(a.Value))
}

func runSteps(t *testing.T, r Rule, steps []step) {
	t.Helper()
	var st State
	for i, s := range steps {
		now := t0.Add(time.Duration(i) * time.Minute)
		var res QueryResult
		for u, v := range s.in {
			res.Samples = append(res.Samples, Sample{Labels: Labels{"user": u}, Value: v})
		}
		prevJSON, err := json.Marshal(st)
		require.NoError(t, err)
		next, alerts := Eval(r, res, st, now)
		afterJSON, err := json.Marshal(st)
		require.NoError(t, err)
		require.JSONEq(t, string(prevJSON), string(afterJSON), "step %d: Eval modified prev", i)

		var got []string
		for _, a := range alerts {
			got = append(got, alertLine(a))
		}
		require.Equal(t, s.alerts, got, "step %d alerts", i)
		status := map[string]Status{}
		for _, ss := range next.Series {
			status[ss.Labels["user"]] = ss.Status
		}
		if s.status == nil {
			s.status = map[string]Status{}
		}
		require.Equal(t, s.status, status, "step %d statuses", i)
		st = next
	}
}

func TestEvalSequences(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		mod   func(*Rule)
		steps []step
	}{
		{"fires then resolves", nil, []step{
			{in: map[string]float64{"a": 1}},
			{in: map[string]float64{"a": 6}, alerts: []string{`firing {user="a"} 6`}, status: map[string]Status{"a": StatusFiring}},
			{in: map[string]float64{"a": 7}, status: map[string]Status{"a": StatusFiring}},
			{in: map[string]float64{"a": 2}, alerts: []string{`resolved {user="a"} 2`}},
			{in: map[string]float64{"a": 2}},
		}},
		{"pending until 2 of 3", func(r *Rule) { r.NOfM = NOfM{N: 2, M: 3} }, []step{
			{in: map[string]float64{"a": 5}, status: map[string]Status{"a": StatusPending}},
			{in: map[string]float64{"a": 0}, status: map[string]Status{"a": StatusPending}},
			{in: map[string]float64{"a": 9}, alerts: []string{`firing {user="a"} 9`}, status: map[string]Status{"a": StatusFiring}},
			{in: map[string]float64{"a": 0}, alerts: []string{`resolved {user="a"} 0`}, status: map[string]Status{"a": StatusResolved}},
			{in: map[string]float64{"a": 0}, status: map[string]Status{"a": StatusResolved}},
			{in: map[string]float64{"a": 0}}, // history clear: forgotten
		}},
		{"pending decays without firing", func(r *Rule) { r.NOfM = NOfM{N: 2, M: 2} }, []step{
			{in: map[string]float64{"a": 5}, status: map[string]Status{"a": StatusPending}},
			{in: map[string]float64{"a": 0}, status: map[string]Status{"a": StatusPending}},
			{in: map[string]float64{"a": 0}},
			{in: map[string]float64{"a": 5}, status: map[string]Status{"a": StatusPending}},
		}},
		{"mute_for re-notifies", func(r *Rule) { r.MuteFor = 2 * time.Minute }, []step{
			{in: map[string]float64{"a": 5}, alerts: []string{`firing {user="a"} 5`}, status: map[string]Status{"a": StatusFiring}},
			{in: map[string]float64{"a": 6}, status: map[string]Status{"a": StatusFiring}},
			{in: map[string]float64{"a": 7}, alerts: []string{`firing {user="a"} 7`}, status: map[string]Status{"a": StatusFiring}},
			{in: map[string]float64{"a": 8}, status: map[string]Status{"a": StatusFiring}},
			{in: map[string]float64{"a": 9}, alerts: []string{`firing {user="a"} 9`}, status: map[string]Status{"a": StatusFiring}},
		}},
		{"no repeat without mute_for", nil, []step{
			{in: map[string]float64{"a": 5}, alerts: []string{`firing {user="a"} 5`}, status: map[string]Status{"a": StatusFiring}},
			{in: map[string]float64{"a": 6}, status: map[string]Status{"a": StatusFiring}},
			{in: map[string]float64{"a": 7}, status: map[string]Status{"a": StatusFiring}},
		}},
		{"resolve_after waits", func(r *Rule) { r.ResolveAfter = 2 * time.Minute }, []step{
			{in: map[string]float64{"a": 5}, alerts: []string{`firing {user="a"} 5`}, status: map[string]Status{"a": StatusFiring}},
			{in: map[string]float64{"a": 1}, status: map[string]Status{"a": StatusFiring}},
			{in: map[string]float64{"a": 5}, status: map[string]Status{"a": StatusFiring}}, // violates again: clock restarts
			{in: map[string]float64{"a": 1}, status: map[string]Status{"a": StatusFiring}},
			{in: map[string]float64{"a": 1}, status: map[string]Status{"a": StatusFiring}},
			{in: map[string]float64{"a": 1}, alerts: []string{`resolved {user="a"} 1`}},
		}},
		{"no auto_resolve stays firing", func(r *Rule) { r.AutoResolve = false }, []step{
			{in: map[string]float64{"a": 5}, alerts: []string{`firing {user="a"} 5`}, status: map[string]Status{"a": StatusFiring}},
			{in: map[string]float64{}, status: map[string]Status{"a": StatusFiring}},
			{in: map[string]float64{}, status: map[string]Status{"a": StatusFiring}},
		}},
		{"absent series resolves with last value", nil, []step{
			{in: map[string]float64{"a": 5, "b": 9}, alerts: []string{`firing {user="a"} 5`, `firing {user="b"} 9`},
				status: map[string]Status{"a": StatusFiring, "b": StatusFiring}},
			{in: map[string]float64{"b": 9}, alerts: []string{`resolved {user="a"} 5`}, status: map[string]Status{"b": StatusFiring}},
		}},
		{"split_by gives separate alerts", nil, []step{
			{in: map[string]float64{"a": 5, "b": 1, "c": 10}, alerts: []string{`firing {user="a"} 5`, `firing {user="c"} 10`},
				status: map[string]Status{"a": StatusFiring, "c": StatusFiring}},
			{in: map[string]float64{"a": 5, "b": 6, "c": 10}, alerts: []string{`firing {user="b"} 6`},
				status: map[string]Status{"a": StatusFiring, "b": StatusFiring, "c": StatusFiring}},
		}},
		{"refires after resolving", nil, []step{
			{in: map[string]float64{"a": 5}, alerts: []string{`firing {user="a"} 5`}, status: map[string]Status{"a": StatusFiring}},
			{in: map[string]float64{"a": 0}, alerts: []string{`resolved {user="a"} 0`}},
			{in: map[string]float64{"a": 5}, alerts: []string{`firing {user="a"} 5`}, status: map[string]Status{"a": StatusFiring}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := evalRule(tc.mod)
			// alerts are sorted by fingerprint; sort the expectations the same way
			runSteps(t, r, sortExpected(tc.steps))
		})
	}
}

var userRE = regexp.MustCompile(`user="([^"]*)"`)

// sortExpected orders each step's expected alert lines by the fingerprint of their user label,
// which is the order Eval returns.
func sortExpected(steps []step) []step {
	fp := func(line string) Fingerprint {
		return Labels{"user": userRE.FindStringSubmatch(line)[1]}.Fingerprint()
	}
	for i := range steps {
		slices.SortFunc(steps[i].alerts, func(a, b string) int { return cmp.Compare(fp(a), fp(b)) })
	}
	return steps
}

func TestEvalAlertFields(t *testing.T) {
	t.Parallel()
	rs, err := Parse("r.yaml", []byte(`rules:
  - name: failed-logins
    severity: high
    language: kql
    query: T
    schedule: {every: 1m}
    window: 1h
    split_by: [user]
    condition: {op: ">=", threshold: 5}
    labels: {team: security, who: "{{ .Labels.user }}", user: "overridden"}
    annotations:
      summary: "{{ .Labels.user }} failed {{ .Value }} logins"
      missing: "[{{ .Labels.nope }}]"
    action_groups: [secops]
`))
	require.NoError(t, err)
	r := rs[0]
	res := QueryResult{Samples: []Sample{{Labels: Labels{"user": "x@y.z"}, Value: 7}}}
	next, alerts := Eval(r, res, State{}, t0)
	require.Len(t, alerts, 1)
	fp := Labels{"user": "x@y.z"}.Fingerprint()
	require.Equal(t, Alert{
		Rule:         "failed-logins",
		Severity:     SeverityHigh,
		State:        AlertFiring,
		Labels:       Labels{"user": "overridden", "team": "security", "who": "x@y.z"},
		Annotations:  map[string]string{"summary": "x@y.z failed 7 logins", "missing": "[]"},
		Value:        7,
		Summary:      "x@y.z failed 7 logins",
		Fingerprint:  fp,
		ActiveSince:  t0,
		At:           t0,
		ActionGroups: []string{"secops"},
		Key:          "failed-logins/" + fp.String() + "/firing/2026-03-01T12:00:00Z",
	}, alerts[0])
	require.Equal(t, SeriesState{
		Labels: Labels{"user": "x@y.z"}, History: []bool{true}, Status: StatusFiring,
		ActiveSince: t0, LastFired: t0, MutedUntil: t0, LastValue: 7,
	}, next.Series[fp])

	// Same evaluation again (a restart): same key, so the outbox can drop the duplicate.
	_, again := Eval(r, res, State{}, t0)
	require.Equal(t, alerts[0].Key, again[0].Key)

	// The state survives a JSON round trip (it is persisted between evaluations).
	b, err := json.Marshal(next)
	require.NoError(t, err)
	var back State
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, next.Series[fp].ActiveSince.Unix(), back.Series[fp].ActiveSince.Unix())
	require.Equal(t, next.Series[fp].History, back.Series[fp].History)

	_, alerts = Eval(r, QueryResult{}, next, t0.Add(time.Minute))
	require.Len(t, alerts, 1)
	require.Equal(t, AlertResolved, alerts[0].State)
	require.Equal(t, "x@y.z failed 7 logins", alerts[0].Summary)
	require.Equal(t, t0, alerts[0].ActiveSince)
}

func TestEvalDefaultSummaryAndHandBuiltRule(t *testing.T) {
	t.Parallel()
	// A hand-built rule has no parsed templates: Eval parses them, and a broken one renders an
	// error text instead of dropping the alert.
	r := evalRule(func(r *Rule) {
		r.SplitBy = nil
		r.Labels = map[string]string{"v": "{{ .Value }}", "bad": "{{ .Nope }}"}
	})
	_, alerts := Eval(r, QueryResult{Samples: []Sample{{Labels: Labels{}, Value: 12}}}, State{}, t0)
	require.Len(t, alerts, 1)
	require.Equal(t, "failed-logins: count = 12 >= 5", alerts[0].Summary)
	require.Equal(t, "12", alerts[0].Labels["v"])
	require.Contains(t, alerts[0].Labels["bad"], "<error expanding template:")

	r.SplitBy = []string{"user"}
	_, alerts = Eval(r, QueryResult{Samples: []Sample{{Labels: Labels{"user": "u"}, Value: 5}}}, State{}, t0)
	require.Equal(t, `failed-logins {user="u"}: count = 5 >= 5`, alerts[0].Summary)
}

func TestEvalDeterministic(t *testing.T) {
	t.Parallel()
	r := evalRule(nil)
	var res QueryResult
	for i := range 50 {
		res.Samples = append(res.Samples, Sample{Labels: Labels{"user": fmt.Sprint("u", i)}, Value: 9})
	}
	_, first := Eval(r, res, State{}, t0)
	require.Len(t, first, 50)
	for range 5 {
		_, again := Eval(r, res, State{}, t0)
		require.Equal(t, first, again)
	}
	for i := 1; i < len(first); i++ {
		require.Less(t, first[i-1].Fingerprint, first[i].Fingerprint)
	}
}

func TestSortAlerts(t *testing.T) {
	t.Parallel()
	as := []Alert{{Rule: "b", Fingerprint: 1}, {Rule: "a", Fingerprint: 2}, {Rule: "a", Fingerprint: 1}}
	SortAlerts(as)
	require.Equal(t, []Alert{{Rule: "a", Fingerprint: 1}, {Rule: "a", Fingerprint: 2}, {Rule: "b", Fingerprint: 1}}, as)
}

func TestWindow(t *testing.T) {
	t.Parallel()
	from, to := Window(evalRule(nil), t0)
	require.Equal(t, t0.Add(-70*time.Minute), from)
	require.Equal(t, t0, to)
}

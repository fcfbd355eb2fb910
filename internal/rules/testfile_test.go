package rules

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/config"
	"github.com/stretchr/testify/require"
)

func TestParseTestFile(t *testing.T) {
	tf, err := ParseTestFile("dir/x.test.yaml", []byte(`rule_files: [../rules.yaml]
tests:
  - name: fires
    fixture: {scenario: incidents, seed: 3, start: 2019-12-01, days: 10, workspaces: 2, events_per_day: 100}
    params: {business_hours_start: 8, tables: [a, b]}
    eval_at: [2019-12-10T03:00:00Z, 2019-12-10T04:00:00Z]
    rules: [failed-logins-per-user]
    expect_alerts:
      - {rule: failed-logins-per-user, at: 2019-12-10T03:00:00Z, labels: {email: x@y.com}, value: 7, summary_contains: "x@y.com"}
  - name: quiet
    fixture:
      files: [fixtures/a.jsonl]
    eval_at: 2019-12-10T03:00:00Z
    expect_none: true
  - name: inline
    fixture:
      events: |
        {"a": 1}
    eval_at: [2019-12-10]
    expect_none: true
`))
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join("rules.yaml")}, tf.RuleFiles)
	require.Len(t, tf.Tests, 3)
	tc := tf.Tests[0]
	require.Equal(t, 3, tc.Line)
	require.Equal(t, Fixture{Scenario: "incidents", Seed: 3, Start: time.Date(2019, 12, 1, 0, 0, 0, 0, time.UTC), Days: 10,
		Workspaces: 2, EventsPerDay: 100, Line: 4}, tc.Fixture)
	require.Equal(t, map[string]any{"business_hours_start": int64(8), "tables": []any{"a", "b"}}, tc.Params)
	require.Len(t, tc.EvalAt, 2)
	v := 7.0
	require.Equal(t, []ExpectedAlert{{Rule: "failed-logins-per-user", At: tc.EvalAt[0], Labels: map[string]string{"email": "x@y.com"},
		Value: &v, SummaryContains: "x@y.com", Line: 9}}, tc.ExpectAlerts)
	require.Equal(t, []string{filepath.Join("dir", "fixtures/a.jsonl")}, tf.Tests[1].Fixture.Files)
	require.Equal(t, "{\"a\": 1}\n", tf.Tests[2].Fixture.Events)
	require.NotEqual(t, tf.Tests[0].Fixture.Key(), tf.Tests[1].Fixture.Key())

	for _, tc := range []struct{ src, want string }{
		{"tests: []", "x.yaml:1: tests must be a non-empty list"},
		{"nope: 1\ntests: [{name: a, fixture: {scenario: s}, eval_at: 2019-12-10, expect_none: true}]", `x.yaml:1: unknown field "nope" in test file`},
		{"tests:\n  - name: a\n    fixture: {scenario: s, events: x}\n    eval_at: 2019-12-10\n    expect_none: true", "x.yaml:3: fixture must set exactly one of scenario, events or files"},
		{"tests:\n  - name: a\n    fixture: {events: x, seed: 1}\n    eval_at: 2019-12-10\n    expect_none: true", "x.yaml:3: seed, start, days, workspaces and events_per_day need a scenario"},
		{"tests:\n  - name: a\n    fixture: {scenario: s}\n    eval_at: [2019-12-10T02:00:00Z, 2019-12-10T01:00:00Z]\n    expect_none: true", "x.yaml:4: eval_at must be in increasing order"},
		{"tests:\n  - name: a\n    fixture: {scenario: s}\n    eval_at: yesterday\n    expect_none: true", `x.yaml:4: eval_at: "yesterday" is not an RFC 3339 time`},
		{"tests:\n  - name: a\n    fixture: {scenario: s}\n    eval_at: 2019-12-10", "x.yaml:2: test expects nothing: set expect_alerts or expect_none: true"},
		{"tests:\n  - name: a\n    fixture: {scenario: s}\n    eval_at: 2019-12-10\n    expect_alerts: []", "x.yaml:2: expect_alerts is empty"},
		{"tests:\n  - name: a\n    fixture: {scenario: s}\n    eval_at: 2019-12-10\n    expect_alerts: [{rule: r, at: 2019-12-11}]", "x.yaml:5: expected alert at 2019-12-11T00:00:00Z, which is not one of eval_at"},
		{"tests:\n  - name: a\n    fixture: {scenario: s}\n    eval_at: 2019-12-10\n    expect_alerts: [{rule: r}]", "x.yaml:5: expected alert needs rule and at"},
		{"tests:\n  - {name: a, fixture: {scenario: s}, eval_at: 2019-12-10, expect_none: true}\n  - {name: a, fixture: {scenario: s}, eval_at: 2019-12-10, expect_none: true}", `x.yaml:3: test name "a" repeated, first at line 2`},
		{"tests:\n  - {fixture: {scenario: s}, expect_none: true}", `x.yaml:2: test is missing field "name"`},
		{"tests: [", "x.yaml:1: yaml:"},
	} {
		_, err := ParseTestFile("x.yaml", []byte(tc.src))
		require.Error(t, err, tc.src)
		require.Contains(t, err.Error(), tc.want, tc.src)
		var le *LintError
		require.True(t, errors.As(err, &le))
	}
}

func FuzzParseTestFile(f *testing.F) {
	f.Add([]byte("tests:\n  - {name: a, fixture: {scenario: s}, eval_at: 2019-12-10, expect_none: true}"))
	f.Add([]byte("rule_files: [a]\ntests: [{name: x, fixture: {events: \"{}\"}, eval_at: [2019-12-10T00:00:00Z], expect_alerts: [{rule: r, at: 2019-12-10T00:00:00Z, labels: {a: b}, value: 1}]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tf, err := ParseTestFile("fuzz.yaml", data)
		if err == nil && tf == nil {
			t.Fatal("nil test file without error")
		}
	})
}

func TestAssemble(t *testing.T) {
	b1 := evalRule(func(r *Rule) {
		r.Name = "b1"
		r.Builtin = true
		r.Params = map[string]any{"threshold": int64(5), "hours": []any{int64(8)}}
	})
	b2 := evalRule(func(r *Rule) { r.Name = "b2"; r.Builtin = true; r.Params = map[string]any{"threshold": int64(3)} })
	f1 := evalRule(func(r *Rule) {
		r.Name = "b2"
		r.Pos = Pos{"mine.yaml", 3}
		r.Params = map[string]any{"threshold": int64(1)}
	})
	f2 := evalRule(func(r *Rule) { r.Name = "f2"; r.Pos = Pos{"mine.yaml", 20} })
	cfg := config.Rules{
		Disabled: []string{"f2"},
		Params:   map[string]any{"threshold": int64(10), "b1.threshold": int64(20), "hours": []any{int64(9), int64(17)}},
	}
	rs, err := Assemble([]Rule{b1, b2}, []Rule{f1, f2}, cfg)
	require.NoError(t, err)
	require.Len(t, rs, 3)
	require.Equal(t, "b1", rs[0].Name)
	require.Equal(t, int64(20), rs[0].Params["threshold"], "rule.param wins over param")
	require.Equal(t, []any{int64(9), int64(17)}, rs[0].Params["hours"])
	require.Equal(t, "mine.yaml", rs[1].Pos.File, "a file rule overrides the built-in of its name")
	require.Equal(t, int64(10), rs[1].Params["threshold"])
	require.False(t, rs[2].Enabled)
	require.Equal(t, int64(5), b1.Params["threshold"], "the inputs are not modified")

	cfg = config.Rules{
		Disabled: []string{"nope"},
		Params:   map[string]any{"x.threshold": int64(1), "missing": 1, "b1.threshold": "high"},
		Pos:      map[string]config.Pos{"disabled:nope": {File: "c.yaml", Line: 4}, "params:x.threshold": {File: "c.yaml", Line: 6}, "params:missing": {File: "c.yaml", Line: 7}, "params:b1.threshold": {File: "c.yaml", Line: 8}},
	}
	_, err = Assemble([]Rule{b1}, nil, cfg)
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`c.yaml:4: rules.disabled: no rule named "nope"`,
		`c.yaml:6: rules.params.x.threshold: no rule named "x"`,
		`c.yaml:7: rules.params.missing: no rule declares parameter "missing"`,
		`c.yaml:8: rules.params.b1.threshold: parameter threshold of rule "b1" is a number, not a string`,
	} {
		require.Contains(t, msg, want)
	}
	require.Len(t, strings.Split(msg, "\n"), 4)
}

func TestLoadParams(t *testing.T) {
	rs, err := Parse("p.yaml", []byte(`rules:
  - name: r
    severity: low
    language: kql
    query: T
    schedule: {every: 1m}
    window: 1h
    condition: {op: ">", threshold: 0}
    params: {n: 3, f: 1.5, s: x, b: true, l: [a, b]}
    annotations: {summary: "over {{ .Params.n }}"}
`))
	require.NoError(t, err)
	require.Equal(t, map[string]any{"n": int64(3), "f": 1.5, "s": "x", "b": true, "l": []any{"a", "b"}}, rs[0].Params)
	_, alerts := Eval(rs[0], QueryResult{Samples: []Sample{{Labels: Labels{}, Value: 1}}}, State{}, t0)
	require.Equal(t, "over 3", alerts[0].Summary)

	_, err = Parse("p.yaml", []byte(`rules:
  - name: r
    severity: low
    language: kql
    query: T
    schedule: {every: 1m}
    window: 1h
    condition: {op: ">", threshold: 0}
    params:
      window_start: 1
      1x: 2
      mixed: [a, 1]
      nested: [[a]]
      map: {a: 1}
`))
	require.Error(t, err)
	for _, want := range []string{
		`p.yaml:10: parameter name "window_start" is reserved`,
		`p.yaml:11: parameter name "1x" must match`,
		`p.yaml:12: params.mixed: list mixes string and number entries`,
		`p.yaml:13: params.nested: list entries must be scalars`,
		`p.yaml:14: params.map: must be a number, string, true/false or a list of them`,
	} {
		require.Contains(t, err.Error(), want)
	}
}

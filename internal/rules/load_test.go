package rules

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLoadFileGood(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file  string
		names []string
	}{
		{"full.good.yaml", []string{"failed-logins-per-user", "bytes-downloaded"}},
		{"minimal.good.yaml", []string{"admin-granted"}},
		{"anchors.good.yaml", []string{"global-init-script-changed", "mount-point-created"}},
		{"empty.good.yaml", nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			rs, err := LoadFile(filepath.Join("testdata", tc.file))
			require.NoError(t, err)
			var names []string
			for _, r := range rs {
				names = append(names, r.Name)
			}
			require.Equal(t, tc.names, names)
		})
	}
}

func TestLoadFileValues(t *testing.T) {
	t.Parallel()
	rs, err := LoadFile("testdata/full.good.yaml")
	require.NoError(t, err)
	require.Len(t, rs, 2)

	r := rs[0]
	require.Equal(t, Pos{File: "testdata/full.good.yaml", Line: 2}, r.Pos)
	require.Equal(t, SeverityHigh, r.Severity)
	require.Equal(t, LanguageKQL, r.Query.Language)
	require.Equal(t, "DatabricksAccounts\n| where ActionName == \"login\" and Response.statusCode == 401\n", r.Query.Text)
	require.Equal(t, 7, r.Query.Line, "the first line of the block scalar's text")
	require.Equal(t, time.Minute, r.Schedule.Every)
	require.Nil(t, r.Schedule.Cron)
	require.Equal(t, time.Hour, r.Window)
	require.Equal(t, 10*time.Minute, r.LateMargin)
	require.Equal(t, Measure{Aggregation: AggCount}, r.Measure)
	require.Equal(t, []string{"user", "workspace_id"}, r.SplitBy)
	require.Equal(t, Condition{Op: OpGE, Threshold: 5}, r.Condition)
	require.Equal(t, NOfM{N: 2, M: 3}, r.NOfM)
	require.True(t, r.AutoResolve)
	require.Equal(t, 10*time.Minute, r.ResolveAfter)
	require.Equal(t, time.Hour, r.MuteFor)
	require.Equal(t, map[string]string{"team": "security", "user": "{{ .Labels.user }}"}, r.Labels)
	require.Equal(t, []string{"secops", "oncall"}, r.ActionGroups)
	require.True(t, r.Enabled)

	r = rs[1]
	require.Equal(t, "*/5 * * * *", r.Schedule.Cron.String())
	require.Equal(t, Measure{Column: "bytes", Aggregation: AggSum}, r.Measure)
	require.Equal(t, Condition{Op: OpGT, Threshold: 1.5e9}, r.Condition)
	require.Equal(t, NOfM{N: 1, M: 1}, r.NOfM, "default 1 of 1")
	require.False(t, r.AutoResolve)
	require.False(t, r.Enabled)

	rs, err = LoadFile("testdata/anchors.good.yaml")
	require.NoError(t, err)
	require.Equal(t, "DatabricksDBFS | where ActionName == \"mount\"", rs[1].Query.Text, "explicit key wins over merge")
	require.Equal(t, SeverityHigh, rs[1].Severity, "merged from the anchor")
}

func TestLoadFileBad(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file string
		errs []string // each "line: message", in order; the file name is prefixed
	}{
		{"syntax.bad.yaml", []string{
			`3: yaml: mapping values are not allowed in this context`,
		}},
		{"toplevel.bad.yaml", []string{
			`1: unknown field "groups" in rule file`,
			`1: missing field "rules"`,
		}},
		{"notalist.bad.yaml", []string{
			`2: rules must be a list`,
		}},
		{"fields.bad.yaml", []string{
			`3: severity "urgent" must be one of info, low, medium, high, critical`,
			`4: language "python" must be kql or sql`,
			`5: query is empty`,
			`6: every "1x" is not a duration`,
			`7: window must be positive`,
			`8: late_margin must not be negative`,
			`9: aggregation "median" must be one of sum, avg, min, max, count_distinct`,
			`10: split_by lists "user" twice`,
			`11: op "=>" must be one of >, >=, <, <=, ==, !=`,
			`11: threshold must be a finite number, not "lots"`,
			`12: n_of_m must satisfy 1 <= n <= m <= 60, got n=4 m=3`,
			`13: auto_resolve must be true or false, not "maybe"`,
			`14: mute_for "forever" is not a duration`,
			`16: label name "bad-name" must match`,
			`17: labels.user: bad template: unclosed action`,
			`18: labels.other: bad template:`,
			`20: annotations.summary: bad template: function "nosuchfunc" not defined`,
			`21: unknown field "colour" in rule`,
		}},
		{"missing.bad.yaml", []string{
			`2: missing field "name"`,
			`2: missing field "severity"`,
			`2: missing field "language"`,
			`2: missing field "query"`,
			`2: missing field "schedule"`,
			`2: missing field "window"`,
			`2: missing field "condition"`,
			`7: schedule must set exactly one of every or cron`,
			`10: resolve_after is set but auto_resolve is false`,
		}},
		{"dupname.bad.yaml", []string{
			`16: field "severity" repeated in rule, first at line 10`,
			`9: duplicate rule name "same", first defined at testdata/dupname.bad.yaml:2`,
		}},
		{"schedule.bad.yaml", []string{
			`6: cron expression "*/5 * * *" has 4 fields, want 5`,
			`13: cron expression "0 0 30 2 *" never fires`,
			`20: every 100ms must be between 1s and 24h0m0s`,
			`28: window plus late_margin (40m0s) is shorter than the schedule interval (1h0m0s)`,
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", tc.file)
			rs, err := LoadFile(path)
			require.Error(t, err)
			require.Nil(t, rs)
			got := unjoin(err)
			require.Len(t, got, len(tc.errs), "errors:\n%v", err)
			for i, want := range tc.errs {
				var le *LintError
				require.ErrorAs(t, got[i], &le)
				require.Contains(t, got[i].Error(), path+":"+want)
			}
		})
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestLoadDirDuplicateAcrossFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	minimal, err := os.ReadFile("testdata/minimal.good.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yaml"), minimal, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.yml"), minimal, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a rule file"), 0o600))

	_, err = Load(dir)
	require.EqualError(t, err, filepath.Join(dir, "b.yml")+`:2: duplicate rule name "admin-granted", first defined at `+filepath.Join(dir, "a.yaml")+":2")
	require.Equal(t, err.Error(), Lint(dir).Error())

	require.NoError(t, os.Remove(filepath.Join(dir, "b.yml")))
	rs, err := Load(dir)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	require.NoError(t, Lint(dir))
	require.NoError(t, Lint(filepath.Join(dir, "a.yaml")))

	_, err = Load(filepath.Join(dir, "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestLoadCheckQuery(t *testing.T) {
	t.Parallel()
	var calls []string
	opts := LoadOptions{CheckQuery: func(lang, text string, _ map[string]any) error {
		calls = append(calls, lang+":"+strings.TrimSpace(text))
		if strings.Contains(text, "DatabricksAccounts") {
			return errors.New("1:1: unknown table")
		}
		return nil
	}}
	_, err := opts.LoadFile("testdata/full.good.yaml")
	require.EqualError(t, err, "testdata/full.good.yaml:7: query: 1:1: unknown table")
	var le *LintError
	require.ErrorAs(t, err, &le)
	require.Equal(t, "failed-logins-per-user", le.Rule)
	require.Len(t, calls, 2)
	require.Equal(t, "sql:SELECT user_name, bytes FROM gold.downloads", calls[1])

	_, err = LoadOptions{CheckQuery: func(string, string, map[string]any) error { panic("boom") }}.LoadFile("testdata/minimal.good.yaml")
	require.EqualError(t, err, "testdata/minimal.good.yaml:5: query: checker panic: boom")
}

func TestParseEdgeCases(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, yaml, err string
	}{
		{"null rules", "rules:\n", ""},
		{"empty list", "rules: []\n", ""},
		{"scalar file", "hello\n", "f.yaml:1: rule file must be a mapping with a rules list"},
		{"two documents", "rules: []\n---\nrules: []\n", "f.yaml:2: more than one YAML document in a rule file"},
		{"rule not a mapping", "rules:\n  - just text\n", "f.yaml:2: each rule must be a mapping"},
		{"tab indent", "rules:\n\t- name: x\n", "f.yaml:2: yaml: found character that cannot start any token"},
		{"bad measure scalar", minimalWith("    measure: rows\n"), `f.yaml:9: measure "rows" must be count or a mapping with column and aggregation`},
		{"measure missing aggregation", minimalWith("    measure: {column: bytes}\n"), "f.yaml:9: measure needs both column and aggregation"},
		{"condition missing threshold", strings.Replace(minimalWith(""), `{op: ">", threshold: 0}`, `{op: ">"}`, 1), "f.yaml:8: condition needs both op and threshold"},
		{"labels not a map", minimalWith("    labels: [a]\n"), "f.yaml:9: labels must be a mapping of names to templates"},
		{"unknown schedule key", strings.Replace(minimalWith(""), "{every: 5m}", "{every: 5m, at: noon}", 1), `f.yaml:6: unknown field "at" in schedule`},
		{"n_of_m over max", minimalWith("    n_of_m: {n: 1, m: 61}\n"), "f.yaml:9: n_of_m must satisfy 1 <= n <= m <= 60"},
		{"enabled as string", minimalWith("    enabled: \"yes\"\n"), `f.yaml:9: enabled must be true or false, not "yes"`},
		{"alias of anchor", "rules:\n  - &a\n    name: a\n    severity: low\n    language: sql\n    query: SELECT 1\n    schedule: {every: 1m}\n    window: 1m\n    condition: {op: '>', threshold: 0}\n  - *a\n", `f.yaml:10: duplicate rule name "a", first defined at f.yaml:2`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("f.yaml", []byte(tc.yaml))
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.err)
		})
	}
}

// minimalWith returns a valid one-rule file with extra appended to the rule (at line 9).
func minimalWith(extra string) string {
	return `rules:
  - name: r
    severity: low
    language: sql
    query: SELECT 1
    schedule: {every: 5m}
    window: 5m
    condition: {op: ">", threshold: 0}
` + extra
}

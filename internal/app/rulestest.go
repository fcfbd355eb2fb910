package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/generate"
	"github.com/auditlake/auditlake/internal/rules"
	"github.com/auditlake/auditlake/internal/store"
)

// ErrRulesTestFailed is returned by RulesTest when a test case fails.
var ErrRulesTestFailed = errors.New("rules test: some tests failed")

// RulesTestOptions configure RulesTest.
type RulesTestOptions struct {
	Files   []string // test files (*.test.yaml)
	Builtin bool     // also run the built-in pack's tests
	Verbose bool     // print every test case, not only failures
	// WorkDir holds generated fixtures during the run. Default: a temporary directory,
	// removed at the end.
	WorkDir string
}

// RulesTestSummary counts what RulesTest ran.
type RulesTestSummary struct {
	Files, Tests, Failed int
	Fixtures             int // distinct fixtures generated and ingested
}

// RulesTest runs rule unit tests (rules.TestFile): for each test case it builds the fixture's
// database (generated scenarios and event files are ingested once per distinct fixture per
// run and shared), evaluates the rules under test at each eval_at in order with the state
// carried over in memory, and compares the alerts firing at each instant with the expected
// ones. Failures are written to w with the test case's file:line and the expected and actual
// alerts; the result is ErrRulesTestFailed when any case failed.
//
// Matching: every expected alert must be firing at its instant (rule equal, labels a subset,
// value equal when given, summary containing summary_contains); at an instant where a rule
// has expectations, each of its firing alerts must match one. expect_none requires that
// nothing fires at any eval_at.
func RulesTest(ctx context.Context, env Env, o RulesTestOptions, w io.Writer) (RulesTestSummary, error) {
	var sum RulesTestSummary
	work := o.WorkDir
	if work == "" {
		dir, err := os.MkdirTemp("", "auditlake-rules-test-")
		if err != nil {
			return sum, err
		}
		defer os.RemoveAll(dir)
		work = dir
	}
	checker, err := store.Open(ctx, store.Options{Sandbox: true})
	if err != nil {
		return sum, err
	}
	defer checker.Close()
	lo := rules.LoadOptions{CheckQuery: queryChecker(ctx, checker.SQL(), false)}
	fx := &fixtures{env: env, dir: work, dbs: map[string]*fixtureDB{}}
	defer fx.close()

	type job struct {
		file string
		data []byte
		err  error
	}
	var jobs []job
	if o.Builtin {
		names, err := fs.Glob(rules.BuiltinTests(), "*.test.yaml")
		if err != nil {
			return sum, err
		}
		slices.Sort(names)
		for _, n := range names {
			data, err := fs.ReadFile(rules.BuiltinTests(), n)
			jobs = append(jobs, job{rules.BuiltinTestPath(n), data, err})
		}
	}
	for _, f := range o.Files {
		data, err := os.ReadFile(f)
		jobs = append(jobs, job{f, data, err})
	}
	var builtin []rules.Rule
	var failed []error
	for _, j := range jobs {
		sum.Files++
		if j.err != nil {
			failed = append(failed, j.err)
			fmt.Fprintf(w, "FAIL %s: %v\n", j.file, j.err)
			continue
		}
		tf, err := rules.ParseTestFile(j.file, j.data)
		if err != nil {
			failed = append(failed, err)
			fmt.Fprintf(w, "FAIL %s\n%s\n", j.file, indent(err.Error()))
			continue
		}
		var rs []rules.Rule
		if len(tf.RuleFiles) == 0 {
			if builtin == nil {
				if builtin, err = lo.Builtin(); err != nil {
					return sum, err
				}
			}
			rs = builtin
		} else {
			for _, rf := range tf.RuleFiles {
				r, err := lo.LoadFile(rf)
				if err != nil {
					failed = append(failed, err)
					fmt.Fprintf(w, "FAIL %s: rule_files\n%s\n", j.file, indent(err.Error()))
					rs = nil
					break
				}
				rs = append(rs, r...)
			}
			if rs == nil {
				continue
			}
		}
		start := time.Now()
		fileFailed := 0
		for _, tc := range tf.Tests {
			sum.Tests++
			msg, err := runTestCase(ctx, fx, rs, tc)
			if err == nil && msg == "" {
				if o.Verbose {
					fmt.Fprintf(w, "  ok   %s:%d: %s\n", tf.File, tc.Line, tc.Name)
				}
				continue
			}
			sum.Failed++
			fileFailed++
			if err != nil {
				msg = err.Error()
			}
			fmt.Fprintf(w, "FAIL %s:%d: %s\n%s\n", tf.File, tc.Line, tc.Name, indent(msg))
		}
		status := "ok  "
		if fileFailed > 0 {
			status = "FAIL"
			failed = append(failed, fmt.Errorf("%s: %d failed", tf.File, fileFailed))
		}
		fmt.Fprintf(w, "%s %s  %d tests, %d failed (%.1fs)\n", status, tf.File, len(tf.Tests), fileFailed, time.Since(start).Seconds())
	}
	sum.Fixtures = len(fx.dbs)
	fmt.Fprintf(w, "%d test files, %d tests, %d failed, %d fixtures\n", sum.Files, sum.Tests, sum.Failed, sum.Fixtures)
	if len(failed) > 0 {
		return sum, ErrRulesTestFailed
	}
	return sum, nil
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// runTestCase evaluates one case; it returns a failure description, or an error when the case
// could not run.
func runTestCase(ctx context.Context, fx *fixtures, all []rules.Rule, tc rules.TestCase) (string, error) {
	rs, err := testRules(all, tc)
	if err != nil {
		return "", err
	}
	db, err := fx.get(ctx, tc.Fixture)
	if err != nil {
		return "", fmt.Errorf("fixture: %w", err)
	}
	m, err := rules.New(rules.Options{Rules: rs, Query: ruleQuery(db.SQL())})
	if err != nil {
		return "", err
	}
	got := map[time.Time][]rules.Alert{}
	for _, t := range tc.EvalAt {
		rep, err := m.EvalAt(ctx, t)
		if err != nil {
			return "", err
		}
		if err := rep.Err(); err != nil {
			return "", fmt.Errorf("evaluating at %s: %w", t.Format(time.RFC3339), err)
		}
		got[t] = rep.Firing()
	}
	return compareAlerts(tc, got), nil
}

// testRules picks the rules a case evaluates and applies its parameter overrides.
func testRules(all []rules.Rule, tc rules.TestCase) ([]rules.Rule, error) {
	var rs []rules.Rule
	if len(tc.Rules) == 0 {
		for _, r := range all {
			if r.Enabled {
				rs = append(rs, r)
			}
		}
	} else {
		var err error
		if rs, err = selectRules(all, tc.Rules); err != nil {
			return nil, err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(tc.Params)) {
		found := false
		for i := range rs {
			if _, ok := rs[i].Params[name]; !ok {
				continue
			}
			found = true
			if err := rs[i].SetParam(name, tc.Params[name]); err != nil {
				return nil, fmt.Errorf("params: %w", err)
			}
		}
		if !found {
			return nil, fmt.Errorf("params: no rule under test declares parameter %q", name)
		}
	}
	return rs, nil
}

func compareAlerts(tc rules.TestCase, got map[time.Time][]rules.Alert) string {
	var b strings.Builder
	if tc.ExpectNone {
		for _, t := range tc.EvalAt {
			for _, a := range got[t] {
				fmt.Fprintf(&b, "expected no alerts, got at %s:\n  + %s\n", t.Format(time.RFC3339), describeAlert(a))
			}
		}
		return b.String()
	}
	used := map[*rules.Alert]bool{}
	checked := map[string]bool{} // rule@instant pairs with expectations
	var missing []rules.ExpectedAlert
	for _, ea := range tc.ExpectAlerts {
		checked[ea.Rule+"@"+ea.At.String()] = true
		found := false
		for i := range got[ea.At] {
			a := &got[ea.At][i]
			if !used[a] && matches(ea, *a) {
				used[a], found = true, true
				break
			}
		}
		if !found {
			missing = append(missing, ea)
		}
	}
	var unexpected []rules.Alert
	for _, t := range tc.EvalAt {
		for i := range got[t] {
			a := &got[t][i]
			if !used[a] && checked[a.Rule+"@"+t.String()] {
				unexpected = append(unexpected, *a)
			}
		}
	}
	if len(missing) == 0 && len(unexpected) == 0 {
		return ""
	}
	for _, ea := range missing {
		fmt.Fprintf(&b, "  - line %d: expected %s\n", ea.Line, describeExpected(ea))
	}
	for _, a := range unexpected {
		fmt.Fprintf(&b, "  + unexpected %s\n", describeAlert(a))
	}
	b.WriteString("firing:\n")
	for _, t := range tc.EvalAt {
		if len(got[t]) == 0 {
			fmt.Fprintf(&b, "  at %s: nothing\n", t.Format(time.RFC3339))
			continue
		}
		fmt.Fprintf(&b, "  at %s:\n", t.Format(time.RFC3339))
		for _, a := range got[t] {
			fmt.Fprintf(&b, "    %s\n", describeAlert(a))
		}
	}
	return b.String()
}

func matches(ea rules.ExpectedAlert, a rules.Alert) bool {
	if ea.Rule != a.Rule {
		return false
	}
	for k, v := range ea.Labels {
		if a.Labels[k] != v {
			return false
		}
	}
	if ea.Value != nil && *ea.Value != a.Value {
		return false
	}
	return ea.SummaryContains == "" || strings.Contains(a.Summary, ea.SummaryContains)
}

func describeExpected(ea rules.ExpectedAlert) string {
	s := fmt.Sprintf("%s at %s labels %s", ea.Rule, ea.At.Format(time.RFC3339), rules.Labels(ea.Labels))
	if ea.Value != nil {
		s += " value " + formatFloat(*ea.Value)
	}
	if ea.SummaryContains != "" {
		s += fmt.Sprintf(" summary containing %q", ea.SummaryContains)
	}
	return s
}

func describeAlert(a rules.Alert) string {
	return fmt.Sprintf("%s at %s labels %s value %s summary %q", a.Rule, a.At.UTC().Format(time.RFC3339), a.Labels, formatFloat(a.Value), oneLine(a.Summary))
}

// fixtures builds and caches the databases of test fixtures for one run.
type fixtures struct {
	env Env
	dir string
	dbs map[string]*fixtureDB
}

type fixtureDB struct {
	db  *store.DB
	err error
}

func (f *fixtures) get(ctx context.Context, fx rules.Fixture) (*store.DB, error) {
	key := fx.Key()
	if d, ok := f.dbs[key]; ok {
		return d.db, d.err
	}
	d := &fixtureDB{}
	d.db, d.err = f.build(ctx, fx, filepath.Join(f.dir, fmt.Sprintf("fixture-%d", len(f.dbs)+1)))
	f.dbs[key] = d
	return d.db, d.err
}

func (f *fixtures) build(ctx context.Context, fx rules.Fixture, dir string) (*store.DB, error) {
	src, data := filepath.Join(dir, "source"), filepath.Join(dir, "data")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return nil, err
	}
	switch {
	case fx.Scenario != "":
		if _, err := generate.Run(ctx, generate.Options{Out: src, Scenario: fx.Scenario, Seed: fx.Seed, Start: fx.Start,
			Days: fx.Days, Workspaces: fx.Workspaces, EventsPerDay: fx.EventsPerDay}); err != nil {
			return nil, fmt.Errorf("generating %s: %w", fx.Scenario, err)
		}
	case len(fx.Files) > 0:
		for i, p := range fx.Files {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(src, fmt.Sprintf("%03d-%s", i, filepath.Base(p))), b, 0o644); err != nil {
				return nil, err
			}
		}
	default:
		if err := os.WriteFile(filepath.Join(src, "events.json"), []byte(fx.Events), 0o644); err != nil {
			return nil, err
		}
	}
	env := Env{Data: data, Logger: f.env.Logger}
	sum, err := Ingest(ctx, env, IngestOptions{Source: src})
	if err != nil {
		return nil, fmt.Errorf("ingesting: %w", err)
	}
	if sum.Failed > 0 {
		return nil, fmt.Errorf("ingesting: %w", errors.Join(sum.Errors...))
	}
	if sum.Quarantined > 0 && fx.Scenario == "" {
		return nil, fmt.Errorf("%d fixture lines could not be decoded (see bronze.quarantine)", sum.Quarantined)
	}
	return env.sandbox(ctx)
}

func (f *fixtures) close() {
	for _, d := range f.dbs {
		if d.db != nil {
			_ = d.db.Close()
		}
	}
}

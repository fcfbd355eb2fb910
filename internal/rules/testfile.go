package rules

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/config"
	"go.yaml.in/yaml/v3"
)

// TestFile is a rule unit test file (promtool's "test rules" idea, run against real storage):
//
//	rule_files: [../my_rules.yaml]        # relative to the test file; omitted: the built-in pack
//	tests:
//	  - name: fires on the planted burst
//	    fixture:
//	      scenario: incidents              # generated (seed, start, days, workspaces, events_per_day)
//	      # or events: |                   # inline JSON lines, any wire format
//	      # or files: [fixtures/x.jsonl]   # relative to the test file
//	    params: {business_hours_start: 8}  # optional parameter overrides
//	    eval_at: [2019-12-10T03:00:00Z]    # evaluated in order, state carried over
//	    rules: [failed-logins-per-user]    # optional: only these rules
//	    expect_alerts:                     # alerts firing at each instant
//	      - {rule: failed-logins-per-user, at: 2019-12-10T03:00:00Z, labels: {email: x@y.com},
//	         value: 7, summary_contains: "x@y.com"}
//	    expect_none: false                 # true: nothing fires at any eval_at
//
// See ParseTestFile.
type TestFile struct {
	File      string
	RuleFiles []string // resolved against the test file's directory; empty: the built-in pack
	Tests     []TestCase
}

// TestCase is one test of a TestFile.
type TestCase struct {
	Name         string
	Line         int
	Fixture      Fixture
	Params       map[string]any // overrides, applied to every rule under test that declares them
	EvalAt       []time.Time
	Rules        []string // empty: every rule of the file's rules
	ExpectAlerts []ExpectedAlert
	ExpectNone   bool
}

// Fixture says which events a test evaluates against: a generated scenario, inline JSON
// lines, or files. Exactly one of Scenario, Events and Files is set.
type Fixture struct {
	Scenario     string
	Seed         int64
	Start        time.Time // zero: the scenario's default
	Days         int
	Workspaces   int
	EventsPerDay int
	Events       string   // inline JSON lines
	Files        []string // resolved against the test file's directory
	Line         int
}

// Key identifies the fixture's data: tests with equal keys share one generated database.
func (f Fixture) Key() string {
	switch {
	case f.Scenario != "":
		return fmt.Sprintf("scenario=%s seed=%d start=%s days=%d workspaces=%d events_per_day=%d",
			f.Scenario, f.Seed, f.Start.Format(time.DateOnly), f.Days, f.Workspaces, f.EventsPerDay)
	case len(f.Files) > 0:
		return "files=" + strings.Join(f.Files, ",")
	}
	return "events=" + f.Events
}

// ExpectedAlert is an alert a test expects to be firing at an instant. Labels match as a subset
// of the alert's labels; Value, when set, must equal the alert's value; SummaryContains, when
// set, must be a substring of its summary.
type ExpectedAlert struct {
	Rule            string
	At              time.Time
	Labels          map[string]string
	Value           *float64
	SummaryContains string
	Line            int
}

// ParseTestFile reads a rule unit test file; file names it in errors and anchors relative
// paths. Every problem is reported as a *LintError ("file:line: msg"), joined.
func ParseTestFile(file string, data []byte) (*TestFile, error) {
	p := newParser(file, LoadOptions{})
	tf := p.parseTestFile(data)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	dir := filepath.Dir(file)
	for i, rf := range tf.RuleFiles {
		if !filepath.IsAbs(rf) {
			tf.RuleFiles[i] = filepath.Join(dir, rf)
		}
	}
	for i := range tf.Tests {
		for j, f := range tf.Tests[i].Fixture.Files {
			if !filepath.IsAbs(f) {
				tf.Tests[i].Fixture.Files[j] = filepath.Join(dir, f)
			}
		}
	}
	return tf, nil
}

func (p *parser) parseTestFile(data []byte) (tf *TestFile) {
	tf = &TestFile{File: p.file}
	defer func() {
		if r := recover(); r != nil {
			p.Errorf(1, "yaml parser panic: %v", r)
		}
	}()
	root, ok := p.Decode(data, MaxFileBytes, "a test file")
	if !ok {
		return tf
	}
	if root == nil {
		p.Errorf(1, "test file is empty")
		return tf
	}
	if root.Kind != yaml.MappingNode {
		p.Errorf(root.Line, "test file must be a mapping with tests (and rule_files)")
		return tf
	}
	var tests *yaml.Node
	for _, kv := range p.Pairs(root, "test file") {
		switch kv.Key.Value {
		case "rule_files":
			tf.RuleFiles = p.strList(kv)
		case "tests":
			tests = kv.Val
		default:
			p.Errorf(kv.Key.Line, "unknown field %q in test file (want rule_files or tests)", kv.Key.Value)
		}
	}
	if tests == nil || tests.Kind != yaml.SequenceNode || len(tests.Content) == 0 {
		line := root.Line
		if tests != nil {
			line = tests.Line
		}
		p.Errorf(line, "tests must be a non-empty list")
		return tf
	}
	names := map[string]int{}
	for _, n := range tests.Content {
		tc := p.testCase(config.Resolve(n))
		if first, dup := names[tc.Name]; dup && tc.Name != "" {
			p.Errorf(tc.Line, "test name %q repeated, first at line %d", tc.Name, first)
		}
		names[tc.Name] = tc.Line
		tf.Tests = append(tf.Tests, tc)
	}
	return tf
}

func (p *parser) testCase(n *yaml.Node) TestCase {
	tc := TestCase{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		p.Errorf(n.Line, "each test must be a mapping")
		return tc
	}
	have := map[string]bool{}
	for _, kv := range p.Pairs(n, "test") {
		have[kv.Key.Value] = true
		switch kv.Key.Value {
		case "name":
			tc.Name = p.str(kv)
		case "fixture":
			tc.Fixture = p.fixture(kv)
		case "params":
			tc.Params = p.params(kv)
		case "eval_at":
			tc.EvalAt = p.times(kv)
		case "rules":
			tc.Rules = p.strList(kv)
		case "expect_alerts":
			tc.ExpectAlerts = p.expectations(kv)
		case "expect_none":
			tc.ExpectNone = p.boolean(kv)
		default:
			p.Errorf(kv.Key.Line, "unknown field %q in test", kv.Key.Value)
		}
	}
	for _, req := range []string{"name", "fixture", "eval_at"} {
		if !have[req] {
			p.Errorf(n.Line, "test is missing field %q", req)
		}
	}
	if tc.ExpectNone && len(tc.ExpectAlerts) > 0 {
		p.Errorf(n.Line, "test sets both expect_none and expect_alerts")
	}
	if have["expect_alerts"] && len(tc.ExpectAlerts) == 0 {
		p.Errorf(n.Line, "expect_alerts is empty: write expect_none: true to expect no alerts")
	}
	if !tc.ExpectNone && !have["expect_alerts"] {
		p.Errorf(n.Line, "test expects nothing: set expect_alerts or expect_none: true")
	}
	for _, ea := range tc.ExpectAlerts {
		found := false
		for _, t := range tc.EvalAt {
			found = found || t.Equal(ea.At)
		}
		if !found && !ea.At.IsZero() {
			p.Errorf(ea.Line, "expected alert at %s, which is not one of eval_at", ea.At.Format(time.RFC3339))
		}
	}
	return tc
}

func (p *parser) fixture(kv config.Pair) Fixture {
	f := Fixture{Line: kv.Val.Line}
	ps := p.Mapping(kv, "a mapping with scenario, events or files")
	kinds := 0
	for _, e := range ps {
		switch e.Key.Value {
		case "scenario":
			f.Scenario = p.str(e)
			kinds++
		case "seed":
			n, _ := p.Number(e)
			f.Seed = int64(n)
		case "start":
			if ts := p.times(e); len(ts) == 1 {
				f.Start = ts[0]
			}
		case "days":
			f.Days, _ = p.count(e)
		case "workspaces":
			f.Workspaces, _ = p.count(e)
		case "events_per_day":
			f.EventsPerDay, _ = p.count(e)
		case "events":
			f.Events = p.str(e)
			kinds++
		case "files":
			f.Files = p.strList(e)
			kinds++
		default:
			p.Errorf(e.Key.Line, "unknown field %q in fixture", e.Key.Value)
		}
	}
	if kinds != 1 && ps != nil {
		p.Errorf(kv.Val.Line, "fixture must set exactly one of scenario, events or files")
	}
	if f.Scenario == "" && (f.Seed != 0 || !f.Start.IsZero() || f.Days != 0 || f.Workspaces != 0 || f.EventsPerDay != 0) {
		p.Errorf(kv.Val.Line, "seed, start, days, workspaces and events_per_day need a scenario")
	}
	return f
}

// count reads a non-negative whole number.
func (p *parser) count(kv config.Pair) (int, bool) {
	f, ok := p.Number(kv)
	if !ok {
		return 0, false
	}
	if f < 0 || f != float64(int(f)) {
		p.Errorf(kv.Val.Line, "%s must be a non-negative whole number", kv.Key.Value)
		return 0, false
	}
	return int(f), true
}

// times reads one RFC 3339 time or date, or a list of them.
func (p *parser) times(kv config.Pair) []time.Time {
	nodes := []*yaml.Node{kv.Val}
	if kv.Val.Kind == yaml.SequenceNode {
		nodes = kv.Val.Content
	}
	var out []time.Time
	for _, n := range nodes {
		n = config.Resolve(n)
		t, err := parseTime(n)
		if err != nil {
			p.Errorf(n.Line, "%s: %v", kv.Key.Value, err)
			continue
		}
		if len(out) > 0 && !t.After(out[len(out)-1]) {
			p.Errorf(n.Line, "%s must be in increasing order", kv.Key.Value)
		}
		out = append(out, t)
	}
	if len(out) == 0 && kv.Val.Kind == yaml.SequenceNode {
		p.Errorf(kv.Val.Line, "%s is empty", kv.Key.Value)
	}
	return out
}

func parseTime(n *yaml.Node) (time.Time, error) {
	if n.Kind != yaml.ScalarNode {
		return time.Time{}, errors.New("want an RFC 3339 time such as 2019-12-28T23:00:00Z")
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, n.Value); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time such as 2019-12-28T23:00:00Z", n.Value)
}

func (p *parser) expectations(kv config.Pair) []ExpectedAlert {
	var out []ExpectedAlert
	for _, n := range p.Mappings(kv, "a list", "each expected alert") {
		ea := ExpectedAlert{Line: n.Line}
		for _, e := range p.Pairs(n, "expected alert") {
			switch e.Key.Value {
			case "rule":
				ea.Rule = p.str(e)
			case "at":
				if ts := p.times(e); len(ts) == 1 {
					ea.At = ts[0]
				}
			case "labels":
				ea.Labels = map[string]string{}
				for _, l := range p.Mapping(e, "a mapping of label names to values") {
					ea.Labels[l.Key.Value] = p.str(l)
				}
			case "value":
				if v, ok := p.Number(e); ok {
					ea.Value = &v
				}
			case "summary_contains":
				ea.SummaryContains = p.str(e)
			default:
				p.Errorf(e.Key.Line, "unknown field %q in expected alert", e.Key.Value)
			}
		}
		if ea.Rule == "" || ea.At.IsZero() {
			p.Errorf(n.Line, "expected alert needs rule and at")
		}
		out = append(out, ea)
	}
	return out
}

package rules

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/auditlake/auditlake/internal/config"
	"go.yaml.in/yaml/v3"
)

// MaxFileBytes is the largest rule file the loader reads.
const MaxFileBytes = 4 << 20

// LoadOptions configure the loader. The zero value is ready to use.
type LoadOptions struct {
	// CheckQuery, when set, is called once per rule with its language (LanguageKQL or
	// LanguageSQL), query text and the parameters the query will see (QueryParams at the zero
	// time: the rule's params plus window_start and window_end); a non-nil error is reported at
	// the query's line. The query engine supplies it (app wires it) so that rules does not
	// parse queries itself. Default: nil, which only checks that the text is not empty.
	CheckQuery func(lang, text string, params map[string]any) error
}

// Load reads every *.yaml and *.yml file directly in dir, in name order, with the zero
// LoadOptions. See LoadOptions.Load.
func Load(dir string) ([]Rule, error) { return LoadOptions{}.Load(dir) }

// LoadFile reads one rule file with the zero LoadOptions. See LoadOptions.LoadFile.
func LoadFile(path string) ([]Rule, error) { return LoadOptions{}.LoadFile(path) }

// Parse reads rule file content with the zero LoadOptions. See LoadOptions.Parse.
func Parse(file string, data []byte) ([]Rule, error) { return LoadOptions{}.Parse(file, data) }

// Lint checks a rule directory or a single rule file with the zero LoadOptions. See
// LoadOptions.Lint.
func Lint(path string) error { return LoadOptions{}.Lint(path) }

// Load reads every *.yaml and *.yml file directly in dir (not in subdirectories), in name order,
// and returns their rules in that order. Rule names must be unique across the files. Any problem
// in any file makes it return no rules and every problem, each a *LintError, joined with
// errors.Join.
func (o LoadOptions) Load(dir string) ([]Rule, error) { return o.LoadDirs([]string{dir}) }

// LoadFile reads one rule file. Any problem makes it return no rules and every problem, each a
// *LintError, joined with errors.Join; an unreadable file is a plain error.
func (o LoadOptions) LoadFile(path string) ([]Rule, error) {
	return o.loadFiles([]string{path})
}

// Parse reads rule file content; file names it in positions and errors. It is how embedded
// rule files (the built-in pack) are loaded. Any problem makes it return no rules and every
// problem, each a *LintError, joined with errors.Join. It never panics.
func (o LoadOptions) Parse(file string, data []byte) ([]Rule, error) {
	p := newParser(file, o)
	rs := p.parseFile(data)
	p.checkDuplicates(rs, map[string]Pos{})
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return rs, nil
}

// Lint checks a rule directory (as Load does) or a single rule file (as LoadFile does) and
// returns every problem, or nil when the rules load.
func (o LoadOptions) Lint(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("reading rules: %w", err)
	}
	if fi.IsDir() {
		_, err = o.Load(path)
	} else {
		_, err = o.LoadFile(path)
	}
	return err
}

func (o LoadOptions) loadFiles(files []string) ([]Rule, error) {
	return o.loadWith(files, readCapped)
}

// LoadDirs reads the rule files of several directories as Load does, in directory order; rule
// names must be unique across all of them.
func (o LoadOptions) LoadDirs(dirs []string) ([]Rule, error) {
	var files []string
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("reading rule directory: %w", err)
		}
		var fs []string
		for _, e := range entries {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
				fs = append(fs, filepath.Join(dir, e.Name()))
			}
		}
		slices.Sort(fs)
		files = append(files, fs...)
	}
	return o.loadFiles(files)
}

func (o LoadOptions) loadWith(files []string, read func(string) ([]byte, error)) ([]Rule, error) {
	var (
		all  []Rule
		errs []error
		seen = map[string]Pos{}
	)
	for _, f := range files {
		data, err := read(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p := newParser(f, o)
		rs := p.parseFile(data)
		p.checkDuplicates(rs, seen)
		errs = append(errs, p.errs...)
		all = append(all, rs...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return all, nil
}

func readCapped(path string) ([]byte, error) {
	data, err := config.ReadCapped(path, MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("reading rule file: %w", err)
	}
	return data, nil
}

// parser collects every problem of one file.
type parser struct {
	config.NodeReader
	file string
	opts LoadOptions
	errs []error
	rule string // name of the rule being parsed, for LintError.Rule
}

func newParser(file string, opts LoadOptions) *parser {
	p := &parser{file: file, opts: opts}
	p.Report = func(line int, msg string) {
		p.errs = append(p.errs, &LintError{File: p.file, Line: line, Rule: p.rule, Msg: msg})
	}
	return p
}

func (p *parser) checkDuplicates(rs []Rule, seen map[string]Pos) {
	for _, r := range rs {
		if r.Name == "" {
			continue
		}
		if first, dup := seen[r.Name]; dup {
			p.errs = append(p.errs, &LintError{File: r.Pos.File, Line: r.Pos.Line, Rule: r.Name,
				Msg: fmt.Sprintf("duplicate rule name %q, first defined at %s", r.Name, first)})
			continue
		}
		seen[r.Name] = r.Pos
	}
}

func (p *parser) parseFile(data []byte) (rs []Rule) {
	defer func() {
		if r := recover(); r != nil {
			rs = nil
			p.Errorf(1, "yaml parser panic: %v", r)
		}
	}()
	root, ok := p.Decode(data, MaxFileBytes, "a rule file")
	if !ok || root == nil {
		return nil // an empty file holds no rules
	}
	if root.Kind != yaml.MappingNode {
		p.Errorf(root.Line, "rule file must be a mapping with a rules list")
		return nil
	}
	var list *yaml.Node
	for _, kv := range p.Pairs(root, "rule file") {
		switch kv.Key.Value {
		case "rules":
			list = kv.Val
		default:
			p.Errorf(kv.Key.Line, "unknown field %q in rule file", kv.Key.Value)
		}
	}
	if list == nil || config.IsNull(list) {
		if list == nil {
			p.Errorf(root.Line, "missing field \"rules\"")
		}
		return nil
	}
	if list.Kind != yaml.SequenceNode {
		p.Errorf(list.Line, "rules must be a list")
		return nil
	}
	// Rules with problems are kept too, so duplicate names are still reported; the caller
	// returns no rules when there is any problem.
	for _, n := range list.Content {
		if r, ok := p.parseRule(config.Resolve(n)); ok || r.Name != "" {
			r.Pos.Line = n.Line // an alias (- *base) is a rule of its own at its own line
			rs = append(rs, r)
		}
	}
	return rs
}

var labelNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (p *parser) parseRule(n *yaml.Node) (Rule, bool) {
	p.rule = ""
	defer func() { p.rule = "" }()
	before := len(p.errs)
	r := Rule{
		NOfM:        NOfM{N: 1, M: 1},
		AutoResolve: true,
		Enabled:     true,
		Measure:     Measure{Aggregation: AggCount},
		Pos:         Pos{File: p.file, Line: n.Line},
	}
	if n.Kind != yaml.MappingNode {
		p.Errorf(n.Line, "each rule must be a mapping")
		return r, false
	}
	ps := p.Pairs(n, "rule")
	// Name first, so later errors carry it.
	for _, kv := range ps {
		if kv.Key.Value == "name" {
			r.Name = strings.TrimSpace(p.str(kv))
			p.rule = r.Name
		}
	}
	have := map[string]*yaml.Node{}
	var langNode *yaml.Node
	for _, kv := range ps {
		k := kv.Key.Value
		have[k] = kv.Key
		switch k {
		case "name":
		case "description":
			r.Description = p.str(kv)
		case "severity":
			r.Severity = Severity(p.str(kv))
			if !r.Severity.valid() {
				p.Errorf(kv.Val.Line, "severity %q must be one of info, low, medium, high, critical", r.Severity)
			}
		case "language":
			langNode = kv.Val
			r.Query.Language = p.str(kv)
			if r.Query.Language != LanguageKQL && r.Query.Language != LanguageSQL {
				p.Errorf(kv.Val.Line, "language %q must be kql or sql", r.Query.Language)
			}
		case "query":
			r.Query.Text = p.str(kv)
			r.Query.Line = kv.Val.Line
			if kv.Val.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
				r.Query.Line++ // a block scalar's text starts on the line after "|"
			}
			if strings.TrimSpace(r.Query.Text) == "" {
				p.Errorf(kv.Val.Line, "query is empty")
			}
		case "schedule":
			r.Schedule = p.schedule(kv)
		case "window":
			var ok bool
			if r.Window, ok = p.Duration(kv); ok && r.Window == 0 {
				p.Errorf(kv.Val.Line, "window must be positive")
			}
		case "late_margin":
			r.LateMargin = p.duration(kv)
		case "measure":
			r.Measure = p.measure(kv)
		case "split_by":
			r.SplitBy = p.strList(kv)
		case "condition":
			r.Condition = p.condition(kv)
		case "n_of_m":
			r.NOfM = p.nOfM(kv)
		case "auto_resolve":
			r.AutoResolve = p.boolean(kv)
		case "resolve_after":
			r.ResolveAfter = p.duration(kv)
		case "mute_for":
			r.MuteFor = p.duration(kv)
		case "labels":
			r.Labels, r.labelTmpls = p.templates(kv, true)
		case "annotations":
			r.Annotations, r.annTmpls = p.templates(kv, false)
		case "action_groups":
			r.ActionGroups = p.strList(kv)
		case "enabled":
			r.Enabled = p.boolean(kv)
		case "params":
			r.Params = p.params(kv)
		default:
			p.Errorf(kv.Key.Line, "unknown field %q in rule", k)
		}
	}
	for _, req := range []string{"name", "severity", "language", "query", "schedule", "window", "condition"} {
		if have[req] == nil {
			p.Errorf(n.Line, "missing field %q", req)
		}
	}
	if have["name"] != nil && r.Name == "" {
		p.Errorf(have["name"].Line, "name is empty")
	}
	if have["resolve_after"] != nil && !r.AutoResolve {
		p.Errorf(have["resolve_after"].Line, "resolve_after is set but auto_resolve is false")
	}
	if r.Schedule.Every > 0 && r.Window > 0 && r.Window+r.LateMargin < r.Schedule.Every {
		p.Errorf(have["window"].Line, "window plus late_margin (%s) is shorter than the schedule interval (%s), so events between evaluations would never be seen", r.Window+r.LateMargin, r.Schedule.Every)
	}
	if p.opts.CheckQuery != nil && langNode != nil && strings.TrimSpace(r.Query.Text) != "" &&
		(r.Query.Language == LanguageKQL || r.Query.Language == LanguageSQL) {
		if err := checkQuery(p.opts.CheckQuery, r.Query.Language, r.Query.Text, QueryParams(r, time.Time{})); err != nil {
			line := r.Query.Line
			var qe *QueryError
			if errors.As(err, &qe) && qe.Line > 1 {
				line += qe.Line - 1
			}
			p.Errorf(line, "query: %v", err)
		}
	}
	return r, len(p.errs) == before
}

// checkQuery calls the query checker and turns a panic into an error, so one bad rule cannot
// stop the loader.
func checkQuery(check func(lang, text string, params map[string]any) error, lang, text string, params map[string]any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("checker panic: %v", r)
		}
	}()
	return check(lang, text, params)
}

func (p *parser) str(kv config.Pair) string {
	s, _ := p.Scalar(kv, "a string")
	return s
}

func (p *parser) duration(kv config.Pair) time.Duration {
	d, _ := p.Duration(kv)
	return d
}

func (p *parser) boolean(kv config.Pair) bool {
	b, _ := p.Bool(kv)
	return b
}

func (p *parser) integer(kv config.Pair) (int, bool) {
	f, ok := p.Number(kv)
	if !ok {
		return 0, false
	}
	if f != math.Trunc(f) || f < 0 || f > MaxM*10 {
		p.Errorf(kv.Val.Line, "%s must be a small whole number", kv.Key.Value)
		return 0, false
	}
	return int(f), true
}

func (p *parser) strList(kv config.Pair) []string { return config.Values(p.StrList(kv)) }

func (p *parser) schedule(kv config.Pair) Schedule {
	var s Schedule
	ps := p.Mapping(kv, "a mapping with every or cron")
	if ps == nil {
		return s
	}
	for _, e := range ps {
		switch e.Key.Value {
		case "every":
			var ok bool
			if s.Every, ok = p.Duration(e); ok && (s.Every < MinEvery || s.Every > MaxEvery) {
				p.Errorf(e.Val.Line, "every %s must be between %s and %s", s.Every, MinEvery, MaxEvery)
			}
		case "cron":
			text := p.str(e)
			c, err := ParseCron(text)
			if err != nil {
				p.Errorf(e.Val.Line, "%v", err)
				continue
			}
			s.Cron = c
		default:
			p.Errorf(e.Key.Line, "unknown field %q in schedule", e.Key.Value)
		}
	}
	var hasEvery, hasCron bool
	for _, e := range ps {
		hasEvery = hasEvery || e.Key.Value == "every"
		hasCron = hasCron || e.Key.Value == "cron"
	}
	if hasEvery == hasCron {
		p.Errorf(kv.Val.Line, "schedule must set exactly one of every or cron")
	}
	return s
}

func (p *parser) measure(kv config.Pair) Measure {
	m := Measure{Aggregation: AggCount}
	if kv.Val.Kind == yaml.ScalarNode {
		if kv.Val.Value != string(AggCount) {
			p.Errorf(kv.Val.Line, "measure %q must be count or a mapping with column and aggregation", kv.Val.Value)
		}
		return m
	}
	ps := p.Mapping(kv, "count or a mapping with column and aggregation")
	if ps == nil {
		return m
	}
	m.Aggregation = ""
	for _, e := range ps {
		switch e.Key.Value {
		case "column":
			m.Column = strings.TrimSpace(p.str(e))
			if m.Column == "" {
				p.Errorf(e.Val.Line, "measure column is empty")
			}
		case "aggregation":
			m.Aggregation = Aggregation(p.str(e))
			switch m.Aggregation {
			case AggSum, AggAvg, AggMin, AggMax, AggCountDistinct:
			default:
				p.Errorf(e.Val.Line, "aggregation %q must be one of sum, avg, min, max, count_distinct", m.Aggregation)
			}
		default:
			p.Errorf(e.Key.Line, "unknown field %q in measure", e.Key.Value)
		}
	}
	if m.Column == "" || m.Aggregation == "" {
		p.Errorf(kv.Val.Line, "measure needs both column and aggregation (or write measure: count)")
	}
	return m
}

func (p *parser) condition(kv config.Pair) Condition {
	var c Condition
	ps := p.Mapping(kv, "a mapping with op and threshold")
	if ps == nil {
		return c
	}
	var hasOp, hasThreshold bool
	for _, e := range ps {
		switch e.Key.Value {
		case "op":
			hasOp = true
			c.Op = Op(p.str(e))
			if !c.Op.valid() {
				p.Errorf(e.Val.Line, "op %q must be one of >, >=, <, <=, ==, !=", c.Op)
			}
		case "threshold":
			hasThreshold = true
			c.Threshold, _ = p.Number(e)
		default:
			p.Errorf(e.Key.Line, "unknown field %q in condition", e.Key.Value)
		}
	}
	if !hasOp || !hasThreshold {
		p.Errorf(kv.Val.Line, "condition needs both op and threshold")
	}
	return c
}

func (p *parser) nOfM(kv config.Pair) NOfM {
	v := NOfM{N: 1, M: 1}
	ps := p.Mapping(kv, "a mapping with n and m")
	if ps == nil {
		return v
	}
	var hasN, hasM bool
	for _, e := range ps {
		switch e.Key.Value {
		case "n":
			hasN = true
			v.N, _ = p.integer(e)
		case "m":
			hasM = true
			v.M, _ = p.integer(e)
		default:
			p.Errorf(e.Key.Line, "unknown field %q in n_of_m", e.Key.Value)
		}
	}
	switch {
	case !hasN || !hasM:
		p.Errorf(kv.Val.Line, "n_of_m needs both n and m")
	case v.N < 1 || v.N > v.M || v.M > MaxM:
		p.Errorf(kv.Val.Line, "n_of_m must satisfy 1 <= n <= m <= %d, got n=%d m=%d", MaxM, v.N, v.M)
	}
	return v
}

// templates parses a labels or annotations map; each value is a text/template, parsed and run
// once on empty data so that unknown fields are reported here and not at alert time.
func (p *parser) templates(kv config.Pair, labels bool) (map[string]string, map[string]*template.Template) {
	if config.IsNull(kv.Val) {
		return nil, nil
	}
	ps := p.Mapping(kv, "a mapping of names to templates")
	if ps == nil {
		return nil, nil
	}
	texts := make(map[string]string, len(ps))
	tmpls := make(map[string]*template.Template, len(ps))
	for _, e := range ps {
		name := e.Key.Value
		if labels && !labelNameRE.MatchString(name) {
			p.Errorf(e.Key.Line, "label name %q must match %s", name, labelNameRE)
		}
		text, ok := p.Scalar(e, "a string")
		if !ok {
			continue
		}
		t, err := parseTemplate(kv.Key.Value+"."+name, text)
		if err != nil {
			p.Errorf(e.Val.Line, "%s.%s: %v", kv.Key.Value, name, err)
			continue
		}
		texts[name], tmpls[name] = text, t
	}
	return texts, tmpls
}

// params reads a rule's parameter defaults: a mapping of identifiers to scalars or lists of
// scalars of one kind.
func (p *parser) params(kv config.Pair) map[string]any {
	if config.IsNull(kv.Val) {
		return nil
	}
	ps := p.Mapping(kv, "a mapping of parameter names to default values")
	if ps == nil {
		return nil
	}
	out := make(map[string]any, len(ps))
	for _, e := range ps {
		name := e.Key.Value
		switch {
		case !labelNameRE.MatchString(name):
			p.Errorf(e.Key.Line, "parameter name %q must match %s", name, labelNameRE)
			continue
		case name == ParamWindowStart || name == ParamWindowEnd:
			p.Errorf(e.Key.Line, "parameter name %q is reserved: the evaluator sets it", name)
			continue
		}
		v, err := paramValue(e.Val)
		if err != nil {
			p.Errorf(e.Val.Line, "params.%s: %v", name, err)
			continue
		}
		out[name] = v
	}
	return out
}

// paramValue reads a YAML parameter value: a scalar or a list of scalars of one kind.
func paramValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return config.ScalarValue(n)
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			e = config.Resolve(e)
			if e.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("list entries must be scalars (line %d)", e.Line)
			}
			v, err := config.ScalarValue(e)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		if err := checkListKind(list); err != nil {
			return nil, err
		}
		return list, nil
	}
	return nil, errors.New("must be a number, string, true/false or a list of them")
}

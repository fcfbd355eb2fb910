package config

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// MaxFileBytes is the largest configuration file Load reads.
const MaxFileBytes = 4 << 20

// Config is the whole configuration file. The zero value is the default configuration: the
// built-in rules, no rule directories, no action groups.
type Config struct {
	// File is the path the configuration was read from, empty for the default configuration.
	File  string
	Rules Rules
	// ActionGroups are the action_groups entries as YAML nodes (with their lines), decoded by
	// app with the notifier, because config must not import it.
	ActionGroups []yaml.Node
	// Sources are the buckets auditlake serve keeps ingesting.
	Sources []Source
	// Export is the continuous Delta Lake export of auditlake serve; zero To: none.
	Export Export
}

// Export is the export section: where auditlake serve keeps the Delta lake up to date.
//
//	export:
//	  to: s3://audit-lake/auditlake?region=eu-west-1   # or a folder, file://, gs://, azblob://
//	  interval: 5m                        # how often; 10s to 24h, default 5m
//	  tables: [silver, gold]              # default both
//	  retention: 90d                      # keep this much in DuckDB (d = 24h); older rows the lake
//	                                      # holds leave DuckDB; default 0: keep everything
//	  vacuum: 7d                          # hourly, delete lake files no version of the last 7 days
//	                                      # needs (at least 1h); default 0: never
type Export struct {
	To        string
	Interval  time.Duration
	Tables    []string
	Retention time.Duration
	Vacuum    time.Duration
	Pos       Pos
}

// DefaultExportInterval is the export interval when the file gives none.
const DefaultExportInterval = 5 * time.Minute

// Source is one entry of the sources section: a bucket serve watches.
//
//	sources:
//	  - name: prod-delivery                  # unique; shown in the ingestion status
//	    url: s3://audit-logs/delivery?region=eu-west-1   # or a folder, file://, gs://, azblob://
//	    interval: 30s                        # poll interval, 1s to 24h; default 30s
//	    lookback: 72h                        # bucket polls list date partitions this far back, 24h to 8760h; default 72h
//	    full_scan_every: 1h                  # how often a poll lists every partition, 0s (each poll) to 168h; default 1h
//
// Between full scans a bucket poll lists only the date partitions from lookback before the
// newest one ingested, so a poll stays fast in a bucket holding years of logs; a file written
// into an older partition is found by the next full scan, at most full_scan_every later.
type Source struct {
	Name          string
	URL           string
	Interval      time.Duration
	Lookback      time.Duration
	FullScanEvery time.Duration // 0: every poll lists everything
	Pos           Pos
}

// Defaults of a source's fields the file does not give.
const (
	DefaultSourceInterval      = 30 * time.Second
	DefaultSourceLookback      = 72 * time.Hour
	DefaultSourceFullScanEvery = time.Hour
)

// Rules is the rules section.
type Rules struct {
	// Dirs are rule file directories, made absolute relative to the configuration file.
	Dirs []string
	// Disabled names rules (built-in or from files) that must not be evaluated.
	Disabled []string
	// Params override rule parameters: "name" for every rule declaring the parameter,
	// "rule.name" for one rule (which wins). Values are int64, float64, string, bool or []any
	// of those.
	Params map[string]any
	// Pos says where each entry of Disabled and Params was written, for errors found later
	// (an unknown rule or parameter); keys are "disabled:<name>" and "params:<key>".
	Pos map[string]Pos
}

// Pos is a place in the configuration file.
type Pos struct {
	File string
	Line int
}

// String renders the position as "file:line".
func (p Pos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// Error is one problem in the configuration file, at a line.
type Error struct {
	File string
	Line int
	Msg  string
}

// Error renders the problem as "file:line: msg".
func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Errorf builds an *Error at a position, for problems that app finds when it applies the
// configuration (an unknown rule name in rules.disabled).
func Errorf(p Pos, format string, args ...any) *Error {
	return &Error{File: p.File, Line: max(p.Line, 1), Msg: fmt.Sprintf(format, args...)}
}

// Load reads and validates a configuration file. Any problem makes it return nil and every
// problem, each an *Error, joined with errors.Join; an unreadable file is a plain error.
func Load(path string) (*Config, error) {
	data, err := ReadCapped(path, MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(path, data)
}

// Parse reads configuration content; file names it in errors and anchors relative paths (its
// directory). It never panics.
func Parse(file string, data []byte) (c *Config, err error) {
	p := newParser(file)
	c = &Config{File: file}
	func() {
		defer func() {
			if r := recover(); r != nil {
				p.Errorf(1, "yaml parser panic: %v", r)
			}
		}()
		p.parse(data, c)
	}()
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return c, nil
}

type parser struct {
	NodeReader
	file string
	errs []error
}

func newParser(file string) *parser {
	p := &parser{file: file}
	p.Report = func(line int, msg string) { p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: msg}) }
	return p
}

func (p *parser) parse(data []byte, c *Config) {
	root, ok := p.Decode(data, MaxFileBytes, "the config file")
	if !ok || root == nil {
		return
	}
	if root.Kind != yaml.MappingNode {
		p.Errorf(root.Line, "config file must be a mapping of sections (rules, action_groups, ...)")
		return
	}
	p.parseRoot(root, c)
}

func (p *parser) parseRoot(root *yaml.Node, c *Config) {
	for _, kv := range p.Pairs(root, "config file") {
		switch kv.Key.Value {
		case "rules":
			p.parseRules(kv, c)
		case "action_groups":
			p.parseActionGroups(kv, c)
		case "sources":
			p.parseSources(kv, c)
		case "export":
			p.parseExport(kv, c)
		default:
			p.Errorf(kv.Key.Line, "unknown section %q in config file", kv.Key.Value)
		}
	}
}

var (
	ruleNameRE  = regexp.MustCompile(`^\S+$`)
	paramNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (p *parser) parseRules(kv Pair, c *Config) {
	if IsNull(kv.Val) {
		return
	}
	ps := p.Mapping(kv, "a mapping with dirs, disabled and params")
	r := &c.Rules
	r.Pos = map[string]Pos{}
	for _, e := range ps {
		switch e.Key.Value {
		case "dirs":
			for _, d := range p.StrList(e) {
				if !filepath.IsAbs(d.Value) && p.file != "" {
					d.Value = filepath.Join(filepath.Dir(p.file), d.Value)
				}
				r.Dirs = append(r.Dirs, filepath.Clean(d.Value))
			}
		case "disabled":
			for _, d := range p.StrList(e) {
				if !ruleNameRE.MatchString(d.Value) {
					p.Errorf(d.Line, "disabled rule name %q must not contain spaces", d.Value)
					continue
				}
				r.Disabled = append(r.Disabled, d.Value)
				r.Pos["disabled:"+d.Value] = Pos{p.file, d.Line}
			}
		case "params":
			r.Params = p.params(e, r.Pos)
		default:
			p.Errorf(e.Key.Line, "unknown field %q in rules (want dirs, disabled or params)", e.Key.Value)
		}
	}
}

func (p *parser) params(kv Pair, pos map[string]Pos) map[string]any {
	if IsNull(kv.Val) {
		return nil
	}
	out := map[string]any{}
	for _, e := range p.Mapping(kv, "a mapping of parameter names to values") {
		name := e.Key.Value
		param := name
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			if i == 0 || !ruleNameRE.MatchString(name[:i]) {
				p.Errorf(e.Key.Line, "parameter %q: rule name before the dot must be non-empty and without spaces", name)
				continue
			}
			param = name[i+1:]
		}
		if !paramNameRE.MatchString(param) {
			p.Errorf(e.Key.Line, "parameter name %q must match %s (or rule.name)", param, paramNameRE)
			continue
		}
		v, ok := p.paramValue(e.Val, name)
		if !ok {
			continue
		}
		out[name] = v
		pos["params:"+name] = Pos{p.file, e.Key.Line}
	}
	return out
}

// paramValue reads a parameter value: a scalar (number, string, bool) or a list of scalars.
func (p *parser) paramValue(n *yaml.Node, name string) (any, bool) {
	n = Resolve(n)
	switch n.Kind {
	case yaml.ScalarNode:
		return p.scalarValue(n, name)
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		ok := true
		for _, e := range n.Content {
			e = Resolve(e)
			if e.Kind != yaml.ScalarNode {
				p.Errorf(e.Line, "parameter %s: list entries must be scalars", name)
				ok = false
				continue
			}
			v, good := p.scalarValue(e, name)
			ok = ok && good
			list = append(list, v)
		}
		return list, ok
	}
	p.Errorf(n.Line, "parameter %s must be a number, string, true/false or a list of them", name)
	return nil, false
}

// ScalarValue converts a YAML scalar to int64, float64, bool or string by its resolved tag.
// The rule loader reads rule params the same way.
func ScalarValue(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, errors.New("must not be null")
	case "!!int":
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if err != nil {
			return nil, fmt.Errorf("integer %q out of range", n.Value)
		}
		return i, nil
	case "!!float":
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%q is not a finite number", n.Value)
		}
		return f, nil
	case "!!bool":
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", n.Value)
		}
		return b, nil
	case "!!str", "!!timestamp":
		return n.Value, nil
	}
	return nil, fmt.Errorf("unsupported YAML type %s", n.ShortTag())
}

func (p *parser) scalarValue(n *yaml.Node, name string) (any, bool) {
	v, err := ScalarValue(n)
	if err != nil {
		p.Errorf(n.Line, "parameter %s: %v", name, err)
		return nil, false
	}
	return v, true
}

func (p *parser) parseActionGroups(kv Pair, c *Config) {
	for _, n := range p.Mappings(kv, "a list", "each action group") {
		c.ActionGroups = append(c.ActionGroups, *n)
	}
}

var sourceNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func (p *parser) parseSources(kv Pair, c *Config) {
	names, urls := map[string]int{}, map[string]int{}
	for _, n := range p.Mappings(kv, "a list of {name, url, interval}", "each source (name, url, interval)") {
		src := Source{Interval: DefaultSourceInterval, Lookback: DefaultSourceLookback,
			FullScanEvery: DefaultSourceFullScanEvery, Pos: Pos{p.file, n.Line}}
		ok := true
		for _, e := range p.Pairs(n, "a source") {
			switch e.Key.Value {
			case "name":
				v, good := p.String(e)
				if good && !sourceNameRE.MatchString(v) {
					p.Errorf(e.Val.Line, "source name %q: use up to 64 letters, digits, ., _ and -", v)
					good = false
				}
				src.Name, ok = v, ok && good
			case "url":
				v, good := p.String(e)
				if good && strings.TrimSpace(v) == "" {
					p.Errorf(e.Val.Line, "source url is empty")
					good = false
				}
				src.URL, ok = v, ok && good
			case "interval":
				d, good := p.duration(e, "source interval", "30s or 5m", time.Second, "1s", 24*time.Hour, "24h")
				src.Interval, ok = d, ok && good
			case "lookback":
				d, good := p.duration(e, "source lookback", "72h", 24*time.Hour, "24h", 8760*time.Hour, "8760h")
				src.Lookback, ok = d, ok && good
			case "full_scan_every":
				d, good := p.duration(e, "source full_scan_every", "1h or 0s", 0, "0s", 168*time.Hour, "168h")
				src.FullScanEvery, ok = d, ok && good
			default:
				p.Errorf(e.Key.Line, "unknown field %q in a source (want name, url, interval, lookback or full_scan_every)", e.Key.Value)
				ok = false
			}
		}
		if src.Name == "" && ok {
			p.Errorf(n.Line, "source needs a name")
			ok = false
		}
		if src.URL == "" && ok {
			p.Errorf(n.Line, "source %s needs a url", src.Name)
			ok = false
		}
		if !ok {
			continue
		}
		if first, dup := names[src.Name]; dup {
			p.Errorf(n.Line, "source name %q repeated, first at line %d", src.Name, first)
			continue
		}
		if first, dup := urls[src.URL]; dup {
			p.Errorf(n.Line, "source url %q repeated, first at line %d", src.URL, first)
			continue
		}
		names[src.Name], urls[src.URL] = n.Line, n.Line
		c.Sources = append(c.Sources, src)
	}
}

// duration reads a duration from lo to hi (lo and hi as written in messages); what names
// the field in messages, example is a valid value.
func (p *parser) duration(kv Pair, what, example string, lo time.Duration, los string, hi time.Duration, his string) (time.Duration, bool) {
	v, ok := p.String(kv)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		p.Errorf(kv.Val.Line, "%s %q: want a duration such as %s", what, v, example)
		return 0, false
	case d < lo || d > hi:
		p.Errorf(kv.Val.Line, "%s %s: must be from %s to %s", what, v, los, his)
		return 0, false
	}
	return d, true
}

// parseDays reads a duration that may also be written in days ("90d").
func parseDays(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, fmt.Errorf("bad day count %q", v)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}

func (p *parser) parseExport(kv Pair, c *Config) {
	if IsNull(kv.Val) {
		return
	}
	if kv.Val.Kind != yaml.MappingNode {
		p.Errorf(kv.Val.Line, "export must be a mapping with to, interval, tables and retention")
		return
	}
	e := Export{Interval: DefaultExportInterval, Pos: Pos{p.file, kv.Key.Line}}
	for _, f := range p.Pairs(kv.Val, "export") {
		switch f.Key.Value {
		case "to":
			if v, ok := p.String(f); ok {
				if strings.TrimSpace(v) == "" {
					p.Errorf(f.Val.Line, "export to is empty")
				}
				e.To = v
			}
		case "interval":
			if v, ok := p.String(f); ok {
				d, err := time.ParseDuration(v)
				switch {
				case err != nil:
					p.Errorf(f.Val.Line, "export interval %q: want a duration such as 5m", v)
				case d < 10*time.Second || d > 24*time.Hour:
					p.Errorf(f.Val.Line, "export interval %s: must be from 10s to 24h", v)
				default:
					e.Interval = d
				}
			}
		case "tables":
			for _, t := range p.StrList(f) {
				if t.Value != "silver" && t.Value != "gold" && !strings.HasPrefix(t.Value, "gold.") && t.Value != "silver.audit" {
					p.Errorf(t.Line, "export table %q: want silver, gold or gold.<service>", t.Value)
					continue
				}
				e.Tables = append(e.Tables, t.Value)
			}
		case "retention":
			if v, ok := p.String(f); ok {
				d, err := parseDays(v)
				switch {
				case err != nil:
					p.Errorf(f.Val.Line, "export retention %q: want a duration such as 90d or 2160h", v)
				case d > 0 && d < 24*time.Hour:
					p.Errorf(f.Val.Line, "export retention %s: keep at least a day in DuckDB", v)
				default:
					e.Retention = d
				}
			}
		case "vacuum":
			if v, ok := p.String(f); ok {
				d, err := parseDays(v)
				switch {
				case err != nil:
					p.Errorf(f.Val.Line, "export vacuum %q: want a duration such as 7d or 168h", v)
				case d > 0 && d < time.Hour:
					p.Errorf(f.Val.Line, "export vacuum %s: keep removed files at least 1h (a commit in progress needs its files)", v)
				default:
					e.Vacuum = d
				}
			}
		default:
			p.Errorf(f.Key.Line, "unknown field %q in export (want to, interval, tables, retention or vacuum)", f.Key.Value)
		}
	}
	if e.To == "" {
		p.Errorf(kv.Key.Line, "export needs a destination (to)")
		return
	}
	c.Export = e
}

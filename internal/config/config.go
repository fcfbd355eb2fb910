package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
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
type Export struct {
	To        string
	Interval  time.Duration
	Tables    []string
	Retention time.Duration
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
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading config %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse reads configuration content; file names it in errors and anchors relative paths (its
// directory). It never panics.
func Parse(file string, data []byte) (c *Config, err error) {
	p := &parser{file: file}
	c = &Config{File: file}
	func() {
		defer func() {
			if r := recover(); r != nil {
				p.errorf(1, "yaml parser panic: %v", r)
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
	file string
	errs []error
}

func (p *parser) errorf(line int, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: max(line, 1), Msg: fmt.Sprintf(format, args...)})
}

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

func (p *parser) yamlError(err error) {
	msg, line := err.Error(), 1
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			line, _ = strconv.Atoi(m[1])
		}
		msg = m[2]
	}
	p.errorf(line, "yaml: %s", msg)
}

func (p *parser) parse(data []byte, c *Config) {
	if len(data) > MaxFileBytes {
		p.errorf(1, "file is larger than %d bytes", MaxFileBytes)
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err != io.EOF {
			p.yamlError(err)
		}
		return
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		if err != nil {
			p.yamlError(err)
		} else {
			p.errorf(extra.Line, "more than one YAML document in the config file")
		}
		return
	}
	if len(doc.Content) == 0 {
		return
	}
	root := resolve(doc.Content[0])
	if isNull(root) {
		return
	}
	if root.Kind != yaml.MappingNode {
		p.errorf(root.Line, "config file must be a mapping of sections (rules, action_groups, ...)")
		return
	}
	p.parseRoot(root, c)
}

func (p *parser) parseRoot(root *yaml.Node, c *Config) {
	for _, kv := range p.pairs(root, "config file") {
		switch kv.key.Value {
		case "rules":
			p.parseRules(kv, c)
		case "action_groups":
			p.parseActionGroups(kv, c)
		case "sources":
			p.parseSources(kv, c)
		case "export":
			p.parseExport(kv, c)
		default:
			p.errorf(kv.key.Line, "unknown section %q in config file", kv.key.Value)
		}
	}
}

var (
	ruleNameRE  = regexp.MustCompile(`^\S+$`)
	paramNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (p *parser) parseRules(kv pair, c *Config) {
	if isNull(kv.val) {
		return
	}
	ps := p.mapping(kv, "a mapping with dirs, disabled and params")
	r := &c.Rules
	r.Pos = map[string]Pos{}
	for _, e := range ps {
		switch e.key.Value {
		case "dirs":
			for _, d := range p.strList(e) {
				if !filepath.IsAbs(d.val) && p.file != "" {
					d.val = filepath.Join(filepath.Dir(p.file), d.val)
				}
				r.Dirs = append(r.Dirs, filepath.Clean(d.val))
			}
		case "disabled":
			for _, d := range p.strList(e) {
				if !ruleNameRE.MatchString(d.val) {
					p.errorf(d.line, "disabled rule name %q must not contain spaces", d.val)
					continue
				}
				r.Disabled = append(r.Disabled, d.val)
				r.Pos["disabled:"+d.val] = Pos{p.file, d.line}
			}
		case "params":
			r.Params = p.params(e, r.Pos)
		default:
			p.errorf(e.key.Line, "unknown field %q in rules (want dirs, disabled or params)", e.key.Value)
		}
	}
}

func (p *parser) params(kv pair, pos map[string]Pos) map[string]any {
	if isNull(kv.val) {
		return nil
	}
	out := map[string]any{}
	for _, e := range p.mapping(kv, "a mapping of parameter names to values") {
		name := e.key.Value
		param := name
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			if i == 0 || !ruleNameRE.MatchString(name[:i]) {
				p.errorf(e.key.Line, "parameter %q: rule name before the dot must be non-empty and without spaces", name)
				continue
			}
			param = name[i+1:]
		}
		if !paramNameRE.MatchString(param) {
			p.errorf(e.key.Line, "parameter name %q must match %s (or rule.name)", param, paramNameRE)
			continue
		}
		v, ok := p.paramValue(e.val, name)
		if !ok {
			continue
		}
		out[name] = v
		pos["params:"+name] = Pos{p.file, e.key.Line}
	}
	return out
}

// paramValue reads a parameter value: a scalar (number, string, bool) or a list of scalars.
func (p *parser) paramValue(n *yaml.Node, name string) (any, bool) {
	n = resolve(n)
	switch n.Kind {
	case yaml.ScalarNode:
		return p.scalarValue(n, name)
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		ok := true
		for _, e := range n.Content {
			e = resolve(e)
			if e.Kind != yaml.ScalarNode {
				p.errorf(e.Line, "parameter %s: list entries must be scalars", name)
				ok = false
				continue
			}
			v, good := p.scalarValue(e, name)
			ok = ok && good
			list = append(list, v)
		}
		return list, ok
	}
	p.errorf(n.Line, "parameter %s must be a number, string, true/false or a list of them", name)
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
		p.errorf(n.Line, "parameter %s: %v", name, err)
		return nil, false
	}
	return v, true
}

func (p *parser) parseActionGroups(kv pair, c *Config) {
	if isNull(kv.val) {
		return
	}
	if kv.val.Kind != yaml.SequenceNode {
		p.errorf(kv.val.Line, "action_groups must be a list")
		return
	}
	for _, n := range kv.val.Content {
		n = resolve(n)
		if n.Kind != yaml.MappingNode {
			p.errorf(n.Line, "each action group must be a mapping")
			continue
		}
		c.ActionGroups = append(c.ActionGroups, *n)
	}
}

var sourceNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func (p *parser) parseSources(kv pair, c *Config) {
	if isNull(kv.val) {
		return
	}
	if kv.val.Kind != yaml.SequenceNode {
		p.errorf(kv.val.Line, "sources must be a list of {name, url, interval}")
		return
	}
	names, urls := map[string]int{}, map[string]int{}
	for _, n := range kv.val.Content {
		n = resolve(n)
		if n.Kind != yaml.MappingNode {
			p.errorf(n.Line, "each source must be a mapping with name, url and interval")
			continue
		}
		src := Source{Interval: DefaultSourceInterval, Lookback: DefaultSourceLookback,
			FullScanEvery: DefaultSourceFullScanEvery, Pos: Pos{p.file, n.Line}}
		ok := true
		for _, e := range p.pairs(n, "a source") {
			switch e.key.Value {
			case "name":
				v, good := p.str(e)
				if good && !sourceNameRE.MatchString(v) {
					p.errorf(e.val.Line, "source name %q: use up to 64 letters, digits, ., _ and -", v)
					good = false
				}
				src.Name, ok = v, ok && good
			case "url":
				v, good := p.str(e)
				if good && strings.TrimSpace(v) == "" {
					p.errorf(e.val.Line, "source url is empty")
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
				p.errorf(e.key.Line, "unknown field %q in a source (want name, url, interval, lookback or full_scan_every)", e.key.Value)
				ok = false
			}
		}
		if src.Name == "" && ok {
			p.errorf(n.Line, "source needs a name")
			ok = false
		}
		if src.URL == "" && ok {
			p.errorf(n.Line, "source %s needs a url", src.Name)
			ok = false
		}
		if !ok {
			continue
		}
		if first, dup := names[src.Name]; dup {
			p.errorf(n.Line, "source name %q repeated, first at line %d", src.Name, first)
			continue
		}
		if first, dup := urls[src.URL]; dup {
			p.errorf(n.Line, "source url %q repeated, first at line %d", src.URL, first)
			continue
		}
		names[src.Name], urls[src.URL] = n.Line, n.Line
		c.Sources = append(c.Sources, src)
	}
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	if n == nil || n.Kind == yaml.AliasNode {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

type pair struct{ key, val *yaml.Node }

// pairs returns a mapping's key/value pairs and reports repeated and non-string keys.
func (p *parser) pairs(m *yaml.Node, what string) []pair {
	var out []pair
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := resolve(m.Content[i]), resolve(m.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.errorf(k.Line, "keys in %s must be strings", what)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.errorf(k.Line, "field %q repeated in %s, first at line %d", k.Value, what, first)
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, pair{k, v})
	}
	return out
}

func (p *parser) mapping(kv pair, what string) []pair {
	if kv.val.Kind != yaml.MappingNode {
		p.errorf(kv.val.Line, "%s must be %s", kv.key.Value, what)
		return nil
	}
	return p.pairs(kv.val, kv.key.Value)
}

// str reads a string scalar.
func (p *parser) str(kv pair) (string, bool) {
	if kv.val.Kind != yaml.ScalarNode || isNull(kv.val) {
		p.errorf(kv.val.Line, "%s must be a string", kv.key.Value)
		return "", false
	}
	return kv.val.Value, true
}

// duration reads a duration from lo to hi (lo and hi as written in messages); what names
// the field in messages, example is a valid value.
func (p *parser) duration(kv pair, what, example string, lo time.Duration, los string, hi time.Duration, his string) (time.Duration, bool) {
	v, ok := p.str(kv)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		p.errorf(kv.val.Line, "%s %q: want a duration such as %s", what, v, example)
		return 0, false
	case d < lo || d > hi:
		p.errorf(kv.val.Line, "%s %s: must be from %s to %s", what, v, los, his)
		return 0, false
	}
	return d, true
}

type lineString struct {
	val  string
	line int
}

// strList reads a list of non-empty, distinct strings.
func (p *parser) strList(kv pair) []lineString {
	n := kv.val
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n.Line, "%s must be a list of strings", kv.key.Value)
		return nil
	}
	var out []lineString
	seen := map[string]int{}
	for _, e := range n.Content {
		e = resolve(e)
		if e.Kind != yaml.ScalarNode || isNull(e) || strings.TrimSpace(e.Value) == "" {
			p.errorf(e.Line, "%s entries must be non-empty strings", kv.key.Value)
			continue
		}
		if first, dup := seen[e.Value]; dup {
			p.errorf(e.Line, "%s lists %q twice, first at line %d", kv.key.Value, e.Value, first)
			continue
		}
		seen[e.Value] = e.Line
		out = append(out, lineString{e.Value, e.Line})
	}
	return out
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

func (p *parser) parseExport(kv pair, c *Config) {
	if isNull(kv.val) {
		return
	}
	if kv.val.Kind != yaml.MappingNode {
		p.errorf(kv.val.Line, "export must be a mapping with to, interval, tables and retention")
		return
	}
	e := Export{Interval: DefaultExportInterval, Pos: Pos{p.file, kv.key.Line}}
	for _, f := range p.pairs(kv.val, "export") {
		switch f.key.Value {
		case "to":
			if v, ok := p.str(f); ok {
				if strings.TrimSpace(v) == "" {
					p.errorf(f.val.Line, "export to is empty")
				}
				e.To = v
			}
		case "interval":
			if v, ok := p.str(f); ok {
				d, err := time.ParseDuration(v)
				switch {
				case err != nil:
					p.errorf(f.val.Line, "export interval %q: want a duration such as 5m", v)
				case d < 10*time.Second || d > 24*time.Hour:
					p.errorf(f.val.Line, "export interval %s: must be from 10s to 24h", v)
				default:
					e.Interval = d
				}
			}
		case "tables":
			for _, t := range p.strList(f) {
				if t.val != "silver" && t.val != "gold" && !strings.HasPrefix(t.val, "gold.") && t.val != "silver.audit" {
					p.errorf(t.line, "export table %q: want silver, gold or gold.<service>", t.val)
					continue
				}
				e.Tables = append(e.Tables, t.val)
			}
		case "retention":
			if v, ok := p.str(f); ok {
				d, err := parseDays(v)
				switch {
				case err != nil:
					p.errorf(f.val.Line, "export retention %q: want a duration such as 90d or 2160h", v)
				case d > 0 && d < 24*time.Hour:
					p.errorf(f.val.Line, "export retention %s: keep at least a day in DuckDB", v)
				default:
					e.Retention = d
				}
			}
		default:
			p.errorf(f.key.Line, "unknown field %q in export (want to, interval, tables or retention)", f.key.Value)
		}
	}
	if e.To == "" {
		p.errorf(kv.key.Line, "export needs a destination (to)")
		return
	}
	c.Export = e
}

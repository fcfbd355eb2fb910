package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// NodeReader reads a YAML document node by node and reports every problem with its line, so
// that one pass over a file finds all of them. The config file, rule files and rule test files
// are read with it; each parser decides what a problem becomes (an *Error, a rule LintError).
type NodeReader struct {
	// Report receives each problem; line is 1 or more.
	Report func(line int, msg string)
}

// Errorf reports a problem at a line.
func (r NodeReader) Errorf(line int, format string, args ...any) {
	r.Report(max(line, 1), fmt.Sprintf(format, args...))
}

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// YAMLError reports a decoder error at the line it names.
func (r NodeReader) YAMLError(err error) {
	msg, line := err.Error(), 1
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			line, _ = strconv.Atoi(m[1])
		}
		msg = m[2]
	}
	r.Errorf(line, "yaml: %s", msg)
}

// Decode parses data, at most maxBytes, as exactly one YAML document and returns its root
// node with aliases resolved: nil for an empty document (no error). ok is false when a problem
// was reported; what names the file in messages ("a rule file").
func (r NodeReader) Decode(data []byte, maxBytes int, what string) (root *yaml.Node, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			r.Errorf(1, "yaml parser panic: %v", p)
			root, ok = nil, false
		}
	}()
	if len(data) > maxBytes {
		r.Errorf(1, "file is larger than %d bytes", maxBytes)
		return nil, false
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, true
		}
		r.YAMLError(err)
		return nil, false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			r.YAMLError(err)
		} else {
			r.Errorf(extra.Line, "more than one YAML document in %s", what)
		}
		return nil, false
	}
	if len(doc.Content) == 0 {
		return nil, true
	}
	root = Resolve(doc.Content[0])
	if IsNull(root) {
		return nil, true
	}
	return root, true
}

// Resolve follows aliases to the node they name; a dangling or too deep chain is null.
func Resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	if n == nil || n.Kind == yaml.AliasNode {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	return n
}

// IsNull reports whether n is the null scalar (~, null or nothing).
func IsNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// Pair is one key and value of a mapping, aliases resolved.
type Pair struct{ Key, Val *yaml.Node }

// Pairs returns a mapping's key/value pairs with "<<" merge keys expanded (explicit keys win)
// and reports repeated and non-string keys; what names the mapping in messages.
func (r NodeReader) Pairs(m *yaml.Node, what string) []Pair {
	return r.pairs(m, what, 0, true)
}

func (r NodeReader) pairs(m *yaml.Node, what string, depth int, report bool) []Pair {
	if depth > 8 {
		r.Errorf(m.Line, "merge keys nested too deep in %s", what)
		return nil
	}
	var explicit, merged []Pair
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := Resolve(m.Content[i]), Resolve(m.Content[i+1])
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "" || k.ShortTag() == "!!merge") {
			srcs := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				srcs = v.Content
			}
			for _, s := range srcs {
				s = Resolve(s)
				if s.Kind != yaml.MappingNode {
					r.Errorf(s.Line, "merge key in %s must refer to a mapping", what)
					continue
				}
				merged = append(merged, r.pairs(s, what, depth+1, false)...)
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			r.Errorf(k.Line, "keys in %s must be strings", what)
			continue
		}
		if first, dup := seen[k.Value]; dup && report {
			r.Errorf(k.Line, "field %q repeated in %s, first at line %d", k.Value, what, first)
			continue
		}
		seen[k.Value] = k.Line
		explicit = append(explicit, Pair{k, v})
	}
	for _, kv := range merged {
		if _, dup := seen[kv.Key.Value]; !dup {
			seen[kv.Key.Value] = kv.Key.Line
			explicit = append(explicit, kv)
		}
	}
	return explicit
}

// Mapping returns the pairs of kv's value, reporting a value that is not a mapping; what says
// what it should be ("a mapping with every or cron").
func (r NodeReader) Mapping(kv Pair, what string) []Pair {
	if kv.Val.Kind != yaml.MappingNode {
		r.Errorf(kv.Val.Line, "%s must be %s", kv.Key.Value, what)
		return nil
	}
	return r.Pairs(kv.Val, kv.Key.Value)
}

// Mappings returns the entries of a list of mappings (null is the empty list), reporting a
// value that is not a list (what says what it should be: "a list of {name, url}") and each
// entry that is not a mapping (entry names one: "each source").
func (r NodeReader) Mappings(kv Pair, what, entry string) []*yaml.Node {
	if IsNull(kv.Val) {
		return nil
	}
	if kv.Val.Kind != yaml.SequenceNode {
		r.Errorf(kv.Val.Line, "%s must be %s", kv.Key.Value, what)
		return nil
	}
	var out []*yaml.Node
	for _, n := range kv.Val.Content {
		if n = Resolve(n); n.Kind != yaml.MappingNode {
			r.Errorf(n.Line, "%s must be a mapping", entry)
			continue
		}
		out = append(out, n)
	}
	return out
}

// Scalar returns a scalar value ("" for null), reporting other kinds; what says what it
// should be ("a duration").
func (r NodeReader) Scalar(kv Pair, what string) (string, bool) {
	if kv.Val.Kind != yaml.ScalarNode {
		r.Errorf(kv.Val.Line, "%s must be %s", kv.Key.Value, what)
		return "", false
	}
	if IsNull(kv.Val) {
		return "", true
	}
	return kv.Val.Value, true
}

// String returns a scalar value, reporting null and other kinds.
func (r NodeReader) String(kv Pair) (string, bool) {
	if kv.Val.Kind != yaml.ScalarNode || IsNull(kv.Val) {
		r.Errorf(kv.Val.Line, "%s must be a string", kv.Key.Value)
		return "", false
	}
	return kv.Val.Value, true
}

// Duration reads a non-negative Go duration (90s, 15m, 1h30m).
func (r NodeReader) Duration(kv Pair) (time.Duration, bool) {
	s, ok := r.Scalar(kv, "a duration")
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		r.Errorf(kv.Val.Line, "%s %q is not a duration (write one like 90s, 15m or 1h30m)", kv.Key.Value, s)
		return 0, false
	}
	if d < 0 {
		r.Errorf(kv.Val.Line, "%s must not be negative", kv.Key.Value)
		return 0, false
	}
	return d, true
}

// Bool reads true or false (YAML's boolean tag, not "yes" strings).
func (r NodeReader) Bool(kv Pair) (bool, bool) {
	s, ok := r.Scalar(kv, "true or false")
	if !ok {
		return false, false
	}
	if kv.Val.ShortTag() != "!!bool" {
		r.Errorf(kv.Val.Line, "%s must be true or false, not %q", kv.Key.Value, s)
		return false, false
	}
	b, _ := strconv.ParseBool(strings.ToLower(s))
	return b, true
}

// Number reads a finite integer or float.
func (r NodeReader) Number(kv Pair) (float64, bool) {
	s, ok := r.Scalar(kv, "a number")
	if !ok {
		return 0, false
	}
	tag := kv.Val.ShortTag()
	if tag == "!!int" || tag == "!!float" {
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, true
		}
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return float64(i), true
		}
	}
	r.Errorf(kv.Val.Line, "%s must be a finite number, not %q", kv.Key.Value, s)
	return 0, false
}

// LineString is a string read from a file with the line it stands on.
type LineString struct {
	Value string
	Line  int
}

// StrList reads a list of non-empty, distinct strings (null is the empty list).
func (r NodeReader) StrList(kv Pair) []LineString {
	n := kv.Val
	if IsNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		r.Errorf(n.Line, "%s must be a list of strings", kv.Key.Value)
		return nil
	}
	var out []LineString
	seen := map[string]int{}
	for _, e := range n.Content {
		e = Resolve(e)
		if e.Kind != yaml.ScalarNode || IsNull(e) || strings.TrimSpace(e.Value) == "" {
			r.Errorf(e.Line, "%s entries must be non-empty strings", kv.Key.Value)
			continue
		}
		if first, dup := seen[e.Value]; dup {
			r.Errorf(e.Line, "%s lists %q twice, first at line %d", kv.Key.Value, e.Value, first)
			continue
		}
		seen[e.Value] = e.Line
		out = append(out, LineString{e.Value, e.Line})
	}
	return out
}

// Values returns the strings of a StrList.
func Values(ls []LineString) []string {
	if ls == nil {
		return nil
	}
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Value
	}
	return out
}

// ReadCapped reads a file of at most limit bytes; a longer file is read to limit+1 bytes, so
// that Decode reports it as too large with its limit.
func ReadCapped(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

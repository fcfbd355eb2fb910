package notify

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// MatchOp is the comparison a Matcher applies to a label value.
type MatchOp string

// Matcher operators, as in Alertmanager silences.
const (
	MatchEqual     MatchOp = "="
	MatchNotEqual  MatchOp = "!="
	MatchRegexp    MatchOp = "=~"
	MatchNotRegexp MatchOp = "!~"
)

// maxMatcherLen caps the text ParseMatcher reads.
const maxMatcherLen = 4096

// labelName is what a matcher may name: a label, or the pseudo-labels rule and severity.
var labelName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// Matcher tests one label of an alert. A label the alert does not have reads as the empty
// string, so "team!=security" matches alerts without a team label. Regular expressions are
// anchored at both ends (RE2 syntax): "email=~.*@corp.com" matches whole values only.
type Matcher struct {
	Name  string  `json:"name"`
	Op    MatchOp `json:"op"`
	Value string  `json:"value"`
	re    *regexp.Regexp
}

// NewMatcher checks name, op and value and compiles a regular expression value.
func NewMatcher(name string, op MatchOp, value string) (Matcher, error) {
	if !labelName.MatchString(name) {
		return Matcher{}, fmt.Errorf("matcher label name %q must match %s", name, labelName)
	}
	m := Matcher{Name: name, Op: op, Value: value}
	switch op {
	case MatchEqual, MatchNotEqual:
	case MatchRegexp, MatchNotRegexp:
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return Matcher{}, fmt.Errorf("matcher %s%s: bad regular expression: %w", name, op, err)
		}
		m.re = re
	default:
		return Matcher{}, fmt.Errorf("matcher %s: unknown operator %q (want =, !=, =~ or !~)", name, op)
	}
	return m, nil
}

// ParseMatcher reads "name=value", "name!=value", "name=~regexp" or "name!~regexp". The
// value may be double-quoted with Go escapes ("email=~\".*@corp\\.com\""); spaces around the
// operator are ignored. It never panics.
func ParseMatcher(s string) (Matcher, error) {
	if len(s) > maxMatcherLen {
		return Matcher{}, fmt.Errorf("matcher is longer than %d bytes", maxMatcherLen)
	}
	i := strings.IndexAny(s, "=!")
	if i < 0 {
		return Matcher{}, fmt.Errorf("matcher %q: want name=value, name!=value, name=~regexp or name!~regexp", s)
	}
	name := strings.TrimSpace(s[:i])
	rest := s[i:]
	var op MatchOp
	for _, o := range []MatchOp{MatchRegexp, MatchNotRegexp, MatchNotEqual, MatchEqual} {
		if strings.HasPrefix(rest, string(o)) {
			op = o
			break
		}
	}
	if op == "" {
		return Matcher{}, fmt.Errorf("matcher %q: want name=value, name!=value, name=~regexp or name!~regexp", s)
	}
	value := strings.TrimSpace(rest[len(op):])
	if strings.HasPrefix(value, `"`) {
		v, err := strconv.Unquote(value)
		if err != nil {
			return Matcher{}, fmt.Errorf("matcher %q: bad quoted value", s)
		}
		value = v
	}
	if name == "" {
		return Matcher{}, fmt.Errorf("matcher %q: label name is empty", s)
	}
	return NewMatcher(name, op, value)
}

// Matches reports whether the label the matcher names passes in labels.
func (m Matcher) Matches(labels map[string]string) bool {
	v := labels[m.Name]
	switch m.Op {
	case MatchEqual:
		return v == m.Value
	case MatchNotEqual:
		return v != m.Value
	case MatchRegexp:
		return m.regexp().MatchString(v)
	case MatchNotRegexp:
		return !m.regexp().MatchString(v)
	}
	return false
}

// regexp returns the compiled expression, compiling it for a Matcher decoded from JSON.
func (m Matcher) regexp() *regexp.Regexp {
	if m.re != nil {
		return m.re
	}
	re, err := regexp.Compile("^(?:" + m.Value + ")$")
	if err != nil {
		return regexp.MustCompile(`^\b$`) // matches nothing; NewMatcher rejects such values
	}
	return re
}

// String renders the matcher as ParseMatcher reads it, quoting the value when needed.
func (m Matcher) String() string {
	v := m.Value
	if v == "" || strings.ContainsAny(v, " \t\"\\") || strings.TrimSpace(v) != v || strings.HasPrefix(v, "~") {
		v = strconv.Quote(v)
	}
	return m.Name + string(m.Op) + v
}

// validateMatchers checks a silence's matchers: at least one, and at least one that does not
// match the empty string, so a silence cannot swallow every alert by accident.
func validateMatchers(ms []Matcher) error {
	if len(ms) == 0 {
		return errors.New("a silence needs at least one matcher")
	}
	for _, m := range ms {
		if !m.Matches(map[string]string{}) {
			return nil
		}
	}
	return errors.New("every matcher also matches alerts without the label; add one that needs a value (e.g. rule=NAME)")
}

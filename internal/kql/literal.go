package kql

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// rawLiteral turns datetime(...), timespan(...), time(...) and guid(...)
// into a Literal; the lexer captured the content unparsed.
func (p *parser) rawLiteral(t token) *Literal {
	pos := p.pos(t.off)
	ty := typeAliases[t.text]
	content := t.str
	if content == "null" {
		return &Literal{Pos: pos, Type: ty, Null: true}
	}
	if content != "" && (content[0] == '"' || content[0] == '\'' || content[0] == '@') {
		content = p.unquoteRaw(t)
	}
	switch ty {
	case TypeDatetime:
		v, ok := parseDatetime(content)
		if !ok {
			p.fail(t.rawOff, "invalid datetime literal %q", content)
		}
		return &Literal{Pos: pos, Type: ty, Value: v}
	case TypeTimespan:
		v, ok := parseTimespan(content)
		if !ok {
			p.fail(t.rawOff, "invalid timespan literal %q", content)
		}
		return &Literal{Pos: pos, Type: ty, Value: v}
	case TypeGuid:
		if !guidRE.MatchString(content) {
			p.fail(t.rawOff, "invalid guid literal %q", content)
		}
		return &Literal{Pos: pos, Type: ty, Value: strings.ToLower(content)}
	}
	panic("BUG: raw literal " + t.text)
}

// unquoteRaw decodes a quoted string inside datetime("...") and friends.
func (p *parser) unquoteRaw(t token) string {
	lx := &lexer{src: p.src, li: p.li, pos: t.rawOff}
	var s string
	if p.src[t.rawOff] == '@' {
		if t.rawOff+1 >= len(p.src) || (p.src[t.rawOff+1] != '"' && p.src[t.rawOff+1] != '\'') {
			p.fail(t.rawOff, "invalid %s literal", t.text)
		}
		s = lx.verbatim(t.rawOff + 1)
	} else {
		s = lx.quoted(t.rawOff)
	}
	if lx.pos != t.rawOff+len(t.str) {
		p.fail(lx.pos, "unexpected text after the string in %s(...)", t.text)
	}
	return s
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// parseDatetime accepts the ISO 8601 forms KQL users write: 2026-01-10,
// 2026-01-10 02:30, 2026-01-10T02:30:00.123Z, an offset, or RFC 1123. The
// result is UTC, truncated to 100ns ticks.
func parseDatetime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC1123, time.RFC1123Z, time.RFC850} {
		if t, err := time.Parse(layout, s); err == nil {
			return checkDatetime(t)
		}
	}
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + strings.TrimLeft(s[11:], " ")
	}
	for _, layout := range []string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return checkDatetime(t)
		}
	}
	s = strings.TrimSuffix(s, "Z")
	for _, layout := range []string{"2006-01-02", "2006-01-02T15", "2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return checkDatetime(t)
		}
	}
	return time.Time{}, false
}

func checkDatetime(t time.Time) (time.Time, bool) {
	t = t.UTC().Truncate(100 * time.Nanosecond)
	if t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, false
	}
	return t, true
}

var (
	timespanUnitRE  = regexp.MustCompile(`^([+-]?)\s*([0-9]+(?:\.[0-9]+)?)\s*([a-z]+)$`)
	timespanClockRE = regexp.MustCompile(`^([+-]?)(?:([0-9]+)\.)?([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2})(?:\.([0-9]{1,7}))?)?$`)
	timespanDaysRE  = regexp.MustCompile(`^([+-]?)([0-9]+)$`)
)

// parseTimespan accepts 1d, 2.5h, -30m, a bare number of days, and
// [-][d.]hh:mm[:ss[.fffffff]].
func parseTimespan(s string) (Timespan, bool) {
	s = strings.TrimSpace(s)
	neg := func(sign string, v int64) (Timespan, bool) {
		if sign == "-" {
			return Timespan(-v), true
		}
		return Timespan(v), true
	}
	if m := timespanUnitRE.FindStringSubmatch(s); m != nil {
		per, ok := timespanUnits[m[3]]
		if !ok {
			return 0, false
		}
		v, ok := timespanTicks(m[2], per)
		if !ok {
			return 0, false
		}
		return neg(m[1], v)
	}
	if m := timespanDaysRE.FindStringSubmatch(s); m != nil {
		v, ok := timespanTicks(m[2], int64(Day))
		if !ok {
			return 0, false
		}
		return neg(m[1], v)
	}
	if m := timespanClockRE.FindStringSubmatch(s); m != nil {
		var days, h, mi, sec int64
		var err error
		if m[2] != "" {
			if days, err = strconv.ParseInt(m[2], 10, 64); err != nil || days > math.MaxInt64/int64(Day)-1 {
				return 0, false
			}
		}
		h, _ = strconv.ParseInt(m[3], 10, 64)
		mi, _ = strconv.ParseInt(m[4], 10, 64)
		if m[5] != "" {
			sec, _ = strconv.ParseInt(m[5], 10, 64)
		}
		if h > 23 || mi > 59 || sec > 59 {
			return 0, false
		}
		var frac int64
		if m[6] != "" {
			f := m[6] + strings.Repeat("0", 7-len(m[6]))
			frac, _ = strconv.ParseInt(f, 10, 64)
		}
		v := days*int64(Day) + h*int64(Hour) + mi*int64(Minute) + sec*int64(Second) + frac
		return neg(m[1], v)
	}
	return 0, false
}

// parseTypedLiteral parses long(1), int(-2), real(1.5), decimal(3.25),
// bool(true) and their (null) forms.
func (p *parser) parseTypedLiteral() Expr {
	name := p.advance()
	p.advance() // (
	pos := p.pos(name.off)
	ty := typeAliases[name.text]
	lit := &Literal{Pos: pos, Type: ty}
	t := p.tok()
	switch {
	case isWordTok(t, "null"):
		p.advance()
		lit.Null = true
	case ty == TypeBool:
		if !isWordTok(t, "true") && !isWordTok(t, "false") {
			p.fail(t.off, "expected true, false or null in %s(...), found %s", name.text, p.describe(t))
		}
		p.advance()
		lit.Value = t.text == "true"
	default:
		sign := ""
		if p.isOp("-") || p.isOp("+") {
			sign = p.advance().text
		}
		n := p.tok()
		if n.kind != tokLong && n.kind != tokReal {
			p.fail(n.off, "expected a number or null in %s(...), found %s", name.text, p.describe(n))
		}
		p.advance()
		text := p.src[n.off:n.end]
		switch ty {
		case TypeLong, TypeInt:
			if n.kind != tokLong {
				p.fail(n.off, "expected an integer in %s(...), found %s", name.text, p.describe(n))
			}
			v := n.i
			if sign == "-" {
				v = -v
			}
			if ty == TypeInt && (v < math.MinInt32 || v > math.MaxInt32) {
				p.fail(n.off, "int literal %s%s is out of range", sign, text)
			}
			lit.Value = v
		case TypeReal:
			v := n.f
			if n.kind == tokLong {
				v = float64(n.i)
			}
			if sign == "-" {
				v = -v
			}
			lit.Value = v
		case TypeDecimal:
			if n.kind == tokLong {
				text = strconv.FormatInt(n.i, 10)
			}
			if sign == "-" {
				text = "-" + text
			}
			lit.Value = text
		}
	}
	p.expectOp(")", " to close "+name.text+"(...)")
	return lit
}

// parseDynamic parses dynamic(...) with JSON-like content.
func (p *parser) parseDynamic() Expr {
	name := p.advance()
	p.advance() // (
	v := p.parseDynValue()
	p.expectOp(")", " to close dynamic(...)")
	return &Dynamic{Pos: p.pos(name.off), Value: v}
}

func (p *parser) parseDynValue() any {
	t := p.tok()
	p.enter(t.off)
	defer p.leave()
	switch t.kind {
	case tokIdent:
		switch t.text {
		case "null":
			p.advance()
			return nil
		case "true", "false":
			p.advance()
			return t.text == "true"
		}
	case tokLong:
		p.advance()
		return t.i
	case tokReal:
		p.advance()
		return t.f
	case tokString:
		p.advance()
		return t.str
	case tokTimespan:
		p.advance()
		return Timespan(t.i)
	case tokRaw:
		p.advance()
		lit := p.rawLiteral(t)
		if lit.Null {
			return nil
		}
		return lit.Value
	case tokOp:
		switch t.text {
		case "-", "+":
			p.advance()
			n := p.tok()
			p.advance()
			neg := t.text == "-"
			switch n.kind {
			case tokLong:
				if neg {
					return -n.i
				}
				return n.i
			case tokReal:
				if neg {
					return -n.f
				}
				return n.f
			case tokTimespan:
				if neg {
					return Timespan(-n.i)
				}
				return Timespan(n.i)
			}
			p.fail(n.off, "expected a number after %q in dynamic(...), found %s", t.text, p.describe(n))
		case "[":
			p.advance()
			xs := []any{}
			for !p.isOp("]") {
				xs = append(xs, p.parseDynValue())
				if !p.isOp(",") {
					break
				}
				p.advance()
			}
			p.expectOp("]", " to close the dynamic array")
			return xs
		case "{":
			p.advance()
			bag := &DynamicBag{Keys: []string{}, Values: []any{}}
			for !p.isOp("}") {
				k := p.tok()
				if k.kind != tokString {
					p.fail(k.off, "expected a quoted property name in dynamic(...), found %s", p.describe(k))
				}
				p.advance()
				p.expectOp(":", " after the property name")
				bag.Keys = append(bag.Keys, k.str)
				bag.Values = append(bag.Values, p.parseDynValue())
				if !p.isOp(",") {
					break
				}
				p.advance()
			}
			p.expectOp("}", " to close the dynamic property bag")
			return bag
		}
	}
	p.fail(t.off, "expected a constant in dynamic(...), found %s", p.describe(t))
	return nil
}

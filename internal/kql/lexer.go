package kql

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokenKind uint8

const (
	tokEOF      tokenKind = iota
	tokIdent              // a name or a contextual keyword; never quoted
	tokString             // str holds the decoded value
	tokLong               // i holds the value
	tokReal               // f holds the value
	tokTimespan           // i holds the value in ticks
	tokRaw                // datetime(...), timespan(...), time(...), guid(...): text is the keyword, str the trimmed content
	tokOp                 // punctuation and symbolic or negated operators: text
)

// token is one lexeme. off and end are byte offsets into the query.
type token struct {
	kind   tokenKind
	text   string
	str    string
	i      int64
	f      float64
	off    int
	end    int
	rawOff int // for tokRaw: offset of the content, for error positions
}

// ticks per timespan unit; 1 tick = 100ns.
var timespanUnits = map[string]int64{
	"d": 864000000000, "day": 864000000000, "days": 864000000000,
	"h": 36000000000, "hr": 36000000000, "hrs": 36000000000, "hour": 36000000000, "hours": 36000000000,
	"m": 600000000, "min": 600000000, "minute": 600000000, "minutes": 600000000,
	"s": 10000000, "sec": 10000000, "second": 10000000, "seconds": 10000000,
	"ms": 10000, "milli": 10000, "millis": 10000, "millisecond": 10000, "milliseconds": 10000,
	"microsecond": 10, "microseconds": 10,
	"tick": 1, "ticks": 1,
}

// negatable lists the word operators that take a leading "!" as one token.
var negatable = map[string]bool{
	"has": true, "has_cs": true, "hasprefix": true, "hasprefix_cs": true, "hassuffix": true, "hassuffix_cs": true,
	"contains": true, "contains_cs": true, "startswith": true, "startswith_cs": true,
	"endswith": true, "endswith_cs": true, "in": true, "in~": true, "between": true,
}

// rawLiteralWords take unquoted content in parentheses: datetime(2026-01-10 02:30).
var rawLiteralWords = map[string]bool{"datetime": true, "timespan": true, "time": true, "guid": true}

type lexer struct {
	src  string
	pos  int
	li   *lineIndex
	toks []token
}

// lex splits src into tokens, ending with tokEOF. It panics with *ParseError
// on malformed input; Parse recovers it.
func lex(src string, li *lineIndex) []token {
	lx := &lexer{src: src, li: li}
	for {
		t := lx.next()
		lx.toks = append(lx.toks, t)
		if t.kind == tokEOF {
			return lx.toks
		}
	}
}

func (lx *lexer) fail(off int, msg string) {
	panic(&ParseError{Pos: lx.li.pos(off), Msg: msg, Query: lx.src})
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (lx *lexer) peekAt(i int) byte {
	if i < len(lx.src) {
		return lx.src[i]
	}
	return 0
}

// skipSpace skips white space and // comments.
func (lx *lexer) skipSpace() {
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			lx.pos++
		case c == '/' && lx.peekAt(lx.pos+1) == '/':
			for lx.pos < len(lx.src) && lx.src[lx.pos] != '\n' {
				lx.pos++
			}
		default:
			return
		}
	}
}

func (lx *lexer) next() token {
	lx.skipSpace()
	start := lx.pos
	if start >= len(lx.src) {
		return token{kind: tokEOF, off: start, end: start}
	}
	c := lx.src[start]
	switch {
	case isDigit(c):
		return lx.number()
	case c == '"' || c == '\'':
		s := lx.quoted(start)
		return token{kind: tokString, str: s, off: start, end: lx.pos}
	case c == '`' && strings.HasPrefix(lx.src[start:], "```"):
		end := strings.Index(lx.src[start+3:], "```")
		if end < 0 {
			lx.fail(start, "unterminated multi-line string literal")
		}
		lx.pos = start + 3 + end + 3
		return token{kind: tokString, str: lx.src[start+3 : start+3+end], off: start, end: lx.pos}
	case c == '@' && (lx.peekAt(start+1) == '"' || lx.peekAt(start+1) == '\''):
		s := lx.verbatim(start + 1)
		return token{kind: tokString, str: s, off: start, end: lx.pos}
	case (c == 'h' || c == 'H') && (lx.peekAt(start+1) == '"' || lx.peekAt(start+1) == '\''):
		// Obfuscated string literal: same value, hidden from traces by Kusto.
		s := lx.quoted(start + 1)
		return token{kind: tokString, str: s, off: start, end: lx.pos}
	case (c == 'h' || c == 'H') && lx.peekAt(start+1) == '@' && (lx.peekAt(start+2) == '"' || lx.peekAt(start+2) == '\''):
		s := lx.verbatim(start + 2)
		return token{kind: tokString, str: s, off: start, end: lx.pos}
	case isIdentStart(c):
		return lx.ident()
	case c == '!':
		if isIdentStart(lx.peekAt(start + 1)) {
			lx.pos++
			w := lx.word()
			if w == "in" && lx.peekAt(lx.pos) == '~' {
				lx.pos++
				w = "in~"
			}
			if !negatable[w] {
				lx.fail(start, "unexpected \"!"+w+"\"")
			}
			return token{kind: tokOp, text: "!" + w, off: start, end: lx.pos}
		}
	}
	for _, op := range [...]string{"==", "!=", "=~", "!~", "<=", ">=", "..", "<>"} {
		if strings.HasPrefix(lx.src[start:], op) {
			if op == "<>" {
				lx.fail(start, "unexpected \"<>\" (use != in KQL)")
			}
			lx.pos += len(op)
			return token{kind: tokOp, text: op, off: start, end: lx.pos}
		}
	}
	if strings.IndexByte("|,;()[]{}=<>+-*/%.:", c) >= 0 {
		lx.pos++
		return token{kind: tokOp, text: string(c), off: start, end: lx.pos}
	}
	r, _ := utf8.DecodeRuneInString(lx.src[start:])
	lx.fail(start, "unexpected character "+strconv.QuoteRune(r))
	return token{}
}

// word scans an identifier-like run.
func (lx *lexer) word() string {
	start := lx.pos
	for lx.pos < len(lx.src) && isIdentChar(lx.src[lx.pos]) {
		lx.pos++
	}
	return lx.src[start:lx.pos]
}

func (lx *lexer) ident() token {
	start := lx.pos
	w := lx.word()
	if w == "in" && lx.peekAt(lx.pos) == '~' {
		lx.pos++
		return token{kind: tokOp, text: "in~", off: start, end: lx.pos}
	}
	if rawLiteralWords[w] {
		// Look past white space for "(": datetime(2026-01-10 02:30) has unquoted content.
		j := lx.pos
		for j < len(lx.src) && (lx.src[j] == ' ' || lx.src[j] == '\t' || lx.src[j] == '\n' || lx.src[j] == '\r') {
			j++
		}
		if j < len(lx.src) && lx.src[j] == '(' {
			return lx.raw(start, w, j+1)
		}
	}
	return token{kind: tokIdent, text: w, off: start, end: lx.pos}
}

// raw scans the parenthesised content of datetime(...) and friends.
func (lx *lexer) raw(start int, w string, contentStart int) token {
	i := contentStart
	for i < len(lx.src) && lx.src[i] != ')' {
		if c := lx.src[i]; c == '"' || c == '\'' {
			lx.pos = i
			lx.quoted(i)
			i = lx.pos
			continue
		}
		if lx.src[i] == '\n' {
			break
		}
		i++
	}
	if i >= len(lx.src) || lx.src[i] != ')' {
		lx.fail(start, "unterminated "+w+"(...) literal")
	}
	content := lx.src[contentStart:i]
	trimmed := strings.TrimLeft(content, " \t\r")
	rawOff := contentStart + len(content) - len(trimmed)
	lx.pos = i + 1
	return token{kind: tokRaw, text: w, str: strings.TrimRight(trimmed, " \t\r"), off: start, end: lx.pos, rawOff: rawOff}
}

// quoted scans a '...' or "..." literal starting at the quote at q and
// returns its decoded value.
func (lx *lexer) quoted(q int) string {
	quote := lx.src[q]
	var b strings.Builder
	i := q + 1
	for {
		if i >= len(lx.src) || lx.src[i] == '\n' {
			lx.fail(q, "unterminated string literal")
		}
		c := lx.src[i]
		if c == quote {
			lx.pos = i + 1
			return b.String()
		}
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(lx.src) {
			lx.fail(q, "unterminated string literal")
		}
		e := lx.src[i+1]
		switch e {
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case '0':
			b.WriteByte(0)
		case 'u':
			if i+6 > len(lx.src) {
				lx.fail(i, "invalid \\u escape in string literal")
			}
			n, err := strconv.ParseUint(lx.src[i+2:i+6], 16, 32)
			if err != nil {
				lx.fail(i, "invalid \\u escape in string literal")
			}
			b.WriteRune(rune(n))
			i += 6
			continue
		default:
			lx.fail(i, "invalid escape \\"+string(rune(e))+" in string literal")
		}
		i += 2
	}
}

// verbatim scans @"..." at the quote q: no escapes, a doubled quote stands for one.
func (lx *lexer) verbatim(q int) string {
	quote := lx.src[q]
	var b strings.Builder
	i := q + 1
	for {
		if i >= len(lx.src) || lx.src[i] == '\n' {
			lx.fail(q-1, "unterminated verbatim string literal")
		}
		if lx.src[i] == quote {
			if lx.peekAt(i+1) == quote {
				b.WriteByte(quote)
				i += 2
				continue
			}
			lx.pos = i + 1
			return b.String()
		}
		b.WriteByte(lx.src[i])
		i++
	}
}

// number scans a long, real or timespan literal.
func (lx *lexer) number() token {
	start := lx.pos
	if lx.src[start] == '0' && (lx.peekAt(start+1) == 'x' || lx.peekAt(start+1) == 'X') {
		lx.pos += 2
		w := lx.word()
		n, err := strconv.ParseInt(w, 16, 64)
		if err != nil {
			lx.fail(start, "invalid hexadecimal literal "+strconv.Quote(lx.src[start:lx.pos]))
		}
		return token{kind: tokLong, i: n, off: start, end: lx.pos}
	}
	for lx.pos < len(lx.src) && isDigit(lx.src[lx.pos]) {
		lx.pos++
	}
	real := false
	if lx.peekAt(lx.pos) == '.' && isDigit(lx.peekAt(lx.pos+1)) {
		real = true
		lx.pos++
		for lx.pos < len(lx.src) && isDigit(lx.src[lx.pos]) {
			lx.pos++
		}
	}
	if c := lx.peekAt(lx.pos); c == 'e' || c == 'E' {
		j := lx.pos + 1
		if s := lx.peekAt(j); s == '+' || s == '-' {
			j++
		}
		if isDigit(lx.peekAt(j)) {
			real = true
			lx.pos = j
			for lx.pos < len(lx.src) && isDigit(lx.src[lx.pos]) {
				lx.pos++
			}
		}
	}
	num := lx.src[start:lx.pos]
	if isIdentStart(lx.peekAt(lx.pos)) {
		unit := lx.word()
		per, ok := timespanUnits[unit]
		if !ok {
			lx.fail(start, "invalid numeric literal "+strconv.Quote(lx.src[start:lx.pos]))
		}
		ticks, ok := timespanTicks(num, per)
		if !ok {
			lx.fail(start, "timespan literal "+strconv.Quote(lx.src[start:lx.pos])+" is out of range")
		}
		return token{kind: tokTimespan, i: ticks, off: start, end: lx.pos}
	}
	if real {
		f, err := strconv.ParseFloat(num, 64)
		if err != nil || math.IsInf(f, 0) {
			lx.fail(start, "real literal "+strconv.Quote(num)+" is out of range")
		}
		return token{kind: tokReal, f: f, off: start, end: lx.pos}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		lx.fail(start, "long literal "+strconv.Quote(num)+" is out of range")
	}
	return token{kind: tokLong, i: n, off: start, end: lx.pos}
}

// timespanTicks converts a decimal number of units (per ticks each) to ticks.
func timespanTicks(num string, per int64) (int64, bool) {
	if n, err := strconv.ParseInt(num, 10, 64); err == nil {
		if n > math.MaxInt64/per {
			return 0, false
		}
		return n * per, true
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, false
	}
	t := math.Round(f * float64(per))
	if math.IsInf(t, 0) || math.IsNaN(t) || t >= math.MaxInt64 || t < 0 {
		return 0, false
	}
	return int64(t), true
}

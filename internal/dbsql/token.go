package dbsql

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Pos is a position in the query text.
type Pos struct {
	Offset int // byte offset from the start of the query
	Line   int // 1-based line number
	Col    int // 1-based column, in runes
}

// Error is a problem in a Databricks SQL query, at a position.
type Error struct {
	Pos Pos
	Msg string // lowercase message without position
}

// Error renders the error as "line:col: msg".
func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg) }

func errAt(p Pos, format string, args ...any) *Error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

// Kind is the kind of a token.
type Kind int

// Token kinds.
const (
	EOF       Kind = iota
	Ident          // unquoted identifier or keyword; Val is the text
	QIdent         // `backtick` identifier; Val is the name without quotes
	String         // '…' or "…" (or r'…' raw) literal; Val is the decoded value
	Number         // 12, 1.5, 1e3, .5, 10L, 1.5BD; Text keeps the suffix
	Op             // punctuation and operators: ( ) , . ; [ ] { } + - * / % = == != <> < <= > >= <=> || :: -> ! ~ & | ^ : ?
	Parameter      // {{name}} or ${name} query parameters, which must be filled in first
)

func (k Kind) String() string {
	switch k {
	case EOF:
		return "end of query"
	case Ident:
		return "identifier"
	case QIdent:
		return "quoted identifier"
	case String:
		return "string"
	case Number:
		return "number"
	case Op:
		return "operator"
	case Parameter:
		return "parameter"
	}
	return "token"
}

// Token is one lexical element of Spark SQL.
type Token struct {
	Kind  Kind
	Text  string // the exact source text
	Val   string // identifier name or decoded string value
	Pos   Pos
	Space string // whitespace (and comments, as whitespace) before the token
}

// is reports whether t is the unquoted keyword or identifier word (case-insensitive).
func (t Token) is(word string) bool { return t.Kind == Ident && strings.EqualFold(t.Text, word) }

// op reports whether t is the operator o.
func (t Token) op(o string) bool { return t.Kind == Op && t.Text == o }

// maxQuery caps the input size: a query larger than this is refused, not translated.
const maxQuery = 1 << 20

// Tokenize splits a Spark SQL text into tokens, ending with an EOF token. Comments (-- …, /* … */,
// nested as Spark allows) become whitespace. Errors carry the position of the bad token.
func Tokenize(src string) ([]Token, error) {
	if len(src) > maxQuery {
		return nil, errAt(Pos{Line: 1, Col: 1}, "query is longer than %d bytes", maxQuery)
	}
	l := lexer{src: src, line: 1, col: 1}
	var toks []Token
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		if t.Kind == EOF {
			return toks, nil
		}
	}
}

type lexer struct {
	src       string
	off       int
	line, col int
}

func (l *lexer) pos() Pos { return Pos{Offset: l.off, Line: l.line, Col: l.col} }

func (l *lexer) peek(n int) byte {
	if l.off+n < len(l.src) {
		return l.src[l.off+n]
	}
	return 0
}

// advance moves over n bytes, keeping line and column.
func (l *lexer) advance(n int) {
	end := min(l.off+n, len(l.src))
	for l.off < end {
		r, size := utf8.DecodeRuneInString(l.src[l.off:])
		if size > end-l.off {
			size = end - l.off
		}
		l.off += size
		if r == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
	}
}

// space skips whitespace and comments and returns them, comments replaced by spaces (a line
// comment keeps its newline, so the layout survives).
func (l *lexer) space() (string, error) {
	var b strings.Builder
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			b.WriteByte(c)
			l.advance(1)
		case c == '-' && l.peek(1) == '-':
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance(1)
			}
			b.WriteByte(' ')
		case c == '/' && l.peek(1) == '*':
			start := l.pos()
			l.advance(2)
			depth := 1
			for depth > 0 {
				if l.off >= len(l.src) {
					return "", errAt(start, "comment is not closed with */")
				}
				switch {
				case l.src[l.off] == '*' && l.peek(1) == '/':
					depth--
					l.advance(2)
				case l.src[l.off] == '/' && l.peek(1) == '*':
					depth++
					l.advance(2)
				default:
					if l.src[l.off] == '\n' {
						b.WriteByte('\n')
					}
					l.advance(1)
				}
			}
			b.WriteByte(' ')
		default:
			return b.String(), nil
		}
	}
	return b.String(), nil
}

// ops lists the operators, longest first within each starting character.
var ops = []string{"<=>", "<=", "<>", "<", ">=", ">", "==", "=", "!=", "!", "||", "|", "::", ":", "->", "-",
	"(", ")", ",", ".", ";", "[", "]", "{", "}", "+", "*", "/", "%", "~", "&", "^", "?"}

func (l *lexer) next() (Token, error) {
	sp, err := l.space()
	if err != nil {
		return Token{}, err
	}
	p := l.pos()
	tok := func(k Kind, n int, val string) Token {
		text := l.src[l.off : l.off+n]
		l.advance(n)
		return Token{Kind: k, Text: text, Val: val, Pos: p, Space: sp}
	}
	if l.off >= len(l.src) {
		return Token{Kind: EOF, Pos: p, Space: sp}, nil
	}
	c := l.src[l.off]
	switch {
	case c == '\'' || c == '"':
		n, val, err := scanString(l.src[l.off:], false)
		if err != nil {
			return Token{}, errAt(p, "%s", err)
		}
		return tok(String, n, val), nil
	case (c == 'r' || c == 'R') && (l.peek(1) == '\'' || l.peek(1) == '"'):
		n, val, err := scanString(l.src[l.off+1:], true)
		if err != nil {
			return Token{}, errAt(p, "%s", err)
		}
		return tok(String, n+1, val), nil
	case c == '`':
		var b strings.Builder
		i := 1
		for {
			if l.off+i >= len(l.src) {
				return Token{}, errAt(p, "quoted identifier is not closed with `")
			}
			if l.src[l.off+i] == '`' {
				if l.off+i+1 < len(l.src) && l.src[l.off+i+1] == '`' {
					b.WriteByte('`')
					i += 2
					continue
				}
				break
			}
			b.WriteByte(l.src[l.off+i])
			i++
		}
		if b.Len() == 0 {
			return Token{}, errAt(p, "empty quoted identifier ``")
		}
		return tok(QIdent, i+1, b.String()), nil
	case c >= '0' && c <= '9' || c == '.' && isDigit(l.peek(1)):
		return tok(Number, scanNumber(l.src[l.off:]), ""), nil
	case c == '{' && l.peek(1) == '{':
		end := strings.Index(l.src[l.off:], "}}")
		if end < 0 {
			return Token{}, errAt(p, "query parameter {{ is not closed with }}")
		}
		return tok(Parameter, end+2, strings.TrimSpace(l.src[l.off+2:l.off+end])), nil
	case c == '$' && l.peek(1) == '{':
		end := strings.IndexByte(l.src[l.off:], '}')
		if end < 0 {
			return Token{}, errAt(p, "widget parameter ${ is not closed with }")
		}
		return tok(Parameter, end+1, l.src[l.off+2:l.off+end]), nil
	case isIdentStart(l.peekRune(0)):
		return tok(Ident, identLen(l.src[l.off:]), ""), nil
	}
	for _, o := range ops {
		if strings.HasPrefix(l.src[l.off:], o) {
			return tok(Op, len(o), ""), nil
		}
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.off:])
	return Token{}, errAt(p, "unexpected character %q", r)
}

func (l *lexer) peekRune(n int) rune {
	if l.off+n >= len(l.src) {
		return 0
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.off+n:])
	return r
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }

func identLen(s string) int {
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		n += size
	}
	return n
}

// scanNumber returns the length of the number at the start of s: digits, an optional fraction
// and exponent, and Spark's type suffixes (L, S, Y, D, F, BD).
func scanNumber(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
		}
	}
	if i+1 < len(s) && (s[i] == 'B' || s[i] == 'b') && (s[i+1] == 'D' || s[i+1] == 'd') {
		return i + 2
	}
	if i < len(s) && strings.IndexByte("LlSsYyDdFf", s[i]) >= 0 && (i+1 >= len(s) || identLen(s[i+1:]) == 0) {
		return i + 1
	}
	return i
}

// scanString reads a quoted literal at the start of s (its first byte is the quote) and returns
// its length and decoded value. Spark decodes backslash escapes (\n, \t, \', \\, \uXXXX, octal
// \NNN; \% and \_ keep their backslash for LIKE); a raw literal (r'…') keeps every byte.
func scanString(s string, raw bool) (int, string, error) {
	q := s[0]
	var b strings.Builder
	i := 1
	for {
		if i >= len(s) {
			return 0, "", fmt.Errorf("string is not closed with %c", q)
		}
		c := s[i]
		switch {
		case c == q:
			return i + 1, b.String(), nil
		case c == '\\' && raw:
			b.WriteByte(c)
			if i+1 < len(s) && s[i+1] == q {
				b.WriteByte(q)
				i++
			}
			i++
		case c == '\\':
			if i+1 >= len(s) {
				return 0, "", fmt.Errorf("string is not closed with %c", q)
			}
			n := unescape(&b, s[i+1:])
			i += 1 + n
		default:
			b.WriteByte(c)
			i++
		}
	}
}

// unescape decodes one escape (the text after a backslash) into b and returns the bytes used.
func unescape(b *strings.Builder, s string) int {
	switch c := s[0]; c {
	case 'n':
		b.WriteByte('\n')
	case 't':
		b.WriteByte('\t')
	case 'r':
		b.WriteByte('\r')
	case 'b':
		b.WriteByte('\b')
	case 'Z':
		b.WriteByte(26)
	case '0', '1', '2', '3', '4', '5', '6', '7':
		if len(s) >= 3 && isOctal(s[1]) && isOctal(s[2]) && c <= '3' {
			b.WriteByte((c-'0')<<6 | (s[1]-'0')<<3 | (s[2] - '0'))
			return 3
		}
		if c == '0' {
			b.WriteByte(0)
		} else {
			b.WriteByte(c)
		}
	case '%', '_':
		b.WriteByte('\\')
		b.WriteByte(c)
	case 'u':
		if len(s) >= 5 {
			var r rune
			ok := true
			for _, h := range s[1:5] {
				d := hexVal(h)
				if d < 0 {
					ok = false
					break
				}
				r = r<<4 | rune(d)
			}
			if ok {
				b.WriteRune(r)
				return 5
			}
		}
		b.WriteByte('u')
	default:
		r, size := utf8.DecodeRuneInString(s)
		b.WriteRune(r)
		return size
	}
	return 1
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

func hexVal(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0')
	case r >= 'a' && r <= 'f':
		return int(r-'a') + 10
	case r >= 'A' && r <= 'F':
		return int(r-'A') + 10
	}
	return -1
}

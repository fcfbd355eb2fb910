package kql

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// FuzzParse checks that Parse never panics, that every failure is a
// *ParseError with a valid position and no internal error, and that a
// successful parse prints to text that parses back to the same text.
func FuzzParse(f *testing.F) {
	for _, c := range loadGolden(f) {
		f.Add(c.query)
	}
	for _, s := range []string{
		`T | where a between (1 .. 2)`, `print dynamic({"a": [1, -2.5e3, datetime(2026-01-10), 1h]})`,
		`T | mv-expand x to typeof(long) limit 1`, `print timespan(-1.02:03:04.5), h@'x', guid(null)`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := Parse(query)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is %T, not *ParseError: %v", err, err)
			}
			if strings.Contains(pe.Msg, "internal parser error") {
				t.Fatalf("parser bug: %v\nquery: %q", err, query)
			}
			if !pe.Pos.IsValid() || pe.Pos.Offset > len(query) {
				t.Fatalf("invalid error position %+v for %q", pe.Pos, query)
			}
			_ = pe.Snippet()
			return
		}
		printed := q.String()
		q2, err := Parse(printed)
		if err != nil {
			t.Fatalf("printed query does not parse: %v\nquery:   %q\nprinted: %q", err, query, printed)
		}
		if again := q2.String(); again != printed {
			t.Fatalf("printing is not stable\nquery:  %q\nfirst:  %q\nsecond: %q", query, printed, again)
		}
	})
}

// FuzzLex checks the lexer on its own: it never panics except with a *ParseError whose
// position lies inside the input; tokens come in order, inside the input, without overlap;
// only white space and comments lie between them; the text of every token lexes back to one
// token with the same kind and value; and the input ends with one EOF token at its end.
// Seeded from the KQL golden queries of this package and of sqlgen's executed cases.
func FuzzLex(f *testing.F) {
	for _, c := range loadGolden(f) {
		f.Add(c.query)
	}
	sqlgenCases, err := filepath.Glob(filepath.Join("..", "sqlgen", "testdata", "*", "*.txtar"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range sqlgenCases {
		ar, err := txtar.ParseFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			if file.Name == "query.kql" {
				f.Add(string(file.Data))
			}
		}
	}
	for _, s := range []string{
		"datetime(2026-01-10 02:30) time (1d) guid(x) timespan(\"a)\")", "@'it''s' h@\"v\" H'x' ```a\nb```",
		"1..2 0x1F 1e+3 2.5h 3ticks !in~ in~ !between", "// only a comment", "\"\\u00e9\\0\" 'é'", "a\r\n|\tb",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		toks, pe := lexSafely(t, src)
		if pe != nil {
			if !pe.Pos.IsValid() || pe.Pos.Offset < 0 || pe.Pos.Offset > len(src) {
				t.Fatalf("invalid error position %+v for %q", pe.Pos, src)
			}
			_ = pe.Snippet()
			return
		}
		if len(toks) == 0 || toks[len(toks)-1].kind != tokEOF {
			t.Fatalf("no EOF token at the end of %q", src)
		}
		if eof := toks[len(toks)-1]; eof.off != len(src) || eof.end != len(src) {
			t.Fatalf("EOF token at %d..%d, want %d for %q", eof.off, eof.end, len(src), src)
		}
		prevEnd := 0
		for i, tk := range toks {
			if tk.off < prevEnd || tk.end < tk.off || tk.end > len(src) {
				t.Fatalf("token %d (%q) at %d..%d is out of order or outside the input (previous end %d, length %d)", i, tk.text, tk.off, tk.end, prevEnd, len(src))
			}
			if tk.kind != tokEOF && tk.end == tk.off {
				t.Fatalf("token %d is empty at %d in %q", i, tk.off, src)
			}
			if tk.kind == tokRaw && (tk.rawOff < tk.off || tk.rawOff > tk.end) {
				t.Fatalf("raw token %d content offset %d outside %d..%d", i, tk.rawOff, tk.off, tk.end)
			}
			// Between tokens there is only white space or comments.
			if gap, _ := lexSafely(t, src[prevEnd:tk.off]); len(gap) != 1 {
				t.Fatalf("gap %q before token %d holds tokens", src[prevEnd:tk.off], i)
			}
			prevEnd = tk.end
			if tk.kind == tokEOF {
				continue
			}
			// Round trip: the token's own text lexes to the same single token.
			text := src[tk.off:tk.end]
			again, pe := lexSafely(t, text)
			if pe != nil || len(again) != 2 {
				t.Fatalf("token %d text %q does not lex back to one token (%v, %d tokens) in %q", i, text, pe, len(again)-1, src)
			}
			a := again[0]
			if a.kind != tk.kind || a.text != tk.text || a.str != tk.str || a.i != tk.i ||
				(a.f != tk.f && !(math.IsNaN(a.f) && math.IsNaN(tk.f))) || a.end != len(text) || (tk.kind == tokRaw && a.rawOff-a.off != tk.rawOff-tk.off) {
				t.Fatalf("token %d text %q lexes to %+v alone, %+v in %q", i, text, a, tk, src)
			}
		}
	})
}

// lexSafely runs the lexer, turning its *ParseError panic into a return value; any other
// panic fails the test.
func lexSafely(t *testing.T, src string) (toks []token, pe *ParseError) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*ParseError)
			if !ok {
				t.Fatalf("lexer panic %v on %q", r, src)
			}
			toks, pe = nil, e
		}
	}()
	return lex(src, newLineIndex(src)), nil
}

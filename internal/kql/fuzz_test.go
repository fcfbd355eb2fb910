package kql

import (
	"errors"
	"strings"
	"testing"
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

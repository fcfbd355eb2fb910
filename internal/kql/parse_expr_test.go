package kql

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// tree renders an expression fully parenthesised, to check its structure.
func tree(e Expr) string {
	switch e := e.(type) {
	case *Binary:
		return "(" + tree(e.X) + " " + e.Op + " " + tree(e.Y) + ")"
	case *Unary:
		return "(" + e.Op + tree(e.X) + ")"
	case *In:
		parts := make([]string, len(e.List))
		for i, x := range e.List {
			parts[i] = tree(x)
		}
		return "(" + tree(e.X) + " " + e.Op + " [" + strings.Join(parts, " ") + "])"
	case *Between:
		op := "between"
		if e.Not {
			op = "!between"
		}
		return "(" + tree(e.X) + " " + op + " " + tree(e.Lo) + " " + tree(e.Hi) + ")"
	case *Member:
		return "(" + tree(e.X) + "." + e.Name + ")"
	case *Index:
		return "(" + tree(e.X) + "[" + tree(e.Index) + "])"
	case *Paren:
		return tree(e.X)
	case *Call:
		parts := make([]string, len(e.Args))
		for i, x := range e.Args {
			parts[i] = tree(x)
		}
		return e.Name + "(" + strings.Join(parts, " ") + ")"
	}
	return e.String()
}

func TestExprPrecedence(t *testing.T) {
	t.Parallel()
	f := func(expr, want string) {
		t.Helper()
		q, err := Parse("print " + expr)
		require.NoError(t, err, expr)
		require.Equal(t, want, tree(q.Body.Source.(*PrintSource).Cols[0].X), expr)
		requireRoundTrip(t, "print "+expr)
	}
	f(`a or b and c`, `(a or (b and c))`)
	f(`a and b or c`, `((a and b) or c)`)
	f(`a or b or c`, `((a or b) or c)`)
	f(`a == 1 and b != 2`, `((a == 1) and (b != 2))`)
	f(`a + 1 > b * 2`, `((a + 1) > (b * 2))`)
	f(`a < b == c < d`, `((a < b) == (c < d))`)
	f(`1 + 2 * 3 - 4`, `((1 + (2 * 3)) - 4)`)
	f(`1 - 2 - 3`, `((1 - 2) - 3)`)
	f(`8 / 4 / 2 % 3`, `(((8 / 4) / 2) % 3)`)
	f(`-a * b`, `((-a) * b)`)
	f(`-a.b[0]`, `(-((a.b)[0]))`)
	f(`- -1`, `(-(-1))`)
	f(`(a + b) * c`, `((a + b) * c)`)
	f(`s has "x" and t contains "y"`, `((s has "x") and (t contains "y"))`)
	f(`s has strcat("a", "b")`, `(s has strcat("a" "b"))`)
	f(`s startswith "a" or s !endswith "b"`, `((s startswith "a") or (s !endswith "b"))`)
	f(`s matches regex "a+" and b`, `((s matches regex "a+") and b)`)
	f(`x in (1, 2) or y !in (3)`, `((x in [1 2]) or (y !in [3]))`)
	f(`x + 1 in (2, 3)`, `((x + 1) in [2 3])`)
	f(`x between (1 + 1 .. 2 * 3) and y`, `((x between (1 + 1) (2 * 3)) and y)`)
	f(`t - 1d between (ago(2d) .. now())`, `((t - 1d) between ago(2d) now())`)
	f(`a.b.c`, `((a.b).c)`)
	f(`a["b"][0].c`, `(((a["b"])[0]).c)`)
	f(`parse_json(x).a`, `(parse_json(x).a)`)
	f(`not(a) and b`, `(not(a) and b)`)
	f(`iff(a > 1, b, c)`, `iff((a > 1) b c)`)
}

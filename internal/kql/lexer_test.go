package kql

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLex(t *testing.T) {
	t.Parallel()
	// f lexes src and checks the kinds and texts (or decoded values) of its tokens.
	f := func(src string, want ...string) {
		t.Helper()
		toks := lex(src, newLineIndex(src))
		var got []string
		for _, tk := range toks[:len(toks)-1] {
			switch tk.kind {
			case tokIdent:
				got = append(got, "id:"+tk.text)
			case tokOp:
				got = append(got, "op:"+tk.text)
			case tokString:
				got = append(got, "str:"+tk.str)
			case tokLong:
				got = append(got, "long:"+(&Literal{Type: TypeLong, Value: tk.i}).String())
			case tokReal:
				got = append(got, "real:"+formatReal(tk.f))
			case tokTimespan:
				got = append(got, "ts:"+formatTimespan(Timespan(tk.i)))
			case tokRaw:
				got = append(got, "raw:"+tk.text+":"+tk.str)
			}
		}
		require.Equal(t, want, got, "src: %s", src)
		require.Equal(t, tokEOF, toks[len(toks)-1].kind)
	}
	f(`T | project-away a`, "id:T", "op:|", "id:project", "op:-", "id:away", "id:a")
	f(`$left.a == $right.b`, "id:$left", "op:.", "id:a", "op:==", "id:$right", "op:.", "id:b")
	f(`['a b'] ["c"]`, "op:[", "str:a b", "op:]", "op:[", "str:c", "op:]")
	f(`a !has b !contains_cs c !in (d) !in~ e in~ f !between g`,
		"id:a", "op:!has", "id:b", "op:!contains_cs", "id:c", "op:!in", "op:(", "id:d", "op:)", "op:!in~", "id:e", "op:in~", "id:f", "op:!between", "id:g")
	f(`== != =~ !~ < <= > >= + - * / % .. = , ; : { }`,
		"op:==", "op:!=", "op:=~", "op:!~", "op:<", "op:<=", "op:>", "op:>=", "op:+", "op:-", "op:*", "op:/", "op:%", "op:..", "op:=", "op:,", "op:;", "op::", "op:{", "op:}")
	f(`1 ..2 1..2 1.5 1e3 1E-2 0x1f 007`, "long:1", "op:..", "long:2", "long:1", "op:..", "long:2", "real:1.5", "real:1000.0", "real:0.01", "long:31", "long:7")
	f(`1d 2h 30m 10s 100ms 1tick 3ticks 5microseconds 2.5h 1.5days 2hours 7min 1sec 3milliseconds`,
		"ts:1d", "ts:2h", "ts:30m", "ts:10s", "ts:100ms", "ts:1tick", "ts:3tick", "ts:5microsecond", "ts:150m", "ts:36h", "ts:2h", "ts:7m", "ts:1s", "ts:3ms")
	f(`"a\"b" 'c\'d' "\\\n\t\r" "\u00e9\0"`, "str:a\"b", "str:c'd", "str:\\\n\t\r", "str:é\x00")
	f(`@"c:\x""y" @'it''s' h"hidden" H'x' h@"v\"`, `str:c:\x"y`, "str:it's", "str:hidden", "str:x", `str:v\`)
	f("```a\n\"b\"```", "str:a\n\"b\"")
	f(`datetime(2026-01-10 02:30) datetime ( "x" ) timespan(1.02:00:00) time(1d) guid(null) datetime`,
		"raw:datetime:2026-01-10 02:30", `raw:datetime:"x"`, "raw:timespan:1.02:00:00", "raw:time:1d", "raw:guid:null", "id:datetime")
	f(`datetime("a)b")`, `raw:datetime:"a)b"`)
	f("a // comment\n// another\nb", "id:a", "id:b")
	f(`x.y a-b`, "id:x", "op:.", "id:y", "id:a", "op:-", "id:b")
}

func TestLineIndex(t *testing.T) {
	t.Parallel()
	src := "ab\ncé\n\nd"
	li := newLineIndex(src)
	for off, want := range map[int]Pos{
		0:  {0, 1, 1},
		2:  {2, 1, 3},
		3:  {3, 2, 1},
		4:  {4, 2, 2},
		6:  {6, 2, 3},
		7:  {7, 3, 1},
		8:  {8, 4, 1},
		9:  {9, 4, 2},
		99: {9, 4, 2},
	} {
		require.Equal(t, want, li.pos(off), "offset %d", off)
	}
	require.Equal(t, Pos{4, 2, 2}, li.pos(4)) // out of order after the cache moved on
	require.Equal(t, "2:3", Pos{Line: 2, Col: 3}.String())
	require.False(t, Pos{}.IsValid())
}

func TestTypes(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]Type{"double": TypeReal, "boolean": TypeBool, "int64": TypeLong, "date": TypeDatetime, "time": TypeTimespan, "uniqueid": TypeGuid} {
		got, err := ParseType(name)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := ParseType("blob")
	require.EqualError(t, err, `kql: unknown type "blob"`)
	require.Equal(t, "datetime", TypeDatetime.String())
	require.Equal(t, "Type(99)", Type(99).String())
}

func TestQuoteIdent(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"a": "a", "_x1": "_x1", "$left": "$left", "a b": `["a b"]`, "by": `["by"]`, "project": `["project"]`,
		"1a": `["1a"]`, "": `[""]`, `q"`: `["q\""]`, "é": `["é"]`,
	} {
		require.Equal(t, want, QuoteIdent(in))
	}
}

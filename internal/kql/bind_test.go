package kql

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// mapCatalog is a fixed catalog for binder tests.
type mapCatalog map[string]Schema

func (m mapCatalog) Table(name string) (Schema, bool) { s, ok := m[name]; return s, ok }

var testCatalog = mapCatalog{
	"T": {Path: []string{"T"}, Columns: []Column{
		{Name: "a", Type: TypeLong}, {Name: "s", Type: TypeString}, {Name: "t", Type: TypeDatetime},
		{Name: "d", Type: TypeDynamic},
	}},
}

func bindText(t *testing.T, q string) (*Plan, error) {
	t.Helper()
	pq, err := Parse(q)
	require.NoError(t, err, q)
	return Bind(pq, testCatalog, BindOptions{Now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
}

func schemaOf(p *Plan) []string {
	var out []string
	for _, c := range p.Root.Out().Columns {
		out = append(out, c.Name+":"+c.Type.String())
	}
	return out
}

func TestBindSchemas(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"T | project a, s", []string{"a:long", "s:string"}},
		{"T | project a * 2, x = s, strlen(s)", []string{"Column1:long", "x:string", "Column2:long"}},
		{"T | extend a = tostring(a)", []string{"a:string", "s:string", "t:datetime", "d:dynamic"}},
		{"T | summarize count(), sum(a) by bin(t, 1h)", []string{"t:datetime", "count_:long", "sum_a:long"}},
		{"T | summarize sum(toint(d.n))", []string{"sum_d_n:long"}},
		{"T | summarize arg_max(a, *) by s", []string{"s:string", "a:long", "t:datetime", "d:dynamic"}},
		{"T | count", []string{"Count:long"}},
		{"T | project-rename b = a", []string{"b:long", "s:string", "t:datetime", "d:dynamic"}},
		{"T | join (T) on a | project-away d, d1", []string{"a:long", "s:string", "t:datetime", "a1:long", "s1:string", "t1:datetime"}},
		{"print 1, x = 2.5, dayofweek(now())", []string{"print_0:long", "x:real", "print_2:timespan"}},
		{"T | project d.a.b, d['k']", []string{"d_a_b:dynamic", "d_k:dynamic"}},
		{"T | project r = (now() - t) / 1h", []string{"r:real"}},
	} {
		p, err := bindText(t, tc.q)
		require.NoError(t, err, tc.q)
		require.Equal(t, tc.want, schemaOf(p), tc.q)
	}
}

func TestBindErrors(t *testing.T) {
	for _, tc := range []struct{ q, want string }{
		{"X", `1:1: unknown table "X"`},
		{"T | where b > 1", `1:11: unknown column "b"`},
		{"T | where A > 1", `1:11: unknown column "A" (did you mean "a"?)`},
		{"T | extend c = count()", `1:16: aggregate count() is only valid in summarize`},
		{"T | project x = nope(a)", `1:17: unknown function "nope"`},
		{"T | project x = toscalar(a)", `1:17: function toscalar() is not supported`},
		{"T | where s + 1 > 2", `1:11: operator + does not apply to string and long`},
		{"T | project s.x", `1:13: s is string, not dynamic: cannot access a property`},
		{"T | take 1.5", `1:10: take needs a constant integer row count`},
	} {
		_, err := bindText(t, tc.q)
		var pe *ParseError
		require.True(t, errors.As(err, &pe), "%s: %v", tc.q, err)
		require.Equal(t, tc.want, err.Error(), tc.q)
	}
}

func TestBindNowPinned(t *testing.T) {
	p, err := bindText(t, "print now()")
	require.NoError(t, err)
	c := p.Root.(*Values).Rows[0][0].(*Const)
	require.Equal(t, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), c.Value)
}

func TestFormatTimespan(t *testing.T) {
	for _, tc := range []struct {
		in   Timespan
		want string
	}{
		{0, "00:00:00"}, {90 * Second, "00:01:30"}, {-Day, "-1.00:00:00"}, {Tick, "00:00:00.0000001"},
		{Day + 2*Hour + 3*Minute + 4*Second + 5*Millisecond, "1.02:03:04.0050000"},
	} {
		require.Equal(t, tc.want, FormatTimespan(int64(tc.in)))
	}
}

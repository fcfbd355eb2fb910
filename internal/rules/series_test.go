package rules

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSeries(t *testing.T) {
	t.Parallel()
	cols := []string{"user", "ws", "bytes"}
	rows := [][]any{
		{"a", int64(1), int64(10)},
		{"b", int64(1), 2.5},
		{"a", int64(1), json.Number("30")},
		{"a", int64(2), "7.25"}, // DECIMAL arrives as text
		{"b", int64(1), nil},
		{nil, int64(1), int64(1)},
	}
	split := func(m Measure, by ...string) Rule { return Rule{SplitBy: by, Measure: m} }
	count := Measure{Aggregation: AggCount}
	for _, tc := range []struct {
		name    string
		rule    Rule
		cols    []string
		rows    [][]any
		want    []Sample
		wantErr string
	}{
		{"count no split", split(count), cols, rows, []Sample{{Labels{}, 6}}, ""},
		{"count no rows", split(count), cols, nil, []Sample{{Labels{}, 0}}, ""},
		{"count split no rows", split(count, "user"), cols, nil, []Sample{}, ""},
		{"count by user", split(count, "user"), cols, rows, []Sample{
			{Labels{"user": ""}, 1}, {Labels{"user": "a"}, 3}, {Labels{"user": "b"}, 2},
		}, ""},
		{"count by user and ws", split(count, "user", "ws"), cols, rows, []Sample{
			{Labels{"user": "", "ws": "1"}, 1}, {Labels{"user": "a", "ws": "1"}, 2},
			{Labels{"user": "a", "ws": "2"}, 1}, {Labels{"user": "b", "ws": "1"}, 2},
		}, ""},
		{"sum by user", split(Measure{Column: "bytes", Aggregation: AggSum}, "user"), cols, rows, []Sample{
			{Labels{"user": ""}, 1}, {Labels{"user": "a"}, 47.25}, {Labels{"user": "b"}, 2.5},
		}, ""},
		{"avg skips nulls", split(Measure{Column: "bytes", Aggregation: AggAvg}, "user"), cols, rows, []Sample{
			{Labels{"user": ""}, 1}, {Labels{"user": "a"}, 15.75}, {Labels{"user": "b"}, 2.5},
		}, ""},
		{"min", split(Measure{Column: "bytes", Aggregation: AggMin}), cols, rows, []Sample{{Labels{}, 1}}, ""},
		{"max", split(Measure{Column: "bytes", Aggregation: AggMax}), cols, rows, []Sample{{Labels{}, 30}}, ""},
		{"count_distinct", split(Measure{Column: "ws", Aggregation: AggCountDistinct}, "user"), cols, rows, []Sample{
			{Labels{"user": ""}, 1}, {Labels{"user": "a"}, 2}, {Labels{"user": "b"}, 1},
		}, ""},
		{"count_distinct numbers by value", split(Measure{Column: "v", Aggregation: AggCountDistinct}), []string{"v"},
			[][]any{{int64(1)}, {1.0}, {json.Number("1")}, {"1"}, {nil}}, []Sample{{Labels{}, 2}}, ""},
		{"all null group has no sample", split(Measure{Column: "v", Aggregation: AggSum}, "k"), []string{"k", "v"},
			[][]any{{"x", nil}, {"y", int64(3)}}, []Sample{{Labels{"k": "y"}, 3}}, ""},
		{"aggregation no rows", split(Measure{Column: "v", Aggregation: AggMax}), []string{"v"}, nil, []Sample{}, ""},
		{"label types", split(count, "t", "b", "f"), []string{"t", "b", "f"},
			[][]any{{time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)), true, 0.5}},
			[]Sample{{Labels{"t": "2026-01-02T02:04:05Z", "b": "true", "f": "0.5"}, 1}}, ""},
		{"missing split column", split(count, "nope"), cols, rows, nil, `split_by column "nope" not in query result columns`},
		{"missing measure column", split(Measure{Column: "nope", Aggregation: AggSum}), cols, rows, nil, `measure column "nope" not in query result columns`},
		{"not a number", split(Measure{Column: "user", Aggregation: AggSum}), cols, rows, nil, `row 0, column "user": value "a" is not a number`},
		{"bool not a number", split(Measure{Column: "v", Aggregation: AggSum}), []string{"v"}, [][]any{{true}}, nil, "value true of type bool is not a number"},
		{"ragged row", split(count), cols, [][]any{{"a"}}, nil, "row 0 has 1 values for 3 columns"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Series(tc.rule, tc.cols, tc.rows)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestLabelsFingerprint(t *testing.T) {
	t.Parallel()
	a := Labels{"user": "a", "ws": "1"}
	b := Labels{"ws": "1", "user": "a"}
	require.Equal(t, a.Fingerprint(), b.Fingerprint())
	require.NotEqual(t, a.Fingerprint(), Labels{"user": "a1", "ws": ""}.Fingerprint())
	require.Equal(t, `{user="a", ws="1"}`, a.String())

	text, err := a.Fingerprint().MarshalText()
	require.NoError(t, err)
	require.Len(t, text, 16)
	var fp Fingerprint
	require.NoError(t, fp.UnmarshalText(text))
	require.Equal(t, a.Fingerprint(), fp)
}

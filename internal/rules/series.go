package rules

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sample is one series' measured value at an evaluation.
type Sample struct {
	Labels Labels
	Value  float64
}

// QueryResult is a rule's query result reduced to one sample per series, as Series builds it.
// A label set must appear at most once; when it repeats, the last sample wins.
type QueryResult struct {
	Samples []Sample
}

// Series reduces a query result table to one Sample per combination of the rule's split_by
// column values, measured as the rule says:
//
//   - count: the number of rows in the group;
//   - sum, avg, min, max: over the column's non-NULL numeric values (numbers, or strings that
//     parse as numbers, as DECIMAL values arrive); a group whose values are all NULL has no
//     sample, as SQL would give NULL;
//   - count_distinct: the number of distinct non-NULL values.
//
// Label values are the columns' values as text (NULL is the empty string, times are RFC 3339
// UTC). A rule without split_by has one series with empty labels; with count it exists even
// when there are no rows (value 0), so "== 0" conditions can detect silence. Samples are sorted
// by their labels' text, so the output does not depend on row order beyond value ties.
// A split_by or measure column missing from columns, or a non-numeric value, is an error.
func Series(r Rule, columns []string, rows [][]any) ([]Sample, error) {
	idx := make(map[string]int, len(columns))
	for i, c := range columns {
		if _, dup := idx[c]; !dup {
			idx[c] = i
		}
	}
	split := make([]int, len(r.SplitBy))
	for i, c := range r.SplitBy {
		j, ok := idx[c]
		if !ok {
			return nil, fmt.Errorf("split_by column %q not in query result columns %q", c, columns)
		}
		split[i] = j
	}
	measureCol := -1
	if r.Measure.Column != "" && r.Measure.Aggregation != AggCount {
		j, ok := idx[r.Measure.Column]
		if !ok {
			return nil, fmt.Errorf("measure column %q not in query result columns %q", r.Measure.Column, columns)
		}
		measureCol = j
	}

	type group struct {
		labels   Labels
		rows     int
		n        int // non-NULL values seen
		acc      float64
		distinct map[string]struct{}
	}
	groups := map[string]*group{}
	var keys []string
	var key strings.Builder
	for ri, row := range rows {
		if len(row) != len(columns) {
			return nil, fmt.Errorf("row %d has %d values for %d columns", ri, len(row), len(columns))
		}
		key.Reset()
		for i, j := range split {
			if i > 0 {
				key.WriteByte(0xff)
			}
			key.WriteString(labelValue(row[j]))
		}
		g := groups[key.String()]
		if g == nil {
			g = &group{labels: make(Labels, len(split))}
			for i, j := range split {
				g.labels[r.SplitBy[i]] = labelValue(row[j])
			}
			groups[key.String()] = g
			keys = append(keys, key.String())
		}
		g.rows++
		if measureCol < 0 || row[measureCol] == nil {
			continue
		}
		v := row[measureCol]
		if r.Measure.Aggregation == AggCountDistinct {
			if g.distinct == nil {
				g.distinct = map[string]struct{}{}
			}
			g.distinct[distinctKey(v)] = struct{}{}
			g.n++
			continue
		}
		f, err := toFloat(v)
		if err != nil {
			return nil, fmt.Errorf("row %d, column %q: %w", ri, r.Measure.Column, err)
		}
		switch {
		case g.n == 0:
			g.acc = f
		case r.Measure.Aggregation == AggSum || r.Measure.Aggregation == AggAvg:
			g.acc += f
		case r.Measure.Aggregation == AggMin:
			g.acc = math.Min(g.acc, f)
		case r.Measure.Aggregation == AggMax:
			g.acc = math.Max(g.acc, f)
		}
		g.n++
	}
	if len(rows) == 0 && len(split) == 0 && measureCol < 0 {
		return []Sample{{Labels: Labels{}, Value: 0}}, nil
	}

	out := make([]Sample, 0, len(keys))
	for _, k := range keys {
		g := groups[k]
		s := Sample{Labels: g.labels}
		switch {
		case measureCol < 0:
			s.Value = float64(g.rows)
		case r.Measure.Aggregation == AggCountDistinct:
			s.Value = float64(len(g.distinct))
		case g.n == 0:
			continue // all NULL
		case r.Measure.Aggregation == AggAvg:
			s.Value = g.acc / float64(g.n)
		default:
			s.Value = g.acc
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Sample) int { return strings.Compare(a.Labels.String(), b.Labels.String()) })
	return out, nil
}

// labelValue renders a result value as label text.
func labelValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return formatValue(x)
	case float32:
		return formatValue(float64(x))
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x)
	case json.Number:
		return x.String()
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case fmt.Stringer:
		return x.String()
	case map[string]any, []any:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
	return fmt.Sprint(v)
}

// distinctKey makes values that are equal as numbers count once (1 and 1.0), other values by text.
func distinctKey(v any) string {
	if f, err := toFloat(v); err == nil {
		if _, isString := v.(string); !isString {
			return "n:" + formatValue(f)
		}
	}
	return "s:" + labelValue(v)
}

// toFloat converts a numeric result value, or a string holding a number, to float64.
func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int8:
		return float64(x), nil
	case int16:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case uint:
		return float64(x), nil
	case uint8:
		return float64(x), nil
	case uint16:
		return float64(x), nil
	case uint32:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case json.Number:
		return strconv.ParseFloat(x.String(), 64)
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, fmt.Errorf("value %q is not a number", x)
		}
		return f, nil
	}
	return 0, fmt.Errorf("value %v of type %T is not a number", v, v)
}

package sqlgen

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/kql"
)

// A scan converts stored columns to their KQL representation (strings never null, datetimes as
// UTC TIMESTAMP, dynamic as JSON). Predicates and property paths written against the converted
// column would hide the stored one from DuckDB: a zone map cannot prune
// make_timestamp(epoch_us(event_time)) > X, and Identity.email on JSON text parses the JSON of
// every row. So a scan also passes the stored value along as a twin column "x<i>" of column i,
// nodes that keep a column keep its twin, and the emitter reads the twin where the result is
// provably the same:
//
//   - a stored TIMESTAMPTZ compared with a constant (where TimeGenerated > ago(7d)) compares the
//     stored column with the constant as TIMESTAMPTZ, and sorts by the stored column;
//   - a stored VARCHAR compared for equality with non-empty constants (ActionName == "create",
//     in (...)) compares the stored column, without the null-to-empty conversion;
//   - a property of a dynamic column with a kql.Backing (a struct or map in storage), read as a
//     string or number (tostring(Identity.email), toint(Response.statusCode)), reads the field.
//
// A twin column is written into a CTE as a placeholder (slot) and rendered at the end only when
// an expression downstream read it, so the SQL carries just the twins it uses.

// twin is the stored value of scan column i, carried beside it as "x<i>_<p>": one part p per
// stored column (twinParts).
type twin struct {
	col  kql.Column
	uses []*usage // per part
}

// usage records that a twin column of one CTE is read; its sources (the twins it selects) are
// then read too.
type usage struct {
	used bool
	from []*usage
}

func (u *usage) mark() {
	if u.used {
		return
	}
	u.used = true
	for _, f := range u.from {
		f.mark()
	}
}

// slot is a twin column written into a CTE as a placeholder: "\x00<n>\x00", which no
// quoted literal can contain (quoteString refuses NUL).
type slot struct {
	use *usage
	sql string
}

// fillSlots replaces the placeholders of sql by the twin columns that are used.
func (e *emitter) fillSlots(sql string) string {
	if len(e.slots) == 0 {
		return sql
	}
	var sb strings.Builder
	for {
		i := strings.IndexByte(sql, 0)
		if i < 0 {
			sb.WriteString(sql)
			return sb.String()
		}
		j := strings.IndexByte(sql[i+1:], 0) + i + 1
		n, _ := strconv.Atoi(sql[i+1 : j])
		sb.WriteString(sql[:i])
		if s := e.slots[n]; s.use.used {
			sb.WriteString(s.sql)
		}
		sql = sql[j+1:]
	}
}

// key identifies what a twin holds, for union: its inputs' twins must agree.
func (t twin) key() string {
	k := t.col.Type.String() + "|" + t.col.Native
	if b := t.col.Backing; b != nil {
		k += "|" + b.Native + "|" + strconv.FormatBool(b.Column == "")
		for _, f := range b.Fields {
			k += "|" + f.Name + ":" + f.Type.String()
		}
	}
	return k
}

func twinName(i, part int) string { return `"x` + strconv.Itoa(i) + "_" + strconv.Itoa(part) + `"` }

func isStoredTZ(native string) bool {
	n := strings.ToUpper(native)
	return strings.Contains(n, "WITH TIME ZONE") || n == "TIMESTAMPTZ"
}

// twinParts returns the stored columns a scan passes along for column c: the column itself
// (a stored TIMESTAMPTZ or VARCHAR), its backing's struct or map, or one column per field of a
// backing without one.
func twinParts(c kql.Column) []string {
	switch {
	case c.Type == kql.TypeDatetime && isStoredTZ(c.Native),
		c.Type == kql.TypeString && strings.EqualFold(c.Native, "VARCHAR"):
		return []string{QuoteIdent(c.Name)}
	case c.Type == kql.TypeDynamic && c.Backing != nil && c.Backing.Column != "":
		return []string{QuoteIdent(c.Backing.Column)}
	case c.Type == kql.TypeDynamic && c.Backing != nil && !c.Backing.Map:
		var out []string
		for _, f := range c.Backing.Fields {
			if f.Column == "" {
				return nil
			}
			out = append(out, QuoteIdent(f.Column))
		}
		return out
	}
	return nil
}

// newTwin returns a twin of c whose parts read the given sources.
func newTwin(c kql.Column, from [][]*usage) twin {
	t := twin{col: c, uses: make([]*usage, len(from))}
	for p := range from {
		t.uses[p] = &usage{from: from[p]}
	}
	return t
}

// twinCols renders a placeholder `, src AS "x<j>_<p>"` for each part of each output twin j
// (the part sources by output index), in index order.
func (e *emitter) twinCols(tw map[int]twin, srcs map[int][]string) string {
	idx := make([]int, 0, len(srcs))
	for j := range srcs {
		idx = append(idx, j)
	}
	sort.Ints(idx)
	var sb strings.Builder
	for _, j := range idx {
		for p, src := range srcs[j] {
			sb.WriteString("\x00" + strconv.Itoa(len(e.slots)) + "\x00")
			e.slots = append(e.slots, slot{use: tw[j].uses[p], sql: ", " + src + " AS " + twinName(j, p)})
		}
	}
	return sb.String()
}

// passTwins adds the twins of in that survive as output columns: out[j] = in twin i for each j
// whose value is input column i (from[j] = i, -1 for a computed column), with the SQL that
// selects them (prefix names the input, such as "l.").
func passTwins(in rel, from []int, prefix string, tw map[int]twin, srcs map[int][]string) {
	for j, i := range from {
		t, ok := in.twins[i]
		if !ok || i < 0 {
			continue
		}
		ups := make([][]*usage, len(t.uses))
		names := make([]string, len(t.uses))
		for p, u := range t.uses {
			ups[p] = []*usage{u}
			names[p] = prefix + twinName(i, p)
		}
		tw[j], srcs[j] = newTwin(t.col, ups), names
	}
}

// colRefs returns, per expression, the input column it reads as is, or -1.
func colRefs(xs []kql.Scalar) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = -1
		if c, ok := x.(*kql.ColRef); ok {
			out[i] = c.Index
		}
	}
	return out
}

func identity(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// twinOf returns the twin of s when s is an input column that has one, and its column index.
func (e *emitter) twinOf(s kql.Scalar) (twin, int, bool) {
	c, ok := s.(*kql.ColRef)
	if !ok {
		return twin{}, 0, false
	}
	t, ok := e.cur.twins[c.Index]
	return t, c.Index, ok
}

// read returns the name of part p of twin t of column i and records that it is read.
func read(t twin, i, p int) string {
	t.uses[p].mark()
	return twinName(i, p)
}

// isConst reports whether s reads no column, so that it is one value for the whole query.
func isConst(s kql.Scalar) bool {
	switch x := s.(type) {
	case *kql.Const:
		return true
	case *kql.Func:
		for _, a := range x.Args {
			if !isConst(a) {
				return false
			}
		}
		return true
	}
	return false
}

// storedTime renders a comparison operand pair on the stored TIMESTAMPTZ when one side is such
// a column and the other a constant; timezone('UTC', TIMESTAMP) is the instant that the KQL
// datetime names, whatever the session's time zone.
func (e *emitter) storedTime(a, b kql.Scalar) (string, string, bool) {
	if t, i, ok := e.twinOf(a); ok && t.col.Type == kql.TypeDatetime && isConst(b) {
		return read(t, i, 0), e.instant(b), true
	}
	if t, i, ok := e.twinOf(b); ok && t.col.Type == kql.TypeDatetime && isConst(a) {
		return e.instant(a), read(t, i, 0), true
	}
	return "", "", false
}

// instant renders a constant datetime as a TIMESTAMPTZ: a literal with offset +00 when
// constInstant can evaluate it (DuckDB then binds no ICU function), else through timezone().
func (e *emitter) instant(s kql.Scalar) string {
	if t, ok := constInstant(s); ok {
		return "CAST(" + quoteString(t.Format("2006-01-02 15:04:05.999999")+"+00") + " AS TIMESTAMPTZ)"
	}
	return "timezone('UTC', " + e.expr(s) + ")"
}

// maxFoldMicros bounds the timespans constInstant adds (200 years), within time.Duration.
const maxFoldMicros = 200 * 366 * 24 * 3600 * 1_000_000

// constInstant evaluates a datetime literal, now(), ago(span) or such a datetime plus or minus a
// timespan literal exactly as the emitted SQL would (ticks // 10 microseconds, the datetime
// truncated to microseconds), in UTC. It refuses what it cannot evaluate or what leaves the
// years 1-9999.
func constInstant(s kql.Scalar) (time.Time, bool) {
	switch x := s.(type) {
	case *kql.Const:
		t, ok := x.Value.(time.Time)
		if !ok || x.Null {
			return time.Time{}, false
		}
		t = t.UTC().Truncate(time.Microsecond)
		return t, t.Year() >= 1 && t.Year() <= 9999
	case *kql.Func:
		if x.Name != "+" && x.Name != "-" || len(x.Args) != 2 || x.Args[0].Type() != kql.TypeDatetime || x.Args[1].Type() != kql.TypeTimespan {
			return time.Time{}, false
		}
		t, ok := constInstant(x.Args[0])
		c, isConst := x.Args[1].(*kql.Const)
		if !ok || !isConst || c.Null {
			return time.Time{}, false
		}
		span, ok := c.Value.(kql.Timespan)
		us := int64(span) / 10
		if !ok || us > maxFoldMicros || us < -maxFoldMicros {
			return time.Time{}, false
		}
		if x.Name == "-" {
			us = -us
		}
		t = t.Add(time.Duration(us) * time.Microsecond)
		return t, t.Year() >= 1 && t.Year() <= 9999
	}
	return time.Time{}, false
}

// storedString returns the stored VARCHAR of a when a is such a column, and b is a non-empty
// constant string: then a == b is stored = b (a null stored value is "" ≠ b, hence false).
func (e *emitter) storedString(a, b kql.Scalar) (string, bool) {
	t, i, ok := e.twinOf(a)
	if !ok || t.col.Type != kql.TypeString || !nonEmptyConst(b) {
		return "", false
	}
	return read(t, i, 0), true
}

func nonEmptyConst(s kql.Scalar) bool {
	c, ok := s.(*kql.Const)
	if !ok || c.Null {
		return false
	}
	v, ok := c.Value.(string)
	return ok && v != ""
}

// cond renders a filter predicate. Under and/or at the top of a WHERE, false and null drop the
// same rows, so comparisons on stored columns may stay bare (stored = 'x', not
// coalesce(stored = 'x', FALSE)), which DuckDB pushes into the scan.
func (e *emitter) cond(s kql.Scalar) string {
	switch x := s.(type) {
	case *kql.Func:
		switch x.Name {
		case "and", "or":
			return "(" + e.cond(x.Args[0]) + " " + strings.ToUpper(x.Name) + " " + e.cond(x.Args[1]) + ")"
		case "==":
			if raw, ok := e.storedString(x.Args[0], x.Args[1]); ok {
				return "(" + raw + " = " + e.expr(x.Args[1]) + ")"
			}
			if raw, ok := e.storedString(x.Args[1], x.Args[0]); ok {
				return "(" + e.expr(x.Args[0]) + " = " + raw + ")"
			}
		}
	case *kql.InSet:
		if test, ok := e.storedIn(x); ok {
			return "(" + test + ")"
		}
	}
	return e.expr(s)
}

// storedIn renders a case-sensitive in over non-empty constant strings as a test of the stored
// column: stored = 'a' for one string, list_contains(['a', 'b'], stored) for more. DuckDB pushes
// both into the scan, which then reads the other columns of the matching rows only; stored IN
// ('a', 'b') is a filter after the scan, and with five strings or more a hash join, which also
// keeps a top-N from fetching its wide columns late (10 M events, 2.8 M rows scanned: 56-76 ms
// as IN, 26 ms as list_contains). Null is never in the list, as "" is not.
func (e *emitter) storedIn(x *kql.InSet) (string, bool) {
	if x.Op != "in" || x.Sub != nil || len(x.List) == 0 {
		return "", false
	}
	for _, it := range x.List {
		if !nonEmptyConst(it) {
			return "", false
		}
	}
	t, i, ok := e.twinOf(x.X)
	if !ok || t.col.Type != kql.TypeString {
		return "", false
	}
	parts := make([]string, len(x.List))
	for k, it := range x.List {
		parts[k] = e.expr(it)
	}
	if len(parts) == 1 {
		return read(t, i, 0) + " = " + parts[0], true
	}
	return "list_contains([" + strings.Join(parts, ", ") + "], " + read(t, i, 0) + ")", true
}

// nativePath reads a one-property path of a backed dynamic column (Identity.email,
// RequestParams["cluster_name"]) from its backing, when the property holds a string or an
// integer. It returns the SQL and the property's KQL type.
func (e *emitter) nativePath(s kql.Scalar) (string, kql.Type, bool) {
	f, ok := s.(*kql.Func)
	if !ok || f.Name != "json_path" || len(f.Args) != 2 {
		return "", 0, false
	}
	t, i, ok := e.twinOf(f.Args[0])
	if !ok || t.col.Backing == nil {
		return "", 0, false
	}
	c, ok := f.Args[1].(*kql.Const)
	if !ok {
		return "", 0, false
	}
	path, _ := c.Value.(string)
	key, ok := singleKey(path)
	if !ok {
		return "", 0, false
	}
	b := t.col.Backing
	pt, field, ok := b.Property(key)
	if !ok || pt != kql.TypeString && pt != kql.TypeInt && pt != kql.TypeLong {
		return "", 0, false
	}
	switch {
	case b.Map:
		return read(t, i, 0) + "[" + quoteString(key) + "]", pt, true
	case b.Column == "":
		return read(t, i, field), pt, true
	}
	return "struct_extract(" + read(t, i, 0) + ", " + quoteString(key) + ")", pt, true
}

// singleKey returns k for the JSON path $."k" that the binder builds for x.k and x["k"].
func singleKey(path string) (string, bool) {
	p, ok := strings.CutPrefix(path, `$."`)
	if !ok {
		return "", false
	}
	var sb strings.Builder
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			if i+1 >= len(p) {
				return "", false
			}
			i++
			sb.WriteByte(p[i])
		case '"':
			return sb.String(), i == len(p)-1
		default:
			sb.WriteByte(p[i])
		}
	}
	return "", false
}

// fromNative converts a property read from a backing (a string or an integer) to t exactly as
// fromDynamic converts the same property read from the JSON: a JSON string's text is the
// stored string, a JSON number's text is the integer's decimal form.
func (e *emitter) fromNative(raw string, rt, t kql.Type) string {
	text := raw
	if rt != kql.TypeString {
		text = "CAST(" + raw + " AS VARCHAR)"
	}
	switch t {
	case kql.TypeString:
		return "coalesce(" + text + ", '')"
	case kql.TypeInt, kql.TypeLong:
		if rt != kql.TypeString {
			return "TRY_CAST(" + raw + " AS " + sqlType(t) + ")"
		}
	case kql.TypeReal:
		return "TRY_CAST(" + text + " AS DOUBLE)"
	}
	return e.convert(text, kql.TypeString, t)
}

// nativeEmpty renders isnull/isempty (and negations) of a property read from a backing: null
// JSON is a null field; an empty JSON string is an empty stored string.
func nativeEmpty(name, raw string, rt kql.Type) string {
	test := "(" + raw + " IS NULL)"
	if rt == kql.TypeString && (name == "isempty" || name == "isnotempty") {
		test = "(" + raw + " IS NULL OR " + raw + " = '')"
	}
	if name == "isnotempty" || name == "isnotnull" {
		return "(NOT " + test + ")"
	}
	return test
}

package kql

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// reserved lists the words that are keywords somewhere in the grammar. An
// identifier with one of these names is printed as ['name'] so the printed
// query parses back to the same tree.
var reserved = wordSet(`
		and or not in between matches regex has has_cs hasprefix hasprefix_cs hassuffix hassuffix_cs
		contains contains_cs startswith startswith_cs endswith endswith_cs has_any has_all
		let set declare alias pattern restrict print datatable range union view find search
		externaldata evaluate cluster database by on with to from step limit asc desc nulls first last
		where filter project extend summarize take top sort order distinct join render type
		kind isfuzzy withsource bagexpansion with_itemindex typeof hint
		true false null bool boolean int int32 long int64 real double decimal string
		datetime date timespan time dynamic guid uniqueid`)

func wordSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// QuoteIdent renders a name as a KQL identifier: plain when it is a valid
// identifier and not a keyword, otherwise bracketed as ['name'].
func QuoteIdent(name string) string {
	if isPlainIdent(name) && !reserved[name] {
		return name
	}
	return "[" + quoteString(name) + "]"
}

func isPlainIdent(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentChar(s[i]) {
			return false
		}
	}
	return true
}

// quoteString renders s as a double-quoted KQL string literal.
func quoteString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f {
				b.WriteString(`\u`)
				h := strconv.FormatInt(int64(r), 16)
				b.WriteString(strings.Repeat("0", 4-len(h)) + h)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func joinNodes[T Node](xs []T, sep string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = x.String()
	}
	return strings.Join(parts, sep)
}

// String renders the query: one let statement per line, then the body with
// one operator per line.
func (n *Query) String() string {
	var b strings.Builder
	for _, l := range n.Lets {
		b.WriteString(l.String())
		b.WriteByte('\n')
	}
	if n.Body != nil {
		b.WriteString(n.Body.Source.String())
		for _, op := range n.Body.Ops {
			b.WriteString("\n| ")
			b.WriteString(op.String())
		}
	}
	return b.String()
}

// String renders "let name = value;".
func (n *LetStmt) String() string { return "let " + n.Name.String() + " = " + n.Value.String() + ";" }

// String renders the pipeline on one line.
func (n *TabularExpr) String() string {
	var b strings.Builder
	b.WriteString(n.Source.String())
	for _, op := range n.Ops {
		b.WriteString(" | ")
		b.WriteString(op.String())
	}
	return b.String()
}

// String renders "(query)".
func (n *SubQuery) String() string { return "(" + n.Query.String() + ")" }

// String renders the table name or pattern.
func (n *TableRef) String() string {
	if n.Pattern {
		return n.Name
	}
	return QuoteIdent(n.Name)
}

// String renders "print cols".
func (n *PrintSource) String() string { return "print " + joinNodes(n.Cols, ", ") }

// String renders "name:type".
func (n *ColumnDecl) String() string { return n.Name.String() + ":" + n.Type.String() }

// String renders "datatable(schema) [values]".
func (n *DatatableSource) String() string {
	return "datatable(" + joinNodes(n.Cols, ", ") + ") [" + joinNodes(n.Values, ", ") + "]"
}

// String renders "range col from a to b step c".
func (n *RangeSource) String() string {
	return "range " + n.Col.String() + " from " + n.From.String() + " to " + n.To.String() + " step " + n.Step.String()
}

// String renders "union options operands".
func (n *UnionOp) String() string {
	var b strings.Builder
	b.WriteString("union ")
	if n.Kind != "" {
		b.WriteString("kind=" + n.Kind + " ")
	}
	if n.WithSource != nil {
		b.WriteString("withsource=" + n.WithSource.String() + " ")
	}
	if n.IsFuzzy {
		b.WriteString("isfuzzy=true ")
	}
	b.WriteString(joinNodes(n.Operands, ", "))
	return b.String()
}

// String renders "where pred".
func (n *WhereOp) String() string { return "where " + n.Pred.String() }

// String renders "project cols".
func (n *ProjectOp) String() string { return "project " + joinNodes(n.Cols, ", ") }

// String renders "project-away cols".
func (n *ProjectAwayOp) String() string { return "project-away " + joinNodes(n.Cols, ", ") }

// String renders "project-keep cols".
func (n *ProjectKeepOp) String() string { return "project-keep " + joinNodes(n.Cols, ", ") }

// String renders "project-reorder cols".
func (n *ProjectReorderOp) String() string { return "project-reorder " + joinNodes(n.Cols, ", ") }

// String renders "new = old".
func (n *Rename) String() string { return n.New.String() + " = " + n.Old.String() }

// String renders "project-rename renames".
func (n *ProjectRenameOp) String() string { return "project-rename " + joinNodes(n.Renames, ", ") }

// String renders "extend cols".
func (n *ExtendOp) String() string { return "extend " + joinNodes(n.Cols, ", ") }

// String renders "summarize aggs by keys".
func (n *SummarizeOp) String() string {
	s := "summarize"
	if len(n.Aggs) > 0 {
		s += " " + joinNodes(n.Aggs, ", ")
	}
	if len(n.By) > 0 {
		s += " by " + joinNodes(n.By, ", ")
	}
	return s
}

// String renders "count".
func (n *CountOp) String() string { return "count" }

// String renders "take n".
func (n *TakeOp) String() string { return "take " + n.N.String() }

// String renders "top n by key".
func (n *TopOp) String() string { return "top " + n.N.String() + " by " + n.By.String() }

// String renders "sort by keys".
func (n *SortOp) String() string { return "sort by " + joinNodes(n.Keys, ", ") }

// String renders "x [asc|desc] [nulls first|last]".
func (n *SortKey) String() string {
	s := n.X.String()
	switch n.Order {
	case SortAsc:
		s += " asc"
	case SortDesc:
		s += " desc"
	}
	switch n.Nulls {
	case NullsFirst:
		s += " nulls first"
	case NullsLast:
		s += " nulls last"
	}
	return s
}

// String renders "distinct cols".
func (n *DistinctOp) String() string { return "distinct " + joinNodes(n.Cols, ", ") }

// String renders "join kind=k right on conds".
func (n *JoinOp) String() string {
	s := "join "
	if n.Kind != "" {
		s += "kind=" + n.Kind + " "
	}
	return s + n.Right.String() + " on " + joinNodes(n.On, ", ")
}

// String renders "name=values".
func (n *RenderProp) String() string { return n.Name + "=" + joinNodes(n.Values, ", ") }

// String renders "render chart with (props)".
func (n *RenderOp) String() string {
	s := "render " + n.Chart
	if len(n.Props) > 0 {
		s += " with (" + joinNodes(n.Props, ", ") + ")"
	}
	return s
}

// String renders "[name =] x [to typeof(t)]".
func (n *MvExpandItem) String() string {
	s := n.X.String()
	if n.Name != nil {
		s = n.Name.String() + " = " + s
	}
	if n.To != TypeUnknown {
		s += " to typeof(" + n.To.String() + ")"
	}
	return s
}

// String renders "mv-expand options items limit n".
func (n *MvExpandOp) String() string {
	s := "mv-expand "
	if n.BagExpansion != "" {
		s += "bagexpansion=" + n.BagExpansion + " "
	}
	if n.ItemIndex != nil {
		s += "with_itemindex=" + n.ItemIndex.String() + " "
	}
	s += joinNodes(n.Items, ", ")
	if n.Limit != nil {
		s += " limit " + n.Limit.String()
	}
	return s
}

// String renders "[name = ]x".
func (n *NamedExpr) String() string {
	if n.Name == nil {
		return n.X.String()
	}
	return n.Name.String() + " = " + n.X.String()
}

// String renders the name, bracketed when needed.
func (n *Ident) String() string { return QuoteIdent(n.Name) }

// String renders the pattern.
func (n *NamePattern) String() string { return n.Pattern }

// String renders "*".
func (n *Star) String() string { return "*" }

// String renders the literal in canonical form: bare when KQL has a bare
// spelling (1, 1.5, "s", true, 1d) and typed otherwise (int(1), long(-1),
// real(null), datetime(2026-01-10T00:00:00Z)).
func (n *Literal) String() string {
	if n.Null {
		return n.Type.String() + "(null)"
	}
	switch v := n.Value.(type) {
	case bool:
		if n.Type == TypeBool {
			return strconv.FormatBool(v)
		}
	case int64:
		switch n.Type {
		case TypeLong:
			if v < 0 {
				return "long(" + strconv.FormatInt(v, 10) + ")"
			}
			return strconv.FormatInt(v, 10)
		case TypeInt:
			return "int(" + strconv.FormatInt(v, 10) + ")"
		}
	case float64:
		if n.Type == TypeReal {
			s := formatReal(v)
			if v < 0 || math.Signbit(v) {
				return "real(" + s + ")"
			}
			return s
		}
	case string:
		switch n.Type {
		case TypeString:
			return quoteString(v)
		case TypeDecimal:
			return "decimal(" + v + ")"
		case TypeGuid:
			return "guid(" + v + ")"
		}
	case time.Time:
		if n.Type == TypeDatetime {
			return "datetime(" + formatDatetime(v) + ")"
		}
	case Timespan:
		if n.Type == TypeTimespan {
			if v < 0 {
				return "timespan(" + formatTimespan(v) + ")"
			}
			return formatTimespan(v)
		}
	}
	panic("BUG: literal of type " + n.Type.String() + " holds an unexpected value")
}

// formatReal renders f so that it lexes back as a real (never as a long).
func formatReal(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEIN") {
		s += ".0"
	}
	return s
}

// formatDatetime renders t as ISO 8601 UTC with up to 7 fractional digits.
func formatDatetime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.9999999Z")
}

// formatTimespan renders ticks as a number and the largest exact unit (90m, 100ms, 1tick).
func formatTimespan(v Timespan) string {
	sign := ""
	u := uint64(v)
	if v < 0 {
		sign = "-"
		u = uint64(-v)
	}
	for _, unit := range []struct {
		name  string
		ticks uint64
	}{{"d", uint64(Day)}, {"h", uint64(Hour)}, {"m", uint64(Minute)}, {"s", uint64(Second)}, {"ms", uint64(Millisecond)}, {"microsecond", uint64(Microsecond)}} {
		if u != 0 && u%unit.ticks == 0 {
			return sign + strconv.FormatUint(u/unit.ticks, 10) + unit.name
		}
	}
	if u == 0 {
		return sign + "0s"
	}
	return sign + strconv.FormatUint(u, 10) + "tick"
}

// String renders "dynamic(value)".
func (n *Dynamic) String() string { return "dynamic(" + formatDynamic(n.Value) + ")" }

func formatDynamic(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return formatReal(v)
	case string:
		return quoteString(v)
	case time.Time:
		return "datetime(" + formatDatetime(v) + ")"
	case Timespan:
		if v < 0 {
			return "timespan(" + formatTimespan(v) + ")"
		}
		return formatTimespan(v)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = formatDynamic(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *DynamicBag:
		parts := make([]string, len(v.Keys))
		for i, k := range v.Keys {
			parts[i] = quoteString(k) + ": " + formatDynamic(v.Values[i])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	panic("BUG: dynamic literal holds an unexpected value")
}

// String renders "-x" or "+x".
func (n *Unary) String() string { return n.Op + n.X.String() }

// String renders "x op y".
func (n *Binary) String() string { return n.X.String() + " " + n.Op + " " + n.Y.String() }

// String renders "x in (list)".
func (n *In) String() string { return n.X.String() + " " + n.Op + " (" + joinNodes(n.List, ", ") + ")" }

// String renders "x between (lo .. hi)".
func (n *Between) String() string {
	op := " between ("
	if n.Not {
		op = " !between ("
	}
	return n.X.String() + op + n.Lo.String() + " .. " + n.Hi.String() + ")"
}

// String renders "name(args)".
func (n *Call) String() string { return n.Name + "(" + joinNodes(n.Args, ", ") + ")" }

// String renders "x.name".
func (n *Member) String() string { return n.X.String() + "." + n.Name }

// String renders "x[index]".
func (n *Index) String() string { return n.X.String() + "[" + n.Index.String() + "]" }

// String renders "(x)".
func (n *Paren) String() string { return "(" + n.X.String() + ")" }

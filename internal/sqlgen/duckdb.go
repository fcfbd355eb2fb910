package sqlgen

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/kql"
)

// ordCol is the hidden column that carries a sort order through
// order-preserving nodes to the outermost SELECT (spec §4.6).
const ordCol = `"__ord"`

// DuckDB renders p as one DuckDB SELECT statement (DuckDBStatement without
// the order).
func DuckDB(p *kql.Plan) (sql string, args []any, err error) {
	st, err := DuckDBStatement(p)
	return st.SQL, st.Args, err
}

// Statement is a plan rendered as one SELECT.
type Statement struct {
	SQL string
	// Args are the statement's parameters; always empty for DuckDB, whose literals are inlined
	// through quoteString, and there so that a later dialect can bind them instead.
	Args []any
	// Ordered says that the rows come back in an order the query defines (sort, top, or an
	// order kept through the pipeline); otherwise their order is arbitrary.
	Ordered bool
}

// DuckDBStatement renders p as one DuckDB SELECT statement. The result
// columns are the plan's output schema, in order, named as in KQL; timespans
// come back as BIGINT ticks and dynamic values as JSON text.
func DuckDBStatement(p *kql.Plan) (st Statement, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(genError); ok {
				st, err = Statement{}, e
				return
			}
			if re, ok := r.(runtime.Error); ok {
				st, err = Statement{}, fmt.Errorf("sqlgen: internal error: %v", re)
				return
			}
			panic(r)
		}
	}()
	if p == nil || p.Root == nil {
		return Statement{}, fmt.Errorf("sqlgen: empty plan")
	}
	if len(p.Root.Out().Columns) == 0 {
		return Statement{}, fmt.Errorf("sqlgen: the query returns no columns")
	}
	e := &emitter{need: needs{}}
	e.need.visit(p.Root, nil)
	r, tail, ok := e.lastSort(p.Root)
	if !ok {
		r = e.node(p.Root)
		if r.ordered {
			tail = " ORDER BY " + ordCol
		}
	}
	var sb strings.Builder
	sb.WriteString("WITH ")
	for i, c := range e.ctes {
		if i > 0 {
			sb.WriteString(",\n")
		}
		sb.WriteString(c)
	}
	sb.WriteString("\nSELECT ")
	for i, c := range p.Root.Out().Columns {
		if i > 0 {
			sb.WriteString(", ")
		}
		col := colName(i)
		switch c.Type {
		case kql.TypeString:
			col = "coalesce(" + col + ", '')"
		case kql.TypeDynamic:
			col = "CAST(" + col + " AS VARCHAR)"
		}
		sb.WriteString(col + " AS " + QuoteIdent(c.Name))
	}
	sb.WriteString(" FROM " + r.name + tail)
	return Statement{SQL: e.fillSlots(sb.String()), Ordered: r.ordered || ok}, nil
}

// lastSort emits the input of a sort (or sort and take) that is the last operator, and returns
// it with the ORDER BY (and LIMIT) that the outermost SELECT applies to it directly: then no
// row_number() window has to carry the order to the end (spec §4.6). The keys must be columns,
// which the ORDER BY names qualified by the input, so that they never bind to an output alias
// of the same name.
func (e *emitter) lastSort(n kql.PlanNode) (rel, string, bool) {
	limit := ""
	if l, ok := n.(*kql.Limit); ok {
		limit = " LIMIT " + strconv.FormatInt(l.N, 10)
		n = l.In
	}
	s, ok := n.(*kql.Sort)
	if !ok {
		return rel{}, "", false
	}
	for _, k := range s.Keys {
		if _, ok := k.X.(*kql.ColRef); !ok {
			return rel{}, "", false
		}
	}
	saved := e.cur
	defer func() { e.cur = saved }()
	in := e.node(s.In)
	e.cur = in
	keys := e.orderByIn(s.Keys, in.name+".")
	return in, " ORDER BY " + keys + limit, true
}

// genError is a refusal raised while emitting; DuckDB returns it.
type genError struct{ msg string }

func (e genError) Error() string { return "sqlgen: " + e.msg }

func fail(format string, a ...any) { panic(genError{fmt.Sprintf(format, a...)}) }

// QuoteIdent quotes a SQL identifier; it is the only way names enter SQL.
func QuoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteString renders s as a SQL string literal. It is the one audited
// quoting function for values: DuckDB string literals have no backslash
// escapes, so doubling the quote is complete; NUL bytes are refused.
func quoteString(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		fail("string literals must not contain NUL bytes")
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func colName(i int) string { return `"c` + strconv.Itoa(i) + `"` }

type rel struct {
	name    string
	ordered bool
	twins   map[int]twin // column index -> its stored value, as "x<i>" (see native.go)
}

type emitter struct {
	ctes  []string
	n     int
	cur   rel    // the input that the expressions being rendered read
	slots []slot // twin columns written as placeholders (see native.go)
	need  needs  // the output columns of each node that are read (needs.go)
}

func (e *emitter) add(body string, ordered bool) rel {
	name := "n" + strconv.Itoa(e.n)
	e.n++
	e.ctes = append(e.ctes, name+" AS (\n  "+body+"\n)")
	return rel{name: name, ordered: ordered}
}

func sqlType(t kql.Type) string {
	switch t {
	case kql.TypeBool:
		return "BOOLEAN"
	case kql.TypeInt:
		return "INTEGER"
	case kql.TypeLong, kql.TypeTimespan:
		return "BIGINT"
	case kql.TypeReal, kql.TypeDecimal:
		return "DOUBLE"
	case kql.TypeDatetime:
		return "TIMESTAMP"
	case kql.TypeDynamic:
		return "JSON"
	}
	return "VARCHAR"
}

// selectList renders "expr AS c0, ..." (plus the order column when kept).
func selectList(exprs []string, ordered bool) string {
	return selectKept(exprs, ordered, func(int) bool { return true })
}

// selectOf is selectList of the output columns of n that are read (needs): the others are
// left out, and their expressions may be "".
func (e *emitter) selectOf(n kql.PlanNode, exprs []string, ordered bool) string {
	return selectKept(exprs, ordered, func(i int) bool { return e.need.keep(n, i) })
}

func selectKept(exprs []string, ordered bool, keep func(int) bool) string {
	var sb strings.Builder
	for i, x := range exprs {
		if !keep(i) {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(x + " AS " + colName(i))
	}
	if ordered {
		if sb.Len() > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(ordCol)
	}
	if sb.Len() == 0 {
		sb.WriteString("NULL AS " + `"__empty"`)
	}
	return sb.String()
}

func (e *emitter) node(n kql.PlanNode) rel {
	saved := e.cur
	defer func() { e.cur = saved }()
	switch x := n.(type) {
	case *kql.Scan:
		return e.scan(x)
	case *kql.Values:
		return e.values(x)
	case *kql.Range:
		return e.rangeNode(x)
	case *kql.Filter:
		in := e.node(x.In)
		e.cur = in
		return e.keep(e.add("SELECT * FROM "+in.name+" WHERE "+e.cond(x.Pred), in.ordered), in.twins)
	case *kql.Project:
		in := e.node(x.In)
		e.cur = in
		exprs := make([]string, len(x.Cols))
		for i, c := range x.Cols {
			if e.need.keep(x, i) {
				exprs[i] = e.expr(c)
			}
		}
		return e.project(x, in, exprs, colRefs(x.Cols))
	case *kql.Extend:
		in := e.node(x.In)
		e.cur = in
		nin := len(x.In.Out().Columns)
		exprs := make([]string, len(x.Schema.Columns))
		from := make([]int, len(x.Schema.Columns))
		for i := range exprs {
			from[i] = -1
			if i < nin {
				exprs[i] = colName(i)
				from[i] = i
			}
		}
		refs := colRefs(x.Cols)
		for i, c := range x.Cols {
			if e.need.keep(x, x.Targets[i]) {
				exprs[x.Targets[i]] = e.expr(c)
			}
			from[x.Targets[i]] = refs[i]
		}
		return e.project(x, in, exprs, from)
	case *kql.Sort:
		in := e.node(x.In)
		e.cur = in
		keys := e.orderBy(x.Keys)
		cols, tw := e.starExcept(x, in)
		return e.keep(e.add("SELECT "+cols+", row_number() OVER (ORDER BY "+keys+") AS "+ordCol+" FROM "+in.name, true), tw)
	case *kql.Limit:
		if s, ok := x.In.(*kql.Sort); ok {
			in := e.node(s.In)
			e.cur = in
			keys := e.orderBy(s.Keys)
			inner := "SELECT * FROM " + in.name + " ORDER BY " + keys + " LIMIT " + strconv.FormatInt(x.N, 10)
			cols, tw := e.starExcept(s, in)
			return e.keep(e.add("SELECT "+cols+", row_number() OVER (ORDER BY "+keys+") AS "+ordCol+" FROM ("+inner+")", true), tw)
		}
		in := e.node(x.In)
		ord := ""
		if in.ordered {
			ord = " ORDER BY " + ordCol
		}
		return e.keep(e.add("SELECT * FROM "+in.name+ord+" LIMIT "+strconv.FormatInt(x.N, 10), in.ordered), in.twins)
	case *kql.Aggregate:
		return e.aggregate(x)
	case *kql.Join:
		return e.join(x)
	case *kql.Union:
		return e.union(x)
	case *kql.MvExpand:
		return e.mvExpand(x)
	}
	fail("unsupported plan node %T", n)
	return rel{}
}

// keep gives r the twins of its input (r selects them with *).
func (e *emitter) keep(r rel, twins map[int]twin) rel {
	r.twins = twins
	return r
}

// project adds a SELECT of exprs over in, the output columns of n; from[j] is the input column
// that output j is, or -1, so that such columns keep their twins.
func (e *emitter) project(n kql.PlanNode, in rel, exprs []string, from []int) rel {
	tw, srcs := map[int]twin{}, map[int][]string{}
	passTwins(in, from, "", tw, srcs)
	return e.keep(e.add("SELECT "+e.selectOf(n, exprs, in.ordered)+e.twinCols(tw, srcs)+" FROM "+in.name, in.ordered), tw)
}

// starExcept lists the data columns of n (a sort, whose input in has the same columns) that
// are read, and in's twins, without the order column.
func (e *emitter) starExcept(n kql.PlanNode, in rel) (string, map[int]twin) {
	cols := n.Out().Columns
	var parts []string
	for i := range cols {
		if e.need.keep(n, i) {
			parts = append(parts, colName(i))
		}
	}
	if len(parts) == 0 {
		parts = []string{"NULL AS \"__empty\""}
	}
	tw, srcs := map[int]twin{}, map[int][]string{}
	passTwins(in, identity(len(cols)), "", tw, srcs)
	return strings.Join(parts, ", ") + e.twinCols(tw, srcs), tw
}

func (e *emitter) orderBy(keys []kql.OrderKey) string { return e.orderByIn(keys, "") }

// orderByIn renders sort keys; prefix qualifies the columns that keys name ("n3.").
func (e *emitter) orderByIn(keys []kql.OrderKey, prefix string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		dir := " ASC"
		if k.Desc {
			dir = " DESC"
		}
		nulls := " NULLS LAST"
		if k.NullsFirst {
			nulls = " NULLS FIRST"
		}
		x := e.expr(k.X)
		if t, i, ok := e.twinOf(k.X); ok && t.col.Type == kql.TypeDatetime {
			x = read(t, i, 0) // the stored instant sorts as its UTC timestamp
		}
		parts[i] = prefix + x + dir + nulls
	}
	return strings.Join(parts, ", ")
}

// scan converts stored columns to the KQL representation: strings never null,
// datetimes as UTC TIMESTAMP, timespans as ticks, dynamic as JSON.
func (e *emitter) scan(s *kql.Scan) rel {
	if len(s.Schema.Path) == 0 {
		fail("table %s has no storage path", s.Table)
	}
	var exprs []string
	tw, srcs := map[int]twin{}, map[int][]string{}
	for i, c := range s.Schema.Columns {
		if parts := twinParts(c); len(parts) > 0 {
			tw[i], srcs[i] = newTwin(c, make([][]*usage, len(parts))), parts
		}
		if !e.need.keep(s, i) {
			exprs = append(exprs, "")
			continue
		}
		q := QuoteIdent(c.Name)
		native := strings.ToUpper(c.Native)
		var x string
		switch c.Type {
		case kql.TypeString, kql.TypeGuid:
			if native == "VARCHAR" {
				x = "coalesce(" + q + ", '')"
			} else {
				x = "coalesce(CAST(" + q + " AS VARCHAR), '')"
			}
		case kql.TypeDatetime:
			switch {
			case isStoredTZ(native):
				// The instant's UTC wall time; timezone('UTC', q) gives the same through ICU,
				// 40 times slower.
				x = "make_timestamp(epoch_us(" + q + "))"
			default:
				x = "CAST(" + q + " AS TIMESTAMP)"
			}
		case kql.TypeTimespan:
			if native == "INTERVAL" {
				x = "CAST(epoch(" + q + ") * 10000000 AS BIGINT)"
			} else {
				x = "CAST(" + q + " AS BIGINT)"
			}
		case kql.TypeDynamic:
			if native == "JSON" {
				x = q
			} else {
				x = "to_json(" + q + ")"
			}
		default:
			x = "CAST(" + q + " AS " + sqlType(c.Type) + ")"
		}
		exprs = append(exprs, x)
	}
	from := s.Schema.Path
	if len(s.Schema.Read) > 0 {
		from = s.Schema.Read
	}
	path := make([]string, len(from))
	for i, p := range from {
		path[i] = QuoteIdent(p)
	}
	return e.keep(e.add("SELECT "+e.selectOf(s, exprs, false)+e.twinCols(tw, srcs)+" FROM "+strings.Join(path, "."), false), tw)
}

func (e *emitter) values(v *kql.Values) rel {
	cols := v.Schema.Columns
	if len(v.Rows) == 0 {
		exprs := make([]string, len(cols))
		for i, c := range cols {
			exprs[i] = "CAST(NULL AS " + sqlType(c.Type) + ")"
		}
		return e.add("SELECT "+selectList(exprs, false)+" WHERE false", false)
	}
	if len(v.Rows) == 1 {
		exprs := make([]string, len(cols))
		for i, x := range v.Rows[0] {
			exprs[i] = "CAST(" + e.expr(x) + " AS " + sqlType(cols[i].Type) + ")"
		}
		return e.add("SELECT "+selectList(exprs, false), false)
	}
	var sb strings.Builder
	sb.WriteString("SELECT * FROM (VALUES ")
	for r, row := range v.Rows {
		if r > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(")
		for i, x := range row {
			sb.WriteString("CAST(" + e.expr(x) + " AS " + sqlType(cols[i].Type) + "), ")
		}
		sb.WriteString(strconv.Itoa(r) + ")")
	}
	sb.WriteString(") AS t(")
	for i := range cols {
		sb.WriteString(colName(i) + ", ")
	}
	sb.WriteString(ordCol + ")")
	return e.add(sb.String(), true)
}

func (e *emitter) rangeNode(r *kql.Range) rel {
	t := r.Schema.Columns[0].Type
	from, to, step := e.expr(r.From), e.expr(r.To), e.expr(r.Step)
	var count, val string
	switch t {
	case kql.TypeDatetime:
		count = "(epoch_us(" + to + ") - epoch_us(" + from + ")) // (" + step + " // 10)"
		val = "(" + from + " + to_microseconds(i * (" + step + " // 10)))"
	case kql.TypeReal:
		count = "CAST(floor((" + to + " - " + from + ") / " + step + ") AS BIGINT)"
		val = "(" + from + " + i * " + step + ")"
	default:
		count = "CASE WHEN " + step + " = 0 THEN NULL ELSE (" + to + " - " + from + ") // " + step + " END"
		val = "(" + from + " + i * " + step + ")"
	}
	body := "SELECT CAST(" + val + " AS " + sqlType(t) + ") AS " + colName(0) + ", i AS " + ordCol +
		" FROM generate_series(0, " + count + ") AS g(i)"
	return e.add(body, true)
}

func (e *emitter) aggregate(a *kql.Aggregate) rel {
	in := e.node(a.In)
	e.cur = in
	var exprs []string
	var group []string
	for i, k := range a.Keys {
		exprs = append(exprs, e.expr(k))
		group = append(group, strconv.Itoa(i+1))
	}
	multi := false
	for _, ag := range a.Aggs {
		exprs = append(exprs, e.agg(ag))
		if len(ag.T) > 1 {
			multi = true
		}
	}
	body := "SELECT " + selectList(exprs, false) + " FROM " + in.name
	if len(group) > 0 {
		body += " GROUP BY " + strings.Join(group, ", ")
	}
	r := e.add(body, false)
	if !multi {
		return r
	}
	// Unpack the struct of arg_max/arg_min into columns.
	var outs []string
	for i := range a.Keys {
		outs = append(outs, colName(i))
	}
	for j, ag := range a.Aggs {
		src := colName(len(a.Keys) + j)
		if len(ag.T) == 1 {
			outs = append(outs, src)
			continue
		}
		for k := range ag.T {
			outs = append(outs, "struct_extract("+src+", 'v"+strconv.Itoa(k)+"')")
		}
	}
	return e.add("SELECT "+selectList(outs, false)+" FROM "+r.name, false)
}

func (e *emitter) agg(a *kql.AggCall) string {
	arg := func(i int) string { return e.expr(a.Args[i]) }
	filter := ""
	if a.Cond != nil {
		filter = " FILTER (WHERE " + e.expr(a.Cond) + ")"
	}
	switch a.Name {
	case "count", "countif":
		if len(a.Args) == 0 {
			return "count(*)" + filter
		}
		return "count(" + arg(0) + ")" + filter
	case "dcount", "dcountif":
		return "count(DISTINCT " + arg(0) + ")" + filter
	case "sum", "sumif":
		return "CAST(sum(" + arg(0) + ")" + filter + " AS " + sqlType(a.T[0]) + ")"
	case "avg", "avgif":
		return "avg(" + arg(0) + ")" + filter
	case "min", "minif":
		return "min(" + arg(0) + ")" + filter
	case "max", "maxif":
		return "max(" + arg(0) + ")" + filter
	case "percentile":
		return "quantile_disc(" + arg(0) + ", " + strconv.FormatFloat(a.Param[0]/100, 'g', -1, 64) + ")" + filter
	case "make_set", "make_list", "make_set_if", "make_list_if":
		x := arg(0)
		cond := x + " IS NOT NULL"
		if a.Cond != nil {
			cond += " AND (" + e.expr(a.Cond) + ")"
		}
		distinct := ""
		if strings.HasPrefix(a.Name, "make_set") {
			distinct = "DISTINCT "
		}
		l := "list(" + distinct + x + ") FILTER (WHERE " + cond + ")"
		if a.MaxSize > 0 {
			l = "list_slice(" + l + ", 1, " + strconv.FormatInt(a.MaxSize, 10) + ")"
		}
		return "coalesce(to_json(" + l + "), CAST('[]' AS JSON))"
	case "arg_max", "arg_min":
		parts := make([]string, len(a.Args))
		for i := range a.Args {
			parts[i] = "v" + strconv.Itoa(i) + " := " + arg(i)
		}
		return a.Name + "(struct_pack(" + strings.Join(parts, ", ") + "), " + arg(0) + ")" + filter
	case "take_any", "any":
		return "any_value(" + arg(0) + ")" + filter
	case "stdev":
		return "stddev_samp(" + arg(0) + ")" + filter
	case "variance":
		return "var_samp(" + arg(0) + ")" + filter
	}
	fail("aggregate %s has no DuckDB translation", a.Name)
	return ""
}

func (e *emitter) join(j *kql.Join) rel {
	l := e.node(j.Left)
	r := e.node(j.Right)
	lname := l.name
	if j.Kind == kql.JoinInnerUnique {
		parts := make([]string, len(j.LeftKeys))
		for i, k := range j.LeftKeys {
			parts[i] = colName(k)
		}
		lname = e.add("SELECT * FROM "+l.name+" QUALIFY row_number() OVER (PARTITION BY "+strings.Join(parts, ", ")+") = 1", false).name
	}
	var conds []string
	for i := range j.LeftKeys {
		conds = append(conds, "l."+colName(j.LeftKeys[i])+" = r."+colName(j.RightKeys[i]))
	}
	on := strings.Join(conds, " AND ")
	if on == "" {
		on = "TRUE"
	}
	nl := len(j.Left.Out().Columns)
	nr := len(j.Right.Out().Columns)
	side := func(alias string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = alias + "." + colName(i)
		}
		return out
	}
	// The innerunique dedup selects * from the left, so it has the left's twins.
	tw, srcs := map[int]twin{}, map[int][]string{}
	switch j.Kind {
	case kql.JoinLeftSemi, kql.JoinLeftAnti:
		not := ""
		if j.Kind == kql.JoinLeftAnti {
			not = "NOT "
		}
		passTwins(l, identity(nl), "l.", tw, srcs)
		return e.keep(e.add("SELECT "+selectList(side("l", nl), false)+e.twinCols(tw, srcs)+" FROM "+lname+" l WHERE "+not+"EXISTS (SELECT 1 FROM "+r.name+" r WHERE "+on+")", false), tw)
	case kql.JoinRightSemi, kql.JoinRightAnti:
		not := ""
		if j.Kind == kql.JoinRightAnti {
			not = "NOT "
		}
		passTwins(r, identity(nr), "r.", tw, srcs)
		return e.keep(e.add("SELECT "+selectList(side("r", nr), false)+e.twinCols(tw, srcs)+" FROM "+r.name+" r WHERE "+not+"EXISTS (SELECT 1 FROM "+lname+" l WHERE "+on+")", false), tw)
	}
	kind := map[kql.JoinKind]string{
		kql.JoinInnerUnique: "INNER JOIN", kql.JoinInner: "INNER JOIN", kql.JoinLeftOuter: "LEFT JOIN",
		kql.JoinRightOuter: "RIGHT JOIN", kql.JoinFullOuter: "FULL JOIN",
	}[j.Kind]
	if kind == "" {
		fail("join kind %s has no DuckDB translation", j.Kind)
	}
	cols := append(side("l", nl), side("r", nr)...)
	passTwins(l, identity(nl), "l.", tw, srcs)
	rfrom := make([]int, nl+nr) // output j of the right side is its column j-nl
	for j := range rfrom {
		rfrom[j] = max(j-nl, -1)
	}
	passTwins(r, rfrom, "r.", tw, srcs)
	return e.keep(e.add("SELECT "+selectList(cols, false)+e.twinCols(tw, srcs)+" FROM "+lname+" l "+kind+" "+r.name+" r ON "+on, false), tw)
}

func (e *emitter) union(u *kql.Union) rel {
	var parts []string
	out := u.Schema.Columns
	off := 0
	if u.WithSource {
		off = 1
	}
	rels := make([]rel, len(u.Inputs))
	for i, in := range u.Inputs {
		rels[i] = e.node(in)
	}
	// An output column keeps a twin when every input has one that holds the same.
	tw := map[int]twin{}
	for j := range out[off:] {
		var ins []twin
		for i, r := range rels {
			m := u.Maps[i][j]
			t, ok := r.twins[m]
			if !ok || m < 0 || i > 0 && t.key() != ins[0].key() {
				break
			}
			ins = append(ins, t)
		}
		if len(ins) == len(rels) {
			from := make([][]*usage, len(ins[0].uses))
			for _, t := range ins {
				for p, u := range t.uses {
					from[p] = append(from[p], u)
				}
			}
			tw[j+off] = newTwin(ins[0].col, from)
		}
	}
	for i, r := range rels {
		var exprs []string
		if u.WithSource {
			exprs = append(exprs, quoteString(u.Sources[i]))
		}
		srcs := map[int][]string{}
		for j, m := range u.Maps[i] {
			if m < 0 {
				exprs = append(exprs, "CAST(NULL AS "+sqlType(out[j+off].Type)+")")
			} else {
				exprs = append(exprs, colName(m))
			}
			if t, ok := tw[j+off]; ok {
				for p := range t.uses {
					srcs[j+off] = append(srcs[j+off], twinName(m, p))
				}
			}
		}
		parts = append(parts, "SELECT "+e.selectOf(u, exprs, false)+e.twinCols(tw, srcs)+" FROM "+r.name)
	}
	return e.keep(e.add(strings.Join(parts, "\n  UNION ALL\n  "), false), tw)
}

func (e *emitter) mvExpand(m *kql.MvExpand) rel {
	in := e.node(m.In)
	n := len(m.Schema.Columns)
	// unnest cannot be nested in other expressions, so convert afterwards.
	raw := make([]string, n)
	conv := make([]string, n)
	for i := range raw {
		raw[i] = colName(i)
		conv[i] = colName(i)
	}
	for k, c := range m.Cols {
		src := colName(c)
		// An array gives its elements; a property bag gives one {key: value}
		// bag per property (Kusto's default bagexpansion=bag); a scalar itself.
		list := "CASE WHEN json_type(" + src + ") = 'ARRAY' THEN CAST(json_extract(" + src + ", '$[*]') AS JSON[]) " +
			"WHEN json_type(" + src + ") = 'OBJECT' THEN list_transform(json_keys(" + src + "), lambda k: json_object(k, json_extract(" + src +
			", '/' || replace(replace(k, '~', '~0'), '/', '~1')))) " +
			"WHEN " + src + " IS NULL THEN CAST([] AS JSON[]) ELSE [" + src + "] END"
		if m.Limit > 0 {
			list = "list_slice(" + list + ", 1, " + strconv.FormatInt(m.Limit, 10) + ")"
		}
		raw[c] = "unnest(" + list + ")"
		if t := m.Types[k]; t != kql.TypeDynamic {
			conv[c] = e.fromDynamic(colName(c), t)
		}
	}
	// The columns not expanded keep their twins.
	from := identity(n)
	for _, c := range m.Cols {
		from[c] = -1
	}
	tw, srcs := map[int]twin{}, map[int][]string{}
	passTwins(in, from, "", tw, srcs)
	r := e.keep(e.add("SELECT "+selectList(raw, in.ordered)+e.twinCols(tw, srcs)+" FROM "+in.name, in.ordered), tw)
	tw2, srcs2 := map[int]twin{}, map[int][]string{}
	passTwins(r, identity(n), "", tw2, srcs2)
	return e.keep(e.add("SELECT "+selectList(conv, in.ordered)+e.twinCols(tw2, srcs2)+" FROM "+r.name, in.ordered), tw2)
}

// constSQL renders a constant.
func constSQL(c *kql.Const) string {
	if c.Null {
		return "CAST(NULL AS " + sqlType(c.T) + ")"
	}
	switch v := c.Value.(type) {
	case bool:
		if v {
			return "TRUE"
		}
		return "FALSE"
	case int64:
		return "CAST(" + strconv.FormatInt(v, 10) + " AS " + sqlType(c.T) + ")"
	case float64:
		return "CAST(" + quoteString(strconv.FormatFloat(v, 'g', -1, 64)) + " AS DOUBLE)"
	case kql.Timespan:
		return "CAST(" + strconv.FormatInt(int64(v), 10) + " AS BIGINT)"
	case time.Time:
		return "CAST(" + quoteString(v.UTC().Format("2006-01-02 15:04:05.999999")) + " AS TIMESTAMP)"
	case string:
		if c.T == kql.TypeDynamic {
			return "CAST(" + quoteString(v) + " AS JSON)"
		}
		return quoteString(v)
	}
	fail("constant of Go type %T", c.Value)
	return ""
}

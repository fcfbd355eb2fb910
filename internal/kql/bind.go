package kql

import (
	"fmt"
	"path"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Bind resolves a parsed query against a catalog into a typed plan. Every
// table, column and function name is checked: unknown names, aggregates
// outside summarize, type mismatches and unsupported (Tier 3) constructs are
// refused with a *ParseError carrying the position and the name. Bind never
// panics.
func Bind(q *Query, cat Catalog, opts BindOptions) (p *Plan, err error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	b := &binder{cat: cat, now: opts.Now.UTC(), lets: map[string]*letValue{}}
	defer func() {
		if r := recover(); r != nil {
			if be, ok := r.(*ParseError); ok {
				p, err = nil, be
				return
			}
			if _, ok := r.(runtime.Error); ok {
				p, err = nil, &ParseError{Pos: q.Pos, Msg: fmt.Sprintf("internal binder error: %v", r)}
				return
			}
			panic(r)
		}
	}()
	if q == nil || q.Body == nil {
		return nil, &ParseError{Msg: "empty query"}
	}
	for _, l := range q.Lets {
		b.bindLet(l)
	}
	b.plan = &Plan{}
	b.plan.Root = b.bindTabular(q.Body)
	return b.plan, nil
}

// letValue is what a let statement bound: a scalar or a tabular expression
// (kept as syntax and bound at each use).
type letValue struct {
	scalar Scalar
	dyn    *Dynamic // the literal, when the let is a constant dynamic value (expanded by in)
	tab    *TabularExpr
	lets   map[string]*letValue // the scope the tabular value was written in
}

type binder struct {
	cat  Catalog
	now  time.Time
	lets map[string]*letValue
	plan *Plan
}

func (b *binder) fail(pos Pos, format string, args ...any) {
	panic(&ParseError{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (b *binder) bindLet(l *LetStmt) {
	name := l.Name.Name
	switch v := l.Value.(type) {
	case *TabularExpr:
		b.lets[name] = &letValue{tab: v, lets: b.copyLets()}
		return
	case *SubQuery:
		b.lets[name] = &letValue{tab: v.Query, lets: b.copyLets()}
		return
	case *Ident:
		if _, ok := b.cat.Table(v.Name); ok || b.lets[v.Name] != nil && b.lets[v.Name].tab != nil {
			b.lets[name] = &letValue{tab: &TabularExpr{Pos: v.Pos, Source: &TableRef{Pos: v.Pos, Name: v.Name}}, lets: b.copyLets()}
			return
		}
	}
	s := b.bindScalar(&scope{}, l.Value)
	d, _ := l.Value.(*Dynamic)
	b.lets[name] = &letValue{scalar: s, dyn: d}
}

func (b *binder) copyLets() map[string]*letValue {
	m := make(map[string]*letValue, len(b.lets))
	for k, v := range b.lets {
		m[k] = v
	}
	return m
}

func (b *binder) bindTabular(te *TabularExpr) PlanNode {
	n := b.bindSource(te.Source)
	for _, op := range te.Ops {
		n = b.bindOp(n, op)
	}
	return n
}

func (b *binder) bindSource(src Source) PlanNode {
	switch s := src.(type) {
	case *TableRef:
		return b.bindTableRef(s)
	case *SubQuery:
		return b.bindTabular(s.Query)
	case *PrintSource:
		return b.bindPrint(s)
	case *DatatableSource:
		return b.bindDatatable(s)
	case *RangeSource:
		return b.bindRange(s)
	case *UnionOp:
		return b.bindUnion(nil, s)
	}
	b.fail(src.Position(), "unsupported source %s", src.String())
	return nil
}

func (b *binder) bindTableRef(t *TableRef) PlanNode {
	if t.Pattern {
		b.fail(t.Pos, "a table name pattern (%s) is only valid in union", t.Name)
	}
	if lv, ok := b.lets[t.Name]; ok && lv.tab != nil {
		saved := b.lets
		b.lets = lv.lets
		n := b.bindTabular(lv.tab)
		b.lets = saved
		return n
	}
	s, ok := b.cat.Table(t.Name)
	if !ok {
		b.fail(t.Pos, "unknown table %q", t.Name)
	}
	return &Scan{Table: t.Name, Schema: s}
}

func (b *binder) bindPrint(p *PrintSource) PlanNode {
	sc := &scope{}
	var row []Scalar
	var cols []Column
	for i, c := range p.Cols {
		x := b.bindScalar(sc, c.X)
		name := "print_" + strconv.Itoa(i)
		if c.Name != nil {
			name = c.Name.Name
		} else if n := exprName(c.X); n != "" {
			name = n
		}
		row = append(row, x)
		cols = append(cols, Column{Name: name, Type: x.Type()})
	}
	return &Values{Schema: Schema{Columns: uniqueNames(cols)}, Rows: [][]Scalar{row}}
}

func (b *binder) bindDatatable(d *DatatableSource) PlanNode {
	var cols []Column
	for _, c := range d.Cols {
		cols = append(cols, Column{Name: c.Name.Name, Type: c.Type})
	}
	if len(cols) == 0 {
		b.fail(d.Pos, "datatable needs at least one column")
	}
	if len(d.Values)%len(cols) != 0 {
		b.fail(d.Pos, "datatable has %d values, not a multiple of its %d columns", len(d.Values), len(cols))
	}
	v := &Values{Schema: Schema{Columns: cols}}
	sc := &scope{}
	for i := 0; i < len(d.Values); i += len(cols) {
		row := make([]Scalar, len(cols))
		for j := range cols {
			e := d.Values[i+j]
			x := b.bindScalar(sc, e)
			if _, ok := x.(*Const); !ok {
				b.fail(e.Position(), "datatable values must be constants")
			}
			row[j] = b.convertConst(e.Position(), x.(*Const), cols[j].Type)
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// convertConst converts a datatable cell to its column type.
func (b *binder) convertConst(pos Pos, c *Const, t Type) Scalar {
	if c.T == t || c.Null {
		return &Const{T: t, Null: c.Null, Value: c.Value}
	}
	switch {
	case t == TypeDynamic:
		return &Func{Name: "todynamic", Args: []Scalar{c}, T: TypeDynamic}
	case isNumeric(t) && isNumeric(c.T):
		return &Func{Name: "cast", Args: []Scalar{c}, T: t}
	case t == TypeString && c.T == TypeGuid, t == TypeGuid && c.T == TypeString:
		return &Const{T: t, Value: c.Value}
	}
	b.fail(pos, "datatable value of type %s does not fit a %s column", c.T, t)
	return nil
}

func (b *binder) bindRange(r *RangeSource) PlanNode {
	sc := &scope{}
	from := b.bindScalar(sc, r.From)
	to := b.bindScalar(sc, r.To)
	step := b.bindScalar(sc, r.Step)
	t := from.Type()
	switch {
	case t == TypeDatetime:
		to = b.convert(r.To.Position(), to, TypeDatetime)
		step = b.convert(r.Step.Position(), step, TypeTimespan)
	case t == TypeTimespan:
		to = b.convert(r.To.Position(), to, TypeTimespan)
		step = b.convert(r.Step.Position(), step, TypeTimespan)
	case isNumeric(t):
		if to.Type() == TypeReal || step.Type() == TypeReal {
			t = TypeReal
		} else {
			t = TypeLong
		}
		from, to, step = b.convert(r.From.Position(), from, t), b.convert(r.To.Position(), to, t), b.convert(r.Step.Position(), step, t)
	default:
		b.fail(r.From.Position(), "range needs a number, datetime or timespan, not %s", t)
	}
	return &Range{Schema: Schema{Columns: []Column{{Name: r.Col.Name, Type: t}}}, From: from, To: to, Step: step}
}

func (b *binder) bindUnion(left PlanNode, u *UnionOp) PlanNode {
	var ins []PlanNode
	var names []string
	if left != nil {
		ins = append(ins, left)
		names = append(names, "union_arg0")
	}
	for _, op := range u.Operands {
		if t, ok := op.(*TableRef); ok && t.Pattern {
			lister, ok := b.cat.(TableLister)
			if !ok {
				b.fail(t.Pos, "table pattern %s cannot be expanded by this catalog", t.Name)
			}
			found := false
			for _, name := range lister.TableNames() {
				if m, _ := path.Match(t.Name, name); m {
					ins = append(ins, b.bindTableRef(&TableRef{Pos: t.Pos, Name: name}))
					names = append(names, name)
					found = true
				}
			}
			if !found {
				b.fail(t.Pos, "no table matches %s", t.Name)
			}
			continue
		}
		ins = append(ins, b.bindSource(op))
		if t, ok := op.(*TableRef); ok {
			names = append(names, t.Name)
		} else {
			names = append(names, "union_arg"+strconv.Itoa(len(names)))
		}
	}
	n := &Union{Inputs: ins, Sources: names}
	// Column superset in first-seen order; kind=inner keeps the common ones.
	type key struct {
		name string
		t    Type
	}
	var order []key
	seen := map[key]int{}
	for _, in := range ins {
		for _, c := range in.Out().Columns {
			k := key{c.Name, c.Type}
			if _, ok := seen[k]; !ok {
				seen[k] = 0
				order = append(order, k)
			}
			seen[k]++
		}
	}
	// Same name with different types: Kusto suffixes the type (name_string).
	nameCount := map[string]int{}
	for _, k := range order {
		nameCount[k.name]++
	}
	var cols []Column
	var keys []key
	for _, k := range order {
		if u.Kind == "inner" && seen[k] != len(ins) {
			continue
		}
		name := k.name
		if nameCount[k.name] > 1 {
			name = k.name + "_" + k.t.String()
		}
		cols = append(cols, Column{Name: name, Type: k.t})
		keys = append(keys, k)
	}
	for _, in := range ins {
		out := in.Out()
		m := make([]int, len(keys))
		for j, k := range keys {
			m[j] = -1
			for i, c := range out.Columns {
				if c.Name == k.name && c.Type == k.t {
					m[j] = i
				}
			}
		}
		n.Maps = append(n.Maps, m)
	}
	if u.WithSource != nil {
		n.WithSource = true
		cols = append([]Column{{Name: u.WithSource.Name, Type: TypeString}}, cols...)
	}
	n.Schema = Schema{Columns: uniqueNames(cols)}
	return n
}

func (b *binder) bindOp(in PlanNode, op Operator) PlanNode {
	switch o := op.(type) {
	case *WhereOp:
		sc := &scope{schema: in.Out()}
		p := b.convert(o.Pred.Position(), b.bindScalar(sc, o.Pred), TypeBool)
		return &Filter{In: in, Pred: p}
	case *ProjectOp:
		return b.bindProject(in, o)
	case *ProjectAwayOp:
		keep := b.matchColumns(in.Out(), o.Cols, "project-away")
		var idx []int
		for i := range in.Out().Columns {
			if !keep[i] {
				idx = append(idx, i)
			}
		}
		return pick(in, idx)
	case *ProjectKeepOp:
		keep := b.matchColumns(in.Out(), o.Cols, "project-keep")
		var idx []int
		for i := range in.Out().Columns {
			if keep[i] {
				idx = append(idx, i)
			}
		}
		return pick(in, idx)
	case *ProjectReorderOp:
		return b.bindReorder(in, o)
	case *ProjectRenameOp:
		out := in.Out()
		cols := append([]Column(nil), out.Columns...)
		for _, r := range o.Renames {
			i := out.Index(r.Old.Name)
			if i < 0 {
				b.fail(r.Old.Pos, "unknown column %q%s", r.Old.Name, suggest(r.Old.Name, out))
			}
			cols[i].Name = r.New.Name
		}
		idx := make([]int, len(cols))
		for i := range idx {
			idx[i] = i
		}
		p := pick(in, idx).(*Project)
		p.Schema.Columns = cols
		b.checkUnique(o.Pos, cols)
		return p
	case *ExtendOp:
		return b.bindExtend(in, o)
	case *SummarizeOp:
		return b.bindSummarize(in, o)
	case *CountOp:
		return &Aggregate{In: in, Aggs: []*AggCall{{Name: "count", T: []Type{TypeLong}}},
			Schema: Schema{Columns: []Column{{Name: "Count", Type: TypeLong}}}}
	case *TakeOp:
		return &Limit{In: in, N: b.constLong(o.N, "take")}
	case *TopOp:
		n := b.constLong(o.N, "top")
		return &Limit{In: &Sort{In: in, Keys: []OrderKey{b.bindSortKey(in, o.By)}}, N: n}
	case *SortOp:
		s := &Sort{In: in}
		for _, k := range o.Keys {
			s.Keys = append(s.Keys, b.bindSortKey(in, k))
		}
		return s
	case *DistinctOp:
		return b.bindDistinct(in, o)
	case *JoinOp:
		return b.bindJoin(in, o)
	case *UnionOp:
		return b.bindUnion(in, o)
	case *RenderOp:
		r := &Render{Chart: o.Chart, Props: map[string]string{}}
		for _, p := range o.Props {
			var vs []string
			for _, v := range p.Values {
				vs = append(vs, v.String())
			}
			r.Props[p.Name] = strings.Join(vs, ",")
		}
		b.plan.Render = r
		return in
	case *MvExpandOp:
		return b.bindMvExpand(in, o)
	}
	b.fail(op.Position(), "operator %s is not supported", op.Name())
	return nil
}

// pick projects the input columns idx, in that order.
func pick(in PlanNode, idx []int) PlanNode {
	out := in.Out()
	p := &Project{In: in}
	for _, i := range idx {
		c := out.Columns[i]
		p.Cols = append(p.Cols, &ColRef{Index: i, Name: c.Name, T: c.Type})
		p.Schema.Columns = append(p.Schema.Columns, Column{Name: c.Name, Type: c.Type})
	}
	return p
}

func (b *binder) matchColumns(s Schema, pats []Expr, op string) map[int]bool {
	m := map[int]bool{}
	for _, e := range pats {
		switch x := e.(type) {
		case *Ident:
			i := s.Index(x.Name)
			if i < 0 {
				b.fail(x.Pos, "unknown column %q in %s%s", x.Name, op, suggest(x.Name, s))
			}
			m[i] = true
		case *NamePattern:
			for i, c := range s.Columns {
				if ok, _ := path.Match(x.Pattern, c.Name); ok {
					m[i] = true
				}
			}
		default:
			b.fail(e.Position(), "%s takes column names", op)
		}
	}
	return m
}

func (b *binder) bindReorder(in PlanNode, o *ProjectReorderOp) PlanNode {
	s := in.Out()
	used := map[int]bool{}
	var idx []int
	for _, e := range o.Cols {
		m := b.matchColumns(s, []Expr{e}, "project-reorder")
		for i := range s.Columns {
			if m[i] && !used[i] {
				used[i] = true
				idx = append(idx, i)
			}
		}
	}
	for i := range s.Columns {
		if !used[i] {
			idx = append(idx, i)
		}
	}
	return pick(in, idx)
}

// outputName is the name Kusto gives an output column: the name written (name = expr), else
// the expression's own name (a column, a dynamic path), else the next of Column1, Column2, …
// counted in *auto, skipping names for which taken (when not nil) says they are in use.
func outputName(written *Ident, x Expr, auto *int, taken func(string) bool) string {
	if written != nil {
		return written.Name
	}
	if name := exprName(x); name != "" {
		return name
	}
	for {
		*auto++
		name := "Column" + strconv.Itoa(*auto)
		if taken == nil || !taken(name) {
			return name
		}
	}
}

func (b *binder) bindProject(in PlanNode, o *ProjectOp) PlanNode {
	sc := &scope{schema: in.Out()}
	p := &Project{In: in}
	auto := 0
	for _, c := range o.Cols {
		x := b.bindScalar(sc, c.X)
		name := outputName(c.Name, c.X, &auto, nil)
		p.Cols = append(p.Cols, x)
		p.Schema.Columns = append(p.Schema.Columns, Column{Name: name, Type: x.Type()})
	}
	b.checkUnique(o.Pos, p.Schema.Columns)
	return p
}

func (b *binder) checkUnique(pos Pos, cols []Column) {
	seen := map[string]bool{}
	for _, c := range cols {
		if seen[c.Name] {
			b.fail(pos, "column %q is defined twice", c.Name)
		}
		seen[c.Name] = true
	}
}

func (b *binder) bindExtend(in PlanNode, o *ExtendOp) PlanNode {
	out := in.Out()
	cols := append([]Column(nil), out.Columns...)
	sc := &scope{schema: out, extra: map[string]Scalar{}}
	e := &Extend{In: in}
	auto := 0
	for _, c := range o.Cols {
		x := b.bindScalar(sc, c.X)
		name := outputName(c.Name, c.X, &auto, func(n string) bool { return indexOf(cols, n) >= 0 })
		t := indexOf(cols, name)
		if t < 0 {
			cols = append(cols, Column{Name: name, Type: x.Type()})
			t = len(cols) - 1
		} else {
			cols[t] = Column{Name: name, Type: x.Type()}
		}
		// A later expression of the same extend sees this value.
		sc.extra[name] = x
		for i, tt := range e.Targets {
			if tt == t {
				e.Targets = append(e.Targets[:i], e.Targets[i+1:]...)
				e.Cols = append(e.Cols[:i], e.Cols[i+1:]...)
				break
			}
		}
		e.Cols = append(e.Cols, x)
		e.Targets = append(e.Targets, t)
	}
	e.Schema = Schema{Columns: cols}
	return e
}

func indexOf(cols []Column, name string) int {
	for i, c := range cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

func (b *binder) bindSortKey(in PlanNode, k *SortKey) OrderKey {
	sc := &scope{schema: in.Out()}
	x := b.bindScalar(sc, k.X)
	desc := k.Order != SortAsc
	nullsFirst := !desc
	switch k.Nulls {
	case NullsFirst:
		nullsFirst = true
	case NullsLast:
		nullsFirst = false
	}
	return OrderKey{X: x, Desc: desc, NullsFirst: nullsFirst}
}

func (b *binder) constLong(e Expr, op string) int64 {
	x := b.bindScalar(&scope{}, e)
	c, ok := x.(*Const)
	if !ok || c.Null || (c.T != TypeLong && c.T != TypeInt) {
		b.fail(e.Position(), "%s needs a constant integer row count", op)
	}
	n := c.Value.(int64)
	if n < 0 {
		b.fail(e.Position(), "%s needs a non-negative row count", op)
	}
	return n
}

func (b *binder) bindDistinct(in PlanNode, o *DistinctOp) PlanNode {
	s := in.Out()
	a := &Aggregate{In: in}
	if len(o.Cols) == 1 {
		if _, ok := o.Cols[0].(*Star); ok {
			for i, c := range s.Columns {
				a.Keys = append(a.Keys, &ColRef{Index: i, Name: c.Name, T: c.Type})
				a.Schema.Columns = append(a.Schema.Columns, Column{Name: c.Name, Type: c.Type})
			}
			return a
		}
	}
	sc := &scope{schema: s}
	auto := 0
	for _, e := range o.Cols {
		x := b.bindScalar(sc, e)
		name := outputName(nil, e, &auto, nil)
		a.Keys = append(a.Keys, x)
		a.Schema.Columns = append(a.Schema.Columns, Column{Name: name, Type: x.Type()})
	}
	b.checkUnique(o.Pos, a.Schema.Columns)
	return a
}

func (b *binder) bindSummarize(in PlanNode, o *SummarizeOp) PlanNode {
	s := in.Out()
	sc := &scope{schema: s}
	a := &Aggregate{In: in}
	var keyCols []Column
	auto := 0
	for _, k := range o.By {
		x := b.bindScalar(sc, k.X)
		name := outputName(k.Name, k.X, &auto, nil)
		a.Keys = append(a.Keys, x)
		keyCols = append(keyCols, Column{Name: name, Type: x.Type()})
	}
	// Aggregates are collected into a.Aggs; an expression over aggregates
	// (round(avg(x), 2)) becomes a projection on top of the aggregate.
	as := &aggScope{b: b, in: sc, nkeys: len(a.Keys), keys: keyCols, agg: a}
	type outCol struct {
		cols []Column
		xs   []Scalar
	}
	var outs []outCol
	needProject := false
	keyNames := map[string]bool{}
	for _, c := range keyCols {
		keyNames[c.Name] = true
	}
	for _, e := range o.Aggs {
		if call, ok := e.X.(*Call); ok {
			if d, ok := LookupFunc(call.Name); ok && d.Agg {
				first := len(a.Aggs)
				cols := as.addAgg(call, keyNames)
				if e.Name != nil {
					if len(cols) != 1 && call.Name != "arg_max" && call.Name != "arg_min" {
						b.fail(e.Pos, "%s() returns %d columns; name them with (a, b) = ... is not supported", call.Name, len(cols))
					}
					cols[0].Name = e.Name.Name
				}
				// Aggregate outputs follow the keys, flattened.
				base := len(a.Keys) + as.width(first)
				xs := make([]Scalar, len(cols))
				for i := range xs {
					xs[i] = &ColRef{Index: base + i, Name: cols[i].Name, T: cols[i].Type}
				}
				outs = append(outs, outCol{cols: cols, xs: xs})
				continue
			}
		}
		x := as.bind(e.X)
		name := ""
		if e.Name != nil {
			name = e.Name.Name
		} else {
			auto++
			name = "Column" + strconv.Itoa(auto)
		}
		needProject = true
		outs = append(outs, outCol{cols: []Column{{Name: name, Type: x.Type()}}, xs: []Scalar{x}})
	}
	var aggCols []Column
	for _, o := range outs {
		aggCols = append(aggCols, o.cols...)
	}
	all := uniqueNames(append(append([]Column(nil), keyCols...), aggCols...))
	if !needProject {
		a.Schema = Schema{Columns: all}
		return a
	}
	// The aggregate's own schema: keys, then one column per aggregate output.
	inner := append([]Column(nil), keyCols...)
	for i, ag := range a.Aggs {
		for j, t := range ag.T {
			inner = append(inner, Column{Name: fmt.Sprintf("__agg%d_%d", i, j), Type: t})
		}
	}
	a.Schema = Schema{Columns: inner}
	p := &Project{In: a, Schema: Schema{Columns: all}}
	for i, c := range keyCols {
		p.Cols = append(p.Cols, &ColRef{Index: i, Name: c.Name, T: c.Type})
	}
	for _, o := range outs {
		p.Cols = append(p.Cols, o.xs...)
	}
	return p
}

func (b *binder) bindJoin(left PlanNode, o *JoinOp) PlanNode {
	right := b.bindSource(o.Right)
	ls, rs := left.Out(), right.Out()
	j := &Join{Left: left, Right: right}
	switch o.Kind {
	case "", "innerunique":
		j.Kind = JoinInnerUnique
	case "anti", "leftanti", "leftantisemi":
		j.Kind = JoinLeftAnti
	case "rightantisemi", "rightanti":
		j.Kind = JoinRightAnti
	default:
		j.Kind = JoinKind(o.Kind)
	}
	var conds []Expr
	var split func(e Expr)
	split = func(e Expr) {
		if bin, ok := e.(*Binary); ok && bin.Op == "and" {
			split(bin.X)
			split(bin.Y)
			return
		}
		if p, ok := e.(*Paren); ok {
			split(p.X)
			return
		}
		conds = append(conds, e)
	}
	for _, e := range o.On {
		split(e)
	}
	side := func(e Expr) (string, string) {
		m, ok := e.(*Member)
		if !ok {
			return "", ""
		}
		id, ok := m.X.(*Ident)
		if !ok {
			return "", ""
		}
		return id.Name, m.Name
	}
	for _, c := range conds {
		var ln, rn string
		var pos = c.Position()
		switch x := c.(type) {
		case *Ident:
			ln, rn = x.Name, x.Name
		case *Binary:
			if x.Op != "==" {
				b.fail(x.Pos, "join conditions must be equalities, not %s", x.Op)
			}
			s1, n1 := side(x.X)
			s2, n2 := side(x.Y)
			switch {
			case s1 == "$left" && s2 == "$right":
				ln, rn = n1, n2
			case s1 == "$right" && s2 == "$left":
				ln, rn = n2, n1
			default:
				b.fail(x.Pos, "join condition must compare $left.column with $right.column")
			}
		default:
			b.fail(pos, "join condition must be a column name or $left.a == $right.b")
		}
		li, ri := ls.Index(ln), rs.Index(rn)
		if li < 0 {
			b.fail(pos, "unknown column %q on the left side of join%s", ln, suggest(ln, ls))
		}
		if ri < 0 {
			b.fail(pos, "unknown column %q on the right side of join%s", rn, suggest(rn, rs))
		}
		lt, rt := ls.Columns[li].Type, rs.Columns[ri].Type
		if lt != rt && !(isNumeric(lt) && isNumeric(rt)) {
			b.fail(pos, "join key %s is %s on the left and %s on the right", ln, lt, rt)
		}
		j.LeftKeys = append(j.LeftKeys, li)
		j.RightKeys = append(j.RightKeys, ri)
	}
	switch j.Kind {
	case JoinLeftAnti, JoinLeftSemi:
		j.Schema = Schema{Columns: ls.Columns}
	case JoinRightAnti, JoinRightSemi:
		j.Schema = Schema{Columns: rs.Columns}
	default:
		cols := append([]Column(nil), ls.Columns...)
		for _, c := range rs.Columns {
			cols = append(cols, Column{Name: c.Name, Type: c.Type})
		}
		j.Schema = Schema{Columns: uniqueNames(cols)}
	}
	return j
}

func (b *binder) bindMvExpand(in PlanNode, o *MvExpandOp) PlanNode {
	if o.ItemIndex != nil {
		b.fail(o.ItemIndex.Pos, "mv-expand with_itemindex is not supported")
	}
	if o.BagExpansion != "" {
		b.fail(o.Pos, "mv-expand bagexpansion is not supported")
	}
	// Expressions and renamed items are computed by an extend first.
	var ext []*NamedExpr
	var names []string
	for _, it := range o.Items {
		id, isIdent := it.X.(*Ident)
		switch {
		case it.Name != nil:
			ext = append(ext, &NamedExpr{Pos: it.Pos, Name: it.Name, X: it.X})
			names = append(names, it.Name.Name)
		case isIdent:
			names = append(names, id.Name)
		default:
			n := exprName(it.X)
			if n == "" {
				b.fail(it.Pos, "mv-expand of an expression needs a name: Name = expr")
			}
			ext = append(ext, &NamedExpr{Pos: it.Pos, Name: &Ident{Pos: it.Pos, Name: n}, X: it.X})
			names = append(names, n)
		}
	}
	if len(ext) > 0 {
		in = b.bindExtend(in, &ExtendOp{Pos: o.Pos, Cols: ext})
	}
	s := in.Out()
	m := &MvExpand{In: in}
	cols := append([]Column(nil), s.Columns...)
	for i, n := range names {
		idx := s.Index(n)
		if idx < 0 {
			b.fail(o.Items[i].Pos, "unknown column %q%s", n, suggest(n, s))
		}
		if s.Columns[idx].Type != TypeDynamic {
			b.fail(o.Items[i].Pos, "mv-expand needs a dynamic column, %s is %s", n, s.Columns[idx].Type)
		}
		t := o.Items[i].To
		if t == TypeUnknown {
			t = TypeDynamic
		}
		m.Cols = append(m.Cols, idx)
		m.Types = append(m.Types, t)
		cols[idx].Type = t
	}
	if o.Limit != nil {
		m.Limit = b.constLong(o.Limit, "mv-expand limit")
	}
	m.Schema = Schema{Columns: cols}
	return m
}

// uniqueNames suffixes repeated names with 1, 2, ... (Key, Key1), as Kusto
// does for join and summarize outputs.
func uniqueNames(cols []Column) []Column {
	seen := map[string]bool{}
	for _, c := range cols {
		seen[c.Name] = false
	}
	used := map[string]bool{}
	out := make([]Column, len(cols))
	for i, c := range cols {
		name := c.Name
		if used[name] {
			for n := 1; ; n++ {
				cand := c.Name + strconv.Itoa(n)
				if !used[cand] && indexOf(cols, cand) < 0 {
					name = cand
					break
				}
			}
		}
		used[name] = true
		c.Name = name
		out[i] = c
	}
	return out
}

// suggest returns a " (did you mean X?)" hint for an unknown column name.
func suggest(name string, s Schema) string {
	best, bestD := "", 3
	for _, c := range s.Columns {
		if strings.EqualFold(c.Name, name) {
			return fmt.Sprintf(" (did you mean %q?)", c.Name)
		}
		if d := editDistance(strings.ToLower(name), strings.ToLower(c.Name)); d < bestD && d*3 <= len(name) {
			best, bestD = c.Name, d
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

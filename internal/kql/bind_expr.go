package kql

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// scope resolves names inside one operator: the input row, names defined
// earlier in the same extend, and (in summarize) aggregates.
type scope struct {
	schema Schema
	extra  map[string]Scalar
	agg    *aggScope
}

// aggScope binds summarize expressions: aggregate calls become references to
// the aggregate node's output columns, other names must be group keys.
type aggScope struct {
	b     *binder
	in    *scope
	nkeys int
	keys  []Column
	agg   *Aggregate
}

// width returns how many output columns the aggregates before index i have.
func (as *aggScope) width(i int) int {
	n := 0
	for _, a := range as.agg.Aggs[:i] {
		n += len(a.T)
	}
	return n
}

func (as *aggScope) bind(e Expr) Scalar {
	return as.b.bindScalar(&scope{schema: Schema{Columns: as.keys}, agg: as}, e)
}

// addAgg binds one aggregate call and appends it (several for percentiles);
// it returns the output columns with their default names.
func (as *aggScope) addAgg(c *Call, keyNames map[string]bool) []Column {
	b := as.b
	d, _ := LookupFunc(c.Name)
	if len(c.Args) < d.MinArgs || (d.MaxArgs >= 0 && len(c.Args) > d.MaxArgs) {
		b.fail(c.Pos, "%s() takes %s, got %d", c.Name, arity(d), len(c.Args))
	}
	first := ""
	if len(c.Args) > 0 {
		first = exprName(c.Args[0])
	}
	name := d.Prefix + "_" + first
	if d.Naming == NamePrefixOnly {
		name = d.Prefix + "_"
	}
	sc := as.in
	switch c.Name {
	case "arg_max", "arg_min":
		by := b.bindScalar(sc, c.Args[0])
		ac := &AggCall{Name: c.Name, Args: []Scalar{by}, T: []Type{by.Type()}}
		n0 := first
		if n0 == "" {
			n0 = name
		}
		cols := []Column{{Name: n0, Type: by.Type()}}
		for _, e := range c.Args[1:] {
			if _, ok := e.(*Star); ok {
				for i, col := range sc.schema.Columns {
					if keyNames[col.Name] || col.Name == n0 {
						continue
					}
					ac.Args = append(ac.Args, &ColRef{Index: i, Name: col.Name, T: col.Type})
					ac.T = append(ac.T, col.Type)
					cols = append(cols, Column{Name: col.Name, Type: col.Type})
				}
				continue
			}
			x := b.bindScalar(sc, e)
			n := exprName(e)
			if n == "" {
				n = "Column" + strconv.Itoa(len(cols))
			}
			ac.Args = append(ac.Args, x)
			ac.T = append(ac.T, x.Type())
			cols = append(cols, Column{Name: n, Type: x.Type()})
		}
		as.agg.Aggs = append(as.agg.Aggs, ac)
		return cols
	case "percentile", "percentiles":
		x := b.bindScalar(sc, c.Args[0])
		if !isNumeric(x.Type()) && x.Type() != TypeDatetime && x.Type() != TypeTimespan {
			x = b.convert(c.Args[0].Position(), x, TypeReal)
		}
		var cols []Column
		for _, e := range c.Args[1:] {
			p := b.constNum(e)
			if p < 0 || p > 100 {
				b.fail(e.Position(), "percentile must be between 0 and 100, not %v", p)
			}
			as.agg.Aggs = append(as.agg.Aggs, &AggCall{Name: "percentile", Args: []Scalar{x}, T: []Type{x.Type()}, Param: []float64{p}})
			ps := strings.ReplaceAll(strconv.FormatFloat(p, 'f', -1, 64), ".", "_")
			cols = append(cols, Column{Name: "percentile_" + first + "_" + ps, Type: x.Type()})
		}
		return cols
	}
	ac := &AggCall{Name: c.Name}
	for i, e := range c.Args {
		k := argKind(d, i)
		if i == d.Cond {
			ac.Cond = b.convert(e.Position(), b.bindScalar(sc, e), TypeBool)
			continue
		}
		if k == ArgConstNum {
			n := b.constNum(e)
			if strings.HasPrefix(c.Name, "make_") {
				ac.MaxSize = int64(n)
			}
			continue
		}
		ac.Args = append(ac.Args, b.convertArg(e, b.bindScalar(sc, e), k))
	}
	var t Type
	switch d.Result {
	case ResultFixed:
		t = d.Fixed
	case ResultArg0:
		t = ac.Args[0].Type()
	case ResultSum:
		t = ac.Args[0].Type()
		switch t {
		case TypeInt, TypeBool:
			t = TypeLong
		case TypeLong, TypeReal, TypeTimespan, TypeDecimal:
		case TypeDynamic:
			ac.Args[0] = b.convert(c.Args[0].Position(), ac.Args[0], TypeReal)
			t = TypeReal
		default:
			b.fail(c.Args[0].Position(), "%s() needs a number, not %s", c.Name, t)
		}
	}
	ac.T = []Type{t}
	as.agg.Aggs = append(as.agg.Aggs, ac)
	return []Column{{Name: name, Type: t}}
}

func arity(d *FuncDef) string {
	switch {
	case d.MaxArgs < 0:
		return "at least " + strconv.Itoa(d.MinArgs) + " arguments"
	case d.MinArgs == d.MaxArgs:
		return strconv.Itoa(d.MinArgs) + " arguments"
	}
	return strconv.Itoa(d.MinArgs) + " to " + strconv.Itoa(d.MaxArgs) + " arguments"
}

func argKind(d *FuncDef, i int) ArgKind {
	if len(d.Args) == 0 {
		return ArgAny
	}
	if i < len(d.Args) {
		return d.Args[i]
	}
	return d.Args[len(d.Args)-1]
}

func (b *binder) constNum(e Expr) float64 {
	x := b.bindScalar(&scope{}, e)
	c, ok := x.(*Const)
	if !ok || c.Null {
		b.fail(e.Position(), "expected a constant number")
	}
	switch v := c.Value.(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	}
	b.fail(e.Position(), "expected a constant number, found %s", c.T)
	return 0
}

func isNumeric(t Type) bool {
	return t == TypeInt || t == TypeLong || t == TypeReal || t == TypeDecimal
}

// exprName is the column name Kusto gives an unnamed expression: a column's
// own name, a dynamic path joined with "_", a conversion's argument name, or
// "" when it has none.
func exprName(e Expr) string {
	switch x := e.(type) {
	case *Ident:
		return x.Name
	case *Paren:
		return exprName(x.X)
	case *Member:
		if n := exprName(x.X); n != "" {
			return n + "_" + x.Name
		}
	case *Index:
		if l, ok := x.Index.(*Literal); ok {
			if n := exprName(x.X); n != "" {
				switch v := l.Value.(type) {
				case string:
					return n + "_" + v
				case int64:
					return n + "_" + strconv.FormatInt(v, 10)
				}
			}
		}
	case *Call:
		if d, ok := LookupFunc(x.Name); ok && d.Naming == NameArg0 && len(x.Args) > 0 {
			return exprName(x.Args[0])
		}
	}
	return ""
}

var stringBinOps = wordSet(`has has_cs hasprefix hasprefix_cs hassuffix hassuffix_cs contains contains_cs
	startswith startswith_cs endswith endswith_cs`)

func (b *binder) bindScalar(sc *scope, e Expr) Scalar {
	switch x := e.(type) {
	case *Ident:
		if v, ok := sc.extra[x.Name]; ok {
			return v
		}
		if i := sc.schema.Index(x.Name); i >= 0 {
			c := sc.schema.Columns[i]
			return &ColRef{Index: i, Name: c.Name, T: c.Type}
		}
		if lv, ok := b.lets[x.Name]; ok {
			if lv.scalar != nil {
				return lv.scalar
			}
			b.fail(x.Pos, "%q is a tabular value, not a scalar", x.Name)
		}
		if sc.agg != nil {
			b.fail(x.Pos, "column %q must be a group key or inside an aggregate", x.Name)
		}
		b.fail(x.Pos, "unknown column %q%s", x.Name, suggest(x.Name, sc.schema))
	case *Literal:
		return b.bindLiteral(x)
	case *Dynamic:
		return &Const{T: TypeDynamic, Null: x.Value == nil, Value: dynamicJSON(x.Value)}
	case *Paren:
		return b.bindScalar(sc, x.X)
	case *Unary:
		y := b.bindScalar(sc, x.X)
		t := y.Type()
		if t == TypeDynamic {
			y, t = b.convert(x.Pos, y, TypeReal), TypeReal
		}
		if !isNumeric(t) && t != TypeTimespan {
			b.fail(x.Pos, "unary %s needs a number or timespan, not %s", x.Op, t)
		}
		if x.Op == "+" {
			return y
		}
		if c, ok := y.(*Const); ok && !c.Null {
			switch v := c.Value.(type) {
			case int64:
				return &Const{T: c.T, Value: -v}
			case float64:
				return &Const{T: c.T, Value: -v}
			case Timespan:
				return &Const{T: c.T, Value: -v}
			}
		}
		return &Func{Name: "neg", Args: []Scalar{y}, T: t}
	case *Binary:
		return b.bindBinary(sc, x)
	case *In:
		return b.bindIn(sc, x)
	case *Between:
		v := b.bindScalar(sc, x.X)
		lo := b.bindScalar(sc, x.Lo)
		hi := b.bindScalar(sc, x.Hi)
		if v.Type() == TypeDynamic {
			v = b.convert(x.X.Position(), v, lo.Type())
		}
		lo = b.convert(x.Lo.Position(), lo, widen(v.Type(), lo.Type()))
		if v.Type() == TypeDatetime && hi.Type() == TypeTimespan {
			hi = &Func{Name: "+", Args: []Scalar{lo, hi}, T: TypeDatetime}
		}
		hi = b.convert(x.Hi.Position(), hi, widen(v.Type(), hi.Type()))
		b.comparable(x.Pos, v.Type(), lo.Type())
		op := "between"
		if x.Not {
			op = "!between"
		}
		return &Func{Name: op, Args: []Scalar{v, lo, hi}, T: TypeBool}
	case *Call:
		return b.bindCall(sc, x)
	case *Member, *Index:
		return b.bindPath(sc, e)
	case *Star:
		b.fail(x.Pos, "* is only valid in arg_max, arg_min and distinct")
	case *NamePattern:
		b.fail(x.Pos, "a name pattern (%s) is not valid here", x.Pattern)
	case *TabularExpr, *SubQuery:
		b.fail(e.Position(), "a tabular expression is not valid here (toscalar is not supported)")
	}
	b.fail(e.Position(), "unsupported expression %s", e.String())
	return nil
}

// widen returns the type to convert an operand to when comparing with v.
func widen(v, o Type) Type {
	if isNumeric(v) && isNumeric(o) {
		return o
	}
	if o == TypeDynamic {
		return v
	}
	if v == TypeDatetime && o == TypeString {
		return TypeDatetime
	}
	return o
}

func (b *binder) bindLiteral(x *Literal) Scalar {
	switch x.Type {
	case TypeDecimal:
		if x.Null {
			return &Const{T: TypeReal, Null: true}
		}
		f, err := strconv.ParseFloat(x.Value.(string), 64)
		if err != nil {
			b.fail(x.Pos, "decimal %v out of range", x.Value)
		}
		return &Const{T: TypeReal, Value: f}
	case TypeInt:
		if !x.Null {
			if v, ok := x.Value.(int64); ok {
				return &Const{T: TypeInt, Value: v}
			}
		}
	case TypeDatetime:
		if !x.Null {
			return &Const{T: TypeDatetime, Value: x.Value.(time.Time).UTC()}
		}
	}
	return &Const{T: x.Type, Null: x.Null, Value: x.Value}
}

// dynamicJSON renders a dynamic literal's value as JSON text.
func dynamicJSON(v any) string {
	var enc func(v any) any
	enc = func(v any) any {
		switch x := v.(type) {
		case time.Time:
			return x.UTC().Format("2006-01-02T15:04:05.0000000Z")
		case Timespan:
			return FormatTimespan(int64(x))
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = enc(e)
			}
			return out
		case *DynamicBag:
			m := make(map[string]any, len(x.Keys))
			for i, k := range x.Keys {
				m[k] = enc(x.Values[i])
			}
			return m
		case float64:
			if math.IsInf(x, 0) || math.IsNaN(x) {
				return nil
			}
		}
		return v
	}
	out, err := json.Marshal(enc(v))
	if err != nil {
		return "null"
	}
	return string(out)
}

// FormatTimespan renders ticks as Kusto timespan text [-][d.]hh:mm:ss[.fffffff].
func FormatTimespan(ticks int64) string {
	var sb strings.Builder
	u := uint64(ticks)
	if ticks < 0 {
		sb.WriteByte('-')
		u = uint64(-ticks)
	}
	day := uint64(Day)
	d, rest := u/day, u%day
	if d > 0 {
		sb.WriteString(strconv.FormatUint(d, 10))
		sb.WriteByte('.')
	}
	h := rest / uint64(Hour)
	rest %= uint64(Hour)
	m := rest / uint64(Minute)
	rest %= uint64(Minute)
	s := rest / uint64(Second)
	frac := rest % uint64(Second)
	sb.WriteString(pad2(h) + ":" + pad2(m) + ":" + pad2(s))
	if frac > 0 {
		f := strconv.FormatUint(frac, 10)
		sb.WriteString("." + strings.Repeat("0", 7-len(f)) + f)
	}
	return sb.String()
}

func pad2(n uint64) string {
	if n < 10 {
		return "0" + strconv.FormatUint(n, 10)
	}
	return strconv.FormatUint(n, 10)
}

func (b *binder) comparable(pos Pos, x, y Type) {
	if x == y || isNumeric(x) && isNumeric(y) {
		return
	}
	b.fail(pos, "cannot compare %s with %s", x, y)
}

func (b *binder) bindBinary(sc *scope, x *Binary) Scalar {
	l := b.bindScalar(sc, x.X)
	r := b.bindScalar(sc, x.Y)
	op := x.Op
	switch {
	case op == "and" || op == "or":
		l = b.convert(x.X.Position(), l, TypeBool)
		r = b.convert(x.Y.Position(), r, TypeBool)
		return &Func{Name: op, Args: []Scalar{l, r}, T: TypeBool}
	case op == "+" || op == "-" || op == "*" || op == "/" || op == "%":
		return b.arith(x, l, r)
	case op == "==" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=":
		l, r = b.unify(x.Pos, l, r)
		return &Func{Name: op, Args: []Scalar{l, r}, T: TypeBool}
	case op == "=~" || op == "!~" || op == "matches regex" ||
		stringBinOps[op] || strings.HasPrefix(op, "!") && stringBinOps[op[1:]]:
		l = b.convert(x.X.Position(), l, TypeString)
		r = b.convert(x.Y.Position(), r, TypeString)
		return &Func{Name: op, Args: []Scalar{l, r}, T: TypeBool}
	}
	b.fail(x.Pos, "operator %s is not supported", op)
	return nil
}

// unify converts two compared operands to one type.
func (b *binder) unify(pos Pos, l, r Scalar) (Scalar, Scalar) {
	lt, rt := l.Type(), r.Type()
	switch {
	case lt == rt, isNumeric(lt) && isNumeric(rt):
	case lt == TypeDynamic:
		l = b.convert(pos, l, rt)
	case rt == TypeDynamic:
		r = b.convert(pos, r, lt)
	case lt == TypeDatetime && rt == TypeString:
		r = b.convert(pos, r, TypeDatetime)
	case rt == TypeDatetime && lt == TypeString:
		l = b.convert(pos, l, TypeDatetime)
	case lt == TypeGuid && rt == TypeString, lt == TypeString && rt == TypeGuid:
		l, r = b.convert(pos, l, TypeString), b.convert(pos, r, TypeString)
	default:
		b.fail(pos, "cannot compare %s with %s", lt, rt)
	}
	return l, r
}

func (b *binder) arith(x *Binary, l, r Scalar) Scalar {
	if l.Type() == TypeDynamic {
		l = b.convert(x.X.Position(), l, TypeReal)
	}
	if r.Type() == TypeDynamic {
		r = b.convert(x.Y.Position(), r, TypeReal)
	}
	lt, rt := l.Type(), r.Type()
	op := x.Op
	var t Type
	switch {
	case isNumeric(lt) && isNumeric(rt):
		switch {
		case lt == TypeReal || rt == TypeReal || lt == TypeDecimal || rt == TypeDecimal:
			t = TypeReal
		case lt == TypeLong || rt == TypeLong:
			t = TypeLong
		default:
			t = TypeInt
		}
	case lt == TypeDatetime && rt == TypeDatetime && op == "-":
		t = TypeTimespan
	case lt == TypeDatetime && rt == TypeTimespan && (op == "+" || op == "-"):
		t = TypeDatetime
	case lt == TypeTimespan && rt == TypeDatetime && op == "+":
		l, r = r, l
		t = TypeDatetime
	case lt == TypeTimespan && rt == TypeTimespan:
		switch op {
		case "+", "-", "%":
			t = TypeTimespan
		case "/":
			t = TypeReal
		default:
			b.fail(x.Pos, "cannot multiply two timespans")
		}
	case lt == TypeTimespan && isNumeric(rt) && (op == "*" || op == "/"):
		t = TypeTimespan
	case isNumeric(lt) && rt == TypeTimespan && op == "*":
		l, r = r, l
		t = TypeTimespan
	case lt == TypeDatetime && rt == TypeDatetime:
		b.fail(x.Pos, "operator %s does not apply to two datetimes", op)
	default:
		b.fail(x.Pos, "operator %s does not apply to %s and %s", op, lt, rt)
	}
	return &Func{Name: op, Args: []Scalar{l, r}, T: t}
}

// convert returns x as type t, inserting a conversion, or fails.
func (b *binder) convert(pos Pos, x Scalar, t Type) Scalar {
	from := x.Type()
	if from == t {
		return x
	}
	if c, ok := x.(*Const); ok && c.Null {
		return &Const{T: t, Null: true}
	}
	switch {
	case t == TypeString:
		return &Func{Name: "tostring", Args: []Scalar{x}, T: t}
	case t == TypeDynamic:
		return &Func{Name: "todynamic", Args: []Scalar{x}, T: t}
	case isNumeric(t) && isNumeric(from):
		return &Func{Name: "cast", Args: []Scalar{x}, T: t}
	case from == TypeDynamic || from == TypeString && t != TypeBool:
		name := map[Type]string{TypeInt: "toint", TypeLong: "tolong", TypeReal: "toreal", TypeBool: "tobool",
			TypeDatetime: "todatetime", TypeTimespan: "totimespan", TypeGuid: "tostring", TypeDecimal: "toreal"}[t]
		if name != "" {
			return &Func{Name: name, Args: []Scalar{x}, T: t}
		}
	case t == TypeReal && from == TypeBool, t == TypeLong && from == TypeBool:
		return &Func{Name: "cast", Args: []Scalar{x}, T: t}
	}
	b.fail(pos, "expected %s, found %s", t, from)
	return nil
}

func (b *binder) convertArg(e Expr, x Scalar, k ArgKind) Scalar {
	pos := e.Position()
	switch k {
	case ArgString:
		return b.convert(pos, x, TypeString)
	case ArgNumber:
		if !isNumeric(x.Type()) {
			return b.convert(pos, x, TypeReal)
		}
	case ArgLong:
		return b.convert(pos, x, TypeLong)
	case ArgReal:
		return b.convert(pos, x, TypeReal)
	case ArgDatetime:
		return b.convert(pos, x, TypeDatetime)
	case ArgTimespan:
		return b.convert(pos, x, TypeTimespan)
	case ArgBool:
		return b.convert(pos, x, TypeBool)
	case ArgDynamic:
		return b.convert(pos, x, TypeDynamic)
	case ArgConst:
		if c, ok := x.(*Const); !ok || c.T != TypeString {
			b.fail(pos, "expected a constant string")
		}
	case ArgConstNum:
		b.constNum(e)
	}
	return x
}

func (b *binder) bindIn(sc *scope, x *In) Scalar {
	v := b.bindScalar(sc, x.X)
	if x.Op == "has_any" || x.Op == "has_all" {
		args := []Scalar{b.convert(x.X.Position(), v, TypeString)}
		for _, e := range x.List {
			for _, it := range b.inItems(sc, e) {
				args = append(args, b.convert(e.Position(), it, TypeString))
			}
		}
		return &Func{Name: x.Op, Args: args, T: TypeBool}
	}
	set := &InSet{Op: x.Op}
	ci := strings.HasSuffix(x.Op, "~")
	if len(x.List) == 1 {
		var tab *TabularExpr
		switch t := x.List[0].(type) {
		case *SubQuery:
			tab = t.Query
		case *TabularExpr:
			tab = t
		case *Ident:
			if lv, ok := b.lets[t.Name]; ok && lv.tab != nil && sc.schema.Index(t.Name) < 0 {
				tab = &TabularExpr{Pos: t.Pos, Source: &TableRef{Pos: t.Pos, Name: t.Name}}
			}
		}
		if tab != nil {
			sub := b.bindTabular(tab)
			cols := sub.Out().Columns
			if len(cols) == 0 {
				b.fail(x.List[0].Position(), "the tabular operand of %s has no columns", x.Op)
			}
			if ci || v.Type() == TypeDynamic {
				v = b.convert(x.X.Position(), v, TypeString)
			}
			if cols[0].Type != v.Type() && !(isNumeric(cols[0].Type) && isNumeric(v.Type())) {
				if cols[0].Type == TypeString || ci {
					v = b.convert(x.X.Position(), v, TypeString)
				} else {
					b.fail(x.Pos, "cannot compare %s with %s", v.Type(), cols[0].Type)
				}
			}
			set.X, set.Sub = v, sub
			return set
		}
	}
	var items []Scalar
	for _, e := range x.List {
		items = append(items, b.inItems(sc, e)...)
	}
	t := v.Type()
	if ci || t == TypeDynamic {
		t = TypeString
		v = b.convert(x.X.Position(), v, TypeString)
	}
	for _, it := range items {
		it2 := it
		if it.Type() != t && !(isNumeric(it.Type()) && isNumeric(t)) {
			it2 = b.convert(x.Pos, it, t)
		}
		set.List = append(set.List, it2)
	}
	set.X = v
	return set
}

// inItems binds one list item of in/has_any: a scalar, or a constant dynamic
// array (written out or bound by let) expanded to its elements.
func (b *binder) inItems(sc *scope, e Expr) []Scalar {
	// A name bound by let to a constant dynamic array (let xs = dynamic(["a", "b"]);
	// x in (xs)) is expanded the same way, unless a column of that name is in scope.
	if id, ok := e.(*Ident); ok && sc.schema.Index(id.Name) < 0 {
		if lv, ok := b.lets[id.Name]; ok && lv.dyn != nil {
			e = lv.dyn
		}
	}
	if d, ok := e.(*Dynamic); ok {
		if arr, ok := d.Value.([]any); ok {
			var out []Scalar
			for _, v := range arr {
				switch y := v.(type) {
				case string:
					out = append(out, &Const{T: TypeString, Value: y})
				case int64:
					out = append(out, &Const{T: TypeLong, Value: y})
				case float64:
					out = append(out, &Const{T: TypeReal, Value: y})
				case bool:
					out = append(out, &Const{T: TypeBool, Value: y})
				case time.Time:
					out = append(out, &Const{T: TypeDatetime, Value: y})
				case Timespan:
					out = append(out, &Const{T: TypeTimespan, Value: y})
				default:
					out = append(out, &Const{T: TypeDynamic, Value: dynamicJSON(y)})
				}
			}
			return out
		}
	}
	return []Scalar{b.bindScalar(sc, e)}
}

// bindPath binds dynamic access x.a["b"][0] into one json path.
func (b *binder) bindPath(sc *scope, e Expr) Scalar {
	var steps []string
	cur := e
	for {
		switch x := cur.(type) {
		case *Member:
			steps = append(steps, "."+jsonKey(x.Name))
			cur = x.X
			continue
		case *Index:
			c, ok := b.bindScalar(sc, x.Index).(*Const)
			if !ok || c.Null {
				b.fail(x.Index.Position(), "a dynamic index must be a constant string or integer")
			}
			switch v := c.Value.(type) {
			case string:
				steps = append(steps, "."+jsonKey(v))
			case int64:
				if v < 0 {
					steps = append(steps, "[#"+strconv.FormatInt(v, 10)+"]")
				} else {
					steps = append(steps, "["+strconv.FormatInt(v, 10)+"]")
				}
			default:
				b.fail(x.Index.Position(), "a dynamic index must be a constant string or integer")
			}
			cur = x.X
			continue
		}
		break
	}
	base := b.bindScalar(sc, cur)
	if base.Type() != TypeDynamic {
		b.fail(e.Position(), "%s is %s, not dynamic: cannot access a property", exprString(cur), base.Type())
	}
	p := "$"
	for i := len(steps) - 1; i >= 0; i-- {
		p += steps[i]
	}
	return &Func{Name: "json_path", Args: []Scalar{base, &Const{T: TypeString, Value: p}}, T: TypeDynamic}
}

func exprString(e Expr) string { return e.String() }

func jsonKey(k string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(k) + `"`
}

func (b *binder) bindCall(sc *scope, c *Call) Scalar {
	d, ok := LookupFunc(c.Name)
	if !ok {
		if knownUnsupported[c.Name] {
			b.fail(c.Pos, "function %s() is not supported", c.Name)
		}
		b.fail(c.Pos, "unknown function %q", c.Name)
	}
	if d.Agg {
		if sc.agg == nil {
			b.fail(c.Pos, "aggregate %s() is only valid in summarize", c.Name)
		}
		as := sc.agg
		first := len(as.agg.Aggs)
		cols := as.addAgg(c, nil)
		if len(cols) != 1 {
			b.fail(c.Pos, "%s() returns several columns and cannot be part of an expression", c.Name)
		}
		return &ColRef{Index: as.nkeys + as.width(first), Name: cols[0].Name, T: cols[0].Type}
	}
	if len(c.Args) < d.MinArgs || (d.MaxArgs >= 0 && len(c.Args) > d.MaxArgs) {
		b.fail(c.Pos, "%s() takes %s, got %d", c.Name, arity(d), len(c.Args))
	}
	args := make([]Scalar, len(c.Args))
	for i, e := range c.Args {
		args[i] = b.bindScalar(sc, e)
	}
	nowC := &Const{T: TypeDatetime, Value: b.now}
	switch c.Name {
	case "now":
		if len(args) == 0 {
			return nowC
		}
		return &Func{Name: "+", Args: []Scalar{nowC, b.convert(c.Pos, args[0], TypeTimespan)}, T: TypeDatetime}
	case "ago":
		return &Func{Name: "-", Args: []Scalar{nowC, b.convert(c.Args[0].Position(), args[0], TypeTimespan)}, T: TypeDatetime}
	case "bin", "floor", "bin_at":
		t := args[0].Type()
		if c.Name == "floor" && len(args) == 1 {
			break
		}
		switch {
		case t == TypeDatetime || t == TypeTimespan:
			args[1] = b.convert(c.Args[1].Position(), args[1], TypeTimespan)
		case isNumeric(t):
			if !isNumeric(args[1].Type()) {
				b.fail(c.Args[1].Position(), "bin size for a %s must be a number, not %s", t, args[1].Type())
			}
			if args[1].Type() == TypeReal {
				t = TypeReal
				args[0] = b.convert(c.Pos, args[0], TypeReal)
			}
		case t == TypeDynamic:
			args[0] = b.convert(c.Pos, args[0], TypeReal)
			t = TypeReal
		default:
			b.fail(c.Args[0].Position(), "%s() needs a number, datetime or timespan, not %s", c.Name, t)
		}
		if c.Name == "bin_at" {
			args[2] = b.convert(c.Args[2].Position(), args[2], t)
		}
		return &Func{Name: c.Name, Args: args, T: t}
	case "tostring", "toint", "tolong", "todouble", "toreal", "tobool", "toboolean", "todatetime",
		"totimespan", "totime", "parse_json", "todynamic", "toobject":
		if args[0].Type() == d.Fixed {
			return args[0]
		}
		if cc, ok := args[0].(*Const); ok && cc.Null {
			return &Const{T: d.Fixed, Null: true}
		}
		return &Func{Name: canonicalConv[c.Name], Args: args, T: d.Fixed}
	case "countof":
		// countof(source, search [, kind]): kind "normal" (the default, matches may overlap) or
		// "regex" (matches don't).
		if len(args) == 3 {
			kind := strings.ToLower(constString(args[2]))
			if kind != "normal" && kind != "regex" {
				b.fail(c.Args[2].Position(), "countof() kind must be \"normal\" or \"regex\", not %q", constString(args[2]))
			}
			args[2] = &Const{T: TypeString, Value: kind}
		}
	case "datetime_diff", "datetime_add":
		part := strings.ToLower(constString(args[0]))
		if !dateParts[part] {
			b.fail(c.Args[0].Position(), "unknown datetime part %q", constString(args[0]))
		}
		args[0] = &Const{T: TypeString, Value: part}
	case "pack", "bag_pack":
		if len(args)%2 != 0 {
			b.fail(c.Pos, "%s() takes key, value pairs", c.Name)
		}
		for i := 0; i < len(args); i += 2 {
			args[i] = b.convert(c.Args[i].Position(), args[i], TypeString)
		}
		return &Func{Name: "bag_pack", Args: args, T: TypeDynamic}
	case "case":
		if len(args)%2 != 1 {
			b.fail(c.Pos, "case() takes predicate, value pairs and an else value")
		}
		var vals []Scalar
		for i := 0; i < len(args)-1; i += 2 {
			args[i] = b.convert(c.Args[i].Position(), args[i], TypeBool)
			vals = append(vals, args[i+1])
		}
		vals = append(vals, args[len(args)-1])
		t := b.common(c.Pos, vals)
		for i := 1; i < len(args); i += 2 {
			args[i] = b.convert(c.Pos, args[i], t)
		}
		args[len(args)-1] = b.convert(c.Pos, args[len(args)-1], t)
		return &Func{Name: "case", Args: args, T: t}
	case "iff", "iif":
		args[0] = b.convert(c.Args[0].Position(), args[0], TypeBool)
		t := b.common(c.Pos, args[1:])
		args[1], args[2] = b.convert(c.Pos, args[1], t), b.convert(c.Pos, args[2], t)
		return &Func{Name: "iff", Args: args, T: t}
	case "coalesce":
		t := b.common(c.Pos, args)
		for i := range args {
			args[i] = b.convert(c.Pos, args[i], t)
		}
		return &Func{Name: "coalesce", Args: args, T: t}
	case "abs":
		if t := args[0].Type(); !isNumeric(t) && t != TypeTimespan {
			args[0] = b.convert(c.Pos, args[0], TypeReal)
		}
	}
	for i, e := range c.Args {
		args[i] = b.convertArg(e, args[i], argKind(d, i))
	}
	var t Type
	switch d.Result {
	case ResultFixed:
		t = d.Fixed
	case ResultArg0:
		t = args[0].Type()
	case ResultArg1:
		t = args[1].Type()
	case ResultCommon:
		t = b.common(c.Pos, args)
	}
	return &Func{Name: c.Name, Args: args, T: t}
}

// canonicalConv maps conversion aliases to one name for the emitter.
var canonicalConv = map[string]string{
	"tostring": "tostring", "toint": "toint", "tolong": "tolong", "todouble": "toreal", "toreal": "toreal",
	"tobool": "tobool", "toboolean": "tobool", "todatetime": "todatetime", "totimespan": "totimespan",
	"totime": "totimespan", "parse_json": "todynamic", "todynamic": "todynamic", "toobject": "todynamic",
}

var dateParts = wordSet(`year quarter month week day hour minute second millisecond microsecond nanosecond`)

func constString(s Scalar) string {
	if c, ok := s.(*Const); ok {
		if v, ok := c.Value.(string); ok {
			return v
		}
	}
	return ""
}

// common returns the type several values unify to (iff, case, coalesce).
func (b *binder) common(pos Pos, xs []Scalar) Type {
	var t Type
	for _, x := range xs {
		xt := x.Type()
		if c, ok := x.(*Const); ok && c.Null {
			continue
		}
		switch {
		case t == TypeUnknown, t == xt:
			t = xt
		case isNumeric(t) && isNumeric(xt):
			if t == TypeReal || xt == TypeReal {
				t = TypeReal
			} else {
				t = TypeLong
			}
		case t == TypeDynamic || xt == TypeDynamic:
			t = TypeDynamic
		default:
			b.fail(pos, "values of types %s and %s cannot be mixed", t, xt)
		}
	}
	if t == TypeUnknown {
		t = TypeString
	}
	return t
}

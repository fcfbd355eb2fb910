package sqlgen

import "github.com/auditlake/auditlake/internal/kql"

// needs records, per plan node, which of its output columns a consumer reads, so that the
// emitter leaves the others out of the node's SELECT list. DuckDB would prune them when it
// optimizes, but it binds them first: the 17 converted columns of a Log Analytics view, carried
// through a union of six views, cost 1.5 ms of the 8 ms it takes to plan "errors by service"
// (bench/query), and 0.3 ms of a one-table dashboard query that runs in 5 ms.
//
// A column is needed when the result shows it or an expression that is emitted reads it
// (ColRef). Nodes that pass columns through (filter, sort, take, project and extend of a column
// as is, union) need of their input what their consumers need of them; nodes that compute
// (the expressions of project and extend, aggregates, sort keys, predicates) need what their
// expressions read; join and mv-expand need all of their inputs. A node shared by several
// consumers (a let-bound table read twice) needs the union. Whatever a mistake here would drop
// is then missing from the SQL, which DuckDB refuses; it cannot turn into a wrong value.
type needs map[kql.PlanNode][]bool

// keep reports whether output column i of n is emitted.
func (nd needs) keep(n kql.PlanNode, i int) bool {
	m, ok := nd[n]
	return !ok || i >= len(m) || m[i]
}

// visit records that n's consumers read the output columns marked in out (nil: all of them)
// and visits its inputs with what n needs of them.
func (nd needs) visit(n kql.PlanNode, out []bool) {
	width := len(n.Out().Columns)
	cur, seen := nd[n]
	if !seen {
		cur = make([]bool, width)
		nd[n] = cur
	}
	changed := !seen
	for i := range cur {
		if (out == nil || i < len(out) && out[i]) && !cur[i] {
			cur[i], changed = true, true
		}
	}
	if !changed {
		return // a shared node visited again, for nothing new
	}
	inputOf := func(in kql.PlanNode) []bool { return make([]bool, len(in.Out().Columns)) }
	switch x := n.(type) {
	case *kql.Scan:
	case *kql.Values:
		for _, row := range x.Rows {
			for _, s := range row {
				nd.reads(s, nil)
			}
		}
	case *kql.Range:
		nd.reads(x.From, nil)
		nd.reads(x.To, nil)
		nd.reads(x.Step, nil)
	case *kql.Filter:
		in := append([]bool(nil), cur...)
		nd.reads(x.Pred, in)
		nd.visit(x.In, in)
	case *kql.Project:
		in := inputOf(x.In)
		for j, c := range x.Cols {
			if cur[j] {
				nd.reads(c, in)
			}
		}
		nd.visit(x.In, in)
	case *kql.Extend:
		in := inputOf(x.In)
		replaced := map[int]bool{}
		for k, c := range x.Cols {
			replaced[x.Targets[k]] = true
			if cur[x.Targets[k]] {
				nd.reads(c, in)
			}
		}
		for i := range in {
			if cur[i] && !replaced[i] {
				in[i] = true
			}
		}
		nd.visit(x.In, in)
	case *kql.Aggregate:
		in := inputOf(x.In)
		for _, k := range x.Keys {
			nd.reads(k, in)
		}
		for _, a := range x.Aggs {
			for _, s := range a.Args {
				nd.reads(s, in)
			}
			if a.Cond != nil {
				nd.reads(a.Cond, in)
			}
		}
		nd.visit(x.In, in)
	case *kql.Sort:
		in := append([]bool(nil), cur...)
		for _, k := range x.Keys {
			nd.reads(k.X, in)
		}
		nd.visit(x.In, in)
	case *kql.Limit:
		nd.visit(x.In, cur)
	case *kql.Union:
		off := 0
		if x.WithSource {
			off = 1
		}
		for i, input := range x.Inputs {
			in := inputOf(input)
			for j, m := range x.Maps[i] {
				if m >= 0 && cur[j+off] {
					in[m] = true
				}
			}
			nd.visit(input, in)
		}
	case *kql.Join:
		nd.visit(x.Left, nil)
		nd.visit(x.Right, nil)
	case *kql.MvExpand:
		nd.visit(x.In, nil)
	default:
		fail("unsupported plan node %T", n)
	}
}

// reads marks in the input columns that s reads (in may be nil for an expression over no
// input) and visits the tabular operands of in (...), whose first column it reads.
func (nd needs) reads(s kql.Scalar, in []bool) {
	switch x := s.(type) {
	case *kql.ColRef:
		if x.Index >= 0 && x.Index < len(in) {
			in[x.Index] = true
		}
	case *kql.Func:
		for _, a := range x.Args {
			nd.reads(a, in)
		}
	case *kql.InSet:
		nd.reads(x.X, in)
		for _, it := range x.List {
			nd.reads(it, in)
		}
		if x.Sub != nil {
			nd.visit(x.Sub, []bool{true})
		}
	}
}

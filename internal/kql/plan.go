package kql

import "time"

// Column is one column of a schema: its KQL name and type. Native is the
// storage type the catalog reported (such as "TIMESTAMP WITH TIME ZONE" or
// "STRUCT(...)"); a scan uses it to convert values to the KQL representation.
// Backing, for a dynamic column, says how storage also keeps the value
// natively (nil: only as the column itself).
type Column struct {
	Name    string
	Type    Type
	Native  string
	Backing *Backing
}

// Backing describes how storage keeps a dynamic column's value as a struct or
// a map rather than as JSON text, so that an emitter can read a property
// (Identity.email) as a field instead of parsing the JSON of every row. Column
// is the stored struct or map column of the same table (the dynamic column
// itself, or a companion the catalog does not list as a column); it is empty
// when each Field names a stored column of its own. The dynamic column's JSON
// and the backing hold the same properties: a property the backing lacks is
// absent from the JSON too.
type Backing struct {
	Column string
	Native string // storage type of Column, e.g. STRUCT(email VARCHAR) or MAP(VARCHAR, VARCHAR)
	// Map is set for a map with string keys whose values have type Elem;
	// otherwise the backing is a struct of Fields.
	Map    bool
	Elem   Type
	Fields []Field
}

// Field is one property of a struct Backing: its name, KQL type and, when the
// Backing has no Column, the stored column that holds it.
type Field struct {
	Name   string
	Type   Type
	Column string
}

// Property returns the KQL type of property name of the backing and its
// field index (-1 for a map), and false when the backing has no such
// property (a struct without that field).
func (b *Backing) Property(name string) (Type, int, bool) {
	if b.Map {
		return b.Elem, -1, true
	}
	for i, f := range b.Fields {
		if f.Name == name {
			return f.Type, i, true
		}
	}
	return TypeUnknown, -1, false
}

// Schema is an ordered list of columns. Path is the stored table's qualified
// name for a catalog table (["silver", "audit"]) and empty for derived rows.
// Read, when set, is the relation a scan reads instead of Path: one with the
// same rows and columns plus the companion columns of Backings.
type Schema struct {
	Path    []string
	Read    []string
	Columns []Column
}

// Index returns the position of the column named name, or -1. Names are
// case-sensitive, as in KQL.
func (s Schema) Index(name string) int {
	for i, c := range s.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Catalog resolves table names for the binder. Table is called once per table
// reference while binding, from one goroutine; it reports false for an unknown
// name.
type Catalog interface {
	Table(name string) (Schema, bool)
}

// TableLister is implemented by catalogs that can list their tables; union
// uses it to expand wildcard operands such as Databricks*.
type TableLister interface {
	TableNames() []string
}

// BindOptions configure Bind.
type BindOptions struct {
	// Now is the value of now() and the reference of ago(), evaluated once per
	// query. Default: the wall clock when Bind is called.
	Now time.Time
}

// Plan is a bound query: a tree of typed relational nodes. Render holds the
// chart a render operator asked for (nil without one).
type Plan struct {
	Root   PlanNode
	Render *Render
}

// Render is the client hint of a render operator: a chart kind and its
// properties as written.
type Render struct {
	Chart string
	Props map[string]string
}

// PlanNode is one relational operator of a Plan. Out returns its output
// schema, which is fixed when the node is built.
type PlanNode interface {
	Out() Schema
	planNode()
}

// Scan reads a catalog table; columns are converted to their KQL
// representation (strings never null, datetimes in UTC, dynamic as JSON).
type Scan struct {
	Table  string // KQL name
	Schema Schema
}

// Values is literal rows: print and datatable. Rows hold one scalar per column.
type Values struct {
	Schema Schema
	Rows   [][]Scalar
}

// Range is "range Col from From to To step Step" (To inclusive).
type Range struct {
	Schema         Schema
	From, To, Step Scalar
}

// Filter keeps the rows whose predicate is true (null drops the row).
type Filter struct {
	In   PlanNode
	Pred Scalar
}

// Project computes its output columns from the input row. It also implements
// extend, project-away, project-rename, project-keep and project-reorder.
type Project struct {
	In     PlanNode
	Cols   []Scalar
	Schema Schema
}

// Extend appends or replaces columns; Cols[i] is written to the output column
// Targets[i] (an index into the output schema).
type Extend struct {
	In      PlanNode
	Cols    []Scalar
	Targets []int
	Schema  Schema
}

// Aggregate groups by Keys and computes Aggs; output is keys then aggregates.
// Without keys it returns exactly one row.
type Aggregate struct {
	In     PlanNode
	Keys   []Scalar
	Aggs   []*AggCall
	Schema Schema
}

// OrderKey is one resolved sort key with explicit direction and null order.
type OrderKey struct {
	X          Scalar
	Desc       bool
	NullsFirst bool
}

// Sort orders its input; the order is kept through order-preserving nodes
// (Filter, Project, Extend, Limit) up to the result.
type Sort struct {
	In   PlanNode
	Keys []OrderKey
}

// Limit keeps the first N rows (any N rows when the input is unordered).
type Limit struct {
	In PlanNode
	N  int64
}

// JoinKind is a resolved join flavour.
type JoinKind string

// The join kinds; "anti" is JoinLeftAnti.
const (
	JoinInnerUnique JoinKind = "innerunique"
	JoinInner       JoinKind = "inner"
	JoinLeftOuter   JoinKind = "leftouter"
	JoinRightOuter  JoinKind = "rightouter"
	JoinFullOuter   JoinKind = "fullouter"
	JoinLeftAnti    JoinKind = "leftanti"
	JoinRightAnti   JoinKind = "rightanti"
	JoinLeftSemi    JoinKind = "leftsemi"
	JoinRightSemi   JoinKind = "rightsemi"
)

// Join combines two inputs on equal keys (LeftKeys[i] == RightKeys[i], column
// indexes). The output is the left columns then the right ones (clashing
// names suffixed), or one side only for semi and anti joins.
type Join struct {
	Left, Right         PlanNode
	Kind                JoinKind
	LeftKeys, RightKeys []int
	Schema              Schema
}

// Union concatenates its inputs over the superset of their columns;
// Maps[i][j] is the input column for output column j of input i, or -1 for
// null. With WithSource, the last output column names the input (Sources[i]).
type Union struct {
	Inputs     []PlanNode
	Maps       [][]int
	Sources    []string
	WithSource bool
	Schema     Schema
}

// MvExpand emits one row per element of the dynamic arrays in columns Cols
// (expanded in parallel), converting elements to Types[i].
type MvExpand struct {
	In     PlanNode
	Cols   []int
	Types  []Type
	Limit  int64 // 0: none
	Schema Schema
}

// Out returns the output schema.
func (n *Scan) Out() Schema { return Schema{Columns: n.Schema.Columns} }

// Out returns the output schema.
func (n *Values) Out() Schema { return n.Schema }

// Out returns the output schema.
func (n *Range) Out() Schema { return n.Schema }

// Out returns the output schema.
func (n *Filter) Out() Schema { return n.In.Out() }

// Out returns the output schema.
func (n *Project) Out() Schema { return n.Schema }

// Out returns the output schema.
func (n *Extend) Out() Schema { return n.Schema }

// Out returns the output schema.
func (n *Aggregate) Out() Schema { return n.Schema }

// Out returns the output schema.
func (n *Sort) Out() Schema { return n.In.Out() }

// Out returns the output schema.
func (n *Limit) Out() Schema { return n.In.Out() }

// Out returns the output schema.
func (n *Join) Out() Schema { return n.Schema }

// Out returns the output schema.
func (n *Union) Out() Schema { return n.Schema }

// Out returns the output schema.
func (n *MvExpand) Out() Schema { return n.Schema }

func (*Scan) planNode()      {}
func (*Values) planNode()    {}
func (*Range) planNode()     {}
func (*Filter) planNode()    {}
func (*Project) planNode()   {}
func (*Extend) planNode()    {}
func (*Aggregate) planNode() {}
func (*Sort) planNode()      {}
func (*Limit) planNode()     {}
func (*Join) planNode()      {}
func (*Union) planNode()     {}
func (*MvExpand) planNode()  {}

// Scalar is a typed scalar expression of the plan.
type Scalar interface {
	Type() Type
	scalar()
}

// ColRef reads column Index of the input row.
type ColRef struct {
	Index int
	Name  string
	T     Type
}

// Const is a constant. Value has the Go type of Literal.Value for T; for
// TypeDynamic it is the JSON text. Null means a typed null.
type Const struct {
	T     Type
	Null  bool
	Value any
}

// Func applies a registered function or an operator (Name is the registry
// name, or the operator such as "==", "has", "+"). Args are already
// converted to the types the function needs.
type Func struct {
	Name string
	Args []Scalar
	T    Type
}

// InSet is "X in (List)" and its variants (Op: in, !in, in~, !in~); either
// List or Sub (a tabular operand, its first column) is set.
type InSet struct {
	Op   string
	X    Scalar
	List []Scalar
	Sub  PlanNode
}

// AggCall is an aggregate in summarize. Outputs is how many output columns it
// produces (arg_max and percentiles produce several).
type AggCall struct {
	Name    string
	Args    []Scalar
	Cond    Scalar // the predicate of *if aggregates, or nil
	T       []Type // one type per output column
	Param   []float64
	MaxSize int64 // make_set/make_list size cap; 0: none
}

// Type returns the column type.
func (e *ColRef) Type() Type { return e.T }

// Type returns the constant's type.
func (e *Const) Type() Type { return e.T }

// Type returns the result type.
func (e *Func) Type() Type { return e.T }

// Type returns bool.
func (e *InSet) Type() Type { return TypeBool }

func (*ColRef) scalar() {}
func (*Const) scalar()  {}
func (*Func) scalar()   {}
func (*InSet) scalar()  {}

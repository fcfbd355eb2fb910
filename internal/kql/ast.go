package kql

// Node is any syntax tree node. Position returns where the node starts in the
// query; String renders it as canonical KQL that parses back to an equal node.
type Node interface {
	Position() Pos
	String() string
}

// Expr is a scalar expression. A tabular expression can also appear where an
// expression is expected (a let value, the list of "in", an argument of
// toscalar); those nodes are *TabularExpr and *SubQuery.
type Expr interface {
	Node
	exprNode()
}

// Source starts a pipeline: a table, print, datatable, range, union or a
// parenthesised tabular expression.
type Source interface {
	Node
	sourceNode()
}

// Operator is one "| operator" step of a pipeline.
type Operator interface {
	Node
	opNode()
	// Name returns the operator keyword, such as "where" or "project-away".
	Name() string
}

// Query is a parsed query: let statements followed by one tabular expression.
type Query struct {
	Pos  Pos
	Lets []*LetStmt
	Body *TabularExpr
}

// LetStmt is "let Name = Value;". Value is a scalar expression, or a
// *TabularExpr or *SubQuery for a tabular let. A bare name (let T = Other;) is
// an *Ident: whether it names a table or a scalar is decided by the binder.
type LetStmt struct {
	Pos   Pos
	Name  *Ident
	Value Expr
}

// TabularExpr is a pipeline: a source followed by zero or more operators.
type TabularExpr struct {
	Pos    Pos
	Source Source
	Ops    []Operator
}

// SubQuery is a parenthesised tabular expression: (T | where x).
type SubQuery struct {
	Pos   Pos
	Query *TabularExpr
}

// TableRef names a table or a let-bound tabular value. With Pattern set, Name
// is a wildcard pattern such as "Databricks*" (only valid in union).
type TableRef struct {
	Pos     Pos
	Name    string
	Pattern bool
}

// PrintSource is "print a = 1, 2".
type PrintSource struct {
	Pos  Pos
	Cols []*NamedExpr
}

// ColumnDecl is "Name:type" in a datatable schema.
type ColumnDecl struct {
	Pos  Pos
	Name *Ident
	Type Type
}

// DatatableSource is "datatable(a:long, b:string) [1, "x", 2, "y"]". Values
// holds the cells row by row.
type DatatableSource struct {
	Pos    Pos
	Cols   []*ColumnDecl
	Values []Expr
}

// RangeSource is "range Col from From to To step Step".
type RangeSource struct {
	Pos  Pos
	Col  *Ident
	From Expr
	To   Expr
	Step Expr
}

// UnionOp is "union [kind=inner|outer] [withsource=Col] [isfuzzy=true] T1, T2".
// It is both a source and an operator (T | union U).
type UnionOp struct {
	Pos        Pos
	Kind       string // "", "inner" or "outer"
	WithSource *Ident // nil when absent
	IsFuzzy    bool
	Operands   []Source // *TableRef or *SubQuery
}

// WhereOp is "where Pred" (also spelled "filter").
type WhereOp struct {
	Pos  Pos
	Pred Expr
}

// ProjectOp is "project a, b = expr".
type ProjectOp struct {
	Pos  Pos
	Cols []*NamedExpr
}

// ProjectAwayOp is "project-away a, Tmp*". Cols holds *Ident and *NamePattern.
type ProjectAwayOp struct {
	Pos  Pos
	Cols []Expr
}

// ProjectKeepOp is "project-keep a, Tmp*". Cols holds *Ident and *NamePattern.
type ProjectKeepOp struct {
	Pos  Pos
	Cols []Expr
}

// ProjectReorderOp is "project-reorder a, Tmp*". Cols holds *Ident and *NamePattern.
type ProjectReorderOp struct {
	Pos  Pos
	Cols []Expr
}

// Rename is "New = Old" in project-rename.
type Rename struct {
	Pos Pos
	New *Ident
	Old *Ident
}

// ProjectRenameOp is "project-rename new = old, ...".
type ProjectRenameOp struct {
	Pos     Pos
	Renames []*Rename
}

// ExtendOp is "extend a = expr, expr".
type ExtendOp struct {
	Pos  Pos
	Cols []*NamedExpr
}

// SummarizeOp is "summarize Aggs by By". Either list may be empty, not both.
type SummarizeOp struct {
	Pos  Pos
	Aggs []*NamedExpr
	By   []*NamedExpr
}

// CountOp is "count".
type CountOp struct {
	Pos Pos
}

// TakeOp is "take N" (also spelled "limit").
type TakeOp struct {
	Pos Pos
	N   Expr
}

// TopOp is "top N by Key".
type TopOp struct {
	Pos Pos
	N   Expr
	By  *SortKey
}

// SortOp is "sort by k1 [asc|desc] [nulls first|last], ..." (also "order by").
type SortOp struct {
	Pos  Pos
	Keys []*SortKey
}

// SortOrder is the direction written for a sort key.
type SortOrder uint8

// Sort directions. SortDefault means none was written (KQL's default is desc).
const (
	SortDefault SortOrder = iota
	SortAsc
	SortDesc
)

// NullsOrder is the null placement written for a sort key.
type NullsOrder uint8

// Null placements. NullsDefault means none was written (first for asc, last
// for desc).
const (
	NullsDefault NullsOrder = iota
	NullsFirst
	NullsLast
)

// SortKey is one key of sort or top.
type SortKey struct {
	Pos   Pos
	X     Expr
	Order SortOrder
	Nulls NullsOrder
}

// DistinctOp is "distinct a, b" or "distinct *" (Cols is then one *Star).
type DistinctOp struct {
	Pos  Pos
	Cols []Expr
}

// JoinOp is "join [kind=K] Right on Conds". Each condition is an *Ident (the
// same column on both sides) or a comparison of $left.A with $right.B;
// conditions joined with "and" stay one *Binary for the binder to split.
type JoinOp struct {
	Pos   Pos
	Kind  string // as written: "", "inner", "innerunique", "leftouter", ...
	Right Source // *TableRef or *SubQuery
	On    []Expr
}

// RenderProp is "name = value[, value...]" inside render's with (...).
type RenderProp struct {
	Pos    Pos
	Name   string
	Values []Expr
}

// RenderOp is "render Chart [with (props)]". It does not change the rows.
type RenderOp struct {
	Pos   Pos
	Chart string
	Props []*RenderProp
}

// MvExpandItem is "[Name =] X [to typeof(Type)]" in mv-expand.
type MvExpandItem struct {
	Pos  Pos
	Name *Ident // nil when absent
	X    Expr
	To   Type // TypeUnknown when absent
}

// MvExpandOp is "mv-expand [bagexpansion=bag|array] [with_itemindex=I] items [limit N]".
type MvExpandOp struct {
	Pos          Pos
	BagExpansion string // "", "bag" or "array"
	ItemIndex    *Ident // nil when absent
	Items        []*MvExpandItem
	Limit        Expr // nil when absent
}

// NamedExpr is "[Name =] X", a column of project, extend, summarize or print.
type NamedExpr struct {
	Pos  Pos
	Name *Ident // nil when no name was written
	X    Expr
}

// Ident is a name: a column, table, let-bound value, or $left/$right. Names
// written ['like this'] are Idents too.
type Ident struct {
	Pos  Pos
	Name string
}

// NamePattern is a column or table name pattern with wildcards: Tmp*.
type NamePattern struct {
	Pos     Pos
	Pattern string
}

// Star is "*" as a function argument (arg_max(t, *)) or in "distinct *".
type Star struct {
	Pos Pos
}

// Literal is a scalar constant. Value has the Go type matching Type:
// bool (TypeBool), int64 (TypeInt, TypeLong), float64 (TypeReal), string
// (TypeString; TypeDecimal and TypeGuid in canonical text), time.Time in UTC
// (TypeDatetime) or Timespan (TypeTimespan). When Null is set, Value is nil
// and the literal is a typed null such as long(null).
type Literal struct {
	Pos   Pos
	Type  Type
	Null  bool
	Value any
}

// DynamicBag is a property bag inside a dynamic literal, keys in source order.
type DynamicBag struct {
	Keys   []string
	Values []any
}

// Dynamic is "dynamic(...)". Value is nil (dynamic(null)), bool, int64,
// float64, string, time.Time, Timespan, []any or *DynamicBag.
type Dynamic struct {
	Pos   Pos
	Value any
}

// Unary is "-X" or "+X".
type Unary struct {
	Pos Pos
	Op  string
	X   Expr
}

// Binary is "X Op Y" for arithmetic, comparison, logical and string
// operators: + - * / % == != < <= > >= =~ !~ and or has !has contains
// startswith "matches regex" and the rest (see the spec, scalar operators).
type Binary struct {
	Pos Pos
	Op  string
	X   Expr
	Y   Expr
}

// In is "X Op (List)" where Op is in, !in, in~, !in~, has_any or has_all.
// The list holds scalars, or one tabular expression.
type In struct {
	Pos  Pos
	Op   string
	X    Expr
	List []Expr
}

// Between is "X between (Lo .. Hi)", or !between when Not is set.
type Between struct {
	Pos Pos
	Not bool
	X   Expr
	Lo  Expr
	Hi  Expr
}

// Call is a function call "Name(Args)". Aggregates are Calls too.
type Call struct {
	Pos  Pos
	Name string
	Args []Expr
}

// Member is dynamic member access "X.Name".
type Member struct {
	Pos  Pos
	X    Expr
	Name string
}

// Index is "X[Index]": a dynamic array index or a property name in brackets.
type Index struct {
	Pos   Pos
	X     Expr
	Index Expr
}

// Paren is a parenthesised scalar expression "(X)".
type Paren struct {
	Pos Pos
	X   Expr
}

// Position returns where the Query starts.
func (n *Query) Position() Pos { return n.Pos }

// Position returns where the LetStmt starts.
func (n *LetStmt) Position() Pos { return n.Pos }

// Position returns where the TabularExpr starts.
func (n *TabularExpr) Position() Pos { return n.Pos }

// Position returns where the SubQuery starts.
func (n *SubQuery) Position() Pos { return n.Pos }

// Position returns where the TableRef starts.
func (n *TableRef) Position() Pos { return n.Pos }

// Position returns where the PrintSource starts.
func (n *PrintSource) Position() Pos { return n.Pos }

// Position returns where the ColumnDecl starts.
func (n *ColumnDecl) Position() Pos { return n.Pos }

// Position returns where the DatatableSource starts.
func (n *DatatableSource) Position() Pos { return n.Pos }

// Position returns where the RangeSource starts.
func (n *RangeSource) Position() Pos { return n.Pos }

// Position returns where the UnionOp starts.
func (n *UnionOp) Position() Pos { return n.Pos }

// Position returns where the WhereOp starts.
func (n *WhereOp) Position() Pos { return n.Pos }

// Position returns where the ProjectOp starts.
func (n *ProjectOp) Position() Pos { return n.Pos }

// Position returns where the ProjectAwayOp starts.
func (n *ProjectAwayOp) Position() Pos { return n.Pos }

// Position returns where the ProjectKeepOp starts.
func (n *ProjectKeepOp) Position() Pos { return n.Pos }

// Position returns where the ProjectReorderOp starts.
func (n *ProjectReorderOp) Position() Pos { return n.Pos }

// Position returns where the Rename starts.
func (n *Rename) Position() Pos { return n.Pos }

// Position returns where the ProjectRenameOp starts.
func (n *ProjectRenameOp) Position() Pos { return n.Pos }

// Position returns where the ExtendOp starts.
func (n *ExtendOp) Position() Pos { return n.Pos }

// Position returns where the SummarizeOp starts.
func (n *SummarizeOp) Position() Pos { return n.Pos }

// Position returns where the CountOp starts.
func (n *CountOp) Position() Pos { return n.Pos }

// Position returns where the TakeOp starts.
func (n *TakeOp) Position() Pos { return n.Pos }

// Position returns where the TopOp starts.
func (n *TopOp) Position() Pos { return n.Pos }

// Position returns where the SortOp starts.
func (n *SortOp) Position() Pos { return n.Pos }

// Position returns where the SortKey starts.
func (n *SortKey) Position() Pos { return n.Pos }

// Position returns where the DistinctOp starts.
func (n *DistinctOp) Position() Pos { return n.Pos }

// Position returns where the JoinOp starts.
func (n *JoinOp) Position() Pos { return n.Pos }

// Position returns where the RenderProp starts.
func (n *RenderProp) Position() Pos { return n.Pos }

// Position returns where the RenderOp starts.
func (n *RenderOp) Position() Pos { return n.Pos }

// Position returns where the MvExpandItem starts.
func (n *MvExpandItem) Position() Pos { return n.Pos }

// Position returns where the MvExpandOp starts.
func (n *MvExpandOp) Position() Pos { return n.Pos }

// Position returns where the NamedExpr starts.
func (n *NamedExpr) Position() Pos { return n.Pos }

// Position returns where the Ident starts.
func (n *Ident) Position() Pos { return n.Pos }

// Position returns where the NamePattern starts.
func (n *NamePattern) Position() Pos { return n.Pos }

// Position returns where the Star starts.
func (n *Star) Position() Pos { return n.Pos }

// Position returns where the Literal starts.
func (n *Literal) Position() Pos { return n.Pos }

// Position returns where the Dynamic starts.
func (n *Dynamic) Position() Pos { return n.Pos }

// Position returns where the Unary starts.
func (n *Unary) Position() Pos { return n.Pos }

// Position returns where the Binary starts.
func (n *Binary) Position() Pos { return n.Pos }

// Position returns where the In starts.
func (n *In) Position() Pos { return n.Pos }

// Position returns where the Between starts.
func (n *Between) Position() Pos { return n.Pos }

// Position returns where the Call starts.
func (n *Call) Position() Pos { return n.Pos }

// Position returns where the Member starts.
func (n *Member) Position() Pos { return n.Pos }

// Position returns where the Index starts.
func (n *Index) Position() Pos { return n.Pos }

// Position returns where the Paren starts.
func (n *Paren) Position() Pos { return n.Pos }

func (*TabularExpr) exprNode() {}
func (*SubQuery) exprNode()    {}
func (*Ident) exprNode()       {}
func (*NamePattern) exprNode() {}
func (*Star) exprNode()        {}
func (*Literal) exprNode()     {}
func (*Dynamic) exprNode()     {}
func (*Unary) exprNode()       {}
func (*Binary) exprNode()      {}
func (*In) exprNode()          {}
func (*Between) exprNode()     {}
func (*Call) exprNode()        {}
func (*Member) exprNode()      {}
func (*Index) exprNode()       {}
func (*Paren) exprNode()       {}

func (*SubQuery) sourceNode()        {}
func (*TableRef) sourceNode()        {}
func (*PrintSource) sourceNode()     {}
func (*DatatableSource) sourceNode() {}
func (*RangeSource) sourceNode()     {}
func (*UnionOp) sourceNode()         {}

func (*UnionOp) opNode()          {}
func (*WhereOp) opNode()          {}
func (*ProjectOp) opNode()        {}
func (*ProjectAwayOp) opNode()    {}
func (*ProjectKeepOp) opNode()    {}
func (*ProjectReorderOp) opNode() {}
func (*ProjectRenameOp) opNode()  {}
func (*ExtendOp) opNode()         {}
func (*SummarizeOp) opNode()      {}
func (*CountOp) opNode()          {}
func (*TakeOp) opNode()           {}
func (*TopOp) opNode()            {}
func (*SortOp) opNode()           {}
func (*DistinctOp) opNode()       {}
func (*JoinOp) opNode()           {}
func (*RenderOp) opNode()         {}
func (*MvExpandOp) opNode()       {}

// Name returns "union".
func (*UnionOp) Name() string { return "union" }

// Name returns "where".
func (*WhereOp) Name() string { return "where" }

// Name returns "project".
func (*ProjectOp) Name() string { return "project" }

// Name returns "project-away".
func (*ProjectAwayOp) Name() string { return "project-away" }

// Name returns "project-keep".
func (*ProjectKeepOp) Name() string { return "project-keep" }

// Name returns "project-reorder".
func (*ProjectReorderOp) Name() string { return "project-reorder" }

// Name returns "project-rename".
func (*ProjectRenameOp) Name() string { return "project-rename" }

// Name returns "extend".
func (*ExtendOp) Name() string { return "extend" }

// Name returns "summarize".
func (*SummarizeOp) Name() string { return "summarize" }

// Name returns "count".
func (*CountOp) Name() string { return "count" }

// Name returns "take".
func (*TakeOp) Name() string { return "take" }

// Name returns "top".
func (*TopOp) Name() string { return "top" }

// Name returns "sort".
func (*SortOp) Name() string { return "sort" }

// Name returns "distinct".
func (*DistinctOp) Name() string { return "distinct" }

// Name returns "join".
func (*JoinOp) Name() string { return "join" }

// Name returns "render".
func (*RenderOp) Name() string { return "render" }

// Name returns "mv-expand".
func (*MvExpandOp) Name() string { return "mv-expand" }

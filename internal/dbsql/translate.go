package dbsql

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Options configure Translate.
type Options struct {
	// Now pins current_timestamp(), now(), current_date() and unix_timestamp(). Zero: the
	// translated SQL reads DuckDB's clock when it runs.
	Now time.Time
	// Tables maps lowercase dotted Databricks table names to DuckDB tables. Nil:
	// DefaultTables. A three-part name under the system catalog that is not listed is refused.
	Tables map[string]Table
}

// Table is the DuckDB face of a Databricks table.
type Table struct {
	// Name is the DuckDB table.
	Name string
	// Select, when set, is the select list over Name that gives the Databricks table's columns
	// in its order and types; the name then becomes a subquery, aliased by its last part.
	Select string
}

// DefaultTables maps the Databricks system tables auditlake holds to its own tables:
// system.access.audit is silver.audit with the columns of the Databricks table, in its order,
// workspace_id a BIGINT as there (silver's extra columns email, source_format, source_file and
// ingested_at are not part of it; query silver.audit for them).
var DefaultTables = map[string]Table{"system.access.audit": {Name: "silver.audit",
	Select: "version, event_time, event_date, TRY_CAST(workspace_id AS BIGINT) AS workspace_id, source_ip_address, " +
		"user_agent, session_id, user_identity, service_name, action_name, request_id, request_params, response, " +
		"audit_level, account_id, event_id, identity_metadata"}}

// Translate rewrites one Databricks (Spark) SQL query as DuckDB SQL with Spark's semantics,
// token by token: table names, quoting, literals, operators and the functions listed in
// funcs.go. Everything else passes through unchanged. It never panics; errors are *Error with
// the position of the offending token.
func Translate(src string, opts Options) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = "", errAt(Pos{Line: 1, Col: 1}, "internal error translating the query: %v", r)
		}
	}()
	toks, err := Tokenize(src)
	if err != nil {
		return "", err
	}
	if opts.Tables == nil {
		opts.Tables = DefaultTables
	}
	t := &translator{toks: toks, opts: opts, funcs: funcs, numeric: -1, windows: map[int]*windowCall{}}
	if err := t.link(); err != nil {
		return "", err
	}
	s, err := t.seq(0, len(toks)-1)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(s + toks[len(toks)-1].Space), nil
}

type translator struct {
	toks    []Token
	opts    Options
	match   []int // for ( [ : the index of the closing token, and back
	parent  []int // index of the innermost enclosing ( or -1
	funcs   map[string]rule
	numeric int // the token whose map value is being cast to a number, or -1
	windows map[int]*windowCall
}

// maxDepth bounds bracket nesting, and so the translator's recursion.
const maxDepth = 500

// link pairs brackets and records each token's enclosing parenthesis.
func (t *translator) link() error {
	t.match = make([]int, len(t.toks))
	t.parent = make([]int, len(t.toks))
	var stack []int
	for i, tok := range t.toks {
		t.match[i] = -1
		t.parent[i] = -1
		if len(stack) > 0 {
			t.parent[i] = stack[len(stack)-1]
		}
		switch {
		case tok.op("(") || tok.op("["):
			if len(stack) >= maxDepth {
				return errAt(tok.Pos, "query nests brackets more than %d deep", maxDepth)
			}
			stack = append(stack, i)
		case tok.op(")") || tok.op("]"):
			want := "("
			if tok.Text == "]" {
				want = "["
			}
			if len(stack) == 0 || t.toks[stack[len(stack)-1]].Text != want {
				return errAt(tok.Pos, "%q has no matching %q", tok.Text, want)
			}
			open := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			t.match[open], t.match[i] = i, open
			t.parent[i] = t.parent[open]
		}
	}
	if len(stack) > 0 {
		tok := t.toks[stack[len(stack)-1]]
		closing := ")"
		if tok.Text == "[" {
			closing = "]"
		}
		return errAt(tok.Pos, "%q is not closed with %q", tok.Text, closing)
	}
	return nil
}

// tok returns token i, or the EOF token past the end.
func (t *translator) tok(i int) Token {
	if i < 0 || i >= len(t.toks) {
		return t.toks[len(t.toks)-1]
	}
	return t.toks[i]
}

// seq translates the tokens [i, j) and returns the text, spacing included.
func (t *translator) seq(i, j int) (string, error) {
	var b strings.Builder
	for k := i; k < j; {
		text, next, err := t.one(k, j)
		if err != nil {
			return "", err
		}
		b.WriteString(t.toks[k].Space)
		b.WriteString(text)
		k = next
	}
	return b.String(), nil
}

// text translates [i, j) without the leading space.
func (t *translator) text(i, j int) (string, error) {
	if i >= j {
		return "", nil
	}
	s, err := t.seq(i, j)
	return strings.TrimLeft(s, " \t\r\n\f\v"), err
}

// one translates the construct starting at token k (ending before j) and returns its text
// (without the leading space of token k) and the index after it.
func (t *translator) one(k, j int) (string, int, error) {
	tok := t.toks[k]
	next := t.tok(k + 1)
	switch tok.Kind {
	case Parameter:
		return "", 0, errAt(tok.Pos, "query parameter %s has no value: replace it with a literal first", tok.Text)
	case String:
		// Adjacent literals concatenate, as in Spark: 'a' 'b' is 'ab'.
		val := tok.Val
		n := k + 1
		for n < j && t.toks[n].Kind == String {
			val += t.toks[n].Val
			n++
		}
		return quoteString(val), n, nil
	case Number:
		return number(tok.Text), k + 1, nil
	case QIdent:
		if s, n, ok, err := t.tableName(k, j); ok || err != nil {
			return s, n, err
		}
		if next.op("->") && k+1 < j {
			return "lambda " + quoteIdent(tok.Val) + ":", k + 2, nil
		}
		return quoteIdent(tok.Val), k + 1, nil
	case Op:
		return t.operator(k, j)
	case Ident:
		if e := t.mapAccess(k); e > k && e <= j && k != t.numeric && t.numericContext(k, e) {
			t.numeric = k // translate the value itself once, without coming back here
			s, err := t.text(k, e)
			t.numeric = -1
			return "TRY_CAST(" + s + " AS DOUBLE)", e, err
		}
		return t.word(k, j)
	}
	return tok.Text, k + 1, nil
}

func (t *translator) operator(k, j int) (string, int, error) {
	tok := t.toks[k]
	switch tok.Text {
	case "<=>":
		return "IS NOT DISTINCT FROM", k + 1, nil
	case "==":
		return "=", k + 1, nil
	case "!":
		return "NOT ", k + 1, nil
	case "::":
		s, n, err := t.typeAt(k+1, j)
		if err != nil {
			return "", 0, err
		}
		return "::" + s, n, nil
	case "(":
		// (a, b) -> expr is a lambda with two parameters.
		end := t.match[k]
		if end+1 < j && t.tok(end+1).op("->") {
			var names []string
			for p := k + 1; p < end; p++ {
				switch {
				case t.toks[p].Kind == Ident:
					names = append(names, t.toks[p].Text)
				case t.toks[p].Kind == QIdent:
					names = append(names, quoteIdent(t.toks[p].Val))
				case t.toks[p].op(","):
				default:
					return "", 0, errAt(t.toks[p].Pos, "lambda parameters must be names")
				}
			}
			return "lambda " + strings.Join(names, ", ") + ":", end + 2, nil
		}
	case "[":
		return t.subscript(k, j)
	case ":":
		prev := t.tok(k - 1)
		if next := t.tok(k + 1); next.Kind == Ident && (prev.Kind == Op && !prev.op(")") && !prev.op("]") || prev.Kind == Ident && clauseWords[strings.ToUpper(prev.Text)]) {
			return "", 0, errAt(tok.Pos, "query parameter :%s has no value: replace it with a literal first", next.Text)
		}
		return "", 0, errAt(tok.Pos, "the : path operator reads VARIANT and JSON strings, which auditlake does not have; use get_json_object(column, '$.path')")
	}
	return tok.Text, k + 1, nil
}

// mapAccess returns the end of a request_params value starting at token k (request_params.key,
// request_params['key'], t.request_params.key), or k when there is none. request_params is a
// map of strings in Databricks as in silver.audit.
func (t *translator) mapAccess(k int) int {
	if t.tok(k - 1).op(".") {
		return k
	}
	n := k
	if t.tok(n).Kind == Ident && !t.tok(n).is("request_params") && t.tok(n+1).op(".") {
		n += 2 // a table qualifier
	}
	if !t.tok(n).is("request_params") {
		return k
	}
	switch {
	case t.tok(n+1).op(".") && (t.tok(n+2).Kind == Ident || t.tok(n+2).Kind == QIdent) && !t.tok(n+3).op("("):
		return n + 3
	case t.tok(n+1).op("[") && t.tok(n+2).Kind == String && t.tok(n+3).op("]"):
		return n + 4
	}
	return k
}

// numericContext reports whether the value in [k, e) is compared with, or computed with, a
// number literal: request_params.executionTime > 1000.
func (t *translator) numericContext(k, e int) bool {
	isNum := func(i int) bool {
		return t.tok(i).Kind == Number || (t.tok(i).op("-") && t.tok(i+1).Kind == Number)
	}
	if after := t.tok(e); after.Kind == Op && (comparison[after.Text] || arithmetic[after.Text]) && isNum(e+1) {
		return true
	}
	before := t.tok(k - 1)
	return before.Kind == Op && (comparison[before.Text] || arithmetic[before.Text]) && t.tok(k-2).Kind == Number
}

var arithmetic = map[string]bool{"+": true, "-": true, "*": true, "/": true, "%": true}

// afterAS are keywords that follow AS without being an alias (CREATE … AS SELECT, AS OF).
var afterAS = map[string]bool{"SELECT": true, "WITH": true, "VALUES": true, "TABLE": true, "FROM": true,
	"MATERIALIZED": true, "NOT": true, "OF": true, "IDENTITY": true}

// clauseWords are keywords after which an expression starts.
var clauseWords = map[string]bool{"SELECT": true, "WHERE": true, "AND": true, "OR": true, "NOT": true, "ON": true,
	"HAVING": true, "WHEN": true, "THEN": true, "ELSE": true, "IN": true, "BETWEEN": true, "LIKE": true,
	"LIMIT": true, "BY": true, "RLIKE": true, "REGEXP": true, "ILIKE": true, "IS": true, "QUALIFY": true}

// subscript translates x[i]: Spark arrays count from 0, DuckDB lists from 1. A string index is
// a map key or struct field and passes unchanged.
func (t *translator) subscript(k, j int) (string, int, error) {
	end := t.match[k]
	inner, err := t.text(k+1, end)
	if err != nil {
		return "", 0, err
	}
	if end == k+1 {
		return "", 0, errAt(t.toks[k].Pos, "empty subscript []")
	}
	if end == k+2 {
		switch idx := t.toks[k+1]; idx.Kind {
		case String:
			return "[" + inner + "]", end + 1, nil
		case Number:
			if n, ok := intLiteral(idx.Text); ok {
				return fmt.Sprintf("[%d]", n+1), end + 1, nil
			}
		}
	}
	if prev := t.tok(k - 1); prev.Kind == Ident && strings.EqualFold(prev.Text, "request_params") {
		return "[" + inner + "]", end + 1, nil
	}
	return "[(" + inner + ") + 1]", end + 1, nil
}

func (t *translator) word(k, j int) (string, int, error) {
	tok := t.toks[k]
	next := t.tok(k + 1)
	if s, n, ok, err := t.tableName(k, j); ok || err != nil {
		return s, n, err
	}
	up := strings.ToUpper(tok.Text)
	if up == "EXCEPT" && t.tok(k-1).op("*") && next.op("(") {
		return "EXCLUDE", k + 1, nil
	}
	if next.op("(") && k+1 < j && !t.tok(k-1).op(".") {
		if r, ok := t.funcs[strings.ToLower(tok.Text)]; ok {
			return t.call(k, j, r)
		}
		return tok.Text, k + 1, nil
	}
	if next.op("->") && k+1 < j {
		return "lambda " + tok.Text + ":", k + 2, nil
	}
	if t.implicitAlias(k) {
		return quoteIdent(tok.Text), k + 1, nil
	}
	switch up {
	case "CURRENT_TIMESTAMP", "CURRENT_DATE", "NOW":
		if t.tok(k-1).op(".") || up == "NOW" {
			break
		}
		return t.clock(up == "CURRENT_DATE"), k + 1, nil
	case "INTERVAL":
		return t.interval(k, j)
	case "CASE":
		if s, n, ok, err := t.caseExpr(k, j); ok || err != nil {
			return s, n, err
		}
	case "TIMESTAMP", "TIMESTAMP_LTZ", "TIMESTAMP_NTZ", "DATE":
		if next.Kind == String {
			typ := map[string]string{"TIMESTAMP": "TIMESTAMPTZ", "TIMESTAMP_LTZ": "TIMESTAMPTZ", "TIMESTAMP_NTZ": "TIMESTAMP", "DATE": "DATE"}[up]
			return typ + " " + quoteString(next.Val), k + 2, nil
		}
	case "AS":
		if next.Kind == Ident && k+1 < j && !t.tok(k+2).op(".") && !afterAS[strings.ToUpper(next.Text)] {
			return "AS " + quoteIdent(next.Text), k + 2, nil
		}
	case "LEFT":
		if n := t.tok(k + 1); n.is("SEMI") || n.is("ANTI") {
			return strings.ToUpper(n.Text), k + 2, nil
		}
	case "MINUS":
		if prev := t.tok(k - 1); prev.Kind != Op || prev.op(")") {
			return "EXCEPT", k + 1, nil
		}
	case "DIV":
		return "//", k + 1, nil
	case "NOT":
		if n := t.tok(k + 1); (n.is("RLIKE") || n.is("REGEXP")) && !t.tok(k+2).op("(") {
			return t.rlike(k+1, j, true)
		}
	case "RLIKE", "REGEXP":
		if !next.op("(") {
			return t.rlike(k, j, false)
		}
	case "LIKE", "ILIKE":
		if next.Kind == String && strings.Contains(next.Val, `\`) && !t.tok(k+2).is("ESCAPE") && k+1 < j {
			return tok.Text + " " + quoteString(next.Val) + ` ESCAPE '\'`, k + 2, nil
		}
	case "ORDER", "SORT":
		if next.is("BY") {
			return t.orderBy(k, j)
		}
	case "DISTRIBUTE", "CLUSTER":
		if next.is("BY") {
			return "", 0, errAt(tok.Pos, "%s BY is a Spark partitioning hint that DuckDB has no use for; remove it (use ORDER BY to sort)", up)
		}
	case "LATERAL":
		if next.is("VIEW") {
			return t.lateralView(k, j)
		}
	case "WINDOW":
		if t.tok(k+1).op(".") && (t.tok(k+2).is("start") || t.tok(k+2).is("end")) && !t.tok(k+3).op("(") && !t.tok(k-1).op(".") {
			if w := t.windowInScope(k); w != nil {
				if t.tok(k + 2).is("start") {
					return w.start, k + 3, nil
				}
				return w.end, k + 3, nil
			}
		}
	}
	return tok.Text, k + 1, nil
}

// caseExpr translates a CASE whose results mix request_params values (strings) with other
// non-literal values: Spark gives the CASE a string type, DuckDB refuses to mix, so the others
// are cast to VARCHAR. ok is false for any other CASE, which translates token by token.
func (t *translator) caseExpr(k, j int) (string, int, bool, error) {
	var results [][2]int
	start, depth, end := -1, 0, -1
	for p := k + 1; p < j && end < 0; p++ {
		tok := t.toks[p]
		switch {
		case tok.op("(") || tok.op("["):
			p = t.match[p]
		case tok.is("CASE"):
			depth++
		case tok.is("END") && depth > 0:
			depth--
		case depth > 0:
		case tok.is("THEN"):
			start = p + 1
		case tok.is("WHEN") || tok.is("ELSE") || tok.is("END"):
			if start >= 0 {
				results = append(results, [2]int{start, p})
				start = -1
			}
			switch {
			case tok.is("ELSE"):
				start = p + 1
			case tok.is("END"):
				end = p
			}
		}
	}
	if end < 0 {
		return "", 0, false, nil
	}
	isMap := func(r [2]int) bool { return t.mapAccess(r[0]) == r[1] }
	plain := func(r [2]int) bool {
		return r[1]-r[0] == 1 && (t.toks[r[0]].Kind == String || t.toks[r[0]].is("NULL")) || isMap(r)
	}
	anyMap, mixed := false, false
	for _, r := range results {
		anyMap = anyMap || isMap(r)
		mixed = mixed || !plain(r)
	}
	if !anyMap || !mixed {
		return "", 0, false, nil
	}
	var b strings.Builder
	b.WriteString(t.toks[k].Text)
	p := k + 1
	for _, r := range results {
		s, err := t.seq(p, r[0])
		if err != nil {
			return "", 0, false, err
		}
		b.WriteString(s)
		v, err := t.text(r[0], r[1])
		if err != nil {
			return "", 0, false, err
		}
		b.WriteString(t.toks[r[0]].Space)
		if plain(r) {
			b.WriteString(v)
		} else {
			b.WriteString("CAST(" + v + " AS VARCHAR)")
		}
		p = r[1]
	}
	s, err := t.seq(p, end+1)
	if err != nil {
		return "", 0, false, err
	}
	b.WriteString(s)
	return b.String(), end + 1, true, nil
}

// implicitAlias reports whether token k is an alias written without AS that DuckDB would read
// as a keyword (count(*) month, t key): Spark accepts those, DuckDB only plain identifiers.
func (t *translator) implicitAlias(k int) bool {
	w := strings.ToLower(t.toks[k].Text)
	if !duckdbKeywords[w] || neverAlias[w] {
		return false
	}
	prev, next := t.tok(k-1), t.tok(k+1)
	valueEnd := prev.op(")") || prev.op("]") || prev.Kind == String || prev.Kind == Number || prev.Kind == QIdent ||
		prev.Kind == Ident && !duckdbKeywords[strings.ToLower(prev.Text)]
	follows := next.op(",") || next.op(")") || next.op(";") || next.Kind == EOF ||
		next.Kind == Ident && aliasFollowers[strings.ToUpper(next.Text)]
	return valueEnd && follows
}

// neverAlias are keywords that end an expression or clause item, never aliases.
var neverAlias = map[string]bool{"asc": true, "desc": true, "null": true, "true": true, "false": true, "first": true,
	"last": true, "end": true, "row": true, "rows": true, "preceding": true, "following": true, "unbounded": true,
	"current": true, "distinct": true, "all": true, "and": true, "or": true, "not": true, "is": true, "then": true,
	"else": true, "when": true, "by": true, "from": true, "where": true, "on": true, "using": true, "join": true,
	"as": true, "in": true, "like": true, "ilike": true, "between": true, "escape": true, "over": true, "filter": true,
	"union": true, "except": true, "intersect": true, "limit": true, "offset": true, "group": true, "order": true,
	"having": true, "qualify": true, "window": true, "select": true, "with": true, "case": true, "semi": true, "anti": true,
	"left": true, "right": true, "full": true, "inner": true, "outer": true, "cross": true, "natural": true, "lateral": true,
	"nulls": true, "ties": true, "only": true, "recursive": true, "values": true}

// aliasFollowers are the keywords that may follow an alias.
var aliasFollowers = map[string]bool{"FROM": true, "WHERE": true, "ON": true, "JOIN": true, "LEFT": true, "RIGHT": true,
	"INNER": true, "FULL": true, "CROSS": true, "GROUP": true, "ORDER": true, "LIMIT": true, "UNION": true, "EXCEPT": true,
	"INTERSECT": true, "HAVING": true, "QUALIFY": true, "WINDOW": true, "USING": true, "LATERAL": true, "NATURAL": true,
	"SEMI": true, "ANTI": true}

// tableName maps a dotted name starting at k that names a Databricks table (system.access.audit)
// to the DuckDB table. ok is false when k does not start such a name.
func (t *translator) tableName(k, j int) (string, int, bool, error) {
	if t.tok(k - 1).op(".") {
		return "", 0, false, nil
	}
	var parts []string
	n := k
	for {
		tok := t.tok(n)
		if n >= j || (tok.Kind != Ident && tok.Kind != QIdent) {
			break
		}
		name := tok.Val
		if tok.Kind == Ident {
			name = tok.Text
		}
		parts = append(parts, strings.ToLower(name))
		n++
		if !t.tok(n).op(".") || n+1 >= j || len(parts) == 3 {
			break
		}
		n++
	}
	if len(parts) < 2 || t.tok(n).op("(") {
		return "", 0, false, nil
	}
	for l := len(parts); l >= 2; l-- {
		to, ok := t.opts.Tables[strings.Join(parts[:l], ".")]
		if !ok {
			continue
		}
		end := k + 2*l - 1
		last := quoteIdent(parts[l-1])
		switch {
		case to.Select == "":
			return to.Name, end, true, nil
		case t.tok(end).op("."):
			// system.access.audit.event_time: a column qualified by the table's name.
			return last, end, true, nil
		case t.aliasAt(end):
			return "(SELECT " + to.Select + " FROM " + to.Name + ")", end, true, nil
		}
		return "(SELECT " + to.Select + " FROM " + to.Name + ") AS " + last, end, true, nil
	}
	if len(parts) == 3 && parts[0] == "system" {
		return "", 0, false, errAt(t.toks[k].Pos, "table %s is not available: auditlake holds %s", strings.Join(parts, "."), tableList(t.opts.Tables))
	}
	return "", 0, false, nil
}

// aliasAt reports whether token k is a table alias (t, AS t, `t`) rather than the next clause.
func (t *translator) aliasAt(k int) bool {
	tok := t.tok(k)
	switch tok.Kind {
	case QIdent:
		return true
	case Ident:
		return !notAlias[strings.ToUpper(tok.Text)]
	}
	return false
}

var notAlias = map[string]bool{"WHERE": true, "JOIN": true, "LEFT": true, "RIGHT": true, "FULL": true, "INNER": true,
	"CROSS": true, "NATURAL": true, "SEMI": true, "ANTI": true, "ON": true, "USING": true, "GROUP": true, "ORDER": true,
	"SORT": true, "LIMIT": true, "OFFSET": true, "UNION": true, "EXCEPT": true, "INTERSECT": true, "MINUS": true,
	"HAVING": true, "WINDOW": true, "QUALIFY": true, "LATERAL": true, "TABLESAMPLE": true, "PIVOT": true,
	"UNPIVOT": true, "CLUSTER": true, "DISTRIBUTE": true, "FETCH": true, "VERSION": true, "TIMESTAMP": true}

func tableList(m map[string]Table) string {
	var s []string
	for from, to := range m {
		s = append(s, from+" (as "+to.Name+")")
	}
	if len(s) == 0 {
		return "no Databricks tables"
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

// clock renders the current time: a literal when Now is pinned.
func (t *translator) clock(date bool) string {
	if t.opts.Now.IsZero() {
		if date {
			return "current_date"
		}
		return "get_current_timestamp()"
	}
	now := t.opts.Now.UTC()
	if date {
		return "DATE '" + now.Format(time.DateOnly) + "'"
	}
	return "TIMESTAMPTZ '" + now.Format("2006-01-02 15:04:05.999999") + "+00'"
}

// rlike translates x RLIKE p (k is the RLIKE token) to DuckDB's full-match operator ~ with the
// pattern wrapped so that it matches anywhere, as Spark's find does.
func (t *translator) rlike(k, j int, not bool) (string, int, error) {
	end := k + 1
	for end < j {
		tok := t.toks[end]
		if tok.op(",") || tok.op(")") || tok.op("]") || tok.op(";") || tok.Kind == EOF ||
			tok.Kind == Op && comparison[tok.Text] || tok.Kind == Ident && stopWords[strings.ToUpper(tok.Text)] {
			break
		}
		if tok.op("(") || tok.op("[") {
			end = t.match[end]
		}
		end++
	}
	if end == k+1 {
		return "", 0, errAt(t.toks[k].Pos, "%s needs a pattern after it", strings.ToUpper(t.toks[k].Text))
	}
	op := "~"
	if not {
		op = "!~"
	}
	if end == k+2 && t.toks[k+1].Kind == String {
		return op + " " + quoteString(anywhere(t.toks[k+1].Val)), end, nil
	}
	p, err := t.text(k+1, end)
	if err != nil {
		return "", 0, err
	}
	return op + " ('(?s:.*)(?:' || (" + p + ") || ')(?s:.*)')", end, nil
}

func anywhere(pattern string) string { return "(?s:.*)(?:" + pattern + ")(?s:.*)" }

var comparison = map[string]bool{"=": true, "==": true, "<": true, ">": true, "<=": true, ">=": true, "<>": true, "!=": true, "<=>": true}

// stopWords end an operand.
var stopWords = map[string]bool{"AND": true, "OR": true, "NOT": true, "IS": true, "IN": true, "BETWEEN": true,
	"LIKE": true, "ILIKE": true, "RLIKE": true, "REGEXP": true, "THEN": true, "ELSE": true, "END": true, "WHEN": true,
	"FROM": true, "WHERE": true, "GROUP": true, "ORDER": true, "HAVING": true, "LIMIT": true, "AS": true, "ON": true,
	"UNION": true, "EXCEPT": true, "INTERSECT": true, "MINUS": true, "ESCAPE": true, "QUALIFY": true, "WINDOW": true,
	"JOIN": true, "LEFT": true, "RIGHT": true, "FULL": true, "INNER": true, "CROSS": true, "SORT": true, "OFFSET": true,
	"ASC": true, "DESC": true, "NULLS": true}

// orderBy translates ORDER BY (or SORT BY) items, adding NULLS FIRST to ascending items without a
// null order: Spark sorts nulls first when ascending, DuckDB last.
func (t *translator) orderBy(k, j int) (string, int, error) {
	end := k + 2
	var items [][2]int
	start := end
	for ; end < j; end++ {
		tok := t.toks[end]
		if tok.op(")") || tok.op(";") || tok.Kind == EOF || tok.Kind == Ident && orderEnd[strings.ToUpper(tok.Text)] {
			break
		}
		if tok.op("(") || tok.op("[") {
			end = t.match[end]
			continue
		}
		if tok.op(",") {
			items = append(items, [2]int{start, end})
			start = end + 1
		}
	}
	items = append(items, [2]int{start, end})
	var b strings.Builder
	b.WriteString("ORDER " + t.toks[k+1].Text)
	for n, it := range items {
		if it[0] >= it[1] {
			return "", 0, errAt(t.tok(it[0]).Pos, "ORDER BY needs an expression here")
		}
		s, err := t.seq(it[0], it[1])
		if err != nil {
			return "", 0, err
		}
		if n > 0 {
			b.WriteString(t.toks[it[0]-1].Space + ",")
		}
		b.WriteString(s)
		last := t.toks[it[1]-1]
		hasNulls := false
		for p := it[0]; p < it[1]; p++ {
			if t.toks[p].op("(") || t.toks[p].op("[") {
				p = t.match[p]
				continue
			}
			if t.toks[p].is("NULLS") {
				hasNulls = true
			}
		}
		if !hasNulls && !last.is("DESC") {
			b.WriteString(" NULLS FIRST")
		}
	}
	return b.String(), end, nil
}

var orderEnd = map[string]bool{"LIMIT": true, "OFFSET": true, "FETCH": true, "UNION": true, "INTERSECT": true,
	"EXCEPT": true, "MINUS": true, "WINDOW": true, "ROWS": true, "RANGE": true, "GROUPS": true, "QUALIFY": true}

// intervalUnits maps Spark interval units to DuckDB's.
var intervalUnits = map[string]string{"YEAR": "year", "YEARS": "year", "MONTH": "month", "MONTHS": "month",
	"WEEK": "week", "WEEKS": "week", "DAY": "day", "DAYS": "day", "HOUR": "hour", "HOURS": "hour",
	"MINUTE": "minute", "MINUTES": "minute", "SECOND": "second", "SECONDS": "second",
	"MILLISECOND": "millisecond", "MILLISECONDS": "millisecond", "MICROSECOND": "microsecond", "MICROSECONDS": "microsecond"}

// interval translates INTERVAL 24 HOURS, INTERVAL '1' DAY, INTERVAL 1 DAY 2 HOURS and
// INTERVAL '1 day' into one DuckDB interval literal.
func (t *translator) interval(k, j int) (string, int, error) {
	n := k + 1
	var parts []string
	for n < j {
		sign := ""
		p := n
		if t.tok(p).op("-") || t.tok(p).op("+") {
			sign = t.tok(p).Text
			p++
		}
		v := t.tok(p)
		if v.Kind != Number && v.Kind != String {
			break
		}
		unit, ok := intervalUnits[strings.ToUpper(t.tok(p+1).Text)]
		if t.tok(p+1).Kind != Ident || !ok {
			if v.Kind == String && len(parts) == 0 && sign == "" {
				return "INTERVAL " + quoteString(v.Val), p + 1, nil
			}
			if len(parts) == 0 {
				return "", 0, errAt(t.tok(p+1).Pos, "INTERVAL needs a unit (DAY, HOUR, MINUTE, ...) after %s", v.Text)
			}
			break
		}
		if t.tok(p + 2).is("TO") {
			return "", 0, errAt(t.tok(p+2).Pos, "INTERVAL … TO … ranges are not supported; write INTERVAL 1 DAY 2 HOURS")
		}
		val := v.Text
		if v.Kind == String {
			val = strings.TrimSpace(v.Val)
		}
		if !isNumeric(strings.TrimPrefix(strings.TrimPrefix(val, "-"), "+")) {
			return "", 0, errAt(v.Pos, "INTERVAL value %s is not a number", v.Text)
		}
		if sign == "-" {
			val = "-" + val
		}
		parts = append(parts, val+" "+unit)
		n = p + 2
	}
	if len(parts) == 0 {
		// INTERVAL (expr) unit and other DuckDB forms pass through.
		return t.toks[k].Text, k + 1, nil
	}
	return "INTERVAL '" + strings.Join(parts, " ") + "'", n, nil
}

func isNumeric(s string) bool {
	if s == "" {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		switch {
		case isDigit(s[i]):
		case s[i] == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return true
}

// lateralView translates LATERAL VIEW [OUTER] explode(e) t AS c (and posexplode) into a lateral
// join on DuckDB's unnest.
func (t *translator) lateralView(k, j int) (string, int, error) {
	n := k + 2
	outer := false
	if t.tok(n).is("OUTER") {
		outer = true
		n++
	}
	fn := t.tok(n)
	name := strings.ToLower(fn.Text)
	if fn.Kind != Ident || !t.tok(n+1).op("(") || (name != "explode" && name != "posexplode" && name != "inline") {
		return "", 0, errAt(fn.Pos, "LATERAL VIEW supports explode and posexplode")
	}
	if name == "inline" {
		return "", 0, errAt(fn.Pos, "LATERAL VIEW inline is not supported; use explode")
	}
	closing := t.match[n+1]
	arg, err := t.text(n+2, closing)
	if err != nil {
		return "", 0, err
	}
	p := closing + 1
	alias := "_lv"
	if tok := t.tok(p); (tok.Kind == Ident || tok.Kind == QIdent) && !tok.is("AS") {
		alias = identText(tok)
		p++
	}
	var cols []string
	if t.tok(p).is("AS") {
		p++
		for {
			tok := t.tok(p)
			if tok.Kind != Ident && tok.Kind != QIdent {
				return "", 0, errAt(tok.Pos, "LATERAL VIEW needs column names after AS")
			}
			cols = append(cols, identText(tok))
			p++
			if !t.tok(p).op(",") {
				break
			}
			p++
		}
	}
	var sel string
	switch {
	case name == "posexplode":
		if len(cols) == 0 {
			cols = []string{"pos", "col"}
		}
		if len(cols) != 2 {
			return "", 0, errAt(fn.Pos, "posexplode gives two columns (pos, col); name two after AS")
		}
		sel = fmt.Sprintf("SELECT generate_subscripts(_a, 1) - 1 AS %s, unnest(_a) AS %s FROM (SELECT %s AS _a)", cols[0], cols[1], arg)
	case len(cols) == 2:
		sel = fmt.Sprintf("SELECT unnest(map_keys(%s)) AS %s, unnest(map_values(%s)) AS %s", arg, cols[0], arg, cols[1])
	default:
		if len(cols) == 0 {
			cols = []string{"col"}
		}
		sel = fmt.Sprintf("SELECT unnest(%s) AS %s", arg, cols[0])
	}
	if outer {
		return fmt.Sprintf("LEFT JOIN LATERAL (%s) %s ON true", sel, alias), p, nil
	}
	return fmt.Sprintf("CROSS JOIN LATERAL (%s) %s", sel, alias), p, nil
}

func identText(tok Token) string {
	if tok.Kind == QIdent {
		return quoteIdent(tok.Val)
	}
	return tok.Text
}

// typeAt translates a Spark type name starting at token k: STRING, BIGINT, DECIMAL(10,2),
// ARRAY<STRING>, MAP<STRING,INT>, STRUCT<a: INT, b: STRING>.
func (t *translator) typeAt(k, j int) (string, int, error) {
	tok := t.tok(k)
	if tok.Kind != Ident || k >= j {
		return "", 0, errAt(tok.Pos, "a type name is expected here")
	}
	up := strings.ToUpper(tok.Text)
	n := k + 1
	switch up {
	case "ARRAY", "MAP", "STRUCT":
		if !t.tok(n).op("<") {
			return "", 0, errAt(t.tok(n).Pos, "%s needs its element types in < >", up)
		}
		n++
		var elems []string
		for {
			prefix := ""
			if up == "STRUCT" {
				f := t.tok(n)
				if f.Kind != Ident && f.Kind != QIdent {
					return "", 0, errAt(f.Pos, "a struct field name is expected here")
				}
				prefix = quoteIdent(identName(f)) + " "
				n++
				if t.tok(n).op(":") {
					n++
				}
			}
			e, after, err := t.typeAt(n, j)
			if err != nil {
				return "", 0, err
			}
			elems = append(elems, prefix+e)
			n = after
			if t.tok(n).op(",") {
				n++
				continue
			}
			if !t.tok(n).op(">") {
				return "", 0, errAt(t.tok(n).Pos, "%s type is not closed with >", up)
			}
			n++
			break
		}
		switch {
		case up == "ARRAY" && len(elems) == 1:
			return elems[0] + "[]", n, nil
		case up == "MAP" && len(elems) == 2:
			return "MAP(" + elems[0] + ", " + elems[1] + ")", n, nil
		case up == "STRUCT":
			return "STRUCT(" + strings.Join(elems, ", ") + ")", n, nil
		}
		return "", 0, errAt(tok.Pos, "%s has the wrong number of element types", up)
	}
	name, ok := scalarTypes[up]
	if !ok {
		return "", 0, errAt(tok.Pos, "unknown type %s", tok.Text)
	}
	if t.tok(n).op("(") && (up == "DECIMAL" || up == "DEC" || up == "NUMERIC" || up == "VARCHAR" || up == "CHAR") {
		end := t.match[n]
		args, err := t.text(n+1, end)
		if err != nil {
			return "", 0, err
		}
		if up == "VARCHAR" || up == "CHAR" {
			return "VARCHAR", end + 1, nil
		}
		return name + "(" + args + ")", end + 1, nil
	}
	if up == "INTERVAL" {
		for intervalUnits[strings.ToUpper(t.tok(n).Text)] != "" || t.tok(n).is("TO") {
			n++
		}
	}
	return name, n, nil
}

func identName(tok Token) string {
	if tok.Kind == QIdent {
		return tok.Val
	}
	return tok.Text
}

var scalarTypes = map[string]string{"STRING": "VARCHAR", "VARCHAR": "VARCHAR", "CHAR": "VARCHAR", "INT": "INTEGER",
	"INTEGER": "INTEGER", "BIGINT": "BIGINT", "LONG": "BIGINT", "SMALLINT": "SMALLINT", "SHORT": "SMALLINT",
	"TINYINT": "TINYINT", "BYTE": "TINYINT", "FLOAT": "FLOAT", "REAL": "FLOAT", "DOUBLE": "DOUBLE",
	"DECIMAL": "DECIMAL", "DEC": "DECIMAL", "NUMERIC": "DECIMAL", "BOOLEAN": "BOOLEAN", "BOOL": "BOOLEAN",
	"DATE": "DATE", "TIMESTAMP": "TIMESTAMPTZ", "TIMESTAMP_LTZ": "TIMESTAMPTZ", "TIMESTAMP_NTZ": "TIMESTAMP",
	"BINARY": "BLOB", "INTERVAL": "INTERVAL", "VOID": "NULL"}

// quoteString renders s as a DuckDB string literal.
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// quoteIdent renders s as a DuckDB quoted identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// number translates a Spark numeric literal: 10L is a BIGINT, 1.5D a DOUBLE, 1.5BD a DECIMAL.
func number(s string) string {
	up := strings.ToUpper(s)
	switch {
	case strings.HasSuffix(up, "BD"):
		return "CAST('" + s[:len(s)-2] + "' AS DECIMAL(38, " + fmt.Sprint(scale(s[:len(s)-2])) + "))"
	case strings.HasSuffix(up, "L"):
		return "CAST(" + s[:len(s)-1] + " AS BIGINT)"
	case strings.HasSuffix(up, "S"):
		return "CAST(" + s[:len(s)-1] + " AS SMALLINT)"
	case strings.HasSuffix(up, "Y"):
		return "CAST(" + s[:len(s)-1] + " AS TINYINT)"
	case strings.HasSuffix(up, "D"):
		return "CAST(" + s[:len(s)-1] + " AS DOUBLE)"
	case strings.HasSuffix(up, "F"):
		return "CAST(" + s[:len(s)-1] + " AS FLOAT)"
	}
	return s
}

func scale(s string) int {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return min(len(s)-i-1, 38)
	}
	return 0
}

func intLiteral(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

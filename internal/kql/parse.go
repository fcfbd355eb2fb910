package kql

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Parse parses a KQL query: zero or more let statements followed by one
// tabular expression, with an optional trailing ";". It never panics: any
// syntax error, refused construct or internal failure is returned as a
// *ParseError. Queries longer than MaxQueryBytes or nested deeper than
// MaxDepth are refused.
func Parse(query string) (q *Query, err error) {
	if len(query) > MaxQueryBytes {
		return nil, &ParseError{Pos: Pos{Line: 1, Col: 1}, Msg: fmt.Sprintf("query is too long: %d bytes, the limit is %d", len(query), MaxQueryBytes), Query: query}
	}
	li := newLineIndex(query)
	if !utf8.ValidString(query) {
		off := 0
		for off < len(query) {
			r, size := utf8.DecodeRuneInString(query[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		return nil, &ParseError{Pos: li.pos(off), Msg: "query is not valid UTF-8", Query: query}
	}
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if pe, ok := r.(*ParseError); ok {
			q, err = nil, pe
			return
		}
		q, err = nil, &ParseError{Pos: li.pos(0), Msg: fmt.Sprintf("internal parser error: %v", r), Query: query}
	}()
	p := &parser{src: query, li: li, toks: lex(query, li)}
	return p.parseQuery(), nil
}

// parser is a recursive descent parser over the token slice. Errors panic
// with *ParseError and are recovered in Parse.
type parser struct {
	src   string
	li    *lineIndex
	toks  []token
	i     int
	depth int
}

func (p *parser) tok() token { return p.toks[p.i] }

func (p *parser) peek(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) advance() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *parser) pos(off int) Pos { return p.li.pos(off) }

func (p *parser) fail(off int, format string, args ...any) {
	panic(&ParseError{Pos: p.pos(off), Msg: fmt.Sprintf(format, args...), Query: p.src})
}

func (p *parser) enter(off int) {
	p.depth++
	if p.depth > MaxDepth {
		p.fail(off, "query is nested too deeply (the limit is %d levels)", MaxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

func isOpTok(t token, s string) bool   { return t.kind == tokOp && t.text == s }
func isWordTok(t token, w string) bool { return t.kind == tokIdent && t.text == w }

func (p *parser) isOp(s string) bool   { return isOpTok(p.tok(), s) }
func (p *parser) isWord(w string) bool { return isWordTok(p.tok(), w) }

// describe renders a token for an error message.
func (p *parser) describe(t token) string {
	if t.kind == tokEOF {
		return "end of query"
	}
	s := p.src[t.off:t.end]
	if t.kind == tokString {
		return "string literal"
	}
	if utf8.RuneCountInString(s) > 30 {
		s = string([]rune(s)[:30]) + "..."
	}
	return strconv.Quote(s)
}

func (p *parser) expectOp(s, context string) token {
	if !p.isOp(s) {
		p.fail(p.tok().off, "expected %q%s, found %s", s, context, p.describe(p.tok()))
	}
	return p.advance()
}

func (p *parser) expectWord(w, context string) token {
	if !p.isWord(w) {
		p.fail(p.tok().off, "expected %q%s, found %s", w, context, p.describe(p.tok()))
	}
	return p.advance()
}

// isNameStart reports whether a name (plain or ['bracketed']) starts at the current token.
func (p *parser) isNameStart() bool {
	t := p.tok()
	return t.kind == tokIdent || isOpTok(t, "[") && p.peek(1).kind == tokString && isOpTok(p.peek(2), "]")
}

// nameLen is the number of tokens of the name at the current token.
func (p *parser) nameLen() int {
	if p.tok().kind == tokIdent {
		return 1
	}
	return 3
}

// parseName parses a plain or bracketed name; what describes it for errors.
func (p *parser) parseName(what string) *Ident {
	t := p.tok()
	switch {
	case t.kind == tokIdent:
		p.advance()
		return &Ident{Pos: p.pos(t.off), Name: t.text}
	case isOpTok(t, "[") && p.peek(1).kind == tokString && isOpTok(p.peek(2), "]"):
		s := p.peek(1).str
		p.advance()
		p.advance()
		p.advance()
		return &Ident{Pos: p.pos(t.off), Name: s}
	}
	p.fail(t.off, "expected %s, found %s", what, p.describe(t))
	return nil
}

var unsupportedStatements = wordSet(`set declare alias pattern restrict`)

func (p *parser) parseQuery() *Query {
	q := &Query{Pos: p.pos(p.tok().off)}
	for {
		t := p.tok()
		if isWordTok(t, "let") {
			q.Lets = append(q.Lets, p.parseLet())
			continue
		}
		if t.kind == tokIdent && unsupportedStatements[t.text] && p.peek(1).kind == tokIdent {
			p.fail(t.off, "statement %q is not supported", t.text)
		}
		if isOpTok(t, ".") && p.peek(1).kind == tokIdent {
			p.fail(t.off, "management commands are not supported")
		}
		break
	}
	if p.tok().kind == tokEOF {
		if len(q.Lets) > 0 {
			p.fail(p.tok().off, "expected a tabular expression after the let statements")
		}
		p.fail(p.tok().off, "empty query")
	}
	q.Body = p.parseTabular()
	if p.isOp(";") {
		p.advance()
	}
	if t := p.tok(); t.kind != tokEOF {
		if p.i > 0 && isOpTok(p.toks[p.i-1], ";") {
			p.fail(t.off, "unexpected %s after the query: only one tabular expression is allowed, after the let statements", p.describe(t))
		}
		p.fail(t.off, "expected \"|\" or end of query, found %s", p.describe(t))
	}
	return q
}

func (p *parser) parseLet() *LetStmt {
	off := p.advance().off
	name := p.parseName("a name after let")
	p.expectOp("=", " after the let name")
	t := p.tok()
	if isOpTok(t, "(") && (isOpTok(p.peek(1), ")") || p.peek(1).kind == tokIdent && isOpTok(p.peek(2), ":")) ||
		isWordTok(t, "view") && isOpTok(p.peek(1), "(") {
		p.fail(t.off, "let functions are not supported")
	}
	value := p.parseExprOrTabular()
	p.expectOp(";", " after the let statement")
	return &LetStmt{Pos: p.pos(off), Name: name, Value: value}
}

// parseTabular parses an expression that must be tabular.
func (p *parser) parseTabular() *TabularExpr {
	off := p.tok().off
	e := p.parseExprOrTabular()
	if te, ok := e.(*TabularExpr); ok {
		return te
	}
	if src := asSource(e); src != nil {
		return &TabularExpr{Pos: src.Position(), Source: src}
	}
	p.fail(off, "expected a tabular expression, found a scalar expression")
	return nil
}

// asSource converts an expression that can start a pipeline (a name, a
// subquery, a parenthesised name) to a Source; otherwise it returns nil.
func asSource(e Expr) Source {
	switch e := e.(type) {
	case *Ident:
		return &TableRef{Pos: e.Pos, Name: e.Name}
	case *SubQuery:
		return e
	case *Paren:
		if id, ok := e.X.(*Ident); ok {
			return &SubQuery{Pos: e.Pos, Query: &TabularExpr{Pos: id.Pos, Source: &TableRef{Pos: id.Pos, Name: id.Name}}}
		}
	}
	return nil
}

var refusedSources = wordSet(`evaluate externaldata search find`)

// parseExprOrTabular parses a scalar or a tabular expression: a source
// keyword starts a pipeline, and a name or parenthesised subquery followed by
// "|" does too.
func (p *parser) parseExprOrTabular() Expr {
	t := p.tok()
	if t.kind == tokIdent {
		next := p.peek(1)
		switch t.text {
		case "print":
			if next.kind != tokEOF && !isOpTok(next, ")") && !isOpTok(next, ",") && !isOpTok(next, "|") && !isOpTok(next, ";") {
				return p.parsePipeline(p.parsePrint())
			}
		case "datatable":
			if isOpTok(next, "(") {
				return p.parsePipeline(p.parseDatatable())
			}
		case "range":
			if next.kind == tokIdent || isOpTok(next, "[") {
				return p.parsePipeline(p.parseRange())
			}
		case "union":
			if next.kind == tokIdent || isOpTok(next, "(") || isOpTok(next, "[") || isOpTok(next, "*") {
				return p.parsePipeline(p.parseUnion())
			}
		}
		if refusedSources[t.text] && (next.kind == tokIdent || next.kind == tokString || isOpTok(next, "(") || isOpTok(next, "*")) {
			p.fail(t.off, "operator %q is not supported", t.text)
		}
	}
	e := p.parseExpr()
	if !p.isOp("|") {
		return e
	}
	if src := asSource(e); src != nil {
		return p.parsePipeline(src)
	}
	p.fail(p.tok().off, "expected a table name or a parenthesised query before \"|\"")
	return nil
}

// parsePipeline parses "| operator" steps after src.
func (p *parser) parsePipeline(src Source) *TabularExpr {
	te := &TabularExpr{Pos: src.Position(), Source: src}
	for p.isOp("|") {
		p.advance()
		te.Ops = append(te.Ops, p.parseOperator())
	}
	return te
}

// parseSubQuery parses "( tabular )" at the current "(".
func (p *parser) parseSubQuery() *SubQuery {
	off := p.advance().off
	p.enter(off)
	defer p.leave()
	q := p.parseTabular()
	p.expectOp(")", " to close the subquery")
	return &SubQuery{Pos: p.pos(off), Query: q}
}

// Operators recognised by name but refused: Tier 2 (not yet) and Tier 3 (never).
var unsupportedOps = wordSet(`
	evaluate scan partition fork facet externaldata invoke sample sample-distinct reduce
	parse parse-where parse-kv lookup make-series top-nested top-hitters serialize search find
	as consume getschema mv-apply make-graph graph-match graph-shortest-paths graph-to-table
	graph-mark-components graph-merge project-smart assert-schema execute-and-cache macro-expand`)

// opName reads an operator keyword after "|", joining hyphenated words
// (project-away, mv-expand) that are written without spaces.
func (p *parser) opName() (string, int) {
	t := p.tok()
	if t.kind != tokIdent {
		p.fail(t.off, "expected an operator after \"|\", found %s", p.describe(t))
	}
	p.advance()
	name, end := t.text, t.end
	for p.isOp("-") && p.tok().off == end && p.peek(1).kind == tokIdent && p.peek(1).off == p.tok().end {
		p.advance()
		w := p.advance()
		name += "-" + w.text
		end = w.end
	}
	return name, t.off
}

func (p *parser) parseOperator() Operator {
	name, off := p.opName()
	pos := p.pos(off)
	switch name {
	case "where", "filter":
		return &WhereOp{Pos: pos, Pred: p.parseExpr()}
	case "project":
		return &ProjectOp{Pos: pos, Cols: p.parseNamedList()}
	case "project-away":
		return &ProjectAwayOp{Pos: pos, Cols: p.parseColumnPatterns(name)}
	case "project-keep":
		return &ProjectKeepOp{Pos: pos, Cols: p.parseColumnPatterns(name)}
	case "project-reorder":
		return &ProjectReorderOp{Pos: pos, Cols: p.parseColumnPatterns(name)}
	case "project-rename":
		return p.parseProjectRename(pos)
	case "extend":
		return &ExtendOp{Pos: pos, Cols: p.parseNamedList()}
	case "summarize":
		return p.parseSummarize(pos)
	case "count":
		return &CountOp{Pos: pos}
	case "take", "limit":
		return &TakeOp{Pos: pos, N: p.parseExpr()}
	case "top":
		n := p.parseExpr()
		p.expectWord("by", " after top's row count")
		return &TopOp{Pos: pos, N: n, By: p.parseSortKey()}
	case "sort", "order":
		p.expectWord("by", " after "+name)
		op := &SortOp{Pos: pos}
		for {
			op.Keys = append(op.Keys, p.parseSortKey())
			if !p.isOp(",") {
				return op
			}
			p.advance()
		}
	case "distinct":
		if p.isOp("*") {
			t := p.advance()
			return &DistinctOp{Pos: pos, Cols: []Expr{&Star{Pos: p.pos(t.off)}}}
		}
		return &DistinctOp{Pos: pos, Cols: p.parseExprList()}
	case "join":
		return p.parseJoin(pos)
	case "union":
		return p.parseUnionAt(pos)
	case "render":
		return p.parseRender(pos)
	case "mv-expand":
		return p.parseMvExpand(pos)
	}
	if unsupportedOps[name] {
		p.fail(off, "operator %q is not supported", name)
	}
	p.fail(off, "unknown operator %q", name)
	return nil
}

func (p *parser) parseExprList() []Expr {
	var xs []Expr
	for {
		xs = append(xs, p.parseExpr())
		if !p.isOp(",") {
			return xs
		}
		p.advance()
	}
}

// parseNamedList parses "[name =] expr, ...".
func (p *parser) parseNamedList() []*NamedExpr {
	var xs []*NamedExpr
	for {
		xs = append(xs, p.parseNamedExpr())
		if !p.isOp(",") {
			return xs
		}
		p.advance()
	}
}

func (p *parser) parseNamedExpr() *NamedExpr {
	off := p.tok().off
	if p.isNameStart() && isOpTok(p.peek(p.nameLen()), "=") {
		name := p.parseName("a column name")
		p.advance()
		return &NamedExpr{Pos: p.pos(off), Name: name, X: p.parseExpr()}
	}
	if p.isOp("(") && p.peek(1).kind == tokIdent && isOpTok(p.peek(2), ",") {
		// (a, b) = f(...) assigns several columns at once.
		j := p.i
		for j < len(p.toks) && !isOpTok(p.toks[j], ")") && p.toks[j].kind != tokEOF {
			j++
		}
		if j+1 < len(p.toks) && isOpTok(p.toks[j+1], "=") {
			p.fail(off, "tuple assignment is not supported")
		}
	}
	return &NamedExpr{Pos: p.pos(off), X: p.parseExpr()}
}

// parseColumnPatterns parses "a, Tmp*, ['b c']".
func (p *parser) parseColumnPatterns(op string) []Expr {
	var xs []Expr
	for {
		t := p.tok()
		switch {
		case isOpTok(t, "["):
			xs = append(xs, p.parseName("a column name"))
		case t.kind == tokIdent || isOpTok(t, "*"):
			xs = append(xs, p.parsePattern())
		default:
			p.fail(t.off, "expected a column name after %s, found %s", op, p.describe(t))
		}
		if !p.isOp(",") {
			return xs
		}
		p.advance()
	}
}

// parsePattern reads adjacent name parts and "*" (Tmp*, *_id) as one
// pattern; without a "*" the result is a plain *Ident.
func (p *parser) parsePattern() Expr {
	first := p.advance()
	end, star, prevStar := first.end, first.kind == tokOp, first.kind == tokOp
	for {
		t := p.tok()
		if t.off != end || !(t.kind == tokIdent || isOpTok(t, "*")) {
			break
		}
		if t.kind == tokOp {
			if prevStar {
				p.fail(t.off, "unexpected \"*\" in name pattern")
			}
			star = true
		}
		prevStar = t.kind == tokOp
		end = t.end
		p.advance()
	}
	// The parts are adjacent, so the pattern is the source text.
	text := p.src[first.off:end]
	if star {
		return &NamePattern{Pos: p.pos(first.off), Pattern: text}
	}
	return &Ident{Pos: p.pos(first.off), Name: text}
}

func (p *parser) parseProjectRename(pos Pos) *ProjectRenameOp {
	op := &ProjectRenameOp{Pos: pos}
	for {
		off := p.tok().off
		n := p.parseName("a new column name after project-rename")
		p.expectOp("=", " in project-rename")
		old := p.parseName("an existing column name in project-rename")
		op.Renames = append(op.Renames, &Rename{Pos: p.pos(off), New: n, Old: old})
		if !p.isOp(",") {
			return op
		}
		p.advance()
	}
}

func (p *parser) refuseHint(op string) {
	if p.isWord("hint") && isOpTok(p.peek(1), ".") {
		p.fail(p.tok().off, "%s hints are not supported", op)
	}
}

func (p *parser) parseSummarize(pos Pos) *SummarizeOp {
	p.refuseHint("summarize")
	op := &SummarizeOp{Pos: pos}
	if !p.isWord("by") {
		if p.tok().kind == tokEOF || p.isOp("|") || p.isOp(")") || p.isOp(";") {
			p.fail(p.tok().off, "expected an aggregate or \"by\" after summarize, found %s", p.describe(p.tok()))
		}
		op.Aggs = p.parseNamedList()
	}
	if p.isWord("by") {
		p.advance()
		op.By = p.parseNamedList()
	}
	return op
}

func (p *parser) parseSortKey() *SortKey {
	off := p.tok().off
	k := &SortKey{Pos: p.pos(off), X: p.parseExpr()}
	switch {
	case p.isWord("asc"):
		p.advance()
		k.Order = SortAsc
	case p.isWord("desc"):
		p.advance()
		k.Order = SortDesc
	}
	if p.isWord("nulls") {
		p.advance()
		switch {
		case p.isWord("first"):
			k.Nulls = NullsFirst
		case p.isWord("last"):
			k.Nulls = NullsLast
		default:
			p.fail(p.tok().off, "expected \"first\" or \"last\" after nulls, found %s", p.describe(p.tok()))
		}
		p.advance()
	}
	return k
}

var joinKinds = wordSet(`innerunique inner leftouter rightouter fullouter leftanti anti leftantisemi rightanti rightantisemi leftsemi rightsemi`)

func (p *parser) parseJoin(pos Pos) *JoinOp {
	op := &JoinOp{Pos: pos}
	for {
		p.refuseHint("join")
		if !(p.isWord("kind") && isOpTok(p.peek(1), "=")) {
			break
		}
		p.advance()
		p.advance()
		t := p.tok()
		if t.kind != tokIdent || !joinKinds[t.text] {
			p.fail(t.off, "unknown join kind %s", p.describe(t))
		}
		op.Kind = t.text
		p.advance()
	}
	switch {
	case p.isOp("("):
		op.Right = p.parseSubQuery()
	case p.isNameStart():
		id := p.parseName("a table")
		op.Right = &TableRef{Pos: id.Pos, Name: id.Name}
	default:
		p.fail(p.tok().off, "expected a table name or a parenthesised query after join, found %s", p.describe(p.tok()))
	}
	if p.isWord("where") {
		p.fail(p.tok().off, "join ... where is not supported, use join ... on")
	}
	p.expectWord("on", " after the right side of join")
	op.On = p.parseExprList()
	return op
}

func (p *parser) parseUnion() *UnionOp {
	off := p.advance().off
	return p.parseUnionAt(p.pos(off))
}

func (p *parser) parseUnionAt(pos Pos) *UnionOp {
	op := &UnionOp{Pos: pos}
	for {
		p.refuseHint("union")
		t := p.tok()
		if t.kind != tokIdent || !isOpTok(p.peek(1), "=") {
			break
		}
		switch t.text {
		case "kind":
			p.advance()
			p.advance()
			k := p.tok()
			if !isWordTok(k, "inner") && !isWordTok(k, "outer") {
				p.fail(k.off, "expected inner or outer after union kind=, found %s", p.describe(k))
			}
			op.Kind = k.text
			p.advance()
		case "withsource":
			p.advance()
			p.advance()
			op.WithSource = p.parseName("a column name after withsource=")
		case "isfuzzy":
			p.advance()
			p.advance()
			v := p.tok()
			if !isWordTok(v, "true") && !isWordTok(v, "false") {
				p.fail(v.off, "expected true or false after isfuzzy=, found %s", p.describe(v))
			}
			op.IsFuzzy = v.text == "true"
			p.advance()
		default:
			p.fail(t.off, "unknown union option %q", t.text)
		}
	}
	for {
		t := p.tok()
		switch {
		case isOpTok(t, "("):
			op.Operands = append(op.Operands, p.parseSubQuery())
		case isOpTok(t, "["):
			id := p.parseName("a table name")
			op.Operands = append(op.Operands, &TableRef{Pos: id.Pos, Name: id.Name})
		case t.kind == tokIdent || isOpTok(t, "*"):
			switch x := p.parsePattern().(type) {
			case *Ident:
				op.Operands = append(op.Operands, &TableRef{Pos: x.Pos, Name: x.Name})
			case *NamePattern:
				op.Operands = append(op.Operands, &TableRef{Pos: x.Pos, Name: x.Pattern, Pattern: true})
			}
		default:
			p.fail(t.off, "expected a table name or a parenthesised query in union, found %s", p.describe(t))
		}
		if !p.isOp(",") {
			return op
		}
		p.advance()
	}
}

func (p *parser) parseRender(pos Pos) *RenderOp {
	t := p.tok()
	if t.kind != tokIdent {
		p.fail(t.off, "expected a chart type after render, found %s", p.describe(t))
	}
	p.advance()
	op := &RenderOp{Pos: pos, Chart: t.text}
	if !p.isWord("with") {
		return op
	}
	p.advance()
	p.expectOp("(", " after render ... with")
	for !p.isOp(")") {
		nt := p.tok()
		if nt.kind != tokIdent {
			p.fail(nt.off, "expected a render property name, found %s", p.describe(nt))
		}
		p.advance()
		p.expectOp("=", " after the render property name")
		prop := &RenderProp{Pos: p.pos(nt.off), Name: nt.text, Values: []Expr{p.parseExpr()}}
		if _, ok := prop.Values[0].(*Ident); ok {
			// ycolumns=a, b: more names follow until the next "name =".
			for p.isOp(",") && (p.peek(1).kind == tokIdent && !isOpTok(p.peek(2), "=") || isOpTok(p.peek(1), "[")) {
				p.advance()
				prop.Values = append(prop.Values, p.parseName("a column name"))
			}
		}
		op.Props = append(op.Props, prop)
		if !p.isOp(",") {
			break
		}
		p.advance()
	}
	p.expectOp(")", " to close render properties")
	return op
}

func (p *parser) parseMvExpand(pos Pos) *MvExpandOp {
	op := &MvExpandOp{Pos: pos}
	for {
		switch {
		case p.isWord("bagexpansion") && isOpTok(p.peek(1), "="):
			p.advance()
			p.advance()
			v := p.tok()
			if !isWordTok(v, "bag") && !isWordTok(v, "array") {
				p.fail(v.off, "expected bag or array after bagexpansion=, found %s", p.describe(v))
			}
			op.BagExpansion = v.text
			p.advance()
			continue
		case p.isWord("with_itemindex") && isOpTok(p.peek(1), "="):
			p.advance()
			p.advance()
			op.ItemIndex = p.parseName("a column name after with_itemindex=")
			continue
		}
		break
	}
	for {
		ne := p.parseNamedExpr()
		item := &MvExpandItem{Pos: ne.Pos, Name: ne.Name, X: ne.X}
		if p.isWord("to") {
			p.advance()
			p.expectWord("typeof", " after mv-expand ... to")
			p.expectOp("(", " after typeof")
			item.To = p.parseTypeName()
			p.expectOp(")", " to close typeof")
		}
		op.Items = append(op.Items, item)
		if !p.isOp(",") {
			break
		}
		p.advance()
	}
	if p.isWord("limit") {
		p.advance()
		op.Limit = p.parseExpr()
	}
	return op
}

// parseTypeName reads a scalar type name such as long or datetime.
func (p *parser) parseTypeName() Type {
	t := p.tok()
	if t.kind == tokIdent {
		if ty, ok := typeAliases[t.text]; ok {
			p.advance()
			return ty
		}
	}
	p.fail(t.off, "expected a type name, found %s", p.describe(t))
	return TypeUnknown
}

func (p *parser) parsePrint() *PrintSource {
	off := p.advance().off
	return &PrintSource{Pos: p.pos(off), Cols: p.parseNamedList()}
}

func (p *parser) parseDatatable() *DatatableSource {
	off := p.advance().off
	src := &DatatableSource{Pos: p.pos(off)}
	p.expectOp("(", " after datatable")
	for {
		coff := p.tok().off
		name := p.parseName("a column name in the datatable schema")
		p.expectOp(":", " after the datatable column name")
		src.Cols = append(src.Cols, &ColumnDecl{Pos: p.pos(coff), Name: name, Type: p.parseTypeName()})
		if !p.isOp(",") {
			break
		}
		p.advance()
	}
	p.expectOp(")", " to close the datatable schema")
	p.expectOp("[", " before the datatable values")
	for !p.isOp("]") {
		src.Values = append(src.Values, p.parseExpr())
		if !p.isOp(",") {
			break
		}
		p.advance()
	}
	end := p.expectOp("]", " to close the datatable values")
	if len(src.Values)%len(src.Cols) != 0 {
		p.fail(end.off, "datatable has %d values, which is not a multiple of its %d columns", len(src.Values), len(src.Cols))
	}
	return src
}

func (p *parser) parseRange() *RangeSource {
	off := p.advance().off
	src := &RangeSource{Pos: p.pos(off), Col: p.parseName("a column name after range")}
	p.expectWord("from", " in range")
	src.From = p.parseExpr()
	p.expectWord("to", " in range")
	src.To = p.parseExpr()
	p.expectWord("step", " in range")
	src.Step = p.parseExpr()
	return src
}

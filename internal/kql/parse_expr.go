package kql

// Scalar expression precedence, lowest first:
//
//	or
//	and
//	== != =~ !~, string operators (has, contains, startswith, matches regex, ...), in, between
//	< <= > >=
//	+ -
//	* / %
//	unary - +
//	postfix .name [index], calls

// stringOps are the word operators parsed as *Binary; negated forms lex as
// one "!word" token.
var stringOps = wordSet(`has has_cs hasprefix hasprefix_cs hassuffix hassuffix_cs contains contains_cs
	startswith startswith_cs endswith endswith_cs`)

func (p *parser) parseExpr() Expr { return p.parseOr() }

func (p *parser) parseOr() Expr {
	x := p.parseAnd()
	for p.isWord("or") {
		p.advance()
		x = &Binary{Pos: x.Position(), Op: "or", X: x, Y: p.parseAnd()}
	}
	return x
}

func (p *parser) parseAnd() Expr {
	x := p.parseEquality()
	for p.isWord("and") {
		p.advance()
		x = &Binary{Pos: x.Position(), Op: "and", X: x, Y: p.parseEquality()}
	}
	return x
}

func (p *parser) parseEquality() Expr {
	x := p.parseRelational()
	for {
		t := p.tok()
		switch {
		case t.kind == tokOp && (t.text == "==" || t.text == "!=" || t.text == "=~" || t.text == "!~"):
			p.advance()
			x = &Binary{Pos: x.Position(), Op: t.text, X: x, Y: p.parseRelational()}
		case t.kind == tokIdent && stringOps[t.text], t.kind == tokOp && len(t.text) > 1 && t.text[0] == '!' && stringOps[t.text[1:]]:
			p.advance()
			x = &Binary{Pos: x.Position(), Op: t.text, X: x, Y: p.parseRelational()}
		case isWordTok(t, "matches") && isWordTok(p.peek(1), "regex"):
			p.advance()
			p.advance()
			x = &Binary{Pos: x.Position(), Op: "matches regex", X: x, Y: p.parseRelational()}
		case isWordTok(t, "in") || isWordTok(t, "has_any") || isWordTok(t, "has_all") ||
			isOpTok(t, "!in") || isOpTok(t, "in~") || isOpTok(t, "!in~"):
			p.advance()
			x = &In{Pos: x.Position(), Op: t.text, X: x, List: p.parseInList(t.text)}
		case isWordTok(t, "between") || isOpTok(t, "!between"):
			p.advance()
			p.expectOp("(", " after "+t.text)
			lo := p.parseExpr()
			p.expectOp("..", " in "+t.text)
			hi := p.parseExpr()
			p.expectOp(")", " to close "+t.text)
			x = &Between{Pos: x.Position(), Not: t.text == "!between", X: x, Lo: lo, Hi: hi}
		default:
			return x
		}
	}
}

// parseInList parses "(a, b, ...)" after in, has_any and friends. An item
// may be a tabular expression.
func (p *parser) parseInList(op string) []Expr {
	p.expectOp("(", " after "+op)
	var xs []Expr
	for {
		xs = append(xs, p.parseExprOrTabular())
		if !p.isOp(",") {
			break
		}
		p.advance()
	}
	p.expectOp(")", " to close the "+op+" list")
	return xs
}

func (p *parser) parseRelational() Expr {
	x := p.parseAdditive()
	for {
		t := p.tok()
		if t.kind != tokOp || (t.text != "<" && t.text != "<=" && t.text != ">" && t.text != ">=") {
			return x
		}
		p.advance()
		x = &Binary{Pos: x.Position(), Op: t.text, X: x, Y: p.parseAdditive()}
	}
}

func (p *parser) parseAdditive() Expr {
	x := p.parseMultiplicative()
	for p.isOp("+") || p.isOp("-") {
		t := p.advance()
		x = &Binary{Pos: x.Position(), Op: t.text, X: x, Y: p.parseMultiplicative()}
	}
	return x
}

func (p *parser) parseMultiplicative() Expr {
	x := p.parseUnary()
	for p.isOp("*") || p.isOp("/") || p.isOp("%") {
		t := p.advance()
		x = &Binary{Pos: x.Position(), Op: t.text, X: x, Y: p.parseUnary()}
	}
	return x
}

func (p *parser) parseUnary() Expr {
	t := p.tok()
	if isOpTok(t, "-") || isOpTok(t, "+") {
		p.enter(t.off)
		defer p.leave()
		p.advance()
		return &Unary{Pos: p.pos(t.off), Op: t.text, X: p.parseUnary()}
	}
	return p.parsePostfix()
}

func (p *parser) parsePostfix() Expr {
	x := p.parsePrimary()
	for {
		t := p.tok()
		switch {
		case isOpTok(t, ".") && p.peek(1).kind == tokIdent:
			p.advance()
			name := p.advance()
			x = &Member{Pos: x.Position(), X: x, Name: name.text}
		case isOpTok(t, ".") && isOpTok(p.peek(1), "["):
			// x.['a b'] is x['a b'].
			p.advance()
			p.advance()
			idx := p.parseExpr()
			p.expectOp("]", " to close the index")
			x = &Index{Pos: x.Position(), X: x, Index: idx}
		case isOpTok(t, "["):
			p.advance()
			idx := p.parseExpr()
			p.expectOp("]", " to close the index")
			x = &Index{Pos: x.Position(), X: x, Index: idx}
		case isOpTok(t, "."):
			p.fail(p.peek(1).off, "expected a property name after \".\", found %s", p.describe(p.peek(1)))
		default:
			return x
		}
	}
}

// typedLiteralWords start typed literals such as long(1) and real(null).
var typedLiteralWords = wordSet(`bool boolean int int32 long int64 real double decimal`)

func (p *parser) parsePrimary() Expr {
	t := p.tok()
	p.enter(t.off)
	defer p.leave()
	pos := p.pos(t.off)
	switch t.kind {
	case tokLong:
		p.advance()
		return &Literal{Pos: pos, Type: TypeLong, Value: t.i}
	case tokReal:
		p.advance()
		return &Literal{Pos: pos, Type: TypeReal, Value: t.f}
	case tokString:
		p.advance()
		return &Literal{Pos: pos, Type: TypeString, Value: t.str}
	case tokTimespan:
		p.advance()
		return &Literal{Pos: pos, Type: TypeTimespan, Value: Timespan(t.i)}
	case tokRaw:
		p.advance()
		return p.rawLiteral(t)
	case tokIdent:
		next := p.peek(1)
		switch {
		case t.text == "true" || t.text == "false":
			p.advance()
			return &Literal{Pos: pos, Type: TypeBool, Value: t.text == "true"}
		case typedLiteralWords[t.text] && isOpTok(next, "("):
			return p.parseTypedLiteral()
		case t.text == "dynamic" && isOpTok(next, "("):
			return p.parseDynamic()
		case (t.text == "cluster" || t.text == "database") && isOpTok(next, "("):
			p.fail(t.off, "cross-cluster and cross-database queries are not supported")
		case isOpTok(next, "("):
			return p.parseCall()
		}
		p.advance()
		return &Ident{Pos: pos, Name: t.text}
	case tokOp:
		switch t.text {
		case "[":
			return p.parseName("an expression")
		case "(":
			p.advance()
			e := p.parseExprOrTabular()
			p.expectOp(")", " to close the parenthesis")
			switch e := e.(type) {
			case *TabularExpr:
				return &SubQuery{Pos: pos, Query: e}
			case *SubQuery:
				return &SubQuery{Pos: pos, Query: &TabularExpr{Pos: e.Pos, Source: e}}
			}
			return &Paren{Pos: pos, X: e}
		}
	}
	p.fail(t.off, "expected an expression, found %s", p.describe(t))
	return nil
}

func (p *parser) parseCall() Expr {
	name := p.advance()
	p.advance() // (
	c := &Call{Pos: p.pos(name.off), Name: name.text}
	for !p.isOp(")") {
		if p.isOp("*") && (isOpTok(p.peek(1), ",") || isOpTok(p.peek(1), ")")) {
			t := p.advance()
			c.Args = append(c.Args, &Star{Pos: p.pos(t.off)})
		} else {
			c.Args = append(c.Args, p.parseExprOrTabular())
		}
		if !p.isOp(",") {
			break
		}
		p.advance()
		if p.isOp(")") {
			p.fail(p.tok().off, "expected an argument after \",\" in %s(), found %s", name.text, p.describe(p.tok()))
		}
	}
	p.expectOp(")", " to close the arguments of "+name.text+"()")
	return c
}

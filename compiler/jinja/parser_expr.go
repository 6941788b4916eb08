package jinja

// Expression parsing follows Jinja2's grammar and precedence, lowest first:
// conditional (x if c else y, the else optional), or, and, not,
// comparisons (==, !=, <, <=, >, >=, in, not in; chained), + and -, ~,
// *, /, // and %, ** (left-associative, as in Jinja2), unary - and +,
// then postfix (.attr, [index], (call)), filters (|f) and tests (is t).

// tupleEnd reports whether the current token ends a tuple.
func (p *parser) tupleEnd(extra []string) bool {
	t := p.peek()
	switch t.kind {
	case tVarEnd, tBlockEnd, tEOF:
		return true
	case tOp:
		return t.val == ")"
	case tName:
		for _, e := range extra {
			if t.val == e {
				return true
			}
		}
	}
	return false
}

// parseTuple parses one expression, or several separated by commas as a
// tuple. simplified parses primaries only; withCond allows conditional
// expressions; explicitParens allows the empty tuple.
func (p *parser) parseTuple(simplified, withCond bool, extraEnds []string, explicitParens bool) Expr {
	start := p.peek().pos
	var items []Expr
	isTuple := false
	for {
		if len(items) > 0 {
			p.expectOp(",")
		}
		if p.tupleEnd(extraEnds) {
			break
		}
		switch {
		case simplified:
			items = append(items, p.parsePrimary())
		default:
			items = append(items, p.parseExpression(withCond))
		}
		if p.isOp(",") {
			isTuple = true
		} else {
			break
		}
	}
	if !isTuple {
		if len(items) > 0 {
			return items[0]
		}
		if !explicitParens {
			p.failTok(p.peek(), "an expression")
		}
	}
	return &tupleExpr{p: start, items: items}
}

func (p *parser) parseExpression(withCond bool) Expr {
	if withCond {
		return p.parseCondExpr()
	}
	return p.parseOr()
}

func (p *parser) parseCondExpr() Expr {
	p.enter(p.peek().pos)
	defer p.leave()
	x := p.parseOr()
	for p.isName("if") {
		ifTok := p.next()
		cond := p.parseOr()
		var els Expr
		if p.skipName("else") {
			els = p.parseCondExpr()
		}
		x = &condExpr{p: ifTok.pos, cond: cond, then: x, els: els}
	}
	return x
}

func (p *parser) parseOr() Expr {
	x := p.parseAnd()
	for p.isName("or") {
		t := p.next()
		x = &binaryExpr{p: t.pos, op: "or", l: x, r: p.parseAnd()}
	}
	return x
}

func (p *parser) parseAnd() Expr {
	x := p.parseNot()
	for p.isName("and") {
		t := p.next()
		x = &binaryExpr{p: t.pos, op: "and", l: x, r: p.parseNot()}
	}
	return x
}

func (p *parser) parseNot() Expr {
	if p.isName("not") {
		t := p.next()
		p.enter(t.pos)
		defer p.leave()
		return &unaryExpr{p: t.pos, op: "not", x: p.parseNot()}
	}
	return p.parseCompare()
}

func (p *parser) parseCompare() Expr {
	first := p.parseMath1()
	var ops []cmpOp
	for {
		t := p.peek()
		switch {
		case t.kind == tOp && (t.val == "==" || t.val == "!=" || t.val == "<" || t.val == "<=" || t.val == ">" || t.val == ">="):
			p.next()
			ops = append(ops, cmpOp{p: t.pos, op: t.val, x: p.parseMath1()})
		case p.isName("in"):
			p.next()
			ops = append(ops, cmpOp{p: t.pos, op: "in", x: p.parseMath1()})
		case p.isName("not") && p.look().kind == tName && p.look().val == "in":
			p.next()
			p.next()
			ops = append(ops, cmpOp{p: t.pos, op: "notin", x: p.parseMath1()})
		default:
			if len(ops) == 0 {
				return first
			}
			return &compareExpr{p: first.pos(), first: first, ops: ops}
		}
	}
}

func (p *parser) parseMath1() Expr {
	x := p.parseConcat()
	for p.isOp("+") || p.isOp("-") {
		t := p.next()
		x = &binaryExpr{p: t.pos, op: t.val, l: x, r: p.parseConcat()}
	}
	return x
}

func (p *parser) parseConcat() Expr {
	x := p.parseMath2()
	for p.isOp("~") {
		t := p.next()
		x = &binaryExpr{p: t.pos, op: "~", l: x, r: p.parseMath2()}
	}
	return x
}

func (p *parser) parseMath2() Expr {
	x := p.parsePow()
	for p.isOp("*") || p.isOp("/") || p.isOp("//") || p.isOp("%") {
		t := p.next()
		x = &binaryExpr{p: t.pos, op: t.val, l: x, r: p.parsePow()}
	}
	return x
}

func (p *parser) parsePow() Expr {
	x := p.parseUnary(true)
	for p.isOp("**") {
		t := p.next()
		x = &binaryExpr{p: t.pos, op: "**", l: x, r: p.parseUnary(true)}
	}
	return x
}

func (p *parser) parseUnary(withFilter bool) Expr {
	t := p.peek()
	p.enter(t.pos)
	defer p.leave()
	var x Expr
	if t.kind == tOp && (t.val == "-" || t.val == "+") {
		p.next()
		x = &unaryExpr{p: t.pos, op: t.val, x: p.parseUnary(false)}
	} else {
		x = p.parsePrimary()
	}
	x = p.parsePostfix(x)
	if withFilter {
		x = p.parseFilterExpr(x)
	}
	return x
}

func (p *parser) parsePrimary() Expr {
	t := p.peek()
	switch t.kind {
	case tName:
		p.next()
		switch t.val {
		case "true", "True":
			return &constExpr{p: t.pos, val: true}
		case "false", "False":
			return &constExpr{p: t.pos, val: false}
		case "none", "None":
			return &constExpr{p: t.pos, val: nil}
		}
		if t.val == "caller" || t.val == "varargs" || t.val == "kwargs" {
			p.markSpecial(t.val)
		}
		return &nameExpr{p: t.pos, name: t.val}
	case tString:
		p.next()
		s := t.val
		for p.peek().kind == tString {
			s += p.next().val
		}
		return &constExpr{p: t.pos, val: s}
	case tInt:
		p.next()
		if t.big != nil {
			return &constExpr{p: t.pos, val: t.big}
		}
		return &constExpr{p: t.pos, val: t.ival}
	case tFloat:
		p.next()
		return &constExpr{p: t.pos, val: t.fval}
	case tOp:
		switch t.val {
		case "(":
			p.next()
			p.enter(t.pos)
			x := p.parseTuple(false, true, nil, true)
			p.leave()
			p.expectOp(")")
			if tu, ok := x.(*tupleExpr); ok {
				tu.p = t.pos
			}
			return x
		case "[":
			return p.parseList()
		case "{":
			return p.parseDict()
		}
	}
	p.failTok(t, "an expression")
	return nil
}

func (p *parser) parseList() Expr {
	open := p.next()
	p.enter(open.pos)
	defer p.leave()
	l := &listExpr{p: open.pos}
	for !p.isOp("]") {
		if len(l.items) > 0 {
			p.expectOp(",")
			if p.isOp("]") {
				break
			}
		}
		l.items = append(l.items, p.parseExpression(true))
	}
	p.next()
	return l
}

func (p *parser) parseDict() Expr {
	open := p.next()
	p.enter(open.pos)
	defer p.leave()
	d := &dictExpr{p: open.pos}
	for !p.isOp("}") {
		if len(d.keys) > 0 {
			p.expectOp(",")
			if p.isOp("}") {
				break
			}
		}
		d.keys = append(d.keys, p.parseExpression(true))
		p.expectOp(":")
		d.vals = append(d.vals, p.parseExpression(true))
	}
	p.next()
	return d
}

func (p *parser) parsePostfix(x Expr) Expr {
	for {
		switch {
		case p.isOp(".") || p.isOp("["):
			x = p.parseSubscript(x)
		case p.isOp("("):
			x = p.parseCall(x)
		default:
			return x
		}
	}
}

func (p *parser) parseFilterExpr(x Expr) Expr {
	for {
		switch {
		case p.isOp("|"):
			p.next()
			x = p.parseFilter(x)
		case p.isName("is"):
			x = p.parseTest(x)
		case p.isOp("("):
			x = p.parseCall(x)
		default:
			return x
		}
	}
}

func (p *parser) parseSubscript(x Expr) Expr {
	t := p.next()
	if t.val == "." {
		a := p.peek()
		switch a.kind {
		case tName:
			p.next()
			return &getattrExpr{p: a.pos, x: x, name: a.val}
		case tInt:
			p.next()
			return &getitemExpr{p: a.pos, x: x, index: &constExpr{p: a.pos, val: a.ival}}
		}
		p.failTok(a, "an attribute name after \".\"")
	}
	var args []Expr
	for !p.isOp("]") {
		if len(args) > 0 {
			p.expectOp(",")
			if p.isOp("]") {
				break
			}
		}
		args = append(args, p.parseSubscribed())
	}
	p.expectOp("]")
	if len(args) == 0 {
		p.fail(t.pos, "", "empty subscript []")
	}
	var index Expr = &tupleExpr{p: t.pos, items: args}
	if len(args) == 1 {
		index = args[0]
	}
	return &getitemExpr{p: t.pos, x: x, index: index}
}

// parseSubscribed parses one index or slice lo:hi:step.
func (p *parser) parseSubscribed() Expr {
	start := p.peek().pos
	var parts [3]Expr
	if !p.isOp(":") {
		x := p.parseExpression(true)
		if !p.isOp(":") {
			return x
		}
		parts[0] = x
	}
	p.next() // the first colon
	if !p.isOp("]") && !p.isOp(",") && !p.isOp(":") {
		parts[1] = p.parseExpression(true)
	}
	if p.skipOp(":") {
		if !p.isOp("]") && !p.isOp(",") {
			parts[2] = p.parseExpression(true)
		}
	}
	return &sliceExpr{p: start, lo: parts[0], hi: parts[1], step: parts[2]}
}

func (p *parser) parseCall(fn Expr) Expr {
	return &callExpr{p: exprStart(fn), fn: fn, args: p.parseCallArgs()}
}

// exprStart returns the offset where the callee expression is written:
// the name of a function, or the start of a.b.c.
func exprStart(x Expr) int {
	for {
		switch e := x.(type) {
		case *getattrExpr:
			x = e.x
		case *getitemExpr:
			x = e.x
		case *callExpr:
			x = e.fn
		default:
			return x.pos()
		}
	}
}

// parseCallArgs parses (a, b, k=v, *args, **kwargs), trailing comma allowed.
func (p *parser) parseCallArgs() argList {
	open := p.expectOp("(")
	var a argList
	a.hasAny = true
	invalid := func(pos int) {
		p.fail(pos, "write positional arguments first, then name=value arguments, then *args and **kwargs", "invalid order of arguments in a call")
	}
	first := true
	for !p.isOp(")") {
		if !first {
			p.expectOp(",")
			if p.isOp(")") {
				break
			}
		}
		first = false
		t := p.peek()
		switch {
		case p.isOp("*"):
			if a.star != nil || a.dstar != nil {
				invalid(t.pos)
			}
			p.next()
			a.star = p.parseExpression(true)
		case p.isOp("**"):
			if a.dstar != nil {
				invalid(t.pos)
			}
			p.next()
			a.dstar = p.parseExpression(true)
		case t.kind == tName && p.look().kind == tOp && p.look().val == "=":
			if a.dstar != nil {
				invalid(t.pos)
			}
			p.next()
			p.next()
			for _, k := range a.kw {
				if k.name == t.val {
					p.fail(t.pos, "", "keyword argument %q repeated", t.val)
				}
			}
			a.kw = append(a.kw, kwArg{p: t.pos, name: t.val, x: p.parseExpression(true)})
		default:
			if a.star != nil || a.dstar != nil || len(a.kw) > 0 {
				invalid(t.pos)
			}
			a.pos = append(a.pos, p.parseExpression(true))
		}
	}
	_ = open
	p.next()
	return a
}

func (p *parser) parseFilter(x Expr) *filterExpr {
	t := p.expectName()
	name := t.val
	for p.isOp(".") {
		p.next()
		name += "." + p.expectName().val
	}
	f := &filterExpr{p: t.pos, x: x, name: name}
	if p.isOp("(") {
		f.args = p.parseCallArgs()
	}
	return f
}

func (p *parser) parseTest(x Expr) Expr {
	p.next() // is
	negate := p.skipName("not")
	t := p.expectName()
	name := t.val
	for p.isOp(".") {
		p.next()
		name += "." + p.expectName().val
	}
	te := &testExpr{p: t.pos, x: x, name: name, negate: negate}
	n := p.peek()
	switch {
	case p.isOp("("):
		te.args = p.parseCallArgs()
	case n.kind == tString || n.kind == tInt || n.kind == tFloat || n.kind == tOp && (n.val == "[" || n.val == "{") ||
		n.kind == tName && n.val != "else" && n.val != "or" && n.val != "and" && n.val != "if" && n.val != "in":
		if p.isName("is") {
			p.fail(n.pos, "combine tests with and/or", "tests cannot be chained with another \"is\"")
		}
		arg := p.parsePostfix(p.parsePrimary())
		te.args = argList{pos: []Expr{arg}, hasAny: true}
	}
	return te
}

// markSpecial records that the macros being parsed read caller, varargs or
// kwargs, as Jinja2's analysis of a macro's undeclared names does.
func (p *parser) markSpecial(name string) {
	for _, m := range p.macros {
		switch name {
		case "caller":
			m.usesCaller = true
		case "varargs":
			m.usesVarargs = true
		case "kwargs":
			m.usesKwargs = true
		}
	}
}

package jinja

// Statement tags: if, for, set, macro (and dbt's test, docs and
// materialization), call, filter, with.

func (p *parser) parseIf(open token) Stmt {
	s := &ifStmt{p: open.pos}
	ok := p.guard(func() {
		p.next()
		s.conds = append(s.conds, p.parseTuple(false, false, nil, false))
		p.expectBlockEnd()
	})
	if !ok {
		s.conds = append(s.conds, nil)
	}
	s.bodies = append(s.bodies, p.body(open, "if", "elif", "else", "endif"))
	for p.atTag("elif") {
		p.next()
		var c Expr
		if !p.guard(func() {
			p.next()
			c = p.parseTuple(false, false, nil, false)
			p.expectBlockEnd()
		}) {
			ok = false
		}
		s.conds = append(s.conds, c)
		s.bodies = append(s.bodies, p.body(open, "if", "elif", "else", "endif"))
	}
	if p.atTag("else") {
		p.next()
		if !p.guard(func() { p.next(); p.expectBlockEnd() }) {
			ok = false
		}
		s.els = p.body(open, "if", "endif")
	}
	p.endTag("endif")
	if !ok {
		return nil
	}
	return s
}

func (p *parser) parseFor(open token) Stmt {
	s := &forStmt{p: open.pos}
	ok := p.guard(func() {
		p.next()
		s.target = p.parseAssignTarget(true, false, []string{"in"})
		if !p.skipName("in") {
			p.failTok(p.peek(), `"in"`)
		}
		s.iter = p.parseTuple(false, false, []string{"recursive"}, false)
		if p.skipName("if") {
			s.filter = p.parseExpression(true)
		}
		s.recursive = p.skipName("recursive")
		p.expectBlockEnd()
	})
	p.loops++
	s.body = p.body(open, "for", "else", "endfor")
	p.loops--
	if p.atTag("else") {
		p.next()
		if !p.guard(func() { p.next(); p.expectBlockEnd() }) {
			ok = false
		}
		s.els = p.body(open, "for", "endfor")
	}
	p.endTag("endfor")
	if !ok {
		return nil
	}
	return s
}

func (p *parser) parseSet(open token) Stmt {
	var tg target
	block := false
	var val Expr
	var filters []*filterExpr
	ok := p.guard(func() {
		p.next()
		tg = p.parseAssignTarget(true, true, nil)
		if p.skipOp("=") {
			val = p.parseTuple(false, true, nil, false)
			p.expectBlockEnd()
			return
		}
		block = true
		if tg.tuple {
			p.fail(tg.p, `write {% set name = value %}`, "a {%% set %%} block assigns to one name")
		}
		filters = p.parseFilterChain(true)
		p.expectBlockEnd()
	})
	if !block {
		if !ok {
			return nil
		}
		return &setStmt{p: open.pos, target: tg, x: val}
	}
	body := p.body(open, "set", "endset")
	p.endTag("endset")
	if !ok {
		return nil
	}
	return &setBlockStmt{p: open.pos, target: tg, filters: filters, body: body}
}

func (p *parser) parseMacro(open token, kind string) Stmt {
	def := &MacroDef{Tmpl: p.t}
	ok := p.guard(func() {
		def.Pos = p.next().pos
		name := p.expectName()
		switch kind {
		case "macro":
			def.Name = name.val
			def.Params = p.parseSignature()
		case "test":
			def.Name = "test_" + name.val
			def.Params = p.parseSignature()
		case "docs":
			def.Name = "docs_" + name.val
		case "materialization":
			adapter := "default"
			for p.skipOp(",") {
				arg := p.expectName()
				switch arg.val {
				case "default":
				case "adapter":
					p.expectOp("=")
					a := p.peek()
					if a.kind != tString {
						p.failTok(a, "the adapter's name as a string")
					}
					p.next()
					adapter = a.val
				case "supported_languages":
					p.expectOp("=")
					def.Params = append(def.Params, param{p: arg.pos, name: arg.val, def: p.parseExpression(true)})
				default:
					p.fail(arg.pos, "", "unknown materialization argument %q", arg.val)
				}
			}
			def.Name = "materialization_" + name.val + "_" + adapter
		}
		p.expectBlockEnd()
	})
	p.macros = append(p.macros, def)
	loops := p.loops
	p.loops = 0
	def.Body = p.body(open, kind, "end"+kind)
	p.loops = loops
	p.macros = p.macros[:len(p.macros)-1]
	p.endTag("end" + kind)
	if !ok {
		return nil
	}
	if len(p.macros) == 0 && p.depth == 1 {
		p.t.Macros = append(p.t.Macros, def)
	}
	return &macroStmt{p: open.pos, def: def, kind: kind}
}

// parseSignature parses a macro's parameter list: (a, b=1, ...).
func (p *parser) parseSignature() []param {
	var params []param
	p.expectOp("(")
	for !p.isOp(")") {
		if len(params) > 0 {
			p.expectOp(",") // no trailing comma, as in Jinja2
		}
		n := p.expectName()
		pr := param{p: n.pos, name: n.val}
		if p.skipOp("=") {
			pr.def = p.parseExpression(true)
		} else if len(params) > 0 && params[len(params)-1].def != nil {
			p.fail(n.pos, "give it a default, or move it before the parameters with defaults", "parameter %q without a default follows a parameter with one", n.val)
		}
		for _, q := range params {
			if q.name == n.val {
				p.fail(n.pos, "", "duplicate parameter %q", n.val)
			}
		}
		params = append(params, pr)
	}
	p.next()
	return params
}

func (p *parser) parseCallBlock(open token) Stmt {
	def := &MacroDef{Name: "caller", Tmpl: p.t, Pos: open.pos}
	var call *callExpr
	ok := p.guard(func() {
		p.next()
		if p.isOp("(") {
			def.Params = p.parseSignature()
		}
		x := p.parseExpression(true)
		c, isCall := x.(*callExpr)
		if !isCall {
			p.fail(x.pos(), "write {% call macro_name(args) %}", "{%% call %%} needs a call")
		}
		call = c
		p.expectBlockEnd()
	})
	p.macros = append(p.macros, def)
	loops := p.loops
	p.loops = 0
	def.Body = p.body(open, "call", "endcall")
	p.loops = loops
	p.macros = p.macros[:len(p.macros)-1]
	p.endTag("endcall")
	if !ok {
		return nil
	}
	return &callBlockStmt{p: open.pos, call: call, caller: def}
}

func (p *parser) parseFilterBlock(open token) Stmt {
	var filters []*filterExpr
	ok := p.guard(func() {
		p.next()
		filters = p.parseFilterChain(false)
		p.expectBlockEnd()
	})
	body := p.body(open, "filter", "endfilter")
	p.endTag("endfilter")
	if !ok {
		return nil
	}
	return &filterBlockStmt{p: open.pos, filters: filters, body: body}
}

// parseFilterChain parses "name(args)|name2..." of a filter block (or,
// with optional, the filters of a set block, which may be absent).
func (p *parser) parseFilterChain(optional bool) []*filterExpr {
	var out []*filterExpr
	first := true
	for {
		if !first || optional {
			if !p.skipOp("|") {
				return out
			}
		}
		first = false
		f := p.parseFilter(nil)
		out = append(out, f)
	}
}

func (p *parser) parseWith(open token) Stmt {
	s := &withStmt{p: open.pos}
	ok := p.guard(func() {
		p.next()
		for p.peek().kind != tBlockEnd {
			if len(s.targets) > 0 {
				p.expectOp(",")
			}
			s.targets = append(s.targets, p.parseAssignTarget(true, false, nil))
			p.expectOp("=")
			s.vals = append(s.vals, p.parseExpression(true))
		}
		p.expectBlockEnd()
	})
	s.body = p.body(open, "with", "endwith")
	p.endTag("endwith")
	if !ok {
		return nil
	}
	return s
}

// parseAssignTarget parses the target of set, for or with: a name, a
// tuple of targets (parenthesized or not), or with namespace ns.attr.
func (p *parser) parseAssignTarget(withTuple, withNamespace bool, extraEnds []string) target {
	if withNamespace && p.peek().kind == tName && p.look().kind == tOp && p.look().val == "." {
		n := p.next()
		p.next()
		a := p.expectName()
		return target{p: n.pos, name: n.val, attr: a.val}
	}
	start := p.peek().pos
	var items []target
	isTuple := false
	for {
		if len(items) > 0 {
			p.expectOp(",")
		}
		if p.tupleEnd(extraEnds) || p.isOp("=") || p.isOp("|") {
			break
		}
		items = append(items, p.parseTargetPrimary())
		if p.isOp(",") {
			isTuple = true
		} else {
			break
		}
		if !withTuple {
			break
		}
	}
	if len(items) == 0 {
		p.failTok(p.peek(), "a name to assign to")
	}
	if !isTuple {
		return items[0]
	}
	return target{p: start, items: items, tuple: true}
}

func (p *parser) parseTargetPrimary() target {
	t := p.peek()
	if t.kind == tName {
		switch t.val {
		case "true", "false", "none", "True", "False", "None", "in", "and", "or", "not", "is", "if", "else":
			p.fail(t.pos, "", "cannot assign to %q", t.val)
		}
		p.next()
		return target{p: t.pos, name: t.val}
	}
	if p.skipOp("(") {
		var items []target
		for !p.isOp(")") {
			if len(items) > 0 {
				p.expectOp(",")
				if p.isOp(")") {
					break
				}
			}
			items = append(items, p.parseTargetPrimary())
		}
		p.next()
		if len(items) == 1 {
			return items[0]
		}
		return target{p: t.pos, items: items, tuple: true}
	}
	p.failTok(t, "a name to assign to")
	return target{}
}

package jinja

// walk calls fn for every statement and expression node under body, in
// source order, macro bodies included.
func walk(body []Stmt, fn func(node any)) {
	for _, s := range body {
		walkStmt(s, fn)
	}
}

func walkStmt(s Stmt, fn func(any)) {
	fn(s)
	switch n := s.(type) {
	case *outputStmt:
		walkExpr(n.x, fn)
	case *ifStmt:
		for i, c := range n.conds {
			walkExpr(c, fn)
			walk(n.bodies[i], fn)
		}
		walk(n.els, fn)
	case *forStmt:
		walkExpr(n.iter, fn)
		walkExpr(n.filter, fn)
		walk(n.body, fn)
		walk(n.els, fn)
	case *setStmt:
		walkExpr(n.x, fn)
	case *setBlockStmt:
		for _, f := range n.filters {
			walkExpr(f, fn)
		}
		walk(n.body, fn)
	case *macroStmt:
		walkMacro(n.def, fn)
	case *callBlockStmt:
		walkExpr(n.call, fn)
		walkMacro(n.caller, fn)
	case *filterBlockStmt:
		for _, f := range n.filters {
			walkExpr(f, fn)
		}
		walk(n.body, fn)
	case *withStmt:
		for _, v := range n.vals {
			walkExpr(v, fn)
		}
		walk(n.body, fn)
	case *doStmt:
		walkExpr(n.x, fn)
	}
}

func walkMacro(def *MacroDef, fn func(any)) {
	for _, p := range def.Params {
		walkExpr(p.def, fn)
	}
	walk(def.Body, fn)
}

func walkArgs(a *argList, fn func(any)) {
	for _, x := range a.pos {
		walkExpr(x, fn)
	}
	for _, k := range a.kw {
		walkExpr(k.x, fn)
	}
	walkExpr(a.star, fn)
	walkExpr(a.dstar, fn)
}

func walkExpr(x Expr, fn func(any)) {
	if x == nil {
		return
	}
	fn(x)
	switch e := x.(type) {
	case *listExpr:
		for _, it := range e.items {
			walkExpr(it, fn)
		}
	case *tupleExpr:
		for _, it := range e.items {
			walkExpr(it, fn)
		}
	case *dictExpr:
		for i := range e.keys {
			walkExpr(e.keys[i], fn)
			walkExpr(e.vals[i], fn)
		}
	case *getattrExpr:
		walkExpr(e.x, fn)
	case *getitemExpr:
		walkExpr(e.x, fn)
		walkExpr(e.index, fn)
	case *sliceExpr:
		walkExpr(e.lo, fn)
		walkExpr(e.hi, fn)
		walkExpr(e.step, fn)
	case *callExpr:
		walkExpr(e.fn, fn)
		walkArgs(&e.args, fn)
	case *filterExpr:
		walkExpr(e.x, fn)
		walkArgs(&e.args, fn)
	case *testExpr:
		walkExpr(e.x, fn)
		walkArgs(&e.args, fn)
	case *unaryExpr:
		walkExpr(e.x, fn)
	case *binaryExpr:
		walkExpr(e.l, fn)
		walkExpr(e.r, fn)
	case *compareExpr:
		walkExpr(e.first, fn)
		for _, op := range e.ops {
			walkExpr(op.x, fn)
		}
	case *condExpr:
		walkExpr(e.cond, fn)
		walkExpr(e.then, fn)
		walkExpr(e.els, fn)
	}
}

package jinja

import (
	"fmt"
	"strings"
)

// execBody runs statements, writing their output to b. Outside macros
// (the template's own code), a failing statement is recorded and the next
// one runs, so that independent errors are all reported.
func (st *state) execBody(b *strings.Builder, sc *scope, body []Stmt) error {
	for _, s := range body {
		err := st.exec(b, sc, s)
		if err == nil {
			continue
		}
		if len(st.frames) == 0 && st.record(err) {
			if set, ok := s.(*setStmt); ok {
				st.poison(sc, set.target)
			}
			continue
		}
		return err
	}
	return nil
}

// poison marks the variables of a failed assignment, so that their use
// does not report the failure again.
func (st *state) poison(sc *scope, t target) {
	if t.tuple {
		for _, it := range t.items {
			st.poison(sc, it)
		}
		return
	}
	if t.attr == "" {
		sc.set(t.name, Undefined{Name: poisoned})
	}
}

func (st *state) exec(b *strings.Builder, sc *scope, s Stmt) error {
	switch n := s.(type) {
	case *textStmt:
		st.text(b, n.s)
	case *outputStmt:
		v, err := st.eval(sc, n.x)
		if err != nil {
			return err
		}
		st.output(b, n.x, v)
	case *ifStmt:
		for i, c := range n.conds {
			v, err := st.eval(sc, c)
			if err != nil {
				return err
			}
			if Truth(v) {
				return st.execBody(b, sc, n.bodies[i])
			}
		}
		return st.execBody(b, sc, n.els)
	case *forStmt:
		v, err := st.eval(sc, n.iter)
		if err != nil {
			return err
		}
		return st.execFor(b, sc, n, v, 0)
	case *setStmt:
		v, err := st.eval(sc, n.x)
		if err != nil {
			return err
		}
		return st.assign(sc, n.target, v)
	case *setBlockStmt:
		var body strings.Builder
		if err := st.execBody(&body, &scope{parent: sc}, n.body); err != nil {
			return err
		}
		var v any = body.String()
		for _, f := range n.filters {
			var err error
			if v, err = st.applyFilter(sc, f, v); err != nil {
				return err
			}
		}
		return st.assign(sc, n.target, v)
	case *macroStmt:
		sc.set(n.def.Name, &Macro{Def: n.def, scope: sc})
	case *callBlockStmt:
		caller := &Macro{Def: n.caller, scope: sc}
		v, err := st.evalCall(sc, n.call, &KV{Key: "caller", Value: caller})
		if err != nil {
			return err
		}
		st.output(b, nil, v)
	case *filterBlockStmt:
		var body strings.Builder
		if err := st.execBody(&body, &scope{parent: sc}, n.body); err != nil {
			return err
		}
		var v any = body.String()
		for _, f := range n.filters {
			var err error
			if v, err = st.applyFilter(sc, f, v); err != nil {
				return err
			}
		}
		st.output(b, nil, v)
	case *withStmt:
		inner := &scope{parent: sc}
		vals := make([]any, len(n.vals))
		for i, x := range n.vals {
			v, err := st.eval(sc, x)
			if err != nil {
				return err
			}
			vals[i] = v
		}
		for i, t := range n.targets {
			if err := st.assign(inner, t, vals[i]); err != nil {
				return err
			}
		}
		return st.execBody(b, inner, n.body)
	case *doStmt:
		_, err := st.eval(sc, n.x)
		return err
	case *breakStmt:
		return errBreak
	case *continueStmt:
		return errContinue
	default:
		return fmt.Errorf("jinja: unknown statement %T", s)
	}
	return nil
}

// writeValue writes v as {{ v }} prints it.
func writeValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case string:
		b.WriteString(x)
	case Undefined:
	default:
		b.WriteString(str(v))
	}
}

// assign binds a target to v in scope sc, unpacking tuples and setting
// namespace attributes.
func (st *state) assign(sc *scope, t target, v any) error {
	switch {
	case t.attr != "":
		obj, _ := st.lookup(sc, t.name)
		ns, ok := obj.(*Namespace)
		if !ok {
			return st.errorf(t.p, "create it with {% set "+t.name+" = namespace() %}", "cannot set an attribute of %q: it is not a namespace", t.name)
		}
		return ns.d.Set(t.attr, v)
	case t.tuple:
		items, err := iterate(v)
		if err != nil {
			return st.errorf(t.p, "", "cannot unpack %s", aType(v))
		}
		if len(items) != len(t.items) {
			if len(items) > len(t.items) {
				return st.errorf(t.p, "", "too many values to unpack (expected %d, got %d)", len(t.items), len(items))
			}
			return st.errorf(t.p, "", "not enough values to unpack (expected %d, got %d)", len(t.items), len(items))
		}
		for i, it := range t.items {
			if err := st.assign(sc, it, items[i]); err != nil {
				return err
			}
		}
		return nil
	}
	sc.set(t.name, v)
	return nil
}

// loopValue is the loop variable of a for loop.
type loopValue struct {
	items   []any
	i       int
	depth   int
	recurse func(any) (any, error)
	changed []any
	hasLast bool
}

func (l *loopValue) Attr(name string) (any, bool) {
	n := len(l.items)
	switch name {
	case "index":
		return l.i + 1, true
	case "index0":
		return l.i, true
	case "revindex":
		return n - l.i, true
	case "revindex0":
		return n - l.i - 1, true
	case "first":
		return l.i == 0, true
	case "last":
		return l.i == n-1, true
	case "length":
		return n, true
	case "depth":
		return l.depth + 1, true
	case "depth0":
		return l.depth, true
	case "previtem":
		if l.i == 0 {
			return Undefined{Name: "there is no previous item", attr: true}, true
		}
		return l.items[l.i-1], true
	case "nextitem":
		if l.i >= n-1 {
			return Undefined{Name: "there is no next item", attr: true}, true
		}
		return l.items[l.i+1], true
	case "cycle":
		return Func(func(c *Call) (any, error) {
			if len(c.Args) == 0 {
				return nil, fmt.Errorf("loop.cycle() needs at least one value")
			}
			return c.Args[l.i%len(c.Args)], nil
		}), true
	case "changed":
		return Func(func(c *Call) (any, error) {
			now := append([]any(nil), c.Args...)
			if l.hasLast && equalValues(Tuple(now), Tuple(l.changed)) {
				return false, nil
			}
			l.changed, l.hasLast = now, true
			return true, nil
		}), true
	}
	return nil, false
}

// execFor runs a for loop over v at recursion depth depth.
func (st *state) execFor(b *strings.Builder, sc *scope, n *forStmt, v any, depth int) error {
	items, err := iterate(v)
	if err != nil {
		return st.errorf(n.iter.pos(), "", "%v", err)
	}
	if n.filter != nil {
		kept := make([]any, 0, len(items))
		for _, it := range items {
			fs := &scope{parent: sc}
			if err := st.assign(fs, n.target, it); err != nil {
				return err
			}
			c, err := st.eval(fs, n.filter)
			if err != nil {
				return err
			}
			if Truth(c) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	if len(items) == 0 {
		return st.execBody(b, sc, n.els)
	}
	loop := &loopValue{items: items, depth: depth}
	if n.recursive {
		loop.recurse = func(x any) (any, error) {
			if len(st.frames) >= st.env.maxDepth() {
				return nil, st.recursionError("loop", n.p)
			}
			st.frames = append(st.frames, frame{name: "loop", caller: st.tmpl, off: n.p, pkg: st.pkg})
			defer func() { st.frames = st.frames[:len(st.frames)-1] }()
			var inner strings.Builder
			if err := st.execFor(&inner, sc, n, x, depth+1); err != nil {
				return nil, err
			}
			return inner.String(), nil
		}
	}
	for i, it := range items {
		loop.i = i
		is := &scope{parent: sc, names: make([]string, 0, 4), vals: make([]any, 0, 4)}
		is.set("loop", loop)
		if err := st.assign(is, n.target, it); err != nil {
			return err
		}
		err := st.execBody(b, is, n.body)
		if err == errBreak {
			break
		}
		if err == errContinue {
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

package jinja

import (
	"fmt"
	"math"
	"math/big"
	"strings"
)

// eval evaluates an expression in scope sc.
func (st *state) eval(sc *scope, x Expr) (any, error) {
	switch e := x.(type) {
	case *constExpr:
		return e.val, nil
	case *nameExpr:
		if v, ok := st.lookup(sc, e.name); ok {
			return v, nil
		}
		return Undefined{Name: e.name}, nil
	case *getattrExpr:
		obj, err := st.eval(sc, e.x)
		if err != nil {
			return nil, err
		}
		if u, ok := obj.(Undefined); ok {
			if _, isName := e.x.(*nameExpr); isName && !u.attr && !st.env.Lenient && looksLikePackage(u.Name) {
				if err := st.unsupported(e.x.pos(), "", u.Name); err != nil {
					return nil, err
				}
				return nil, st.errorf(e.x.pos(), fmt.Sprintf("if %s is a package, add it to packages.yml and run kiln deps; otherwise check the name for a typo", u.Name),
					"%q is undefined: no variable, macro or installed package has that name (reading %s.%s)", u.Name, u.Name, e.name)
			}
			return st.undefinedUse(e.x.pos(), u)
		}
		return getattr(obj, e.name), nil
	case *getitemExpr:
		return st.evalGetitem(sc, e)
	case *callExpr:
		return st.evalCall(sc, e, nil)
	case *filterExpr:
		v, err := st.eval(sc, e.x)
		if err != nil {
			return nil, err
		}
		return st.applyFilter(sc, e, v)
	case *testExpr:
		v, err := st.eval(sc, e.x)
		if err != nil {
			return nil, err
		}
		return st.applyTest(sc, e, v)
	case *binaryExpr:
		l, err := st.eval(sc, e.l)
		if err != nil {
			return nil, err
		}
		switch e.op {
		case "and":
			if !Truth(l) {
				return l, nil
			}
			return st.eval(sc, e.r)
		case "or":
			if Truth(l) {
				return l, nil
			}
			return st.eval(sc, e.r)
		}
		r, err := st.eval(sc, e.r)
		if err != nil {
			return nil, err
		}
		if e.op == "~" {
			return str(l) + str(r), nil
		}
		if u, ok := l.(Undefined); ok {
			return st.undefinedUse(e.l.pos(), u)
		}
		if u, ok := r.(Undefined); ok {
			return st.undefinedUse(e.r.pos(), u)
		}
		v, err := binop(e.op, l, r)
		if err != nil {
			return nil, st.errorf(e.p, "", "%v", err)
		}
		return v, nil
	case *unaryExpr:
		v, err := st.eval(sc, e.x)
		if err != nil {
			return nil, err
		}
		if e.op == "not" {
			return !Truth(v), nil
		}
		if u, ok := v.(Undefined); ok {
			return st.undefinedUse(e.x.pos(), u)
		}
		switch n := v.(type) {
		case int:
			if e.op == "-" {
				if n == math.MinInt64 {
					return new(big.Int).Neg(big.NewInt(int64(n))), nil
				}
				return -n, nil
			}
			return n, nil
		case *big.Int:
			if e.op == "-" {
				return normInt(new(big.Int).Neg(n)), nil
			}
			return n, nil
		case Operand:
			if e.op == "-" {
				r, done, err := n.BinOpJinja("neg", nil, false)
				if err != nil {
					return nil, st.errorf(e.p, "", "%v", err)
				}
				if done {
					return r, nil
				}
			}
			if e.op == "+" {
				return v, nil
			}
		case bool:
			b := 0
			if n {
				b = 1
			}
			if e.op == "-" {
				return -b, nil
			}
			return b, nil
		case float64:
			if e.op == "-" {
				return -n, nil
			}
			return n, nil
		}
		return nil, st.errorf(e.p, "", "bad operand type for unary %s: %s", e.op, aType(v))
	case *compareExpr:
		l, err := st.eval(sc, e.first)
		if err != nil {
			return nil, err
		}
		for _, op := range e.ops {
			r, err := st.eval(sc, op.x)
			if err != nil {
				return nil, err
			}
			ok, err := compare(op.op, l, r)
			if err != nil {
				return nil, st.errorf(op.p, "", "%v", err)
			}
			if !ok {
				return false, nil
			}
			l = r
		}
		return true, nil
	case *condExpr:
		c, err := st.eval(sc, e.cond)
		if err != nil {
			return nil, err
		}
		if Truth(c) {
			return st.eval(sc, e.then)
		}
		if e.els == nil {
			return Undefined{Name: "the condition of an if expression without else was false", attr: true}, nil
		}
		return st.eval(sc, e.els)
	case *listExpr:
		items := make([]any, len(e.items))
		for i, it := range e.items {
			v, err := st.eval(sc, it)
			if err != nil {
				return nil, err
			}
			items[i] = v
		}
		return &List{Items: items}, nil
	case *tupleExpr:
		items := make(Tuple, len(e.items))
		for i, it := range e.items {
			v, err := st.eval(sc, it)
			if err != nil {
				return nil, err
			}
			items[i] = v
		}
		return items, nil
	case *dictExpr:
		d := NewDict()
		for i := range e.keys {
			k, err := st.eval(sc, e.keys[i])
			if err != nil {
				return nil, err
			}
			v, err := st.eval(sc, e.vals[i])
			if err != nil {
				return nil, err
			}
			if err := d.Set(k, v); err != nil {
				return nil, st.errorf(e.keys[i].pos(), "", "%v", err)
			}
		}
		return d, nil
	case *sliceExpr:
		return nil, st.errorf(e.p, "", "a slice is only valid inside []")
	}
	return nil, fmt.Errorf("jinja: unknown expression %T", x)
}

// undefinedUse is the result of reading an attribute or item of u, or
// calling it: an error naming it, or u itself when the environment is
// lenient.
func (st *state) undefinedUse(off int, u Undefined) (any, error) {
	if st.env.Lenient {
		return u, nil
	}
	if u.Name == poisoned {
		return nil, &renderError{silent: true}
	}
	if !u.attr {
		if err := st.unsupported(off, "", u.Name); err != nil {
			return nil, err
		}
	}
	return nil, st.errorf(off, "", "%s", u.message())
}

// poisoned names the value of a variable whose assignment failed: using
// it fails silently, the failure being reported already.
const poisoned = "\x00poisoned"

func (st *state) evalGetitem(sc *scope, e *getitemExpr) (any, error) {
	obj, err := st.eval(sc, e.x)
	if err != nil {
		return nil, err
	}
	if u, ok := obj.(Undefined); ok {
		return st.undefinedUse(e.x.pos(), u)
	}
	if s, ok := e.index.(*sliceExpr); ok {
		var parts [3]any
		for i, x := range []Expr{s.lo, s.hi, s.step} {
			if x == nil {
				continue
			}
			v, err := st.eval(sc, x)
			if err != nil {
				return nil, err
			}
			parts[i] = v
		}
		v, err := slice(obj, parts[0], parts[1], parts[2])
		if err != nil {
			return nil, st.errorf(e.p, "", "%v", err)
		}
		return v, nil
	}
	key, err := st.eval(sc, e.index)
	if err != nil {
		return nil, err
	}
	v, err := getitem(obj, key)
	if err != nil {
		return nil, st.errorf(e.p, "", "%v", err)
	}
	return v, nil
}

// evalArgs evaluates a call's arguments, expanding *args and **kwargs.
func (st *state) evalArgs(sc *scope, a *argList) ([]any, []KV, error) {
	var args []any
	if len(a.pos) > 0 {
		args = make([]any, 0, len(a.pos))
	}
	for _, x := range a.pos {
		v, err := st.eval(sc, x)
		if err != nil {
			return nil, nil, err
		}
		args = append(args, v)
	}
	if a.star != nil {
		v, err := st.eval(sc, a.star)
		if err != nil {
			return nil, nil, err
		}
		items, err := iterate(v)
		if err != nil {
			return nil, nil, st.errorf(a.star.pos(), "", "the argument after * must be a sequence: %v", err)
		}
		args = append(args, items...)
	}
	var kwargs []KV
	if len(a.kw) > 0 {
		kwargs = make([]KV, 0, len(a.kw))
	}
	for _, k := range a.kw {
		v, err := st.eval(sc, k.x)
		if err != nil {
			return nil, nil, err
		}
		kwargs = append(kwargs, KV{Key: k.name, Value: v})
	}
	if a.dstar != nil {
		v, err := st.eval(sc, a.dstar)
		if err != nil {
			return nil, nil, err
		}
		switch d := v.(type) {
		case *Dict:
			for i, k := range d.keys {
				ks, ok := k.(string)
				if !ok {
					return nil, nil, st.errorf(a.dstar.pos(), "", "keywords must be strings, not %s", typeName(k))
				}
				for _, kv := range kwargs {
					if kv.Key == ks {
						return nil, nil, st.errorf(a.dstar.pos(), "", "got multiple values for keyword argument %q", ks)
					}
				}
				kwargs = append(kwargs, KV{Key: ks, Value: d.vals[i]})
			}
		case Undefined:
		default:
			return nil, nil, st.errorf(a.dstar.pos(), "", "the argument after ** must be a dict, not %s", typeName(v))
		}
	}
	return args, kwargs, nil
}

// evalCall evaluates a call; extra holds a call block's caller.
func (st *state) evalCall(sc *scope, e *callExpr, extra *KV) (any, error) {
	fn, err := st.eval(sc, e.fn)
	if err != nil {
		return nil, err
	}
	args, kwargs, err := st.evalArgs(sc, &e.args)
	if err != nil {
		return nil, err
	}
	if extra != nil {
		kwargs = append(kwargs, *extra)
	}
	if u, ok := fn.(Undefined); ok {
		if st.env.Lenient {
			return u, nil
		}
		if u.Name == poisoned {
			return nil, &renderError{silent: true}
		}
		if n, isName := e.fn.(*nameExpr); isName {
			if err := st.unsupported(n.p, "", n.name); err != nil {
				return nil, err
			}
			hint := hintFor(n.name, st.names(sc), "define it in a macro file under the macro paths")
			if h, ok := st.globals.(Hider); ok {
				if why, hidden := h.Hidden(n.name, st.pkg); hidden {
					hint = why
				}
			}
			return nil, st.errorf(n.p, hint, "%q is not a function or macro", n.name)
		}
		if a, isAttr := e.fn.(*getattrExpr); isAttr {
			if ns, isName := a.x.(*nameExpr); isName {
				if err := st.unsupported(a.p, ns.name, a.name); err != nil {
					return nil, err
				}
			}
		}
		return nil, st.errorf(e.fn.pos(), "", "%s", u.message())
	}
	return st.callValue(fn, args, kwargs, e.p, calleeName(e.fn), &e.args)
}

func calleeName(x Expr) string {
	switch e := x.(type) {
	case *nameExpr:
		return e.name
	case *getattrExpr:
		return e.name
	}
	return ""
}

// callValue calls fn with evaluated arguments; off is the call's offset,
// at the arguments as written (nil when unknown).
func (st *state) callValue(fn any, args []any, kwargs []KV, off int, name string, at *argList) (any, error) {
	switch f := fn.(type) {
	case *Macro:
		return st.callMacro(f, args, kwargs, off)
	case Func:
		v, err := f(st.newCall(off, args, kwargs, at))
		if err != nil {
			return nil, st.wrap(off, err)
		}
		return FromGo(v), nil
	case Callable:
		v, err := f.CallJinja(st.newCall(off, args, kwargs, at))
		if err != nil {
			return nil, st.wrap(off, err)
		}
		return FromGo(v), nil
	case *loopValue:
		if f.recurse != nil {
			if len(args) != 1 || len(kwargs) > 0 {
				return nil, st.errorf(off, "", "loop() takes the items to loop over")
			}
			return f.recurse(args[0])
		}
	}
	if name != "" {
		return nil, st.errorf(off, "", "%q is %s, not a function", name, aType(fn))
	}
	return nil, st.errorf(off, "", "%s is not callable", aType(fn))
}

// callMacro renders macro m's body with the arguments bound to its
// parameters, in a new scope over the scope m was defined in.
func (st *state) callMacro(m *Macro, args []any, kwargs []KV, off int) (any, error) {
	def := m.Def
	if len(st.frames) >= st.env.maxDepth() {
		return nil, st.recursionError(def.Name, off)
	}
	sc := &scope{parent: m.scope}
	sc.names = make([]string, 0, len(def.Params)+2)
	sc.vals = make([]any, 0, len(def.Params)+2)
	if len(args) > len(def.Params) && !def.usesVarargs {
		return nil, st.errorf(off, "", "macro %q takes at most %s, got %d", def.Name, plural(len(def.Params), "argument"), len(args))
	}
	bound := make([]bool, len(def.Params))
	vals := make([]any, len(def.Params))
	for i := 0; i < len(args) && i < len(def.Params); i++ {
		vals[i], bound[i] = args[i], true
	}
	var extra *Dict
	var caller any = Undefined{Name: "no caller was given: call this macro from a {% call %} block", attr: true}
	for _, kv := range kwargs {
		found := false
		for i, p := range def.Params {
			if p.name == kv.Key {
				if bound[i] {
					return nil, st.errorf(off, "", "macro %q got multiple values for argument %q", def.Name, kv.Key)
				}
				vals[i], bound[i], found = kv.Value, true, true
				break
			}
		}
		if found {
			continue
		}
		if kv.Key == "caller" && def.usesCaller {
			caller = kv.Value
			continue
		}
		if !def.usesKwargs {
			return nil, st.errorf(off, "", "macro %q takes no keyword argument %q", def.Name, kv.Key)
		}
		if extra == nil {
			extra = NewDict()
		}
		_ = extra.Set(kv.Key, kv.Value)
	}
	if len(st.frames) == 0 {
		if o, ok := st.globals.(MacroObserver); ok {
			o.CalledMacro(m)
		}
	}
	st.frames = append(st.frames, frame{name: def.Name, caller: st.tmpl, off: off, pkg: st.pkg})
	prevTmpl, prevPkg := st.tmpl, st.pkg
	st.tmpl = def.Tmpl
	if def.Tmpl != nil {
		st.pkg = def.Tmpl.Package
	}
	defer func() {
		st.frames = st.frames[:len(st.frames)-1]
		st.tmpl, st.pkg = prevTmpl, prevPkg
	}()
	for i, p := range def.Params {
		if !bound[i] {
			if p.def != nil {
				v, err := st.eval(sc, p.def)
				if err != nil {
					return nil, err
				}
				vals[i] = v
			} else {
				vals[i] = Undefined{Name: fmt.Sprintf("parameter %q of macro %q was not given", p.name, def.Name), attr: true}
			}
		}
		sc.set(p.name, vals[i])
	}
	if def.usesVarargs {
		var rest Tuple
		if len(args) > len(def.Params) {
			rest = append(Tuple{}, args[len(def.Params):]...)
		} else {
			rest = Tuple{}
		}
		sc.set("varargs", rest)
	}
	if def.usesKwargs {
		if extra == nil {
			extra = NewDict()
		}
		sc.set("kwargs", extra)
	}
	if def.usesCaller {
		sc.set("caller", caller)
	}
	var b strings.Builder
	err := st.execBody(&b, sc, def.Body)
	if err != nil {
		if r, ok := err.(*returnSignal); ok {
			return r.v, nil
		}
		return nil, err
	}
	return b.String(), nil
}

// recursionError reports a macro call past the depth limit with the
// chain of calls: where it started, and the cycle that repeats.
func (st *state) recursionError(name string, off int) error {
	calls := make([]string, 0, len(st.frames)+1)
	for _, f := range st.frames {
		calls = append(calls, fmt.Sprintf("%s calls %q", f.caller.Position(f.off), f.name))
	}
	calls = append(calls, fmt.Sprintf("%s calls %q", st.position(off), name))
	// The shortest period with which the last calls repeat, and the first
	// call of the repeating part.
	period := 1
	for p := 1; p <= len(calls)/2; p++ {
		if calls[len(calls)-1] == calls[len(calls)-1-p] {
			period = p
			break
		}
	}
	first := max(len(calls)-2*period, 0)
	for first > 0 && calls[first-1] == calls[first-1+period] {
		first--
	}
	shown := calls[:min(len(calls), first+period)]
	msg := fmt.Sprintf("template error: macro calls nest more than %d deep: %s, and so on", st.env.maxDepth(), strings.Join(shown, ", "))
	return &renderError{pos: st.position(off), msg: msg,
		hint: "a macro that calls itself needs a condition that ends the recursion"}
}

// plural returns "1 argument", "2 arguments".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// looksLikePackage reports whether an undefined name read as a namespace
// (name.attr) could be a package's: a lower-case identifier, as dbt
// package names are (dbt_utils, codegen).
func looksLikePackage(name string) bool {
	if name == "" || name == poisoned || !(name[0] >= 'a' && name[0] <= 'z') {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

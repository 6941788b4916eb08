package jinja

import (
	"fmt"
	"math/big"
)

// maxRange bounds range(), as Jinja2's sandbox (which dbt uses) does.
const maxRange = 100_000

// builtinGlobals are Jinja2's global functions and dbt's return().
var builtinGlobals = map[string]any{
	"range":     Func(globalRange),
	"dict":      Func(globalDict),
	"namespace": Func(globalNamespace),
	"cycler":    Func(globalCycler),
	"joiner":    Func(globalJoiner),
	// return(value) ends the macro that calls it; the macro's call gives
	// value instead of the macro's text (dbt's return).
	"return": Func(func(c *Call) (any, error) {
		a, err := c.bind("return", "value?")
		if err != nil {
			return nil, err
		}
		return nil, &returnSignal{v: or(a[0], nil)}
	}),
}

func globalRange(c *Call) (any, error) {
	if len(c.Kwargs) > 0 {
		return nil, errf("range() takes no keyword arguments")
	}
	ints := make([]int, len(c.Args))
	for i, a := range c.Args {
		n, ok := toInt(a)
		if !ok {
			return nil, errf("range() needs integers, not %s", aType(a))
		}
		ints[i] = n
	}
	start, stop, step := 0, 0, 1
	switch len(ints) {
	case 1:
		stop = ints[0]
	case 2:
		start, stop = ints[0], ints[1]
	case 3:
		start, stop, step = ints[0], ints[1], ints[2]
	default:
		return nil, errf("range() takes 1 to 3 arguments, got %d", len(ints))
	}
	if step == 0 {
		return nil, errf("range() arg 3 must not be zero")
	}
	n := 0
	if step > 0 && stop > start {
		n = (stop - start + step - 1) / step
	} else if step < 0 && stop < start {
		n = (start - stop - step - 1) / -step
	}
	if n > maxRange {
		return nil, errf("range() of %d items is larger than the limit of %d", n, maxRange)
	}
	return &pyRange{start: start, stop: stop, step: step, n: n}, nil
}

// pyRange is Python's range: it iterates, indexes, slices and has a
// length as the list of its items does, and prints as range(0, 5).
type pyRange struct{ start, stop, step, n int }

// Items implements Iterable.
func (r *pyRange) Items() []any {
	items := make([]any, r.n)
	for i := range items {
		items[i] = r.start + i*r.step
	}
	return items
}

// Item implements Indexer: r[i].
func (r *pyRange) Item(key any) (any, bool) {
	if i, ok := index(key, r.n); ok {
		return r.start + i*r.step, true
	}
	return nil, false
}

// Len implements Sized: an empty range is false.
func (r *pyRange) Len() int { return r.n }

// String is Python's repr: range(0, 5), range(0, 10, 2).
func (r *pyRange) String() string {
	if r.step == 1 {
		return fmt.Sprintf("range(%d, %d)", r.start, r.stop)
	}
	return fmt.Sprintf("range(%d, %d, %d)", r.start, r.stop, r.step)
}

// PyType is "range".
func (r *pyRange) PyType() string { return "range" }

// EqualJinja is Python's range ==: the same items.
func (r *pyRange) EqualJinja(other any) bool {
	o, ok := other.(*pyRange)
	return ok && r.n == o.n && (r.n == 0 || r.start == o.start && (r.n == 1 || r.step == o.step))
}

// sliceRange is r[lo:hi:step]: the range of the items at idx.
func (r *pyRange) slice(idx []int) *pyRange {
	if len(idx) == 0 {
		return &pyRange{start: r.start, stop: r.start, step: r.step}
	}
	start := r.start + idx[0]*r.step
	step := r.step
	if len(idx) > 1 {
		step = (idx[1] - idx[0]) * r.step
	}
	return &pyRange{start: start, stop: start + len(idx)*step, step: step, n: len(idx)}
}

func globalDict(c *Call) (any, error) {
	d := NewDict()
	if len(c.Args) > 1 {
		return nil, errf("dict() takes at most 1 positional argument")
	}
	if len(c.Args) == 1 {
		if err := updateDict(d, c.Args[0]); err != nil {
			return nil, err
		}
	}
	for _, kv := range c.Kwargs {
		_ = d.Set(kv.Key, kv.Value)
	}
	return d, nil
}

func globalNamespace(c *Call) (any, error) {
	d, err := globalDict(c)
	if err != nil {
		return nil, err
	}
	return &Namespace{d: d.(*Dict)}, nil
}

// cycler is the object cycler(a, b, ...) returns.
type cycler struct {
	items []any
	pos   int
}

func (cy *cycler) Attr(name string) (any, bool) {
	switch name {
	case "next":
		return Func(func(*Call) (any, error) {
			v := cy.items[cy.pos]
			cy.pos = (cy.pos + 1) % len(cy.items)
			return v, nil
		}), true
	case "reset":
		return Func(func(*Call) (any, error) { cy.pos = 0; return nil, nil }), true
	case "current":
		return cy.items[cy.pos], true
	}
	return nil, false
}

func globalCycler(c *Call) (any, error) {
	if len(c.Args) == 0 {
		return nil, errf("cycler() needs at least one item")
	}
	return &cycler{items: c.Args}, nil
}

func globalJoiner(c *Call) (any, error) {
	a, err := c.bind("joiner", "sep?")
	if err != nil {
		return nil, err
	}
	sep := str(or(a[0], ", "))
	used := false
	return Func(func(*Call) (any, error) {
		if !used {
			used = true
			return "", nil
		}
		return sep, nil
	}), nil
}

// builtinTests are Jinja2's builtin tests.
var builtinTests = map[string]Test{}

func init() {
	t := builtinTests
	t["boolean"] = func(c *Call, v any) (bool, error) { _, ok := v.(bool); return ok, nil }
	t["callable"] = func(c *Call, v any) (bool, error) {
		switch x := v.(type) {
		case *Macro, Func, Callable:
			return true, nil
		case *loopValue:
			return x.recurse != nil, nil
		}
		return false, nil
	}
	t["defined"] = func(c *Call, v any) (bool, error) { _, undef := v.(Undefined); return !undef, nil }
	t["undefined"] = func(c *Call, v any) (bool, error) { _, undef := v.(Undefined); return undef, nil }
	t["divisibleby"] = func(c *Call, v any) (bool, error) {
		a, err := c.bind("divisibleby", "num")
		if err != nil {
			return false, err
		}
		r, err := binop("%", v, a[0])
		if err != nil {
			return false, err
		}
		return equalValues(r, 0), nil
	}
	t["even"] = func(c *Call, v any) (bool, error) {
		n, ok := toInt(v)
		if !ok {
			return false, errf("even needs an integer, not %s", aType(v))
		}
		return n%2 == 0, nil
	}
	t["odd"] = func(c *Call, v any) (bool, error) {
		n, ok := toInt(v)
		if !ok {
			return false, errf("odd needs an integer, not %s", aType(v))
		}
		return n%2 != 0, nil
	}
	t["escaped"] = func(c *Call, v any) (bool, error) { return false, nil }
	t["false"] = func(c *Call, v any) (bool, error) { return v == false, nil }
	t["true"] = func(c *Call, v any) (bool, error) { return v == true, nil }
	t["none"] = func(c *Call, v any) (bool, error) { return v == nil, nil }
	t["filter"] = func(c *Call, v any) (bool, error) {
		s, ok := v.(string)
		if !ok {
			return false, nil
		}
		_, has := c.st.env.filters[s]
		return has, nil
	}
	t["test"] = func(c *Call, v any) (bool, error) {
		s, ok := v.(string)
		if !ok {
			return false, nil
		}
		_, has := c.st.env.tests[s]
		return has, nil
	}
	t["float"] = func(c *Call, v any) (bool, error) { _, ok := v.(float64); return ok, nil }
	t["integer"] = func(c *Call, v any) (bool, error) {
		switch v.(type) {
		case int, *big.Int:
			return true, nil
		}
		return false, nil
	}
	t["number"] = func(c *Call, v any) (bool, error) { return isNumber(v), nil }
	t["string"] = func(c *Call, v any) (bool, error) { _, ok := v.(string); return ok, nil }
	t["mapping"] = func(c *Call, v any) (bool, error) {
		switch v.(type) {
		case *Dict, Mapping:
			return true, nil
		}
		return false, nil
	}
	t["iterable"] = func(c *Call, v any) (bool, error) {
		switch v.(type) {
		case Undefined:
			return true, nil
		}
		_, err := iterate(v)
		return err == nil, nil
	}
	t["sequence"] = func(c *Call, v any) (bool, error) {
		switch v.(type) {
		case string, *List, Tuple, *Dict, *pyRange:
			return true, nil
		}
		return false, nil
	}
	t["lower"] = func(c *Call, v any) (bool, error) {
		s, ok := v.(string)
		return ok && strIs(s, "islower"), nil
	}
	t["upper"] = func(c *Call, v any) (bool, error) {
		s, ok := v.(string)
		return ok && strIs(s, "isupper"), nil
	}
	t["sameas"] = func(c *Call, v any) (bool, error) {
		a, err := c.bind("sameas", "other")
		if err != nil {
			return false, err
		}
		switch x := v.(type) {
		case nil, bool:
			return v == a[0], nil
		case *List, *Dict, *Macro, *Namespace:
			return v == a[0], nil
		case int, string:
			return equalValues(x, a[0]) && typeName(x) == typeName(a[0]), nil
		}
		return false, nil
	}
	t["in"] = func(c *Call, v any) (bool, error) {
		a, err := c.bind("in", "seq")
		if err != nil {
			return false, err
		}
		return contains(a[0], v)
	}
	cmpTest := func(op string) Test {
		return func(c *Call, v any) (bool, error) {
			a, err := c.bind(op, "other")
			if err != nil {
				return false, err
			}
			return compare(op, v, a[0])
		}
	}
	for op, names := range map[string][]string{
		"==": {"eq", "equalto", "=="}, "!=": {"ne", "!="}, "<": {"lt", "lessthan", "<"},
		"<=": {"le", "<="}, ">": {"gt", "greaterthan", ">"}, ">=": {"ge", ">="},
	} {
		for _, n := range names {
			t[n] = cmpTest(op)
		}
	}
}

// applyFilter applies filter f (whose value is v) in scope sc.
func (st *state) applyFilter(sc *scope, f *filterExpr, v any) (any, error) {
	fn, ok := st.env.filters[f.name]
	if !ok {
		return nil, st.errorf(f.p, "", "unknown filter %q", f.name)
	}
	args, kwargs, err := st.evalArgs(sc, &f.args)
	if err != nil {
		return nil, err
	}
	r, err := fn(st.newCall(f.p, args, kwargs, nil), v)
	if err != nil {
		if _, isRender := err.(*renderError); isRender {
			return nil, err
		}
		return nil, st.errorf(f.p, "", "filter %s: %v", f.name, err)
	}
	return FromGo(r), nil
}

// applyTest applies test t to v in scope sc.
func (st *state) applyTest(sc *scope, t *testExpr, v any) (any, error) {
	fn, ok := st.env.tests[t.name]
	if !ok {
		return nil, st.errorf(t.p, "", "unknown test %q", t.name)
	}
	args, kwargs, err := st.evalArgs(sc, &t.args)
	if err != nil {
		return nil, err
	}
	r, err := fn(st.newCall(t.p, args, kwargs, nil), v)
	if err != nil {
		if _, isRender := err.(*renderError); isRender {
			return nil, err
		}
		return nil, st.errorf(t.p, "", "test %s: %v", t.name, err)
	}
	return r != t.negate, nil
}

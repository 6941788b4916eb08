package jinja

import (
	"fmt"
	"strconv"
	"strings"
)

func filterBatch(c *Call, v any) (any, error) {
	a, err := c.bind("batch", "linecount", "fill_with?")
	if err != nil {
		return nil, err
	}
	n, ok := toInt(a[0])
	if !ok || n <= 0 {
		return nil, errf("batch() needs a positive count")
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	var out []any
	for i := 0; i < len(items); i += n {
		row := append([]any(nil), items[i:min(i+n, len(items))]...)
		if len(row) < n && a[1] != absent {
			for len(row) < n {
				row = append(row, a[1])
			}
		}
		out = append(out, &List{Items: row})
	}
	return &List{Items: out}, nil
}

func filterDictsort(c *Call, v any) (any, error) {
	a, err := c.bind("dictsort", "case_sensitive?", "by?", "reverse?")
	if err != nil {
		return nil, err
	}
	d, ok := v.(*Dict)
	if !ok {
		return nil, errf("dictsort needs a dict, not %s", aType(v))
	}
	pos := 0
	switch or(a[1], "key") {
	case "key":
	case "value":
		pos = 1
	default:
		return nil, errf("you can only sort by either \"key\" or \"value\"")
	}
	cs := Truth(or(a[0], false))
	items := make([]any, d.Len())
	for i, k := range d.keys {
		items[i] = Tuple{k, d.vals[i]}
	}
	sorted, err := sortValues(items, Truth(or(a[2], false)), func(x any) (any, error) {
		return foldCase(x.(Tuple)[pos], cs), nil
	})
	if err != nil {
		return nil, err
	}
	return &List{Items: sorted}, nil
}

// foldCase lowercases strings when sorting is not case-sensitive.
func foldCase(v any, caseSensitive bool) any {
	if s, ok := v.(string); ok && !caseSensitive {
		return strings.ToLower(s)
	}
	return v
}

// attrGetter returns a function reading an attribute path ("a.b", or an
// integer index) of an item, with a default for undefined results.
func attrGetter(attr any, def any) func(any) (any, error) {
	var parts []any
	switch x := attr.(type) {
	case string:
		for _, p := range strings.Split(x, ".") {
			if n, err := strconv.Atoi(p); err == nil {
				parts = append(parts, n)
			} else {
				parts = append(parts, p)
			}
		}
	default:
		parts = []any{attr}
	}
	return func(it any) (any, error) {
		for _, p := range parts {
			var err error
			if it, err = getitem(it, p); err != nil {
				return nil, err
			}
			if _, undef := it.(Undefined); undef && def != nil {
				return def, nil
			}
		}
		return it, nil
	}
}

func filterMap(c *Call, v any) (any, error) {
	if v == nil {
		// Jinja2's map yields nothing for a false value (None).
		return NewList(), nil
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	var fn func(any) (any, error)
	if attr, ok := c.Kwarg("attribute"); ok {
		def, _ := c.Kwarg("default")
		fn = attrGetter(attr, def)
	} else {
		if len(c.Args) == 0 {
			return nil, errf("map needs a filter name or attribute=")
		}
		name, err := needStr("map", c.Args[0])
		if err != nil {
			return nil, err
		}
		filter, ok := c.st.env.filters[name]
		if !ok {
			return nil, errf("map: unknown filter %q", name)
		}
		sub := &Call{Pos: c.Pos, Args: c.Args[1:], Kwargs: c.Kwargs, st: c.st, off: c.off}
		fn = func(x any) (any, error) { return filter(sub, x) }
	}
	out := make([]any, len(items))
	for i, it := range items {
		if out[i], err = fn(it); err != nil {
			return nil, err
		}
	}
	return &List{Items: out}, nil
}

func minMax(c *Call, v any, which string) (any, error) {
	a, err := c.bind(which, "case_sensitive?", "attribute?")
	if err != nil {
		return nil, err
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return Undefined{Name: fmt.Sprintf("no %s item: the sequence is empty", which), attr: true}, nil
	}
	cs := Truth(or(a[0], false))
	key := func(x any) (any, error) { return foldCase(x, cs), nil }
	if a[1] != absent && a[1] != nil {
		get := attrGetter(a[1], nil)
		key = func(x any) (any, error) {
			y, err := get(x)
			return foldCase(y, cs), err
		}
	}
	sorted, err := sortValues(items, false, key)
	if err != nil {
		return nil, err
	}
	if which == "min" {
		return sorted[0], nil
	}
	// max returns the first of the largest, as Python's max does.
	best := sorted[len(sorted)-1]
	bk, _ := key(best)
	for _, it := range items {
		k, _ := key(it)
		if equalValues(k, bk) {
			return it, nil
		}
	}
	return best, nil
}

// selectReject implements select, reject, selectattr and rejectattr.
func selectReject(c *Call, v any, keep, byAttr bool) (any, error) {
	if v == nil {
		// As Jinja2's: nothing for a false value (None).
		return NewList(), nil
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	args := c.Args
	get := func(x any) (any, error) { return x, nil }
	if byAttr {
		if len(args) == 0 {
			return nil, errf("missing the attribute to test")
		}
		get = attrGetter(args[0], nil)
		args = args[1:]
	}
	test := func(x any) (bool, error) { return Truth(x), nil }
	if len(args) > 0 {
		name, err := needStr("select", args[0])
		if err != nil {
			return nil, err
		}
		t, ok := c.st.env.tests[name]
		if !ok {
			return nil, errf("unknown test %q", name)
		}
		sub := &Call{Pos: c.Pos, Args: args[1:], Kwargs: c.Kwargs, st: c.st, off: c.off}
		test = func(x any) (bool, error) { return t(sub, x) }
	}
	var out []any
	for _, it := range items {
		x, err := get(it)
		if err != nil {
			return nil, err
		}
		ok, err := test(x)
		if err != nil {
			return nil, err
		}
		if ok == keep {
			out = append(out, it)
		}
	}
	return &List{Items: out}, nil
}

func filterSlice(c *Call, v any) (any, error) {
	a, err := c.bind("slice", "slices", "fill_with?")
	if err != nil {
		return nil, err
	}
	n, ok := toInt(a[0])
	if !ok || n <= 0 {
		return nil, errf("slice() needs a positive number of slices")
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	per := len(items) / n
	extra := len(items) % n
	offset := 0
	var out []any
	for i := 0; i < n; i++ {
		start := offset + i*per
		if i < extra {
			offset++
		}
		end := offset + (i+1)*per
		col := append([]any(nil), items[start:end]...)
		if a[1] != absent && i >= extra {
			col = append(col, a[1])
		}
		out = append(out, &List{Items: col})
	}
	return &List{Items: out}, nil
}

func filterSort(c *Call, v any) (any, error) {
	a, err := c.bind("sort", "reverse?", "case_sensitive?", "attribute?")
	if err != nil {
		return nil, err
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	cs := Truth(or(a[1], false))
	var get func(any) (any, error)
	if attr, ok := a[2].(string); ok && strings.Contains(attr, ",") {
		// Several attributes, comma-separated: sort by all of them.
		var gets []func(any) (any, error)
		for _, part := range strings.Split(attr, ",") {
			gets = append(gets, attrGetter(strings.TrimSpace(part), nil))
		}
		get = func(x any) (any, error) {
			key := make(Tuple, len(gets))
			for i, g := range gets {
				v, err := g(x)
				if err != nil {
					return nil, err
				}
				key[i] = foldCase(v, cs)
			}
			return key, nil
		}
	} else if a[2] != absent && a[2] != nil {
		get = attrGetter(a[2], nil)
	}
	sorted, err := sortValues(items, Truth(or(a[0], false)), func(x any) (any, error) {
		if get != nil {
			var err error
			if x, err = get(x); err != nil {
				return nil, err
			}
		}
		return foldCase(x, cs), nil
	})
	if err != nil {
		return nil, err
	}
	return &List{Items: sorted}, nil
}

func filterSum(c *Call, v any) (any, error) {
	a, err := c.bind("sum", "attribute?", "start?")
	if err != nil {
		return nil, err
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	var total any = or(a[1], 0)
	get := func(x any) (any, error) { return x, nil }
	if a[0] != absent && a[0] != nil {
		get = attrGetter(a[0], nil)
	}
	for _, it := range items {
		x, err := get(it)
		if err != nil {
			return nil, err
		}
		if total, err = binop("+", total, x); err != nil {
			return nil, err
		}
	}
	return total, nil
}

func filterUnique(c *Call, v any) (any, error) {
	a, err := c.bind("unique", "case_sensitive?", "attribute?")
	if err != nil {
		return nil, err
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	cs := Truth(or(a[0], false))
	get := func(x any) (any, error) { return x, nil }
	if a[1] != absent && a[1] != nil {
		get = attrGetter(a[1], nil)
	}
	var out, seen []any
	for _, it := range items {
		k, err := get(it)
		if err != nil {
			return nil, err
		}
		k = foldCase(k, cs)
		dup := false
		for _, s := range seen {
			if equalValues(s, k) {
				dup = true
				break
			}
		}
		if !dup {
			seen = append(seen, k)
			out = append(out, it)
		}
	}
	return &List{Items: out}, nil
}

// namedTuple is a tuple whose items also have names, like the results of
// groupby (grouper, list).
type namedTuple struct {
	names []string
	vals  Tuple
}

func (n *namedTuple) Attr(name string) (any, bool) {
	for i, k := range n.names {
		if k == name {
			return n.vals[i], true
		}
	}
	return nil, false
}

func (n *namedTuple) Items() []any   { return n.vals }
func (n *namedTuple) String() string { return repr(n.vals) }

func filterGroupby(c *Call, v any) (any, error) {
	a, err := c.bind("groupby", "attribute", "default?", "case_sensitive?")
	if err != nil {
		return nil, err
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	cs := Truth(or(a[2], false))
	var def any
	if a[1] != absent {
		def = a[1]
	}
	get := attrGetter(a[0], def)
	key := func(x any) (any, error) {
		k, err := get(x)
		return foldCase(k, cs), err
	}
	sorted, err := sortValues(items, false, key)
	if err != nil {
		return nil, err
	}
	var out []any
	var cur *namedTuple
	var curKey any
	for _, it := range sorted {
		k, _ := key(it)
		if cur == nil || !equalValues(k, curKey) {
			g, _ := get(it)
			cur = &namedTuple{names: []string{"grouper", "list"}, vals: Tuple{g, &List{}}}
			curKey = k
			out = append(out, cur)
		}
		l := cur.vals[1].(*List)
		l.Items = append(l.Items, it)
	}
	return &List{Items: out}, nil
}

package jinja

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Attribute and item access, as Jinja2's environment does it: x.name
// tries the attribute (methods included) and then the item x['name'];
// x[key] tries the item and then, for a string key, the attribute. What
// is missing is Undefined, describing what was looked for.

// getattr returns obj.name.
func getattr(obj any, name string) any {
	if v, ok := attribute(obj, name); ok {
		return v
	}
	if v, ok := item(obj, name); ok {
		return v
	}
	return missingAttr(obj, name)
}

func missingAttr(obj any, name string) Undefined {
	if len(name) > 4 && strings.HasPrefix(name, "__") && strings.HasSuffix(name, "__") {
		// Python's special attributes, which dbt's sandboxed Jinja refuses.
		return Undefined{Name: fmt.Sprintf("access to attribute %q of %s is unsafe: dbt's Jinja is sandboxed (to test a value's type, use the tests is string, is number, is mapping, is sequence)", name, aType(obj)), attr: true}
	}
	return Undefined{Name: fmt.Sprintf("%s has no attribute %q", describe(obj), name), attr: true}
}

// describe names a value's type for messages: "the dict", "the str 'abc'".
func describe(v any) string {
	switch x := v.(type) {
	case string:
		s := x
		if utf8.RuneCountInString(s) > 30 {
			s = string([]rune(s)[:30]) + "..."
		}
		return "the str " + quotePy(s)
	case nil:
		return "None"
	}
	return "the " + typeName(v)
}

// attribute returns a real attribute of obj: a method of a str, list or
// dict, a Getter's attribute.
func attribute(obj any, name string) (any, bool) {
	switch x := obj.(type) {
	case string:
		return strMethod(x, name)
	case *List:
		return listMethod(x, name)
	case Tuple:
		return tupleMethod(x, name)
	case *Dict:
		return dictMethod(x, name)
	case Getter:
		v, ok := x.Attr(name)
		if !ok && name == "get" {
			if m, isMap := x.(Mapping); isMap {
				return mappingGet(m), true
			}
		}
		return v, ok
	case int:
		switch name {
		case "real", "numerator":
			return x, true
		case "imag":
			return 0, true
		case "denominator":
			return 1, true
		}
	case float64:
		switch name {
		case "real":
			return x, true
		case "imag":
			return 0.0, true
		case "is_integer":
			return Func(func(*Call) (any, error) { return x == float64(int(x)), nil }), true
		}
	}
	return nil, false
}

// item returns obj[key] without falling back to attributes.
func item(obj any, key any) (any, bool) {
	switch x := obj.(type) {
	case *Dict:
		return x.Get(key)
	case *List:
		if i, ok := index(key, len(x.Items)); ok {
			return x.Items[i], true
		}
	case Tuple:
		if i, ok := index(key, len(x)); ok {
			return x[i], true
		}
	case string:
		if _, isInt := toInt(key); isInt {
			r := []rune(x)
			if i, ok := index(key, len(r)); ok {
				return string(r[i]), true
			}
		}
	case *Namespace:
		return x.d.Get(key)
	case Indexer:
		return x.Item(key)
	case Getter:
		if s, ok := key.(string); ok {
			return x.Attr(s)
		}
	}
	return nil, false
}

// index resolves a Python index (negative from the end) into [0, n).
func index(key any, n int) (int, bool) {
	i, ok := toInt(key)
	if !ok {
		return 0, false
	}
	if i < 0 {
		i += n
	}
	return i, i >= 0 && i < n
}

// getitem returns obj[key]: the item, else for a string key the
// attribute, else Undefined.
func getitem(obj any, key any) (any, error) {
	if v, ok := item(obj, key); ok {
		return v, nil
	}
	if s, ok := key.(string); ok {
		if v, ok := attribute(obj, s); ok {
			return v, nil
		}
	}
	if _, err := hashKey(key); err != nil {
		if _, isDict := obj.(*Dict); isDict {
			return nil, err
		}
	}
	return Undefined{Name: fmt.Sprintf("%s has no item %s", describe(obj), repr(key)), attr: true}, nil
}

// slice returns obj[lo:hi:step] of a list, tuple or string.
func slice(obj any, lo, hi, step any) (any, error) {
	var n int
	var runes []rune
	switch x := obj.(type) {
	case *List:
		n = len(x.Items)
	case Tuple:
		n = len(x)
	case string:
		runes = []rune(x)
		n = len(runes)
	case *pyRange:
		n = x.n
	default:
		return nil, errf("%s cannot be sliced", aType(obj))
	}
	idx, err := sliceIndexes(n, lo, hi, step)
	if err != nil {
		return nil, err
	}
	switch x := obj.(type) {
	case *pyRange:
		return x.slice(idx), nil
	case *List:
		out := make([]any, len(idx))
		for i, j := range idx {
			out[i] = x.Items[j]
		}
		return &List{Items: out}, nil
	case Tuple:
		out := make(Tuple, len(idx))
		for i, j := range idx {
			out[i] = x[j]
		}
		return out, nil
	}
	out := make([]rune, len(idx))
	for i, j := range idx {
		out[i] = runes[j]
	}
	return string(out), nil
}

// sliceIndexes returns the indexes Python's slice lo:hi:step selects in a
// sequence of length n.
func sliceIndexes(n int, lo, hi, step any) ([]int, error) {
	st := 1
	if step != nil {
		s, ok := toInt(step)
		if !ok {
			return nil, errf("slice indices must be integers or None")
		}
		if s == 0 {
			return nil, errf("slice step cannot be zero")
		}
		st = s
	}
	bound := func(v any, def int) (int, error) {
		if v == nil {
			return def, nil
		}
		i, ok := toInt(v)
		if !ok {
			return 0, errf("slice indices must be integers or None")
		}
		if i < 0 {
			i += n
			if i < 0 {
				if st < 0 {
					return -1, nil
				}
				return 0, nil
			}
		}
		if i >= n {
			if st < 0 {
				return n - 1, nil
			}
			return n, nil
		}
		return i, nil
	}
	var start, stop int
	var err error
	if st > 0 {
		if start, err = bound(lo, 0); err != nil {
			return nil, err
		}
		if stop, err = bound(hi, n); err != nil {
			return nil, err
		}
	} else {
		if start, err = bound(lo, n-1); err != nil {
			return nil, err
		}
		if stop, err = bound(hi, -1); err != nil {
			return nil, err
		}
	}
	var out []int
	for i := start; (st > 0 && i < stop) || (st < 0 && i > stop); i += st {
		out = append(out, i)
	}
	return out, nil
}

// mappingGet is the get method of a Mapping without its own.
func mappingGet(m Mapping) Func {
	return func(c *Call) (any, error) {
		a, err := c.bind("get", "key", "default?")
		if err != nil {
			return nil, err
		}
		if k, ok := a[0].(string); ok {
			if v, ok := m.Attr(k); ok {
				return v, nil
			}
		}
		return or(a[1], nil), nil
	}
}

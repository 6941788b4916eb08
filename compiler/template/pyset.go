package template

import (
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// pySet is the value of dbt's set() and set_strict(): Python's set. Its
// items keep the order they were added in (for printing and loops), but
// == ignores the order, as Python's does: dbt_utils' equality test
// compares the column sets of two relations with !=.
type pySet struct {
	items []any
	index map[string]int
}

func newSet(items []any) *pySet {
	s := &pySet{index: map[string]int{}}
	for _, it := range items {
		s.add(it)
	}
	return s
}

// setKey identifies an item: Python's hash equality for the values
// templates put in sets (strings, numbers, booleans, None, tuples).
func setKey(v any) string {
	switch x := v.(type) {
	case int:
		return fmt.Sprintf("n:%d", x)
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprintf("n:%d", int64(x))
		}
		return fmt.Sprintf("n:%v", x)
	case bool:
		if x {
			return "n:1"
		}
		return "n:0"
	}
	return fmt.Sprintf("%T:%s", v, jinja.Str(v))
}

func (s *pySet) add(v any) {
	k := setKey(v)
	if _, ok := s.index[k]; ok {
		return
	}
	s.index[k] = len(s.items)
	s.items = append(s.items, v)
}

func (s *pySet) has(v any) bool {
	_, ok := s.index[setKey(v)]
	return ok
}

// Items implements jinja.Iterable.
func (s *pySet) Items() []any { return append([]any(nil), s.items...) }

// Len implements jinja.Sized: an empty set is false.
func (s *pySet) Len() int { return len(s.items) }

// EqualJinja implements jinja.Equaler: the same items, in any order.
func (s *pySet) EqualJinja(other any) bool {
	o, ok := other.(*pySet)
	if !ok || len(o.items) != len(s.items) {
		return false
	}
	for _, it := range s.items {
		if !o.has(it) {
			return false
		}
	}
	return true
}

// String is Python's repr of a set: {'a', 'b'}, set() when empty.
func (s *pySet) String() string {
	if len(s.items) == 0 {
		return "set()"
	}
	parts := make([]string, len(s.items))
	for i, it := range s.items {
		if str, ok := it.(string); ok {
			parts[i] = "'" + strings.ReplaceAll(str, "'", `\'`) + "'"
		} else {
			parts[i] = jinja.Str(it)
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// Attr implements jinja.Getter: the methods of Python's set.
func (s *pySet) Attr(name string) (any, bool) {
	others := func(c *jinja.Call) ([]*pySet, error) {
		var out []*pySet
		for _, a := range c.Args {
			items, ok := sequence(a)
			if !ok {
				return nil, fmt.Errorf("set.%s(): %s is not iterable", name, jinja.Str(a))
			}
			out = append(out, newSet(items))
		}
		return out, nil
	}
	method := func(f func(c *jinja.Call, os []*pySet) (any, error)) (any, bool) {
		return jinja.Func(func(c *jinja.Call) (any, error) {
			os, err := others(c)
			if err != nil {
				return nil, err
			}
			return f(c, os)
		}), true
	}
	switch name {
	case "add":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			if len(c.Args) != 1 {
				return nil, fmt.Errorf("set.add() takes one item")
			}
			s.add(c.Args[0])
			return nil, nil
		}), true
	case "discard", "remove":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			if len(c.Args) != 1 {
				return nil, fmt.Errorf("set.%s() takes one item", name)
			}
			if !s.has(c.Args[0]) {
				if name == "remove" {
					return nil, fmt.Errorf("set.remove(): %s is not in the set", jinja.Str(c.Args[0]))
				}
				return nil, nil
			}
			var keep []any
			k := setKey(c.Args[0])
			for _, it := range s.items {
				if setKey(it) != k {
					keep = append(keep, it)
				}
			}
			*s = *newSet(keep)
			return nil, nil
		}), true
	case "update":
		return method(func(_ *jinja.Call, os []*pySet) (any, error) {
			for _, o := range os {
				for _, it := range o.items {
					s.add(it)
				}
			}
			return nil, nil
		})
	case "copy":
		return jinja.Func(func(*jinja.Call) (any, error) { return newSet(s.items), nil }), true
	case "union":
		return method(func(_ *jinja.Call, os []*pySet) (any, error) {
			out := newSet(s.items)
			for _, o := range os {
				for _, it := range o.items {
					out.add(it)
				}
			}
			return out, nil
		})
	case "intersection", "difference":
		return method(func(_ *jinja.Call, os []*pySet) (any, error) {
			var keep []any
		items:
			for _, it := range s.items {
				for _, o := range os {
					if o.has(it) != (name == "intersection") {
						continue items
					}
				}
				keep = append(keep, it)
			}
			return newSet(keep), nil
		})
	case "symmetric_difference":
		return method(func(_ *jinja.Call, os []*pySet) (any, error) {
			if len(os) != 1 {
				return nil, fmt.Errorf("set.symmetric_difference() takes one iterable")
			}
			out := newSet(nil)
			for _, it := range s.items {
				if !os[0].has(it) {
					out.add(it)
				}
			}
			for _, it := range os[0].items {
				if !s.has(it) {
					out.add(it)
				}
			}
			return out, nil
		})
	case "issubset", "issuperset", "isdisjoint":
		return method(func(_ *jinja.Call, os []*pySet) (any, error) {
			if len(os) != 1 {
				return nil, fmt.Errorf("set.%s() takes one iterable", name)
			}
			a, b := s, os[0]
			if name == "issuperset" {
				a, b = b, a
			}
			for _, it := range a.items {
				if b.has(it) == (name == "isdisjoint") {
					return false, nil
				}
			}
			return true, nil
		})
	}
	return nil, false
}

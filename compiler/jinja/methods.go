package jinja

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Python's methods of str, list, tuple and dict, as templates call them:
// 'a,b'.split(','), cols.append(c), d.items(), d.get('k', 'default').

// absent marks an optional argument that was not given.
type absentT struct{}

var absent = absentT{}

// bind matches a call's arguments to parameters; a name ending in "?" is
// optional and absent when not given. fn names the callee in errors.
func (c *Call) bind(fn string, names ...string) ([]any, error) {
	out := make([]any, len(names))
	for i := range out {
		out[i] = absent
	}
	if len(c.Args) > len(names) {
		return nil, errf("%s() takes at most %d arguments (%d given)", fn, len(names), len(c.Args))
	}
	copy(out, c.Args)
	for _, kv := range c.Kwargs {
		found := false
		for i, n := range names {
			if strings.TrimSuffix(n, "?") == kv.Key {
				if i < len(c.Args) {
					return nil, errf("%s() got multiple values for argument %q", fn, kv.Key)
				}
				out[i], found = kv.Value, true
				break
			}
		}
		if !found {
			return nil, errf("%s() got an unexpected keyword argument %q", fn, kv.Key)
		}
	}
	for i, n := range names {
		if out[i] == absent && !strings.HasSuffix(n, "?") {
			return nil, errf("%s() is missing the argument %q", fn, n)
		}
	}
	return out, nil
}

// or returns v, or def when v is absent.
func or(v, def any) any {
	if v == absent {
		return def
	}
	return v
}

func method(fn func(c *Call) (any, error)) (any, bool) { return Func(fn), true }

func needStr(fn string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", errf("%s() needs a string, not %s", fn, aType(v))
	}
	return s, nil
}

func strMethod(s, name string) (any, bool) {
	switch name {
	case "lower":
		return method(func(*Call) (any, error) { return strings.ToLower(s), nil })
	case "upper":
		return method(func(*Call) (any, error) { return strings.ToUpper(s), nil })
	case "casefold":
		return method(func(*Call) (any, error) { return strings.ToLower(s), nil })
	case "swapcase":
		return method(func(*Call) (any, error) {
			return strings.Map(func(r rune) rune {
				if unicode.IsUpper(r) {
					return unicode.ToLower(r)
				}
				return unicode.ToUpper(r)
			}, s), nil
		})
	case "title":
		return method(func(*Call) (any, error) { return pyTitle(s), nil })
	case "capitalize":
		return method(func(*Call) (any, error) { return capitalize(s), nil })
	case "strip", "lstrip", "rstrip":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "chars?")
			if err != nil {
				return nil, err
			}
			return pyStrip(s, name, a[0])
		})
	case "split", "rsplit":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "sep?", "maxsplit?")
			if err != nil {
				return nil, err
			}
			max := -1
			if m, ok := toInt(or(a[1], -1)); ok {
				max = m
			}
			sep := or(a[0], nil)
			if sep == nil {
				return strList(splitWhitespace(s, max, name == "rsplit")), nil
			}
			sp, err := needStr(name, sep)
			if err != nil {
				return nil, err
			}
			if sp == "" {
				return nil, errf("empty separator")
			}
			if name == "rsplit" && max >= 0 {
				parts := strings.Split(s, sp)
				if len(parts) > max+1 {
					head := strings.Join(parts[:len(parts)-max], sp)
					parts = append([]string{head}, parts[len(parts)-max:]...)
				}
				return strList(parts), nil
			}
			return strList(strings.SplitN(s, sp, maxOrAll(max))), nil
		})
	case "splitlines":
		return method(func(*Call) (any, error) {
			lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
			if len(lines) > 0 && lines[len(lines)-1] == "" {
				lines = lines[:len(lines)-1]
			}
			return strList(lines), nil
		})
	case "replace":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "old", "new", "count?")
			if err != nil {
				return nil, err
			}
			old, err := needStr(name, a[0])
			if err != nil {
				return nil, err
			}
			nw, err := needStr(name, a[1])
			if err != nil {
				return nil, err
			}
			n, _ := toInt(or(a[2], -1))
			return strings.Replace(s, old, nw, n), nil
		})
	case "startswith", "endswith":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "prefix")
			if err != nil {
				return nil, err
			}
			var cands []any
			if t, ok := a[0].(Tuple); ok {
				cands = t
			} else {
				cands = []any{a[0]}
			}
			for _, x := range cands {
				p, err := needStr(name, x)
				if err != nil {
					return nil, err
				}
				if name == "startswith" && strings.HasPrefix(s, p) || name == "endswith" && strings.HasSuffix(s, p) {
					return true, nil
				}
			}
			return false, nil
		})
	case "removeprefix", "removesuffix":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "affix")
			if err != nil {
				return nil, err
			}
			p, err := needStr(name, a[0])
			if err != nil {
				return nil, err
			}
			if name == "removeprefix" {
				return strings.TrimPrefix(s, p), nil
			}
			return strings.TrimSuffix(s, p), nil
		})
	case "find", "rfind", "index", "rindex", "count":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "sub")
			if err != nil {
				return nil, err
			}
			sub, err := needStr(name, a[0])
			if err != nil {
				return nil, err
			}
			var i int
			switch name {
			case "count":
				if sub == "" {
					return utf8.RuneCountInString(s) + 1, nil
				}
				return strings.Count(s, sub), nil
			case "find", "index":
				i = strings.Index(s, sub)
			default:
				i = strings.LastIndex(s, sub)
			}
			if i < 0 {
				if name == "index" || name == "rindex" {
					return nil, errf("substring not found")
				}
				return -1, nil
			}
			return utf8.RuneCountInString(s[:i]), nil
		})
	case "join":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "iterable")
			if err != nil {
				return nil, err
			}
			items, err := iterate(a[0])
			if err != nil {
				return nil, err
			}
			parts := make([]string, len(items))
			for i, it := range items {
				p, ok := it.(string)
				if !ok {
					return nil, errf("join() expects strings; item %d is %s", i, aType(it))
				}
				parts[i] = p
			}
			return strings.Join(parts, s), nil
		})
	case "format":
		return method(func(c *Call) (any, error) { return pyFormat(s, c.Args, c.Kwargs) })
	case "zfill":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "width")
			if err != nil {
				return nil, err
			}
			w, _ := toInt(a[0])
			n := utf8.RuneCountInString(s)
			if n >= w {
				return s, nil
			}
			sign := ""
			rest := s
			if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
				sign, rest = s[:1], s[1:]
			}
			return sign + strings.Repeat("0", w-n) + rest, nil
		})
	case "expandtabs":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "tabsize?")
			if err != nil {
				return nil, err
			}
			size, _ := toInt(or(a[0], 8))
			return expandTabs(s, size), nil
		})
	case "ljust", "rjust", "center":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "width", "fillchar?")
			if err != nil {
				return nil, err
			}
			w, _ := toInt(a[0])
			fill, _ := or(a[1], " ").(string)
			return pad(s, w, fill, name), nil
		})
	case "partition", "rpartition":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "sep")
			if err != nil {
				return nil, err
			}
			sep, err := needStr(name, a[0])
			if err != nil {
				return nil, err
			}
			i := strings.Index(s, sep)
			if name == "rpartition" {
				i = strings.LastIndex(s, sep)
			}
			if i < 0 {
				if name == "rpartition" {
					return Tuple{"", "", s}, nil
				}
				return Tuple{s, "", ""}, nil
			}
			return Tuple{s[:i], sep, s[i+len(sep):]}, nil
		})
	case "isdigit", "isnumeric", "isdecimal", "isalpha", "isalnum", "isspace", "isupper", "islower", "isidentifier":
		return method(func(*Call) (any, error) { return strIs(s, name), nil })
	}
	return nil, false
}

func maxOrAll(max int) int {
	if max < 0 {
		return -1
	}
	return max + 1
}

func strList(parts []string) *List {
	items := make([]any, len(parts))
	for i, p := range parts {
		items[i] = p
	}
	return &List{Items: items}
}

// splitWhitespace is Python's str.split() without a separator.
func splitWhitespace(s string, max int, fromRight bool) []string {
	fields := strings.Fields(s)
	if max < 0 || len(fields) <= max+1 {
		return fields
	}
	if !fromRight {
		// Keep the rest of the string after the max-th field as written.
		rest := s
		var out []string
		for i := 0; i < max; i++ {
			rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
			j := strings.IndexFunc(rest, unicode.IsSpace)
			out = append(out, rest[:j])
			rest = rest[j:]
		}
		return append(out, strings.TrimLeftFunc(rest, unicode.IsSpace))
	}
	rest := s
	var out []string
	for i := 0; i < max; i++ {
		rest = strings.TrimRightFunc(rest, unicode.IsSpace)
		j := strings.LastIndexFunc(rest, unicode.IsSpace)
		out = append([]string{rest[j+1:]}, out...)
		rest = rest[:j+1]
	}
	return append([]string{strings.TrimRightFunc(rest, unicode.IsSpace)}, out...)
}

func pyStrip(s, how string, chars any) (any, error) {
	if chars == absent || chars == nil {
		switch how {
		case "lstrip":
			return strings.TrimLeftFunc(s, unicode.IsSpace), nil
		case "rstrip":
			return strings.TrimRightFunc(s, unicode.IsSpace), nil
		}
		return strings.TrimSpace(s), nil
	}
	cs, err := needStr(how, chars)
	if err != nil {
		return nil, err
	}
	switch how {
	case "lstrip":
		return strings.TrimLeft(s, cs), nil
	case "rstrip":
		return strings.TrimRight(s, cs), nil
	}
	return strings.Trim(s, cs), nil
}

// pyTitle is Python's str.title(): a letter following a non-letter is
// uppercased, the others lowercased.
func pyTitle(s string) string {
	var b strings.Builder
	prevLetter := false
	for _, r := range s {
		if unicode.IsLetter(r) {
			if prevLetter {
				b.WriteRune(unicode.ToLower(r))
			} else {
				b.WriteRune(unicode.ToUpper(r))
			}
			prevLetter = true
		} else {
			b.WriteRune(r)
			prevLetter = false
		}
	}
	return b.String()
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + strings.ToLower(s[n:])
}

func pad(s string, w int, fill string, how string) string {
	n := utf8.RuneCountInString(s)
	if n >= w || fill == "" {
		return s
	}
	total := w - n
	switch how {
	case "ljust":
		return s + strings.Repeat(fill, total)
	case "rjust":
		return strings.Repeat(fill, total) + s
	}
	left := total / 2
	if total%2 == 1 && w%2 == 1 {
		left++
	}
	return strings.Repeat(fill, left) + s + strings.Repeat(fill, total-left)
}

func strIs(s, name string) bool {
	if s == "" {
		return false
	}
	if name == "isidentifier" {
		for i, r := range s {
			if !(r == '_' || unicode.IsLetter(r) || i > 0 && unicode.IsDigit(r)) {
				return false
			}
		}
		return true
	}
	cased := false
	for _, r := range s {
		switch name {
		case "isdigit", "isnumeric", "isdecimal":
			if !unicode.IsDigit(r) {
				return false
			}
		case "isalpha":
			if !unicode.IsLetter(r) {
				return false
			}
		case "isalnum":
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		case "isspace":
			if !unicode.IsSpace(r) {
				return false
			}
		case "isupper":
			if unicode.IsLower(r) {
				return false
			}
			cased = cased || unicode.IsUpper(r)
		case "islower":
			if unicode.IsUpper(r) {
				return false
			}
			cased = cased || unicode.IsLower(r)
		}
	}
	if name == "isupper" || name == "islower" {
		return cased
	}
	return true
}

func listMethod(l *List, name string) (any, bool) {
	switch name {
	case "append":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "item")
			if err != nil {
				return nil, err
			}
			l.Items = append(l.Items, a[0])
			return nil, nil
		})
	case "extend":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "iterable")
			if err != nil {
				return nil, err
			}
			items, err := iterate(a[0])
			if err != nil {
				return nil, err
			}
			l.Items = append(l.Items, items...)
			return nil, nil
		})
	case "insert":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "index", "item")
			if err != nil {
				return nil, err
			}
			i, ok := toInt(a[0])
			if !ok {
				return nil, errf("insert() needs an integer index")
			}
			n := len(l.Items)
			if i < 0 {
				i = max(i+n, 0)
			}
			i = min(i, n)
			l.Items = append(l.Items, nil)
			copy(l.Items[i+1:], l.Items[i:])
			l.Items[i] = a[1]
			return nil, nil
		})
	case "pop":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "index?")
			if err != nil {
				return nil, err
			}
			if len(l.Items) == 0 {
				return nil, errf("pop from empty list")
			}
			i, ok := index(or(a[0], -1), len(l.Items))
			if !ok {
				return nil, errf("pop index out of range")
			}
			v := l.Items[i]
			l.Items = append(l.Items[:i], l.Items[i+1:]...)
			return v, nil
		})
	case "remove":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "value")
			if err != nil {
				return nil, err
			}
			for i, it := range l.Items {
				if equalValues(it, a[0]) {
					l.Items = append(l.Items[:i], l.Items[i+1:]...)
					return nil, nil
				}
			}
			return nil, errf("list.remove(x): x not in list")
		})
	case "index", "count":
		return seqMethod(l.Items, name)
	case "reverse":
		return method(func(*Call) (any, error) {
			for i, j := 0, len(l.Items)-1; i < j; i, j = i+1, j-1 {
				l.Items[i], l.Items[j] = l.Items[j], l.Items[i]
			}
			return nil, nil
		})
	case "sort":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "key?", "reverse?")
			if err != nil {
				return nil, err
			}
			if a[0] != absent && a[0] != nil {
				return nil, errf("sort(key=...) is not supported; use the sort filter with attribute=")
			}
			sorted, err := sortValues(l.Items, Truth(or(a[1], false)), nil)
			if err != nil {
				return nil, err
			}
			copy(l.Items, sorted)
			return nil, nil
		})
	case "copy":
		return method(func(*Call) (any, error) { return &List{Items: append([]any(nil), l.Items...)}, nil })
	case "clear":
		return method(func(*Call) (any, error) { l.Items = l.Items[:0]; return nil, nil })
	}
	return nil, false
}

func tupleMethod(t Tuple, name string) (any, bool) {
	switch name {
	case "index", "count":
		return seqMethod(t, name)
	}
	return nil, false
}

func seqMethod(items []any, name string) (any, bool) {
	return method(func(c *Call) (any, error) {
		a, err := c.bind(name, "value")
		if err != nil {
			return nil, err
		}
		n := 0
		for i, it := range items {
			if equalValues(it, a[0]) {
				if name == "index" {
					return i, nil
				}
				n++
			}
		}
		if name == "index" {
			return nil, errf("%s is not in the list", repr(a[0]))
		}
		return n, nil
	})
}

func dictMethod(d *Dict, name string) (any, bool) {
	switch name {
	case "items":
		return method(func(*Call) (any, error) {
			items := make([]any, len(d.keys))
			for i, k := range d.keys {
				items[i] = Tuple{k, d.vals[i]}
			}
			return &List{Items: items}, nil
		})
	case "keys":
		return method(func(*Call) (any, error) { return &List{Items: append([]any(nil), d.keys...)}, nil })
	case "values":
		return method(func(*Call) (any, error) { return &List{Items: append([]any(nil), d.vals...)}, nil })
	case "get":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "key", "default?")
			if err != nil {
				return nil, err
			}
			if v, ok := d.Get(a[0]); ok {
				return v, nil
			}
			return or(a[1], nil), nil
		})
	case "pop":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "key", "default?")
			if err != nil {
				return nil, err
			}
			if v, ok := d.Get(a[0]); ok {
				d.Delete(a[0])
				return v, nil
			}
			if a[1] == absent {
				return nil, errf("key %s is not in the dict", repr(a[0]))
			}
			return a[1], nil
		})
	case "setdefault":
		return method(func(c *Call) (any, error) {
			a, err := c.bind(name, "key", "default?")
			if err != nil {
				return nil, err
			}
			if v, ok := d.Get(a[0]); ok {
				return v, nil
			}
			v := or(a[1], nil)
			return v, d.Set(a[0], v)
		})
	case "update":
		return method(func(c *Call) (any, error) {
			if len(c.Args) > 1 {
				return nil, errf("update() takes at most 1 positional argument")
			}
			if len(c.Args) == 1 {
				if err := updateDict(d, c.Args[0]); err != nil {
					return nil, err
				}
			}
			for _, kv := range c.Kwargs {
				if err := d.Set(kv.Key, kv.Value); err != nil {
					return nil, err
				}
			}
			return nil, nil
		})
	case "copy":
		return method(func(*Call) (any, error) { return d.copy(), nil })
	case "clear":
		return method(func(*Call) (any, error) {
			d.keys, d.vals, d.index = nil, nil, map[any]int{}
			return nil, nil
		})
	case "popitem":
		return method(func(*Call) (any, error) {
			if len(d.keys) == 0 {
				return nil, errf("popitem(): dictionary is empty")
			}
			k, v := d.keys[len(d.keys)-1], d.vals[len(d.vals)-1]
			d.Delete(k)
			return Tuple{k, v}, nil
		})
	}
	return nil, false
}

// updateDict merges a dict, or a sequence of pairs, into d.
func updateDict(d *Dict, other any) error {
	switch o := other.(type) {
	case *Dict:
		for i, k := range o.keys {
			if err := d.Set(k, o.vals[i]); err != nil {
				return err
			}
		}
		return nil
	case Undefined:
		return errf("update() got an undefined value")
	}
	items, err := iterate(other)
	if err != nil {
		return err
	}
	for _, it := range items {
		pair, err := iterate(it)
		if err != nil || len(pair) != 2 {
			return errf("update() needs a dict or pairs of key and value")
		}
		if err := d.Set(pair[0], pair[1]); err != nil {
			return err
		}
	}
	return nil
}

// sortValues returns items sorted in Python's order (stable); key, when
// set, gives the value to sort each item by.
func sortValues(items []any, reverse bool, key func(any) (any, error)) ([]any, error) {
	keys := make([]any, len(items))
	for i, it := range items {
		k := it
		if key != nil {
			var err error
			if k, err = key(it); err != nil {
				return nil, err
			}
		}
		keys[i] = k
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	var sortErr error
	sort.SliceStable(idx, func(a, b int) bool {
		c, err := order(keys[idx[a]], keys[idx[b]])
		if err != nil && sortErr == nil {
			sortErr = err
		}
		if reverse {
			return c > 0
		}
		return c < 0
	})
	if sortErr != nil {
		return nil, sortErr
	}
	out := make([]any, len(items))
	for i, j := range idx {
		out[i] = items[j]
	}
	return out, nil
}

// expandTabs is Python's str.expandtabs(tabsize): each tab becomes the
// spaces up to the next multiple of tabsize in its line (none when
// tabsize <= 0); the column restarts after \n and \r.
func expandTabs(s string, size int) string {
	var b strings.Builder
	col := 0
	for _, r := range s {
		switch r {
		case '\t':
			if size > 0 {
				n := size - col%size
				b.WriteString(strings.Repeat(" ", n))
				col += n
			}
		case '\n', '\r':
			b.WriteRune(r)
			col = 0
		default:
			b.WriteRune(r)
			col++
		}
	}
	return b.String()
}

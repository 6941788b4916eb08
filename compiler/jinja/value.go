package jinja

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Template values are Go values:
//
//	None        nil
//	bool        bool
//	int         int, or *big.Int beyond 64 bits (unbounded, as Python's)
//	Decimal     Decimal (a DECIMAL read from the database)
//	float       float64
//	str         string (Python's str: len, indexes and slices count code points)
//	list        *List (mutable, shared by reference)
//	tuple       Tuple
//	dict        *Dict (insertion-ordered)
//	undefined   Undefined
//	macro       *Macro
//	function    Func, or a value implementing Callable
//	objects     a value implementing Getter (attributes), or fmt.Stringer
//
// Values from Go callbacks and Globals are converted by FromGo ([]any,
// []string and maps become lists and dicts); Plain converts back.

// List is a Jinja list.
type List struct{ Items []any }

// NewList returns a list holding items (not copied).
func NewList(items ...any) *List { return &List{Items: items} }

// Tuple is a Jinja tuple.
type Tuple []any

// Undefined is the value of a name or attribute that does not exist. It
// prints as the empty string, is false, and iterates as an empty
// sequence; reading an attribute of it or calling it is an error naming
// it, as with Jinja2's default Undefined (dbt's at compile time).
type Undefined struct {
	// Name is the missing variable, or the description of the missing
	// attribute ("'dict' object has no attribute 'x'").
	Name string
	// attr is true when Name describes a missing attribute or item.
	attr bool
}

func (u Undefined) message() string {
	if u.attr {
		return u.Name
	}
	if u.Name == "" {
		return "the value is undefined"
	}
	return fmt.Sprintf("%q is undefined", u.Name)
}

// Func is a Go function templates can call. It returns the call's value
// or an error, reported at the call's position.
type Func func(c *Call) (any, error)

// Callable is implemented by Go values templates can call.
type Callable interface {
	CallJinja(c *Call) (any, error)
}

// Getter is implemented by Go values with attributes templates read:
// x.name and x['name'].
type Getter interface {
	// Attr returns the attribute's value and whether it exists.
	Attr(name string) (any, bool)
}

// Mapping is implemented by Go values templates treat as dicts: x is
// mapping holds, "k" in x tests its keys, iterating gives the keys, and
// x.get(key, default) works unless Attr provides its own get. dbt's
// Relation is one.
type Mapping interface {
	Getter
	Keys() []string
}

// KV is a keyword argument or a dict entry.
type KV struct {
	Key   string
	Value any
}

// Dict is an insertion-ordered Jinja dict. Keys are strings, ints,
// floats, bools, None or tuples of those; 1, 1.0 and True are one key,
// as in Python.
type Dict struct {
	keys  []any
	vals  []any
	index map[any]int
}

// NewDict returns an empty dict.
func NewDict() *Dict { return &Dict{index: map[any]int{}} }

// Len returns the number of entries.
func (d *Dict) Len() int { return len(d.keys) }

// Keys returns the keys in insertion order (not copied).
func (d *Dict) Keys() []any { return d.keys }

// Values returns the values in insertion order (not copied).
func (d *Dict) Values() []any { return d.vals }

// Get returns the value of key.
func (d *Dict) Get(key any) (any, bool) {
	h, err := hashKey(key)
	if err != nil {
		return nil, false
	}
	i, ok := d.index[h]
	if !ok {
		return nil, false
	}
	return d.vals[i], true
}

// Set sets key to v; a new key goes last. Keys that cannot be hashed are
// an error.
func (d *Dict) Set(key, v any) error {
	h, err := hashKey(key)
	if err != nil {
		return err
	}
	if i, ok := d.index[h]; ok {
		d.vals[i] = v
		return nil
	}
	d.index[h] = len(d.keys)
	d.keys = append(d.keys, key)
	d.vals = append(d.vals, v)
	return nil
}

// Delete removes key and reports whether it was there.
func (d *Dict) Delete(key any) bool {
	h, err := hashKey(key)
	if err != nil {
		return false
	}
	i, ok := d.index[h]
	if !ok {
		return false
	}
	delete(d.index, h)
	d.keys = append(d.keys[:i], d.keys[i+1:]...)
	d.vals = append(d.vals[:i], d.vals[i+1:]...)
	for k, j := range d.index {
		if j > i {
			d.index[k] = j - 1
		}
	}
	return true
}

func (d *Dict) copy() *Dict {
	n := &Dict{keys: append([]any(nil), d.keys...), vals: append([]any(nil), d.vals...), index: make(map[any]int, len(d.keys))}
	for k, v := range d.index {
		n.index[k] = v
	}
	return n
}

// bigKey is the hash key of an integer beyond int64.
type bigKey string

// tupleKey is the hash key of a tuple.
type tupleKey string

// hashKey returns the Go map key standing for a dict key.
func hashKey(k any) (any, error) {
	switch x := k.(type) {
	case Hashable:
		return x.HashKey(), nil
	case nil, string, int:
		return k, nil
	case *big.Int:
		return bigKey(x.String()), nil
	case Decimal:
		if r := x.rat(); r.IsInt() {
			return hashKey(normInt(r.Num()))
		}
		return decimalKey(x.rat().RatString()), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<62 {
			return int(x), nil
		}
		return x, nil
	case Tuple:
		parts := make([]string, len(x))
		for i, e := range x {
			h, err := hashKey(e)
			if err != nil {
				return nil, err
			}
			parts[i] = fmt.Sprintf("%T:%v", h, h)
		}
		return tupleKey(strings.Join(parts, "\x00")), nil
	case *List, *Dict, Undefined:
	default:
		// Go values a host gives (a relation, a column) are keys by
		// identity or value when Go can compare them.
		if t := reflect.TypeOf(k); t != nil && t.Comparable() {
			return k, nil
		}
	}
	return nil, errf("unhashable type: %s", typeName(k))
}

// Hashable is implemented by Go values that are dict keys by a value of
// their own (a relation by its name): HashKey returns a comparable value.
type Hashable interface {
	HashKey() any
}

// Namespace is the object namespace() returns: attributes can be set on
// it with {% set ns.attr = value %}, across scopes.
type Namespace struct{ d *Dict }

// Attr returns an attribute of the namespace.
func (n *Namespace) Attr(name string) (any, bool) { return n.d.Get(name) }

// Macro is a macro as a value: calling it renders its body and returns the
// text (or what return() gave).
type Macro struct {
	Def   *MacroDef
	scope *scope // the scope it was defined in; nil for global macros
}

// NewMacro returns def as a value callable from any template. Its free
// names resolve through the render's Globals.
func NewMacro(def *MacroDef) *Macro { return &Macro{Def: def} }

// Name returns the macro's name.
func (m *Macro) Name() string { return m.Def.Name }

// Params returns the names of the macro's parameters, in order, and
// whether it also takes other keyword arguments (it reads kwargs).
func (m *Macro) Params() (names []string, otherKeywords bool) {
	names = make([]string, len(m.Def.Params))
	for i, p := range m.Def.Params {
		names[i] = p.name
	}
	return names, m.Def.usesKwargs
}

// Attr implements Getter: name, arguments, defaults, catch_kwargs,
// catch_varargs, caller, as Jinja2's Macro has them.
func (m *Macro) Attr(name string) (any, bool) {
	switch name {
	case "name":
		return m.Def.Name, true
	case "arguments":
		args := make(Tuple, len(m.Def.Params))
		for i, p := range m.Def.Params {
			args[i] = p.name
		}
		return args, true
	case "catch_kwargs":
		return m.Def.usesKwargs, true
	case "catch_varargs":
		return m.Def.usesVarargs, true
	case "caller":
		return m.Def.usesCaller, true
	}
	return nil, false
}

// FromGo converts a Go value to a template value: []any, []string and
// other slices become lists, maps with string keys dicts (keys sorted),
// integer types int, float32 float64. Template values pass through.
func FromGo(v any) any {
	switch x := v.(type) {
	case nil, bool, int, float64, string, *List, Tuple, *Dict, Undefined, *Macro, Func, *Namespace:
		return v
	case []any:
		items := make([]any, len(x))
		for i, e := range x {
			items[i] = FromGo(e)
		}
		return &List{Items: items}
	case []string:
		items := make([]any, len(x))
		for i, e := range x {
			items[i] = e
		}
		return &List{Items: items}
	case map[string]any:
		d := NewDict()
		for _, k := range sortedKeys(x) {
			_ = d.Set(k, FromGo(x[k]))
		}
		return d
	case map[string]string:
		d := NewDict()
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			_ = d.Set(k, x[k])
		}
		return d
	case int64:
		return int(x)
	case int32:
		return int(x)
	case int16:
		return int(x)
	case int8:
		return int(x)
	case uint:
		return FromGo(uint64(x))
	case uint64:
		if x > math.MaxInt64 {
			return new(big.Int).SetUint64(x)
		}
		return int(x)
	case *big.Int:
		if x == nil {
			return nil
		}
		return NormInt(x)
	case uint32:
		return int(x)
	case uint16:
		return int(x)
	case uint8:
		return int(x)
	case float32:
		return float64(x)
	case func(*Call) (any, error):
		return Func(x)
	case Getter, Callable, fmt.Stringer:
		return v
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		items := make([]any, rv.Len())
		for i := range items {
			items[i] = FromGo(rv.Index(i).Interface())
		}
		return &List{Items: items}
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			d := NewDict()
			keys := rv.MapKeys()
			sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
			for _, k := range keys {
				_ = d.Set(k.String(), FromGo(rv.MapIndex(k).Interface()))
			}
			return d
		}
	case reflect.Pointer:
		if rv.IsNil() {
			return nil
		}
	}
	return v
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Plain converts a template value to plain Go: lists and tuples to []any,
// dicts to map[string]any (keys printed with str), Undefined to nil,
// namespaces to maps; other values are returned as they are.
func Plain(v any) any {
	switch x := v.(type) {
	case *List:
		out := make([]any, len(x.Items))
		for i, e := range x.Items {
			out[i] = Plain(e)
		}
		return out
	case Tuple:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Plain(e)
		}
		return out
	case *Dict:
		out := make(map[string]any, len(x.keys))
		for i, k := range x.keys {
			out[str(k)] = Plain(x.vals[i])
		}
		return out
	case *Namespace:
		return Plain(x.d)
	case Undefined:
		return nil
	}
	return v
}

// Truth returns a value's truth in Python's sense: None, False, 0, 0.0,
// empty strings, lists, tuples and dicts, and Undefined are false.
func Truth(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int:
		return x != 0
	case float64:
		return x != 0
	case *big.Int:
		return x.Sign() != 0
	case Decimal:
		return x.Unscaled != nil && x.Unscaled.Sign() != 0
	case string:
		return x != ""
	case *List:
		return len(x.Items) > 0
	case Tuple:
		return len(x) > 0
	case *Dict:
		return len(x.keys) > 0
	case Undefined:
		return false
	case Sized:
		return x.Len() > 0
	}
	return true
}

// Sized is implemented by Go values whose truth is Python's: false when
// empty (a set).
type Sized interface {
	Len() int
}

// Str returns how a template prints v: Python's str().
func Str(v any) string { return str(v) }

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(x)
	case float64:
		return floatRepr(x)
	case Undefined:
		return ""
	case fmt.Stringer:
		return x.String()
	}
	return repr(v)
}

// Slice is obj[lo:hi:step] (nil for an omitted bound), as Python slices.
func Slice(obj, lo, hi, step any) (any, error) { return slice(obj, lo, hi, step) }

// Less reports whether a < b as Python compares them (an error for
// values of types that do not order).
func Less(a, b any) (bool, error) { return compare("<", a, b) }

// Items returns the items of an iterable (a list, tuple, dict's keys,
// string's characters); nil when v is not iterable.
func Items(v any) []any {
	out, err := iterate(v)
	if err != nil {
		return nil
	}
	return out
}

// Repr returns Python's repr() of v: how v prints inside a list or dict.
func Repr(v any) string { return repr(v) }

// PyRepr is implemented by Go values whose repr() differs from their
// str() (a date's is datetime.date(2024, 1, 2)): they print with it
// inside lists, tuples and dicts, as Python prints containers.
type PyRepr interface {
	PyRepr() string
}

// repr returns Python's repr() of v.
func repr(v any) string {
	var b strings.Builder
	writeRepr(&b, v, 0)
	return b.String()
}

func writeRepr(b *strings.Builder, v any, depth int) {
	if depth > 100 {
		b.WriteString("...")
		return
	}
	switch x := v.(type) {
	case string:
		b.WriteString(quotePy(x))
	case *List:
		b.WriteByte('[')
		for i, e := range x.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e, depth+1)
		}
		b.WriteByte(']')
	case Tuple:
		b.WriteByte('(')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e, depth+1)
		}
		if len(x) == 1 {
			b.WriteByte(',')
		}
		b.WriteByte(')')
	case *Dict:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, k, depth+1)
			b.WriteString(": ")
			writeRepr(b, x.vals[i], depth+1)
		}
		b.WriteByte('}')
	case *Namespace:
		b.WriteString("<Namespace ")
		writeRepr(b, x.d, depth+1)
		b.WriteByte('>')
	case *Macro:
		b.WriteString("<Macro '" + x.Def.Name + "'>")
	case Undefined:
		b.WriteString("Undefined")
	case Func, Callable:
		b.WriteString("<function>")
	case nil, bool, int, float64, *big.Int:
		b.WriteString(str(v))
	case Decimal:
		b.WriteString("Decimal('" + x.String() + "')")
	case PyRepr:
		b.WriteString(x.PyRepr())
	case fmt.Stringer:
		b.WriteString(x.String())
	default:
		fmt.Fprint(b, v)
	}
}

// quotePy quotes s as Python's repr does: single quotes unless s holds a
// single quote and no double quote.
func quotePy(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// floatRepr formats f as Python's repr(): the shortest digits that read
// back as f, in fixed notation for exponents from -4 to 15 (with ".0" for
// integral values), scientific otherwise ("1e+16", "1.5e-05").
func floatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// PyTyped is implemented by Go values that name their Python type in
// messages: the name type(x).__name__ gives in dbt ("date", "datetime",
// "Relation"), never the Go type's.
type PyTyped interface {
	PyType() string
}

// typeName returns the Python type name of v, for messages; "object" for
// a Go value that names no type (never its Go type's name).
func typeName(v any) string {
	if t, ok := v.(PyTyped); ok {
		return t.PyType()
	}
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case *List:
		return "list"
	case Tuple:
		return "tuple"
	case *Dict:
		return "dict"
	case Undefined:
		return "Undefined"
	case *Macro:
		return "macro"
	case Func, Callable:
		return "function"
	case *Namespace:
		return "Namespace"
	case *loopValue:
		return "LoopContext"
	case *cycler:
		return "Cycler"
	case *namedTuple:
		return "tuple"
	}
	return "object"
}

// TypeName returns the Python type name of v, as messages give it: "str",
// "int", "date", "dict", "NoneType"; see PyTyped.
func TypeName(v any) string { return typeName(v) }

// AType returns v's Python type name with its article, for messages: "a
// str", "an int", "a date", "None".
func AType(v any) string { return aType(v) }

// aType returns v's type name with its article, for messages: "a str",
// "an int", "None".
func aType(v any) string {
	if v == nil {
		return "None"
	}
	n := typeName(v)
	if strings.IndexByte("aeiouAEIOU", n[0]) >= 0 {
		return "an " + n
	}
	return "a " + n
}

package jinja

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strings"
	"unicode/utf8"
)

// Iterable is implemented by Go values a template can loop over.
type Iterable interface {
	Items() []any
}

// Indexer is implemented by Go values with items: x[0], x['name'] (an
// agate table's columns and rows, as dbt gives them).
type Indexer interface {
	Item(key any) (any, bool)
}

// maxRepeat bounds the length of a string or list built by *, as Jinja2's
// sandbox bounds range().
const maxRepeat = 10_000_000

// iterate returns the items of a sequence: a list's or tuple's items, a
// string's characters, a dict's keys; Undefined iterates as empty.
func iterate(v any) ([]any, error) {
	switch x := v.(type) {
	case *List:
		return append([]any(nil), x.Items...), nil
	case Tuple:
		return []any(x), nil
	case *Dict:
		return append([]any(nil), x.keys...), nil
	case string:
		out := make([]any, 0, len(x))
		for _, r := range x {
			out = append(out, string(r))
		}
		return out, nil
	case Undefined:
		return nil, nil
	case Iterable:
		return x.Items(), nil
	case Mapping:
		keys := x.Keys()
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = k
		}
		return out, nil
	case *Namespace:
		return nil, errf("a Namespace is not iterable")
	}
	return nil, errf("%s is not iterable", aType(v))
}

// length returns len(v).
func length(v any) (int, error) {
	switch x := v.(type) {
	case string:
		return utf8.RuneCountInString(x), nil
	case *List:
		return len(x.Items), nil
	case Tuple:
		return len(x), nil
	case *Dict:
		return len(x.keys), nil
	case Undefined:
		return 0, nil
	case Iterable:
		return len(x.Items()), nil
	case Mapping:
		return len(x.Keys()), nil
	}
	return 0, errf("%s has no length", aType(v))
}

// toFloat returns a number as float64.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case *big.Int:
		return bigFloat(x), true
	case Decimal:
		return x.float(), true
	}
	return 0, false
}

// toInt returns an int or bool as int.
func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func isNumber(v any) bool {
	switch v.(type) {
	case int, float64, bool, *big.Int, Decimal:
		return true
	}
	return false
}

// binop applies an arithmetic operator: + - * / // % **. Go values
// implementing Operand are asked first.
func binop(op string, l, r any) (any, error) {
	if o, ok := l.(Operand); ok {
		if v, done, err := o.BinOpJinja(op, r, false); done || err != nil {
			return v, err
		}
	}
	if o, ok := r.(Operand); ok {
		if v, done, err := o.BinOpJinja(op, l, true); done || err != nil {
			return v, err
		}
	}
	if isBig(l) || isBig(r) {
		lb, lok := toBig(l)
		rb, rok := toBig(r)
		if lok && rok {
			v, err := bigBinop(op, lb, rb)
			if v != nil || err != nil {
				return v, err
			}
		}
	}
	li, lInt := toInt(l)
	ri, rInt := toInt(r)
	if lInt && rInt {
		switch op {
		case "+":
			s := li + ri
			if (s > li) != (ri > 0) {
				return bigBinop(op, big.NewInt(int64(li)), big.NewInt(int64(ri)))
			}
			return s, nil
		case "-":
			s := li - ri
			if (s < li) != (ri > 0) {
				return bigBinop(op, big.NewInt(int64(li)), big.NewInt(int64(ri)))
			}
			return s, nil
		case "*":
			hi, lo := bits.Mul64(uint64(abs(li)), uint64(abs(ri)))
			if hi != 0 || lo > math.MaxInt64 {
				return bigBinop(op, big.NewInt(int64(li)), big.NewInt(int64(ri)))
			}
			return li * ri, nil
		case "/":
			if ri == 0 {
				return nil, errf("division by zero")
			}
			return float64(li) / float64(ri), nil
		case "//":
			if ri == 0 {
				return nil, errf("integer division by zero")
			}
			if li == math.MinInt64 && ri == -1 {
				return bigBinop(op, big.NewInt(int64(li)), big.NewInt(int64(ri)))
			}
			q := li / ri
			if (li%ri != 0) && ((li < 0) != (ri < 0)) {
				q--
			}
			return q, nil
		case "%":
			if ri == 0 {
				return nil, errf("integer modulo by zero")
			}
			m := li % ri
			if m != 0 && (m < 0) != (ri < 0) {
				m += ri
			}
			return m, nil
		case "**":
			if ri < 0 {
				return math.Pow(float64(li), float64(ri)), nil
			}
			res := 1
			base := li
			for e := ri; e > 0; e-- {
				hi, lo := bits.Mul64(uint64(abs(res)), uint64(abs(base)))
				if hi != 0 || lo > math.MaxInt64 {
					return bigBinop(op, big.NewInt(int64(li)), big.NewInt(int64(ri)))
				}
				res *= base
				if res == 0 || res == 1 && base == 1 {
					break
				}
			}
			return res, nil
		}
	}
	lf, lNum := toFloat(l)
	rf, rNum := toFloat(r)
	if lNum && rNum {
		switch op {
		case "+":
			return lf + rf, nil
		case "-":
			return lf - rf, nil
		case "*":
			return lf * rf, nil
		case "/":
			if rf == 0 {
				return nil, errf("float division by zero")
			}
			return lf / rf, nil
		case "//":
			if rf == 0 {
				return nil, errf("float floor division by zero")
			}
			return math.Floor(lf / rf), nil
		case "%":
			if rf == 0 {
				return nil, errf("float modulo")
			}
			m := math.Mod(lf, rf)
			if m != 0 && (m < 0) != (rf < 0) {
				m += rf
			}
			return m, nil
		case "**":
			return math.Pow(lf, rf), nil
		}
	}
	switch op {
	case "+":
		switch a := l.(type) {
		case string:
			if b, ok := r.(string); ok {
				return a + b, nil
			}
		case *List:
			if b, ok := r.(*List); ok {
				items := make([]any, 0, len(a.Items)+len(b.Items))
				return &List{Items: append(append(items, a.Items...), b.Items...)}, nil
			}
		case Tuple:
			if b, ok := r.(Tuple); ok {
				return append(append(Tuple{}, a...), b...), nil
			}
		}
	case "*":
		if n, ok := toInt(r); ok {
			return repeat(l, n)
		}
		if n, ok := toInt(l); ok {
			return repeat(r, n)
		}
	case "%":
		if s, ok := l.(string); ok {
			return percentFormat(s, r)
		}
	}
	return nil, errf("unsupported operand types for %s: %s and %s", op, aType(l), aType(r))
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// repeat returns a string, list or tuple repeated n times.
func repeat(v any, n int) (any, error) {
	if n < 0 {
		n = 0
	}
	size := func(unit int) error {
		if unit > 0 && n > maxRepeat/unit {
			return errf("the repeated value would be longer than %d", maxRepeat)
		}
		return nil
	}
	switch x := v.(type) {
	case string:
		if err := size(len(x)); err != nil {
			return nil, err
		}
		return strings.Repeat(x, n), nil
	case *List:
		if err := size(len(x.Items)); err != nil {
			return nil, err
		}
		out := make([]any, 0, n*len(x.Items))
		for i := 0; i < n; i++ {
			out = append(out, x.Items...)
		}
		return &List{Items: out}, nil
	case Tuple:
		if err := size(len(x)); err != nil {
			return nil, err
		}
		out := make(Tuple, 0, n*len(x))
		for i := 0; i < n; i++ {
			out = append(out, x...)
		}
		return out, nil
	}
	return nil, errf("unsupported operand types for *: %s and int", typeName(v))
}

// Operand is implemented by Go values with arithmetic of their own, as
// Python's __add__ and __radd__ (a datetime minus a timedelta). binop
// asks the left operand (right false), then the right one (right true);
// done false means the value does not support op with other. op is one
// of + - * / // % **, or "neg" for unary minus (other nil).
type Operand interface {
	BinOpJinja(op string, other any, right bool) (v any, done bool, err error)
}

// Orderer is implemented by Go values Python orders (dates, timedeltas):
// CompareJinja returns -1, 0 or 1, and ok false when other is not
// comparable with the value.
type Orderer interface {
	CompareJinja(other any) (c int, ok bool)
}

// Equaler is implemented by Go values with their own ==, such as a set
// (its items in any order).
type Equaler interface {
	EqualJinja(other any) bool
}

// equalValues is Python's ==.
func equalValues(a, b any) bool {
	if e, ok := a.(Equaler); ok {
		return e.EqualJinja(b)
	}
	if e, ok := b.(Equaler); ok {
		return e.EqualJinja(a)
	}
	if isNumber(a) && isNumber(b) {
		if isBig(a) || isBig(b) || isDecimal(a) || isDecimal(b) {
			return numCmp(a, b) == 0
		}
		af, _ := toFloat(a)
		bf, _ := toFloat(b)
		ai, aInt := toInt(a)
		bi, bInt := toInt(b)
		if aInt && bInt {
			return ai == bi
		}
		return af == bf
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case *List:
		y, ok := b.(*List)
		return ok && equalSlices(x.Items, y.Items)
	case Tuple:
		y, ok := b.(Tuple)
		return ok && equalSlices(x, y)
	case *Dict:
		y, ok := b.(*Dict)
		if !ok || len(x.keys) != len(y.keys) {
			return false
		}
		for i, k := range x.keys {
			v, ok := y.Get(k)
			if !ok || !equalValues(x.vals[i], v) {
				return false
			}
		}
		return true
	case Undefined:
		_, ok := b.(Undefined)
		return ok
	case *Macro, *Namespace, *loopValue:
		return a == b
	}
	if a == nil || b == nil {
		return false
	}
	defer func() { _ = recover() }() // uncomparable Go values are unequal
	return a == b || str(a) == str(b) && fmt.Sprintf("%T", a) == fmt.Sprintf("%T", b)
}

func equalSlices(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !equalValues(a[i], b[i]) {
			return false
		}
	}
	return true
}

// order compares a and b for <, returning -1, 0 or 1, or an error for
// values Python does not order.
func order(a, b any) (int, error) {
	if isNumber(a) && isNumber(b) {
		if isBig(a) || isBig(b) || isDecimal(a) || isDecimal(b) {
			if c := numCmp(a, b); c != 2 {
				return c, nil
			}
			return 0, nil
		}
		ai, aInt := toInt(a)
		bi, bInt := toInt(b)
		if aInt && bInt {
			return cmp3(ai < bi, ai > bi), nil
		}
		af, _ := toFloat(a)
		bf, _ := toFloat(b)
		return cmp3(af < bf, af > bf), nil
	}
	if o, ok := a.(Orderer); ok {
		if c, ok := o.CompareJinja(b); ok {
			return c, nil
		}
	}
	if o, ok := b.(Orderer); ok {
		if c, ok := o.CompareJinja(a); ok {
			return -c, nil
		}
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), nil
		}
	case *List:
		if y, ok := b.(*List); ok {
			return orderSlices(x.Items, y.Items)
		}
	case Tuple:
		if y, ok := b.(Tuple); ok {
			return orderSlices(x, y)
		}
	}
	return 0, errf("cannot compare %s with %s", aType(a), aType(b))
}

// numCmp compares two numbers exactly, at least one a *big.Int (Python
// compares an int with a float exactly); NaN is unordered (2).
func numCmp(a, b any) int {
	ab, aInt := toBig(a)
	bb, bInt := toBig(b)
	if aInt && bInt {
		return ab.Cmp(bb)
	}
	exact := func(v any) (*big.Float, bool) {
		if i, ok := toBig(v); ok {
			return new(big.Float).SetInt(i), true
		}
		if d, ok := v.(Decimal); ok {
			return new(big.Float).SetPrec(1024).SetRat(d.rat()), true
		}
		f, _ := toFloat(v)
		if math.IsNaN(f) {
			return nil, false
		}
		return new(big.Float).SetFloat64(f), true
	}
	af, ok1 := exact(a)
	bf, ok2 := exact(b)
	if !ok1 || !ok2 {
		return 2
	}
	return af.Cmp(bf)
}

func isDecimal(v any) bool { _, ok := v.(Decimal); return ok }

func cmp3(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}

func orderSlices(a, b []any) (int, error) {
	for i := 0; i < len(a) && i < len(b); i++ {
		if equalValues(a[i], b[i]) {
			continue
		}
		return order(a[i], b[i])
	}
	return cmp3(len(a) < len(b), len(a) > len(b)), nil
}

// compare applies a comparison operator.
func compare(op string, l, r any) (bool, error) {
	switch op {
	case "==":
		return equalValues(l, r), nil
	case "!=":
		return !equalValues(l, r), nil
	case "in":
		return contains(r, l)
	case "notin":
		in, err := contains(r, l)
		return !in, err
	}
	if _, ok := l.(Undefined); ok {
		return false, errf("cannot compare an undefined value with %s", op)
	}
	if _, ok := r.(Undefined); ok {
		return false, errf("cannot compare with an undefined value using %s", op)
	}
	c, err := order(l, r)
	if err != nil {
		return false, errf("%s is not supported between %s and %s", op, aType(l), aType(r))
	}
	switch op {
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	case ">=":
		return c >= 0, nil
	}
	return false, errf("unknown operator %s", op)
}

// contains is Python's "x in container".
func contains(container, x any) (bool, error) {
	switch c := container.(type) {
	case string:
		s, ok := x.(string)
		if !ok {
			return false, errf("'in <string>' requires a string on the left, not %s", aType(x))
		}
		return strings.Contains(c, s), nil
	case *Dict:
		_, ok := c.Get(x)
		return ok, nil
	case *Namespace:
		_, ok := c.d.Get(x)
		return ok, nil
	case Mapping:
		for _, k := range c.Keys() {
			if k == x {
				return true, nil
			}
		}
		return false, nil
	}
	items, err := iterate(container)
	if err != nil {
		return false, errf("'in' needs a sequence on the right: %v", err)
	}
	for _, it := range items {
		if equalValues(it, x) {
			return true, nil
		}
	}
	return false, nil
}

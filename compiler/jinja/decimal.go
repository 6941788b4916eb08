package jinja

import (
	"math/big"
	"strings"
)

// Decimal is Python's decimal.Decimal as dbt's agate tables hold a
// DECIMAL or NUMERIC value: Unscaled × 10^-Scale, printed with its scale
// ({{ row[0] }} of DECIMAL '1.50' is 1.50). + - * with an int or a
// Decimal are exact (the scale of a sum is the larger one, of a product
// the sum, as Python's); / and operations with a float give a float
// (Python's would be a Decimal, or a TypeError with a float). It compares
// and tests as a number.
type Decimal struct {
	Unscaled *big.Int
	Scale    int
}

// String writes the value with Scale digits after the point.
func (d Decimal) String() string {
	u := d.Unscaled
	if u == nil {
		u = new(big.Int)
	}
	s := new(big.Int).Abs(u).String()
	sign := ""
	if u.Sign() < 0 {
		sign = "-"
	}
	if d.Scale <= 0 {
		if u.Sign() == 0 {
			return "0"
		}
		return sign + s + strings.Repeat("0", -d.Scale)
	}
	if len(s) <= d.Scale {
		s = strings.Repeat("0", d.Scale-len(s)+1) + s
	}
	return sign + s[:len(s)-d.Scale] + "." + s[len(s)-d.Scale:]
}

// PyType is "Decimal".
func (Decimal) PyType() string { return "Decimal" }

// rat returns d as a rational.
func (d Decimal) rat() *big.Rat {
	r := new(big.Rat)
	if d.Unscaled != nil {
		r.SetInt(d.Unscaled)
	}
	s := d.Scale
	if s < 0 {
		s = -s
	}
	p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s)), nil))
	if d.Scale >= 0 {
		return r.Quo(r, p)
	}
	return r.Mul(r, p)
}

// float returns the nearest float64.
func (d Decimal) float() float64 {
	f, _ := d.rat().Float64()
	return f
}

// rescale returns d's unscaled value at scale s >= d.Scale.
func (d Decimal) rescale(s int) *big.Int {
	u := new(big.Int)
	if d.Unscaled != nil {
		u.Set(d.Unscaled)
	}
	if s > d.Scale {
		u.Mul(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s-d.Scale)), nil))
	}
	return u
}

// BinOpJinja implements Operand: exact + - * with ints and Decimals,
// unary minus.
func (d Decimal) BinOpJinja(op string, other any, right bool) (any, bool, error) {
	if op == "neg" {
		return Decimal{Unscaled: new(big.Int).Neg(d.rescale(d.Scale)), Scale: d.Scale}, true, nil
	}
	var o Decimal
	switch x := other.(type) {
	case Decimal:
		o = x
	case int, bool, *big.Int:
		b, _ := toBig(x)
		o = Decimal{Unscaled: b}
	default:
		return nil, false, nil
	}
	l, r := d, o
	if right {
		l, r = o, d
	}
	switch op {
	case "+", "-":
		s := max(l.Scale, r.Scale)
		a, b := l.rescale(s), r.rescale(s)
		if op == "+" {
			return Decimal{Unscaled: a.Add(a, b), Scale: s}, true, nil
		}
		return Decimal{Unscaled: a.Sub(a, b), Scale: s}, true, nil
	case "*":
		a, b := l.rescale(l.Scale), r.rescale(r.Scale)
		if a.BitLen()+b.BitLen() > maxBigBits {
			return nil, true, errf("Decimal too large")
		}
		return Decimal{Unscaled: a.Mul(a, b), Scale: l.Scale + r.Scale}, true, nil
	}
	return nil, false, nil
}

// decimalKey is the dict key of a Decimal that is not a whole number.
type decimalKey string

// MarshalJSON writes the decimal as a JSON number with its scale, for a
// value a template passes on (config, manifest).
func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(d.String()), nil }

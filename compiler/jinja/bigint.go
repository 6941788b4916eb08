package jinja

import (
	"math/big"
)

// Integers beyond int64 are *big.Int, as Python's ints are unbounded: an
// int operation that overflows 64 bits goes on in big.Int, and a result
// back within int64 is an int again, so a *big.Int template value is
// always outside int64's range. It prints in full ({{ 2 ** 64 }} is
// 18446744073709551616), compares and does arithmetic with ints and
// floats as Python's int does.

// maxBigBits bounds the size of an integer built by ** or *, as a
// sandbox must (Python would compute 10 ** 10 ** 9 for minutes).
const maxBigBits = 1 << 16

// toBig returns an int, bool or *big.Int as a new big.Int.
func toBig(v any) (*big.Int, bool) {
	switch x := v.(type) {
	case *big.Int:
		return new(big.Int).Set(x), true
	case int, bool:
		n, _ := toInt(x)
		return big.NewInt(int64(n)), true
	}
	return nil, false
}

// isBig reports whether v is a *big.Int.
func isBig(v any) bool { _, ok := v.(*big.Int); return ok }

// normInt returns b as an int when it fits in int64, else b.
func normInt(b *big.Int) any {
	if b.IsInt64() {
		return int(b.Int64())
	}
	return b
}

// NormInt returns the template value of an integer: an int when it fits
// in int64, else the *big.Int itself.
func NormInt(b *big.Int) any { return normInt(new(big.Int).Set(b)) }

// bigFloat returns b as the nearest float64.
func bigFloat(b *big.Int) float64 {
	f, _ := new(big.Float).SetInt(b).Float64()
	return f
}

// bigBinop applies an arithmetic operator to two integers, at least one
// beyond int64 or the int64 result overflowing.
func bigBinop(op string, l, r *big.Int) (any, error) {
	z := new(big.Int)
	switch op {
	case "+":
		z.Add(l, r)
	case "-":
		z.Sub(l, r)
	case "*":
		if l.BitLen()+r.BitLen() > maxBigBits {
			return nil, errf("integer too large: the product would have more than %d bits", maxBigBits)
		}
		z.Mul(l, r)
	case "/":
		if r.Sign() == 0 {
			return nil, errf("division by zero")
		}
		f, _ := new(big.Rat).SetFrac(l, r).Float64()
		return f, nil
	case "//", "%":
		if r.Sign() == 0 {
			if op == "%" {
				return nil, errf("integer modulo by zero")
			}
			return nil, errf("integer division by zero")
		}
		q, m := new(big.Int), new(big.Int)
		q.DivMod(l, r, m) // Euclidean: 0 <= m < |r|
		if m.Sign() != 0 && r.Sign() < 0 {
			// Python's floor division: the remainder takes r's sign.
			q.Add(q, big.NewInt(1))
			m.Add(m, r)
		}
		if op == "//" {
			return normInt(q), nil
		}
		return normInt(m), nil
	case "**":
		if r.Sign() < 0 {
			return nil, nil // the caller computes a float
		}
		if l.BitLen() <= 1 { // 0, 1 or -1: no growth, whatever r
			switch {
			case r.Sign() == 0:
				z.SetInt64(1)
			case l.Sign() < 0 && r.Bit(0) == 1:
				z.SetInt64(-1)
			default:
				z.Abs(l)
			}
			break
		}
		if !r.IsInt64() || int64(l.BitLen()-1)*r.Int64() > maxBigBits {
			return nil, errf("integer too large: the power would have more than %d bits", maxBigBits)
		}
		z.Exp(l, r, nil)
	default:
		return nil, errf("unsupported operand types for %s: int and int", op)
	}
	return normInt(z), nil
}

package postgres

import (
	"database/sql/driver"
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/kiln-build/kiln/adapter"
)

// plain returns a value pgx decoded as the plain Go value adapter.Conn
// promises: int64 for every integer type, float64 for floating-point and
// numeric (NaN and infinities included), string for the types without a
// Go counterpart (uuid, interval, time, inet), time.Time, []byte, []any
// for arrays and the decoded JSON as it is.
func plain(v any) any {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, time.Time, []byte, map[string]any:
		return v
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int8:
		return int64(x)
	case int:
		return int64(x)
	case uint32:
		return int64(x)
	case float32:
		return float64(x)
	case pgtype.Numeric:
		return numeric(x)
	case pgtype.Interval:
		if !x.Valid {
			return nil
		}
		return adapter.Duration{Months: x.Months, Days: x.Days, Micros: x.Microseconds}.String()
	case [16]byte: // uuid
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	case netip.Prefix:
		if x.IsSingleIP() {
			return x.Addr().String()
		}
		return x.String()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case driver.Valuer: // interval, time, and pgtype's other types
		dv, err := x.Value()
		if err != nil || dv == nil {
			return nil
		}
		return plain(dv)
	case fmt.Stringer:
		return x.String()
	}
	return v
}

// numeric returns n as a float64; NULL is nil. A whole number beyond
// float64's exact integers (2^53) is a *big.Int.
func numeric(n pgtype.Numeric) any {
	if !n.Valid {
		return nil
	}
	switch {
	case n.NaN:
		return math.NaN()
	case n.InfinityModifier == pgtype.Infinity:
		return math.Inf(1)
	case n.InfinityModifier == pgtype.NegativeInfinity:
		return math.Inf(-1)
	}
	if n.Exp >= 0 && n.Int != nil {
		i := new(big.Int).Set(n.Int)
		if n.Exp > 0 {
			i.Mul(i, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n.Exp)), nil))
		}
		if i.IsInt64() && math.Abs(float64(i.Int64())) <= 1<<53 {
			return float64(i.Int64())
		}
		return i
	}
	f, err := n.Float64Value()
	if err != nil || !f.Valid {
		return nil
	}
	return f.Float64
}

// exact returns a value pgx decoded as plain does, but numeric as an exact
// adapter.Decimal (NaN and infinities as float64) and interval as
// adapter.Duration.
func exact(v any) any {
	switch x := v.(type) {
	case pgtype.Numeric:
		if !x.Valid {
			return nil
		}
		if x.NaN || x.InfinityModifier != pgtype.Finite || x.Int == nil {
			return numeric(x)
		}
		return adapter.Decimal{Unscaled: new(big.Int).Set(x.Int), Scale: int(-x.Exp)}
	case pgtype.Interval:
		if !x.Valid {
			return nil
		}
		return adapter.Duration{Months: x.Months, Days: x.Days, Micros: x.Microseconds}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = exact(e)
		}
		return out
	}
	return plain(v)
}

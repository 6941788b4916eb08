package adapter

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Decimal is an exact DECIMAL or NUMERIC value, as Rows.ExactValues
// gives it: Unscaled × 10^-Scale, its digits after the point kept
// ("1.50", as Python's Decimal).
type Decimal struct {
	Unscaled *big.Int
	Scale    int
}

// String writes the value with Scale digits after the point: 1.50,
// -0.05, 12 (Scale 0); a negative Scale appends zeros.
func (d Decimal) String() string {
	if d.Unscaled == nil {
		return "0"
	}
	s := new(big.Int).Abs(d.Unscaled).String()
	sign := ""
	if d.Unscaled.Sign() < 0 {
		sign = "-"
	}
	if d.Scale <= 0 {
		if d.Unscaled.Sign() == 0 {
			return "0"
		}
		return sign + s + strings.Repeat("0", -d.Scale)
	}
	if len(s) <= d.Scale {
		s = strings.Repeat("0", d.Scale-len(s)+1) + s
	}
	return sign + s[:len(s)-d.Scale] + "." + s[len(s)-d.Scale:]
}

// Rat returns the value as a rational number.
func (d Decimal) Rat() *big.Rat {
	r := new(big.Rat).SetInt(d.Unscaled)
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(d.Scale))), nil)
	if d.Scale >= 0 {
		return r.Quo(r, new(big.Rat).SetInt(p))
	}
	return r.Mul(r, new(big.Rat).SetInt(p))
}

// Float64 returns the nearest float64.
func (d Decimal) Float64() float64 {
	f, _ := d.Rat().Float64()
	return f
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// Duration is an INTERVAL value as both databases hold it: months, days
// and microseconds, kept apart (a month is not a fixed number of days).
type Duration struct {
	Months int32
	Days   int32
	Micros int64
}

// Microseconds returns the length of the interval, a month taken as 30
// days, as DuckDB's and psycopg2's Python conversions to timedelta do.
func (iv Duration) Microseconds() int64 {
	return (int64(iv.Months)*30+int64(iv.Days))*86_400_000_000 + iv.Micros
}

// String writes the interval as Python's timedelta prints (dbt's agate
// values): "2 days, 0:00:00", "-1 day, 23:00:00", "1:30:00.500000".
func (iv Duration) String() string {
	us := iv.Microseconds()
	const day = 86_400_000_000
	days, rest := us/day, us%day
	if rest < 0 {
		days--
		rest += day
	}
	secs, frac := rest/1_000_000, rest%1_000_000
	s := fmt.Sprintf("%d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	if days != 0 {
		unit := "days"
		if days == 1 || days == -1 {
			unit = "day"
		}
		s = fmt.Sprintf("%d %s, %s", days, unit, s)
	}
	if frac != 0 {
		s += fmt.Sprintf(".%06d", frac)
	}
	return s
}

// ValueText writes a value read back (see Conn) as messages show it: NULL
// as null, a time as its column's type typ has it (a DATE 2006-01-02, a
// TIMESTAMP 2006-01-02 15:04:05[.fraction] even at midnight, a
// TIMESTAMPTZ with its offset; of an unknown type a time at midnight as a
// date), bytes as text, numbers in full, other values as fmt prints them.
func ValueText(v any, typ string) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case []byte:
		return string(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		typ = strings.ToLower(typ)
		switch {
		case typ == "date":
			return x.Format(time.DateOnly)
		case typ == "timestamptz" || strings.HasPrefix(typ, "timestamp with time zone"):
			return x.Format("2006-01-02 15:04:05.999999-07:00")
		case strings.HasPrefix(typ, "time") && !strings.HasPrefix(typ, "timestamp"):
			return x.Format("15:04:05.999999")
		case typ == "" && x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0:
			return x.Format(time.DateOnly)
		}
		return x.Format("2006-01-02 15:04:05.999999")
	}
	return fmt.Sprint(v)
}

// MarshalJSON writes the decimal as a JSON number with its scale (1.50).
func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(d.String()), nil }

// MarshalJSON writes the interval as a JSON string of its String.
func (iv Duration) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(iv.String())), nil }

package duck

import (
	"fmt"
	"math"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Plain converts a value scanned from DuckDB into plain Go: integers of
// every width become int64 (a UBIGINT beyond int64's range stays uint64),
// DECIMAL becomes float64 (exact for the 15 significant digits a
// spreadsheet keeps), UUID and INTERVAL become text, lists and structs are
// converted element by element; other values (nil, bool, float64, string,
// time.Time, []byte, *big.Int) are returned as they are.
func Plain(v any) any {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
		return x
	case float32:
		return float64(x)
	case duckdb.Decimal:
		return x.Float64()
	case *duckdb.Decimal:
		return x.Float64()
	case duckdb.UUID:
		return x.String()
	case *duckdb.UUID:
		return x.String()
	case duckdb.Interval:
		return fmt.Sprintf("%d months %d days %d us", x.Months, x.Days, x.Micros)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Plain(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Plain(e)
		}
		return out
	}
	return v
}

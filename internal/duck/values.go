package duck

import (
	"database/sql"
	"math"
	"math/big"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/kiln-build/kiln/adapter"
)

// Plain converts a value scanned from DuckDB into plain Go: integers of
// every width become int64 (a UBIGINT beyond int64's range a *big.Int),
// DECIMAL becomes float64 (exact for the 15 significant digits a
// spreadsheet keeps), UUID becomes its canonical text (scan UUID columns
// with Typed, the driver gives them as 16 bytes), INTERVAL the text of
// adapter.Duration.String, lists and structs are converted element by
// element; other values (nil, bool, float64, string, time.Time, []byte,
// *big.Int) are returned as they are.
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
		return new(big.Int).SetUint64(x)
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
		return adapter.Duration{Months: x.Months, Days: x.Days, Micros: x.Micros}.String()
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

// Exact converts a value scanned from DuckDB as Plain does, but DECIMAL
// to an exact adapter.Decimal and INTERVAL to adapter.Duration.
func Exact(v any) any {
	switch x := v.(type) {
	case duckdb.Decimal:
		return adapter.Decimal{Unscaled: x.Value, Scale: int(x.Scale)}
	case *duckdb.Decimal:
		return adapter.Decimal{Unscaled: x.Value, Scale: int(x.Scale)}
	case duckdb.Interval:
		return adapter.Duration{Months: x.Months, Days: x.Days, Micros: x.Micros}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Exact(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Exact(e)
		}
		return out
	}
	return Plain(v)
}

// ColumnTypes returns the DuckDB type names of r's columns ("UUID",
// "DECIMAL(10,2)", "TIMESTAMPTZ").
func ColumnTypes(r *sql.Rows) []string {
	cts, err := r.ColumnTypes()
	if err != nil {
		return nil
	}
	out := make([]string, len(cts))
	for i, ct := range cts {
		out[i] = ct.DatabaseTypeName()
	}
	return out
}

// Typed fixes the values of a scanned row the driver gives without their
// type: a UUID column's 16 bytes become a duckdb.UUID (Plain then writes
// its canonical text); types are ColumnTypes'.
func Typed(row []any, types []string) {
	for i, t := range types {
		if i < len(row) && strings.EqualFold(t, "UUID") {
			if b, ok := row[i].([]byte); ok && len(b) == 16 {
				var u duckdb.UUID
				copy(u[:], b)
				row[i] = u
			}
		}
	}
}

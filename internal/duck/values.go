package duck

import (
	"fmt"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Plain converts a value scanned from DuckDB into plain Go for writers
// outside this package: DECIMAL becomes float64 (exact for the 15
// significant digits a spreadsheet keeps), UUID and INTERVAL become text;
// other values are returned as they are.
func Plain(v any) any {
	switch x := v.(type) {
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
	}
	return v
}

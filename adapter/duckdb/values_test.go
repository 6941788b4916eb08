package duckdb

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"path/filepath"
	"testing"

	"github.com/kiln-build/kiln/adapter"
)

// Values read back from DuckDB are exact and canonical: a UBIGINT beyond
// int64 is a *big.Int (not -1), a UUID its 8-4-4-4-12 text (not 16
// bytes), an INTERVAL the text of Python's timedelta; ExactValues keeps a
// DECIMAL's digits and scale; ColumnTypes names the types.
func TestValuesExact(t *testing.T) {
	ctx := context.Background()
	a, err := Open(ctx, filepath.Join(t.TempDir(), "v.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	q := `select 18446744073709551615::UBIGINT as u, '123e4567-e89b-12d3-a456-426614174000'::UUID as id,
		170141183460469231731687303715884105727::HUGEINT as h, 1.50::DECIMAL(3,2) as d, interval 2 days as iv,
		timestamptz '2024-01-01 00:00:00+00' as tz, date '2024-01-01' as dt`
	want := []string{"18446744073709551615", "123e4567-e89b-12d3-a456-426614174000", "170141183460469231731687303715884105727", "1.5", "2 days, 0:00:00"}
	_, rows, err := c.QueryRows(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		if got := str(rows[0][i]); got != w {
			t.Errorf("QueryRows column %d = %s (%T), want %s", i, got, rows[0][i], w)
		}
	}
	r, err := c.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.Next() {
		t.Fatal(r.Err())
	}
	exact, err := r.ExactValues()
	if err != nil {
		t.Fatal(err)
	}
	want[3] = "1.50"
	for i, w := range want {
		if got := str(exact[i]); got != w {
			t.Errorf("ExactValues column %d = %s (%T), want %s", i, got, exact[i], w)
		}
	}
	if d, ok := exact[4].(adapter.Duration); !ok || d.Days != 2 {
		t.Errorf("interval = %#v, want a Duration of 2 days", exact[4])
	}
	types := r.ColumnTypes()
	wantTypes := []string{"UBIGINT", "UUID", "HUGEINT", "DECIMAL(3,2)", "INTERVAL", "TIMESTAMPTZ", "DATE"}
	for i, w := range wantTypes {
		if i >= len(types) || types[i] != w {
			t.Fatalf("ColumnTypes = %v, want %v", types, wantTypes)
		}
	}
}

func str(v any) string {
	if s, ok := v.(interface{ String() string }); ok {
		return s.String()
	}
	return fmt.Sprint(v)
}

// In a list, exact values marshal to JSON as their text: a DECIMAL as a
// number with its scale, an interval as a string (kiln show prints lists
// as JSON).
func TestExactValuesJSON(t *testing.T) {
	b, err := json.Marshal([]any{adapter.Decimal{Unscaled: big.NewInt(150), Scale: 2}, adapter.Duration{Days: 2}, adapter.Decimal{Unscaled: big.NewInt(-5), Scale: 3}})
	if err != nil || string(b) != `[1.50,"2 days, 0:00:00",-0.005]` {
		t.Fatalf("got %s %v", b, err)
	}
}

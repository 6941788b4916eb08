package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/testenv/pgtest"
)

// Values read back from PostgreSQL are exact and canonical: a uuid in its
// 8-4-4-4-12 text, an interval as Python's timedelta prints it (psycopg2
// gives dbt a timedelta); ExactValues keeps a numeric's digits and scale
// (1.50, and 20 digits a float64 cannot hold); ColumnTypes names them.
func TestValuesExact(t *testing.T) {
	ctx := context.Background()
	a := open(t, pgtest.Database(t))
	defer a.Close()
	c, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	q := `select '123e4567-e89b-12d3-a456-426614174000'::uuid, interval '2 days', 1.50::numeric(3,2), 12345678901234567.891::numeric, interval '-1 hour', date '2024-01-01'`
	_, rows, err := c.QueryRows(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"123e4567-e89b-12d3-a456-426614174000", "2 days, 0:00:00", "1.5"}
	for i, w := range want {
		if got := fmt.Sprint(rows[0][i]); got != w {
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
	want = []string{"123e4567-e89b-12d3-a456-426614174000", "2 days, 0:00:00", "1.50", "12345678901234567.891", "-1 day, 23:00:00"}
	for i, w := range want {
		if got := fmt.Sprint(exact[i]); got != w {
			t.Errorf("ExactValues column %d = %s (%T), want %s", i, got, exact[i], w)
		}
	}
	if _, ok := exact[2].(adapter.Decimal); !ok {
		t.Errorf("numeric is %T, want adapter.Decimal", exact[2])
	}
	if types := fmt.Sprint(r.ColumnTypes()); types != "[uuid interval numeric numeric interval date]" {
		t.Errorf("ColumnTypes = %s", types)
	}
}

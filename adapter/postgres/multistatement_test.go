package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/testenv/pgtest"
)

// A query of several statements, as run_query sends "insert ...; update
// ...", runs on PostgreSQL as it does on DuckDB and as psycopg2 runs it
// for dbt-postgres: every statement in order, the rows of the last one
// returned (pgx's extended protocol refused it: "cannot insert multiple
// commands into a prepared statement"). An error in a later statement is
// at its line and column in the whole text.
func TestQuerySeveralStatements(t *testing.T) {
	ctx := context.Background()
	a := open(t, pgtest.Database(t))
	defer a.Close()
	c, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Exec(ctx, "create table t (id int, note text)"); err != nil {
		t.Fatal(err)
	}
	cols, rows, err := c.QueryRows(ctx, "insert into t values (1, 'a;b'); update t set id = id + 1;\nselect id, note from t")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(cols, rows); got != "[id note] [[2 a;b]]" {
		t.Errorf("the last statement's rows: %s, want [id note] [[2 a;b]]", got)
	}
	cols, rows, err = c.QueryRows(ctx, "insert into t values (10, 'x'); update t set id = id * 10 where id = 10;")
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != 0 || len(rows) != 0 {
		t.Errorf("an update last gives columns %v, rows %v: want none", cols, rows)
	}
	if n, err := c.QueryInt(ctx, "select sum(id) from t"); err != nil || n != 102 {
		t.Errorf("sum(id) = %d, %v: want 102 (2 + 10*10)", n, err)
	}
	_, _, err = c.QueryRows(ctx, "select 1;\nselect nope from t")
	var ae *adapter.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T), want an *adapter.Error", err, err)
	}
	if ae.Line != 2 || ae.Col != 8 {
		t.Errorf("error %v at %d:%d, want the unknown column at 2:8", err, ae.Line, ae.Col)
	}
}

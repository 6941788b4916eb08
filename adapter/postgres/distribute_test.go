package postgres_test

import (
	"context"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/postgres"
	"github.com/kiln-build/kiln/internal/testenv/pgtest"
)

// TestDistributeTableSQL: the statement distributed_by emits is Citus's
// create_distributed_table, guarded by pg_dist_partition so that a table
// distributed already is left as it is; colocate_with is the named
// argument of the same name.
func TestDistributeTableSQL(t *testing.T) {
	d := postgres.Dialect{}
	orders := adapter.Relation{Schema: "marts", Name: "orders"}
	for _, c := range []struct {
		colocate adapter.Relation
		want     string
	}{
		{adapter.Relation{}, `select create_distributed_table('"marts"."orders"', 'customer_id')
where not exists (select 1 from pg_dist_partition where logicalrelid = '"marts"."orders"'::regclass)`},
		{adapter.Relation{Schema: "marts", Name: "customers"}, `select create_distributed_table('"marts"."orders"', 'customer_id', colocate_with => '"marts"."customers"')
where not exists (select 1 from pg_dist_partition where logicalrelid = '"marts"."orders"'::regclass)`},
	} {
		if got := d.DistributeTable(orders, "customer_id", c.colocate).SQL; got != c.want {
			t.Errorf("DistributeTable:\n got %s\nwant %s", got, c.want)
		}
	}
	odd := d.DistributeTable(adapter.Relation{Schema: "it's", Name: `a"b`}, "id", adapter.Relation{})
	if want := `select create_distributed_table('"it''s"."a""b"', 'id')
where not exists (select 1 from pg_dist_partition where logicalrelid = '"it''s"."a""b"'::regclass)`; odd.SQL != want {
		t.Errorf("quoting:\n got %s\nwant %s", odd.SQL, want)
	}
}

// TestDistributeTableOnServer runs the statement on a real server without
// Citus: CanDistribute says false; with a stand-in for Citus's catalog
// table and function (the function records its arguments and the
// table as distributed, as create_distributed_table does), the statement
// distributes the table once, and a second run leaves it alone.
func TestDistributeTableOnServer(t *testing.T) {
	ctx := context.Background()
	a := open(t, pgtest.Database(t))
	defer a.Close()
	c, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d := postgres.Dialect{}
	_, rows, err := c.QueryRows(ctx, d.CanDistribute().SQL)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0][0] != false {
		t.Fatalf("CanDistribute on a server without Citus = %v, want false", rows)
	}
	if _, err := c.Exec(ctx, `create schema marts;
create table marts.orders (customer_id int);
create table marts.customers (id int);
create table public.pg_dist_partition (logicalrelid regclass);
create table public.calls (rel text, col text, colocate text);
create function public.create_distributed_table(rel regclass, col text, colocate_with text default 'default') returns void
language sql as $$ insert into public.calls values (rel::text, col, colocate_with); insert into public.pg_dist_partition values (rel) $$`); err != nil {
		t.Fatal(err)
	}
	stmt := d.DistributeTable(adapter.Relation{Schema: "marts", Name: "orders"}, "customer_id", adapter.Relation{Schema: "marts", Name: "customers"})
	for i := 0; i < 2; i++ {
		if _, err := c.Run(ctx, stmt); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
	_, calls, err := c.QueryRows(ctx, "select rel || ' ' || col || ' ' || colocate from public.calls")
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0][0] != `marts.orders customer_id "marts"."customers"` {
		t.Errorf("create_distributed_table was called %v, want once with marts.orders customer_id \"marts\".\"customers\"", calls)
	}
}

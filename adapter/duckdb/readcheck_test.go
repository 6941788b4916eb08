package duckdb

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kiln-build/kiln/adapter"
)

// TestCheckReads: DuckDB's parse trees and duckdb_functions() decide
// which queries depend only on the relations they may read.
func TestCheckReads(t *testing.T) {
	ctx := context.Background()
	c := openConn(t, filepath.Join(t.TempDir(), "shop.duckdb"))
	if _, err := c.Exec(ctx, `create macro twice(x) as x * 2; create macro stamp() as now()`); err != nil {
		t.Fatal(err)
	}
	orders := adapter.Relation{Schema: "main", Name: "orders"}
	orders3 := adapter.Relation{Database: "shop", Schema: "marts", Name: "Orders"}
	cases := []struct {
		sql   string
		reads []adapter.Relation
		want  string
	}{
		{`select * from "main"."orders"`, []adapter.Relation{orders}, ""},
		{`select * from orders`, []adapter.Relation{orders}, ""},
		{`select * from MAIN.ORDERS`, []adapter.Relation{orders}, ""},
		{`select * from shop.orders`, []adapter.Relation{orders}, ""},
		{`select * from "shop"."marts"."orders"`, []adapter.Relation{orders3}, ""},
		{`select * from other.marts.orders`, []adapter.Relation{orders3}, "reads other.marts.orders, not a ref or source"},
		{`select * from marts.orders`, []adapter.Relation{orders}, "reads marts.orders, not a ref or source"},
		{`select * from ext.t`, []adapter.Relation{orders}, "reads ext.t, not a ref or source"},
		{`select * from information_schema.tables`, nil, "reads information_schema.tables, not a ref or source"},
		{`select * from 'data.csv'`, nil, "reads data.csv, not a ref or source"},
		{`with t as (select 1 as x), u as (select x from t) select * from u join main.orders on true`, []adapter.Relation{orders}, ""},
		{`select (with t as (select 1 as x) select x from t) as y, * from t`, nil, "reads t, not a ref or source"},
		{`with recursive r as (select 1 as n union all select n + 1 from r where n < 3) select * from r`, nil, ""},
		{`select now() as built_at`, nil, "calls now()"},
		{`select current_date as d`, nil, "calls current_date()"},
		{`select * from orders where d >= CURRENT_TIMESTAMP - interval 7 day`, []adapter.Relation{orders}, "calls current_timestamp()"},
		{`select random() as r`, nil, "calls random()"},
		{`select getvariable('cutoff') as c`, nil, "calls getvariable()"},
		{`select current_setting('threads') as t`, nil, "calls current_setting()"},
		{`select * from orders using sample 10%`, []adapter.Relation{orders}, "samples without REPEATABLE (a seed): random rows"},
		{`select * from orders tablesample 10%`, []adapter.Relation{orders}, "samples without REPEATABLE (a seed): random rows"},
		{`select * from (select * from orders using sample 5 rows) s`, []adapter.Relation{orders}, "samples without REPEATABLE (a seed): random rows"},
		{`select * from orders using sample 10% (bernoulli, 42)`, []adapter.Relation{orders}, ""},
		{`select * from orders using sample reservoir(5 rows) repeatable (7)`, []adapter.Relation{orders}, ""},
		{`select * from range(3) cross join generate_series(1, 2) cross join unnest([1])`, nil, ""},
		{`select * from glob('*.csv')`, nil, "calls glob()"},
		{`select * from read_csv('f.csv')`, nil, "calls read_csv()"},
		{`select twice(2) as x`, nil, "calls twice()"},
		{`select stamp() as x`, nil, "calls stamp()"},
		{`select ago(interval 1 day) as x`, nil, "calls ago()"},
		{`select nullif(1, 2) as x, abs(-1) + 1 as y, unnest([1, 2]) as z, upper('a') || 'b' as w`, nil, ""},
		{`select a, row_number() over (partition by a order by b) as rn, sum(b) over () as s, count(*) as n from orders group by all`, []adapter.Relation{orders}, ""},
		{`create table x as select 1`, nil, "cannot be analysed: Only SELECT statements can be serialized to json!"},
	}
	sqls := make([]string, len(cases))
	for i, tc := range cases {
		sqls[i] = tc.sql
	}
	rc := c
	uses, err := rc.ParseUses(ctx, sqls)
	if err != nil {
		t.Fatal(err)
	}
	qs := make([]adapter.ReadCheck, len(cases))
	for i, tc := range cases {
		qs[i] = adapter.ReadCheck{Use: uses[i], Reads: tc.reads}
	}
	got, err := rc.CheckReads(ctx, qs)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range cases {
		if got[i] != tc.want {
			t.Errorf("%s: %q, want %q", tc.sql, got[i], tc.want)
		}
	}
}

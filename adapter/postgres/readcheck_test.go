package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/testenv/pgtest"
)

// TestCheckReads: PostgreSQL's parser and pg_proc's volatility decide
// which queries depend only on the relations they may read.
func TestCheckReads(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Database(t)
	a := open(t, dsn)
	defer a.Close()
	c, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var db string
	for _, f := range strings.Fields(dsn) {
		if v, ok := strings.CutPrefix(f, "dbname="); ok {
			db = v
		}
	}
	if _, err := c.Exec(ctx, `create function twice(x int) returns int language sql immutable as 'select x * 2';
create function stamp() returns timestamptz language sql stable as 'select now()'`); err != nil {
		t.Fatal(err)
	}
	orders := adapter.Relation{Schema: "public", Name: "orders"}
	upper := adapter.Relation{Database: db, Schema: "marts", Name: "Orders"}
	cases := []struct {
		sql   string
		reads []adapter.Relation
		want  string
	}{
		{`select * from "public"."orders"`, []adapter.Relation{orders}, ""},
		{`select * from orders`, []adapter.Relation{orders}, ""},
		{`select * from PUBLIC.ORDERS`, []adapter.Relation{orders}, ""},
		{`select * from "` + db + `"."marts"."Orders"`, []adapter.Relation{upper}, ""},
		{`select * from marts.orders`, []adapter.Relation{upper}, "reads marts.orders, not a ref or source"},
		{`select * from other.marts."Orders"`, []adapter.Relation{upper}, "reads other.marts.Orders, not a ref or source"},
		{`select * from ext.t`, []adapter.Relation{orders}, "reads ext.t, not a ref or source"},
		{`select * from information_schema.tables`, nil, "reads information_schema.tables, not a ref or source"},
		{`with t as (select 1 as x), u as (select x from t) select * from u join public.orders on true`, []adapter.Relation{orders}, ""},
		{`with t as (select * from t) select * from t`, nil, "reads t, not a ref or source"},
		{`select (with t as (select 1 as x) select x from t) as y, * from t`, nil, "reads t, not a ref or source"},
		{`with recursive r(n) as (select 1 union all select n + 1 from r where n < 3) select * from r`, nil, ""},
		{`(with t as (select 1 as x) select x from t) union all select 2`, nil, ""},
		{`select now() as built_at`, nil, "calls now()"},
		{`select current_date as d`, nil, "calls current_date()"},
		{`select * from orders where d >= CURRENT_TIMESTAMP - interval '7 days'`, []adapter.Relation{orders}, "calls current_timestamp()"},
		{`select random() as r`, nil, "calls random()"},
		{`select 'now'::timestamptz as t`, nil, "casts 'now' to timestamptz: reads the clock"},
		{`select date 'today' as d, cast('Tomorrow' as date) as e`, nil, "casts 'today' to date: reads the clock"},
		{`select cast('yesterday' as timestamp) as d`, nil, "casts 'yesterday' to timestamp: reads the clock"},
		{`select date '2000-01-01' as d, 'epoch'::timestamptz as e, interval '7 days' as i, 'now'::text as n`, nil, ""},
		{`select * from orders tablesample bernoulli (10)`, []adapter.Relation{orders}, "samples without REPEATABLE (a seed): random rows"},
		{`select * from orders tablesample system (10) repeatable (42)`, []adapter.Relation{orders}, ""},
		{`select * from unnest(array[1, 2])`, nil, ""},
		// One overload of generate_series (on timestamptz) is stable: a
		// call cannot be told apart before the query is bound.
		{`select * from generate_series(1, 3)`, nil, "calls generate_series()"},
		{`select twice(2) as x, abs(-1) + 1 as y, upper('a') || 'b' as w, pg_catalog.lower('A') as z`, nil, ""},
		{`select stamp() as x`, nil, "calls stamp()"},
		{`select nope() as x`, nil, "calls nope()"},
		{`select a, row_number() over (partition by a order by b) as rn, count(*) as n from orders group by a, b`, []adapter.Relation{orders}, ""},
		{`create table x as select 1`, nil, "cannot be analysed: only SELECT statements are analysed"},
	}
	sqls := make([]string, len(cases))
	for i, tc := range cases {
		sqls[i] = tc.sql
	}
	rc := c.(adapter.ReadChecker)
	uses, err := rc.ParseUses(ctx, sqls)
	if err != nil {
		t.Fatal(err)
	}
	qs := make([]adapter.ReadCheck, len(cases))
	for i, tc := range cases {
		qs[i] = adapter.ReadCheck{Use: uses[i], Reads: tc.reads}
	}
	got, err := rc.CheckReads(ctx, qs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range cases {
		if got[i] != tc.want {
			t.Errorf("%s: %q, want %q", tc.sql, got[i], tc.want)
		}
	}
}

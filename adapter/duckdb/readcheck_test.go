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
	// Asked with an empty cache, then with the cache that call filled:
	// the cached verdicts are the database's.
	cache := &adapter.FuncCache{}
	for _, pass := range []string{"fresh", "cached"} {
		got, err := rc.CheckReads(ctx, qs, cache)
		if err != nil {
			t.Fatal(err)
		}
		for i, tc := range cases {
			if got[i] != tc.want {
				t.Errorf("%s: %s: %q, want %q", pass, tc.sql, got[i], tc.want)
			}
		}
	}
}

// TestCheckReadsFuncCache: CheckReads takes the verdicts on functions
// from its cache while the database's version, extensions and user
// macros are as when they were found (it does not ask duckdb_functions()
// again), and clears the cache when a user macro is created or changed.
func TestCheckReadsFuncCache(t *testing.T) {
	ctx := context.Background()
	c := openConn(t, filepath.Join(t.TempDir(), "shop.duckdb"))
	if _, err := c.Exec(ctx, `create macro twice(x) as x * 2`); err != nil {
		t.Fatal(err)
	}
	check := func(cache *adapter.FuncCache, sql string) string {
		t.Helper()
		uses, err := c.ParseUses(ctx, []string{sql})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.CheckReads(ctx, []adapter.ReadCheck{{Use: uses[0]}}, cache)
		if err != nil {
			t.Fatal(err)
		}
		return got[0]
	}
	cache := &adapter.FuncCache{}
	if got := check(cache, `select abs(-1) as a, twice(2) as b`); got != "calls twice()" {
		t.Fatalf("fresh: %q", got)
	}
	if cache.State == "" || cache.Immutable["f:abs"] != true || cache.Immutable["f:twice"] != false {
		t.Fatalf("cache after the first check: %+v", cache)
	}
	// A verdict the database would not give is taken from the cache as
	// it is: the database was not asked.
	cache.Immutable["f:twice"] = true
	if got := check(cache, `select abs(-1) as a, twice(2) as b`); got != "" {
		t.Fatalf("cached: %q, want the cached verdict", got)
	}
	state := cache.State
	for _, ddl := range []string{
		`create or replace macro twice(x) as x * 3`,     // changed
		`create macro abs(x) as random()`,               // created, shadowing DuckDB's abs
		`create or replace temp macro half(x) as x / 2`, // a temporary macro
	} {
		if _, err := c.Exec(ctx, ddl); err != nil {
			t.Fatal(err)
		}
		cache.Immutable["f:twice"] = true
		got := check(cache, `select twice(2) as b`)
		if got != "calls twice()" || cache.State == state {
			t.Errorf("after %s: %q, state %q (was %q); want the cache cleared", ddl, got, cache.State, state)
		}
		state = cache.State
	}
	if got := check(cache, `select abs(-1) as a`); got != "calls abs()" {
		t.Errorf("abs shadowed by a user macro: %q", got)
	}
}

package engine

import "testing"

// TestShowWrite: kiln show runs the statements that only read and
// refuses the first that may write, at its offset.
func TestShowWrite(t *testing.T) {
	reads := []string{
		"select 1",
		"with a as (select 1 as x) select x from a",
		"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
		"from t select x",
		"(select 1) union all (select 2)",
		"values (1, 'into')",
		"table t",
		"pragma table_info('t')",
		"describe t",
		"show tables",
		"summarize t",
		"explain select * from t",
		"pivot t on k using sum(v)",
		"select 'insert into t' as s; select 2",
		"set search_path = 'main'; select 1",
		"-- a comment\nselect 1",
	}
	for _, q := range reads {
		if off, text, ok := showWrite(q); ok {
			t.Errorf("%q: refused at %d (%s), want it run", q, off, text)
		}
	}
	writes := []struct {
		q    string
		off  int
		text string
	}{
		{"update t set x = 0", 0, "update t set x = 0"},
		{"select 1;\n  delete from t", 12, "delete from t"},
		{"insert into t values (1)", 0, "insert into t values (1)"},
		{"create or replace table u as select 1", 0, "create or replace table u as select 1"},
		{"create index i on t (x)", 0, "create index i on t (x)"},
		{"drop view v", 0, "drop view v"},
		{"alter table t add column y int", 0, "alter table t add column y int"},
		{"copy t to 'x.csv'", 0, "copy t to 'x.csv'"},
		{"attach 'o.duckdb' as o", 0, "attach 'o.duckdb' as o"},
		{"detach o", 0, "detach o"},
		{"comment on table t is 'c'", 0, "comment on table t is 'c'"},
		{"grant select on t to bob", 0, "grant select on t to bob"},
		{"call dbgen(sf = 0.01)", 0, "call dbgen(sf = 0.01)"},
		{"checkpoint", 0, "checkpoint"},
		{"truncate t", 0, "truncate t"},
		{"merge into t using s on t.id = s.id when matched then delete", 0, "merge into t using s on t.id = s.id when..."},
		{"with d as (delete from t returning *) select * from d", 0, "with d as (delete from t returning *) se..."},
		{"from t select x; drop table t", 17, "drop table t"},
		{"select * into u from t", 0, "select * into u from t"},
		{"select nextval('s')", 0, "select nextval('s')"},
		{"pragma create_fts_index('t', 'id', 'body')", 0, "pragma create_fts_index('t', 'id', 'body..."},
		{"explain analyze delete from t", 0, "explain analyze delete from t"},
		{"install httpfs", 0, "install httpfs"},
	}
	for _, w := range writes {
		off, text, ok := showWrite(w.q)
		if !ok || off != w.off || text != w.text {
			t.Errorf("%q: showWrite = %d, %q, %v; want %d, %q, true", w.q, off, text, ok, w.off, w.text)
		}
	}
	if l, c := lineCol("select 1;\n  delete from t", 12); l != 2 || c != 3 {
		t.Errorf("lineCol = %d:%d, want 2:3", l, c)
	}
}

// TestShowEffect: kiln show refuses a call of a function whose effect
// outlives its read-only transaction, by name, wherever the statement
// calls it; a name in a string, a column of that name and the functions
// whose effect the rollback undoes run.
func TestShowEffect(t *testing.T) {
	for _, q := range []string{
		"select 1 as pg_advisory_lock",
		"select 'pg_advisory_lock(1)' as s",
		"select pg_advisory_xact_lock(1)",
		"select set_config('work_mem', '1MB', false)",
		"select pg_notify('c', 'x')",
	} {
		if _, fn, _, ok := showEffect(q); ok {
			t.Errorf("%q: refused (%s), want it run", q, fn)
		}
	}
	for q, want := range map[string]string{
		"select pg_advisory_lock(1)":                             "pg_advisory_lock",
		"select 1;\nselect PG_CATALOG.PG_TRY_ADVISORY_LOCK(2)":   "pg_try_advisory_lock",
		"select * from dblink('x', 'delete from t') as t(a int)": "dblink",
		"with s as (select pg_stat_reset()) select 1":            "pg_stat_reset",
	} {
		if _, fn, _, ok := showEffect(q); !ok || fn != want {
			t.Errorf("%q: showEffect = %q, %v; want %q", q, fn, ok, want)
		}
	}
}

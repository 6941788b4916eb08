package engine

import (
	"reflect"
	"testing"
)

// TestStmtWrites: statements harmless to data are left out, a write names
// its relation (unquoted, lower case) or "" when its form cannot tell.
func TestStmtWrites(t *testing.T) {
	for sql, want := range map[string][]string{
		"select 1":                                              nil,
		"grant select on t to public":                           nil,
		"create index i on main.t (id)":                         nil,
		"create unique index i on t (id)":                       nil,
		"create schema if not exists ext":                       nil,
		"comment on table t is 'x'":                             nil,
		"analyze t; checkpoint; set x = 1":                      nil,
		"copy t to 'out.csv'":                                   nil,
		"copy (select 1) to 'out.csv'":                          nil,
		"explain select 1":                                      nil,
		"with a as (select 1) select * from a":                  nil,
		"-- note\ninsert into Main.\"T\" values (1)":            {"main.t"},
		"insert or replace into t select 1":                     {"t"},
		"update only s.t set x = 1":                             {"s.t"},
		"delete from t where id > 1; select 1":                  {"t"},
		"merge into t using u on true when matched then delete": {"t"},
		"truncate table t":                                      {"t"},
		"copy t from 'in.csv'":                                  {"t"},
		"create or replace temp table x as select 1":            {"x"},
		"create table if not exists ext.t as select 1":          {"ext.t"},
		"drop view if exists v":                                 {"v"},
		"alter table t add column y int":                        {"t"},
		"call my_proc()":                                        {""},
		"with d as (delete from t returning *) select * from d": {""},
		"explain analyze delete from t":                         {""},
		"drop schema s cascade":                                 {""},
		"do $$ begin end $$":                                    {""},
		"select 1; update t set x = 2":                          {"t"},
		"truncate a, s.b":                                       {"a", "s.b"},
		"drop table if exists a, b cascade":                     {"a", "b"},
		"alter table s.a rename to b":                           {"s.a", "s.b"},
		"alter table a rename column x to y":                    {"a"},
	} {
		if got := stmtWrites(sql); !reflect.DeepEqual(got, want) {
			t.Errorf("stmtWrites(%q) = %q, want %q", sql, got, want)
		}
	}
}

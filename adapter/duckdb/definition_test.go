package duckdb

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter"
)

// TestTableDefinition: the statements DefinitionStatements makes from
// DuckDB's catalog create the table again with the same definition (the
// create table of duckdb_tables(), the indexes, the comments), under its
// quoted name in its schema, also in schema main, where DuckDB writes the
// name unqualified; a table with a generated column has none.
func TestTableDefinition(t *testing.T) {
	ctx := context.Background()
	c := openConn(t, filepath.Join(t.TempDir(), "def.duckdb"))
	var d Dialect
	for _, q := range []string{
		`create schema "My ""S"""`,
		`create table "My ""S"""."T x" (id integer primary key, "a b" varchar default 'x;y' not null, c integer check (c > 0), u integer unique)`,
		`create table main."Inc" (id integer, v varchar default 'd')`,
		`create table main.gen (id integer, g integer generated always as (id * 2) virtual)`,
		`comment on table "My ""S"""."T x" is 'it''s kept'`,
		`comment on column "My ""S"""."T x"."a b" is 'col'`,
		`create index "ix ""q""" on "My ""S"""."T x" (("a b" || 'z'))`,
		`create unique index Ix2 on "My ""S"""."T x" (c)`,
		`create index inc_v on main."Inc" (v)`,
	} {
		if _, err := c.Run(ctx, adapter.Plain(q)); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	catalog := func(schema, name string) string {
		t.Helper()
		where := " where schema_name = '" + strings.ReplaceAll(schema, "'", "''") + "' and table_name = '" + name + "'"
		_, rows, err := c.QueryRows(ctx, "select sql, coalesce(comment, '') from duckdb_tables()"+where+
			" union all (select sql, coalesce(comment, '') from duckdb_indexes()"+where+" order by index_name)"+
			" union all (select column_name, coalesce(comment, '') from duckdb_columns()"+where+" order by column_index)")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, r[0].(string)+" / "+r[1].(string))
		}
		return strings.Join(out, "\n")
	}
	statements := func(rel adapter.Relation) []string {
		t.Helper()
		_, rows, err := c.QueryRows(ctx, d.TableDefinition(rel).SQL)
		if err != nil {
			t.Fatal(err)
		}
		return d.DefinitionStatements(rel, rows)
	}
	for _, rel := range []adapter.Relation{{Schema: `My "S"`, Name: "T x"}, {Schema: "main", Name: "Inc"}} {
		want := catalog(rel.Schema, rel.Name)
		stmts := statements(rel)
		if len(stmts) == 0 || !strings.HasPrefix(stmts[0], "CREATE TABLE "+rel.String()+"(") {
			t.Fatalf("%s: statements %q", rel, stmts)
		}
		if _, err := c.Run(ctx, adapter.Plain("drop table "+rel.String())); err != nil {
			t.Fatal(err)
		}
		for _, s := range stmts {
			if _, err := c.Run(ctx, adapter.Plain(s)); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		if got := catalog(rel.Schema, rel.Name); got != want {
			t.Errorf("%s created again:\n%s\nwant\n%s", rel, got, want)
		}
	}
	if got := statements(adapter.Relation{Schema: "main", Name: "gen"}); got != nil {
		t.Errorf("a table with a generated column has statements %q", got)
	}
	if got := statements(adapter.Relation{Schema: "main", Name: "nosuch"}); got != nil {
		t.Errorf("a missing table has statements %q", got)
	}
}

// TestAlterUnsafe: AlterUnsafe says true of every table whose ALTER
// TABLE adding a column DuckDB fails to replay from its write-ahead log
// (a CHECK or DEFAULT calling a function or an operator), checked against
// DuckDB itself: a database closed without its checkpoint after the
// ALTER, as a kill leaves it, reopens whenever AlterUnsafe says false.
// A CHECK of constants replays but is counted unsafe (only slower), and
// so is a generated column (one of an operator does not replay).
func TestAlterUnsafe(t *testing.T) {
	ctx := context.Background()
	var d Dialect
	for _, c := range []struct {
		columns string
		unsafe  bool
	}{
		{"id integer, v varchar", false},
		{"id integer default 7, v varchar default 'a''b', w integer default -1, x double default 1.5, y boolean default true", false},
		{"id integer primary key, v varchar not null unique", false},
		{`"default(" integer, "check(" varchar default 'CHECK(x)'`, false},
		{"id integer check (id > 0)", true},
		{"v varchar check (length(v) > 0)", true},
		{"id integer default nextval('s')", true},
		{"t timestamp default now()", true},
		{"t timestamp default current_timestamp", true},
		{"v varchar default 'a' || 'b'", true},
		{"id integer default 1 + 1", true},
		{"l integer[] default [1, 2]", true},
		{"d date default '2020-01-01'::date", false},
		{"d decimal(5, 2) default 1.5", false},
		{"d varchar default cast(now() as varchar)", true},
		{"id integer, g integer generated always as (id * 2) virtual", true},
	} {
		path := filepath.Join(t.TempDir(), "u.duckdb")
		a, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		ac, err := a.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"create sequence s", "create table t (" + c.columns + ")", "checkpoint",
			"pragma disable_checkpoint_on_shutdown", "alter table t add column extra integer"} {
			if _, err := ac.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		_, rows, err := ac.QueryRows(ctx, "select sql from duckdb_tables() where table_name = 't'")
		if err != nil {
			t.Fatal(err)
		}
		create := rows[0][0].(string)
		ac.Close()
		a.Close()
		if got := d.AlterUnsafe(create); got != c.unsafe {
			t.Errorf("AlterUnsafe(%s) = %v, want %v", create, got, c.unsafe)
		}
		a, err = Open(ctx, path)
		if err == nil {
			a.Close()
		}
		if err != nil && !d.AlterUnsafe(create) {
			t.Errorf("%s: DuckDB cannot replay the alter, and AlterUnsafe says false: %v", create, err)
		}
	}
}

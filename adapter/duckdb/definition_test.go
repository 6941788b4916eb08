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

package adaptertest

import (
	"reflect"
	"testing"

	"github.com/kiln-build/kiln/adapter"
)

// testTableDefiner checks a dialect's adapter.TableDefiner as the
// journal's rollback uses it: the statements read from a table with a
// primary key, a default, not null, an index and a comment create it
// again, around a drop of the table and the insert of a copy's rows by
// column name (the statements before the create table ahead of the
// drop), with the same columns, rows, constraints and, read again, the
// same definition. A dialect without it is skipped.
func testTableDefiner(t *testing.T, e *env) {
	c, d := e.c, e.d
	td, ok := d.(adapter.TableDefiner)
	if !ok {
		t.Skip("the dialect does not implement adapter.TableDefiner")
	}
	run(t, c, d.CreateSchema("def"))
	rel := adapter.Relation{Schema: "def", Name: "t"}
	backup := adapter.Relation{Schema: "def", Name: "t__copy"}
	exec(t, c, "create table def.t (id integer primary key, v varchar not null default 'x', n integer)")
	exec(t, c, "insert into def.t values (1, 'a', 10), (2, 'b', 20)")
	exec(t, c, "create index t_by_n on def.t (n)")
	exec(t, c, "comment on table def.t is 'the t'")
	read := func() []string {
		t.Helper()
		def := td.DefinitionStatements(rel, rowsOf(t, c, td.TableDefinition(rel).SQL))
		if len(def) == 0 {
			t.Fatal("DefinitionStatements gave no statements")
		}
		return def
	}
	def := read()
	at := adapter.CreateTableAt(def)
	if at < 0 {
		t.Fatalf("no create table among %q", def)
	}
	cols, err := c.Columns(ctx, rel)
	if err != nil {
		t.Fatal(err)
	}
	want := rowsOf(t, c, d.SelectAll(rel, "")+" order by id")

	// A run: the copy kept, a row added; then the rollback.
	run(t, c, d.CopyTable(rel, backup))
	exec(t, c, "insert into def.t values (3, 'c', 30)")
	err = c.Tx(ctx, func() error {
		for _, s := range def[:at] {
			if _, err := c.Run(ctx, adapter.Plain(s)); err != nil {
				return err
			}
		}
		names := make([]string, len(cols))
		for i, col := range cols {
			names[i] = col.Name
		}
		for _, s := range []adapter.Stmt{d.DropRelation(rel, adapter.Table, false), adapter.Plain(def[at]), d.InsertColumns(rel, backup, names, "")} {
			if _, err := c.Run(ctx, s); err != nil {
				return err
			}
		}
		for _, s := range def[at+1:] {
			if _, err := c.Run(ctx, adapter.Plain(s)); err != nil {
				return err
			}
		}
		_, err := c.Run(ctx, d.DropRelation(backup, adapter.Table, false))
		return err
	})
	if err != nil {
		t.Fatalf("creating the table again from %q: %v", def, err)
	}
	if got, err := c.Columns(ctx, rel); err != nil || !reflect.DeepEqual(got, cols) {
		t.Errorf("columns after: %v (%v), want %v", got, err, cols)
	}
	if got := rowsOf(t, c, d.SelectAll(rel, "")+" order by id"); !reflect.DeepEqual(got, want) {
		t.Errorf("rows after: %v, want %v", got, want)
	}
	if got := read(); !reflect.DeepEqual(got, def) {
		t.Errorf("definition read again:\n%q\nwant\n%q", got, def)
	}
	exec(t, c, "insert into def.t (id) values (3)")
	if got := rowsOf(t, c, "select v from def.t where id = 3"); !reflect.DeepEqual(got, [][]any{{"x"}}) {
		t.Errorf("the default gave %v, want x", got)
	}
	for _, q := range []string{"insert into def.t values (1, 'dup', 0)", "insert into def.t values (4, null, 0)"} {
		if _, err := c.Exec(ctx, q); err == nil {
			t.Errorf("%s: no error, want the table's constraint to refuse it", q)
		}
	}
}

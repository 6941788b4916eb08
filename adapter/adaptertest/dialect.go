package adaptertest

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
)

// checkBody fails unless s's Body points at query's text in s.SQL.
func checkBody(t *testing.T, what string, s adapter.Stmt, query string) {
	t.Helper()
	body := strings.TrimRight(strings.TrimSpace(query), "; \n")
	if s.Body < 0 || !strings.HasPrefix(s.SQL[s.Body:], body) {
		t.Errorf("%s: Body %d does not point at the query in %q", what, s.Body, s.SQL)
	}
}

func testDialect(t *testing.T, e *env) {
	c, d := e.c, e.d
	odd := `we"ird name`
	if got := rowsOf(t, c, "select "+d.Literal(`it's`)+" as "+d.Quote(odd)); got[0][0] != "it's" {
		t.Errorf("Literal round trip: %v", got)
	}
	cols, _, err := c.QueryRows(ctx, "select 1 as "+d.Quote(odd))
	if err != nil || cols[0] != odd {
		t.Errorf("Quote round trip: %v, %v", cols, err)
	}

	run(t, c, d.CreateSchema("dia"))
	run(t, c, d.CreateSchema("dia")) // if not exists
	src := adapter.Relation{Schema: "dia", Name: odd}
	q := "select 1 as id, 'a' as v union all select 2, 'b' union all select 3, 'c';\n"
	s := d.CreateTableAs(src, q)
	checkBody(t, "CreateTableAs", s, q)
	if n := run(t, c, s); n != 3 || !s.CountRows {
		t.Errorf("CreateTableAs: %d rows (CountRows %v), want 3", n, s.CountRows)
	}
	if k, _ := c.RelationKind(ctx, src); k != adapter.Table {
		t.Fatalf("CreateTableAs made a %q", k)
	}
	view := adapter.Relation{Schema: "dia", Name: "v1"}
	vs := d.CreateViewAs(view, "select id from "+d.QuoteRelation(src)+" where id > 1")
	checkBody(t, "CreateViewAs", vs, "select id from")
	run(t, c, vs)
	run(t, c, d.CreateViewAs(view, "select id, v from "+d.QuoteRelation(src))) // or replace
	if got := rowsOf(t, c, "select count(*), max(v) from "+d.QuoteRelation(view)); got[0][0] != int64(3) || got[0][1] != "c" {
		t.Errorf("the replaced view reads %v", got)
	}

	empty := adapter.Relation{Schema: "dia", Name: "empty"}
	types, err := c.NormalizeTypes(ctx, []string{"integer", "varchar"})
	if err != nil {
		t.Fatal(err)
	}
	run(t, c, d.CreateTable(empty, []adapter.Column{{Name: "id", Type: types[0]}, {Name: "v", Type: types[1]}}))
	if got, _ := c.Columns(ctx, empty); len(got) != 2 || got[0].Name != "id" || got[1].Type != types[1] {
		t.Errorf("CreateTable made %v", got)
	}
	ins := d.Insert(empty, "select id, v from "+d.QuoteRelation(src)+" where id <= 2")
	checkBody(t, "Insert", ins, "select id, v from")
	if n := run(t, c, ins); n != 2 {
		t.Errorf("Insert: %d rows, want 2", n)
	}

	cp := adapter.Relation{Schema: "dia", Name: "copy"}
	run(t, c, d.CopyTable(src, cp))
	if n := count(t, c, d.CountRows(d.QuoteRelation(cp))); n != 3 {
		t.Errorf("CopyTable: %d rows, want 3", n)
	}
	run(t, c, d.AddColumns(cp, []adapter.Column{{Name: "extra", Type: types[1]}, {Name: "more", Type: types[0]}}))
	if got, _ := c.Columns(ctx, cp); len(got) != 4 || got[2].Name != "extra" || got[3].Name != "more" {
		t.Errorf("AddColumns: %v", got)
	}

	renamed := adapter.Relation{Schema: "dia", Name: "renamed"}
	run(t, c, d.RenameRelation(cp, adapter.Table, renamed.Name))
	run(t, c, d.RenameRelation(view, adapter.View, "v2"))
	if k, _ := c.RelationKind(ctx, renamed); k != adapter.Table {
		t.Errorf("RenameRelation(table): %q", k)
	}
	if k, _ := c.RelationKind(ctx, adapter.Relation{Schema: "dia", Name: "v2"}); k != adapter.View {
		t.Errorf("RenameRelation(view): %q", k)
	}
	run(t, c, d.DropRelation(adapter.Relation{Schema: "dia", Name: "v2"}, adapter.View, false))
	run(t, c, d.DropRelation(renamed, adapter.Table, false))
	run(t, c, d.DropRelation(renamed, adapter.Table, true))
	if _, err := c.Run(ctx, d.DropRelation(renamed, adapter.Table, false)); err == nil {
		t.Error("dropping a missing table without if exists succeeded")
	}
	if k, _ := c.RelationKind(ctx, renamed); k != "" {
		t.Errorf("DropRelation left a %q", k)
	}

	// The test query: dbt's get_test_sql with fail_calc and limit.
	failing := "select * from " + d.QuoteRelation(src) + " where id >= 2"
	for _, tc := range []struct {
		calc  string
		limit int64
		want  int64
	}{{"", -1, 2}, {"", 1, 1}, {"sum(id)", -1, 5}, {"count(*)", 0, 0}} {
		s := d.TestQuery(failing+";", tc.calc, tc.limit)
		checkBody(t, "TestQuery", s, failing)
		if n := count(t, c, s.SQL); n != tc.want {
			t.Errorf("TestQuery(fail_calc %q, limit %d) = %d, want %d", tc.calc, tc.limit, n, tc.want)
		}
	}
	checkBody(t, "Describe", d.Describe(failing), failing)
	checkBody(t, "CopyToCSV", d.CopyToCSV(failing, "/tmp/x.csv"), failing)
	if got := rowsOf(t, c, d.NormalizeTypes([]string{"integer"})); len(got) != 1 || len(got[0]) != 1 {
		t.Errorf("NormalizeTypes query: %v", got)
	}
	if got := rowsOf(t, c, d.SelectAll(src, "")); len(got) != 3 {
		t.Errorf("SelectAll: %d rows", len(got))
	}
	if n := count(t, c, d.CountRows("(select 1 union all select 2) as x")); n != 2 {
		t.Errorf("CountRows(subquery) = %d", n)
	}
	// A statement's error position maps into the user's query through
	// Body.
	bad := "select 1 as id,\n  no_such_column as v"
	s = d.CreateTableAs(adapter.Relation{Schema: "dia", Name: "bad"}, bad)
	_, err = c.Run(ctx, s)
	var de *adapter.Error
	if !errors.As(err, &de) || de.Class != adapter.Semantic || de.Line == 0 {
		t.Fatalf("an unknown column: %v, want a semantic *adapter.Error with a position", err)
	}
	line, col := at(s.SQL, de.Line, de.Col)
	if off := line - s.Body; off < 0 || !strings.HasPrefix(s.SQL[line:], "no_such_column") {
		t.Errorf("the error is at byte %d (%q), col %d, want no_such_column in the body", line, s.SQL[line:], col)
	}
}

// at returns the byte offset in s of 1-based line and column.
func at(s string, line, col int) (int, int) {
	off := 0
	for i := 1; i < line; i++ {
		j := strings.IndexByte(s[off:], '\n')
		if j < 0 {
			return len(s), col
		}
		off += j + 1
	}
	return off + col - 1, col
}

func testUnitTestSQL(t *testing.T, e *env) {
	c, d := e.c, e.d
	types, err := c.NormalizeTypes(ctx, []string{"integer", "varchar", "double precision"})
	if err != nil {
		t.Fatal(err)
	}
	given := graph.Rows{Columns: []string{"id", "name"}, Values: [][]any{{int64(1), "a"}, {int64(2), nil}}}
	// Typed like a real input, with a column the rows leave out.
	q := d.GivenRows(given, []adapter.Column{{Name: "id", Type: types[0]}, {Name: "price", Type: types[2]}, {Name: "name", Type: types[1]}})
	cols, rows, err := c.QueryRows(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if !reflect.DeepEqual(cols, []string{"id", "price", "name"}) || len(rows) != 2 || rows[0][0] != int64(1) || rows[0][1] != nil || rows[1][2] != nil {
		t.Errorf("GivenRows(typed) = %v %v", cols, rows)
	}
	if _, rows, err := c.QueryRows(ctx, d.GivenRows(graph.Rows{Columns: []string{"id"}}, []adapter.Column{{Name: "id", Type: types[0]}})); err != nil || len(rows) != 0 {
		t.Errorf("GivenRows(no rows) = %v, %v", rows, err)
	}
	if _, rows, err := c.QueryRows(ctx, d.GivenRows(given, nil)); err != nil || len(rows) != 2 {
		t.Errorf("GivenRows(untyped) = %v, %v", rows, err)
	}
	if _, rows, err := c.QueryRows(ctx, d.GivenRows(graph.Rows{SQL: "select 5 as x;"}, nil)); err != nil || len(rows) != 1 {
		t.Errorf("GivenRows(sql) = %v, %v", rows, err)
	}
	model := "-- a comment\nwith x as (select * from given_in)\nselect id, upper(name) as name from x"
	withCTEs := d.WithCTEs(model, []string{"given_in as (\n" + d.GivenRows(given, nil) + "\n)"})
	if !strings.HasPrefix(withCTEs, "-- a comment\nwith") {
		t.Errorf("WithCTEs moved the leading comment: %q", withCTEs)
	}
	if _, rows, err := c.QueryRows(ctx, withCTEs); err != nil || len(rows) != 2 {
		t.Fatalf("WithCTEs: %v, %v\n%s", rows, err, withCTEs)
	}
	plain := d.WithCTEs("select * from given_in", []string{"given_in as (select 1 as id)"})
	if n := count(t, c, plain); n != 1 {
		t.Errorf("WithCTEs on a query without WITH: %d", n)
	}
	expect := graph.Rows{Columns: []string{"id", "name"}, Values: [][]any{{int64(1), "A"}, {int64(3), "C"}}}
	diff := d.UnitTestDiff(withCTEs, expect, map[string]string{"id": types[0], "name": types[1]})
	_, rows, err = c.QueryRows(ctx, diff+" order by 1, 2")
	if err != nil {
		t.Fatalf("UnitTestDiff: %v\n%s", err, diff)
	}
	want := [][]any{{"missing", int64(3), "C"}, {"unexpected", int64(2), nil}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("UnitTestDiff = %v, want %v", rows, want)
	}
	same := graph.Rows{Columns: []string{"id", "name"}, Values: [][]any{{int64(2), nil}, {int64(1), "A"}}}
	if _, rows, err := c.QueryRows(ctx, d.UnitTestDiff(withCTEs, same, map[string]string{"id": types[0], "name": types[1]})); err != nil || len(rows) != 0 {
		t.Errorf("UnitTestDiff of equal multisets = %v, %v", rows, err)
	}
}

func testErrors(t *testing.T, cfg Config, e *env) {
	c := e.c
	for _, tc := range []struct {
		q     string
		class adapter.Class
		line  int
	}{
		{"select 1 as a,\n  2 as b fromm x", adapter.Syntax, 2},
		{"select 1 as a,\n  no_such_col as b", adapter.Semantic, 2},
		{"select * from no_such_table", adapter.Semantic, 1},
		{"select cast('abc' as integer)", adapter.Data, 0},
	} {
		_, _, err := c.QueryRows(ctx, tc.q)
		var de *adapter.Error
		if !errors.As(err, &de) {
			t.Errorf("%s: %v (%T), want *adapter.Error", tc.q, err, err)
			continue
		}
		if de.Class != tc.class || (tc.line > 0 && de.Line != tc.line) || strings.Contains(de.Error(), "\n") {
			t.Errorf("%s: class %s, line %d, message %q; want class %s, line %d, one line", tc.q, de.Class, de.Line, de.Error(), tc.class, tc.line)
		}
		if adapter.IsTransient(err) {
			t.Errorf("%s: a mistake counted as transient", tc.q)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err := c.QueryRows(cctx, "select 1")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled query: %v, want context.Canceled", err)
	}
	// The connection still works.
	if n := count(t, c, "select 1"); n != 1 {
		t.Errorf("after a cancellation: %d", n)
	}
	if cfg.Conflict != nil {
		err := cfg.Conflict(t, e.a)
		var de *adapter.Error
		if !errors.As(err, &de) || de.Class != adapter.Transient || !adapter.IsTransient(err) {
			t.Errorf("a transaction conflict: %v, want a transient *adapter.Error", err)
		}
	}
}

// testForeignKeyOrphans checks the query of a foreign key kiln checks: the
// rows whose key, none of its columns NULL, matches no row of the
// referenced relation (a relation named with odd characters, a key of two
// columns), counted, with one of them; no row when every key matches.
func testForeignKeyOrphans(t *testing.T, e *env) {
	c, d := e.c, e.d
	run(t, c, d.CreateSchema("fk"))
	parent := adapter.Relation{Schema: "fk", Name: `pa"rent`}
	child := adapter.Relation{Schema: "fk", Name: "child"}
	run(t, c, d.CreateTableAs(parent, "select 1 as id, 'a' as v union all select 2, 'b'"))
	run(t, c, d.CreateTableAs(child, "select 1 as pid, 'a' as pv union all select 4, 'a' union all select null, 'z' union all select 2, 'z' union all select 1, null"))
	cols := []string{d.Quote("pid"), d.Quote("pv")}
	to := []string{d.Quote("id"), d.Quote("v")}
	// One column: 4 is missing; the NULL references nothing.
	got := rowsOf(t, c, d.ForeignKeyOrphans(child, cols[:1], d.QuoteRelation(parent), to[:1]).SQL)
	if len(got) != 1 || got[0][0] != int64(1) || got[0][1] != int64(4) {
		t.Errorf("ForeignKeyOrphans(pid) = %v, want [[1 4]]", got)
	}
	// Two columns: (4, a) and (2, z) are missing; (1, NULL) and (NULL, z) reference nothing.
	got = rowsOf(t, c, d.ForeignKeyOrphans(child, cols, d.QuoteRelation(parent), to).SQL)
	if len(got) != 1 || got[0][0] != int64(2) || len(got[0]) != 3 {
		t.Errorf("ForeignKeyOrphans(pid, pv) = %v, want one row counting 2", got)
	}
	run(t, c, d.DeleteWhere(child, d.Quote("pid")+" = 4 or "+d.Quote("pv")+" = 'z'"))
	if got := rowsOf(t, c, d.ForeignKeyOrphans(child, cols, d.QuoteRelation(parent), to).SQL); len(got) != 0 {
		t.Errorf("ForeignKeyOrphans with every key there = %v, want no row", got)
	}
}

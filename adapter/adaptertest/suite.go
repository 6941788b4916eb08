// Package adaptertest is the conformance suite of kiln's adapters: one set
// of tests that every implementation of adapter.Adapter must pass, run
// from the implementation's own tests:
//
//	func TestConformance(t *testing.T) {
//		adaptertest.Run(t, adaptertest.Config{Open: func(t *testing.T) adapter.Adapter { ... }})
//	}
//
// It covers each method of Adapter, Conn, Rows, RowWriter, Dialect and
// Store against a real database: statements are run and their effects
// read back, errors are classified, positions point at the failing token.
package adaptertest

import (
	"context"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// Config describes the adapter under test.
type Config struct {
	// Open opens a new, empty database for one test; the suite closes it.
	Open func(t *testing.T) adapter.Adapter
	// Locked, when set, opens a database that another process holds and
	// returns Open's error, which must be *adapter.LockError.
	Locked func(t *testing.T) error
	// Conflict, when set, provokes on a an error the database reports for
	// a conflict between two transactions, which must be transient.
	Conflict func(t *testing.T, a adapter.Adapter) error
}

// Run runs the suite.
func Run(t *testing.T, cfg Config) {
	t.Run("Adapter", func(t *testing.T) { testAdapter(t, cfg) })
	t.Run("Exec", func(t *testing.T) { testExec(t, newEnv(t, cfg)) })
	t.Run("Query", func(t *testing.T) { testQuery(t, newEnv(t, cfg)) })
	t.Run("QueryInt", func(t *testing.T) { testQueryInt(t, newEnv(t, cfg)) })
	t.Run("Tx", func(t *testing.T) { testTx(t, newEnv(t, cfg)) })
	t.Run("Once", func(t *testing.T) { testOnce(t, newEnv(t, cfg)) })
	t.Run("Catalog", func(t *testing.T) { testCatalog(t, newEnv(t, cfg)) })
	t.Run("Bulk", func(t *testing.T) { testBulk(t, newEnv(t, cfg)) })
	t.Run("ExportCSV", func(t *testing.T) { testExportCSV(t, newEnv(t, cfg)) })
	t.Run("Errors", func(t *testing.T) { testErrors(t, cfg, newEnv(t, cfg)) })
	t.Run("Dialect", func(t *testing.T) { testDialect(t, newEnv(t, cfg)) })
	t.Run("Incremental", func(t *testing.T) { testIncremental(t, newEnv(t, cfg)) })
	t.Run("Snapshot", func(t *testing.T) { testSnapshot(t, newEnv(t, cfg)) })
	t.Run("SnapshotBackdated", func(t *testing.T) { testSnapshotBackdated(t, newEnv(t, cfg)) })
	t.Run("UnitTestSQL", func(t *testing.T) { testUnitTestSQL(t, newEnv(t, cfg)) })
	t.Run("ForeignKeyOrphans", func(t *testing.T) { testForeignKeyOrphans(t, newEnv(t, cfg)) })
	t.Run("TableDefiner", func(t *testing.T) { testTableDefiner(t, newEnv(t, cfg)) })
	t.Run("Store", func(t *testing.T) { testStore(t, newEnv(t, cfg)) })
	t.Run("StoreBulk", func(t *testing.T) { testStoreBulk(t, newEnv(t, cfg)) })
	t.Run("Intervals", func(t *testing.T) { testIntervals(t, newEnv(t, cfg)) })
	t.Run("Observations", func(t *testing.T) { testObservations(t, newEnv(t, cfg)) })
}

// open opens a database closed at the end of the test.
func open(t *testing.T, cfg Config) adapter.Adapter {
	t.Helper()
	a := cfg.Open(t)
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return a
}

// connOf returns a connection of a, closed at the end of the test
// (before a is).
func connOf(t *testing.T, a adapter.Adapter) adapter.Conn {
	t.Helper()
	c, err := a.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// env is a test's database: its adapter, a connection and the dialect.
type env struct {
	a adapter.Adapter
	c adapter.Conn
	d adapter.Dialect
}

func newEnv(t *testing.T, cfg Config) *env {
	a := open(t, cfg)
	return &env{a: a, c: connOf(t, a), d: a.Dialect()}
}

var ctx = context.Background()

func exec(t *testing.T, c adapter.Conn, q string) int64 {
	t.Helper()
	n, err := c.Exec(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func run(t *testing.T, c adapter.Conn, s adapter.Stmt) int64 {
	t.Helper()
	n, err := c.Run(ctx, s)
	if err != nil {
		t.Fatalf("%s: %v", s.SQL, err)
	}
	return n
}

func rowsOf(t *testing.T, c adapter.Conn, q string) [][]any {
	t.Helper()
	_, rows, err := c.QueryRows(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return rows
}

func count(t *testing.T, c adapter.Conn, q string) int64 {
	t.Helper()
	n, err := c.QueryInt(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func testAdapter(t *testing.T, cfg Config) {
	a := open(t, cfg)
	if a.Type() == "" || a.Version() == "" || a.Dialect() == nil {
		t.Fatalf("Type %q, Version %q, Dialect %v: want all set", a.Type(), a.Version(), a.Dialect())
	}
	found := false
	for _, typ := range adapter.Types() {
		found = found || typ == a.Type()
	}
	if !found {
		t.Errorf("adapter type %q is not registered (adapter.Register in the package's init)", a.Type())
	}
	c1, c2 := connOf(t, a), connOf(t, a)
	exec(t, c1, "create table shared_t (x integer)")
	exec(t, c1, "insert into shared_t values (1)")
	if n := count(t, c2, "select count(*) from shared_t"); n != 1 {
		t.Errorf("a second connection sees %d rows of what the first wrote, want 1", n)
	}
	if cfg.Locked != nil {
		err := cfg.Locked(t)
		var le *adapter.LockError
		if !errors.As(err, &le) {
			t.Errorf("opening a database another process holds: %v (%T), want *adapter.LockError", err, err)
		} else if msg := le.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "locked") {
			t.Errorf("LockError.Error() = %q", msg)
		}
		if !adapter.IsTransient(err) {
			t.Errorf("a lock error is not transient")
		}
	}
}

func testExec(t *testing.T, e *env) {
	c := e.c
	if n := exec(t, c, "create table e (id integer, name varchar)"); n != 0 {
		t.Errorf("create table: %d rows, want 0", n)
	}
	if n := exec(t, c, "insert into e values (1, 'a'), (2, 'b'), (3, 'c')"); n != 3 {
		t.Errorf("insert: %d rows, want 3", n)
	}
	if n := exec(t, c, "update e set name = 'z' where id >= 2"); n != 2 {
		t.Errorf("update: %d rows, want 2", n)
	}
	if n := exec(t, c, "delete from e where id = 1"); n != 1 {
		t.Errorf("delete: %d rows, want 1", n)
	}
	exec(t, c, "create table e2 (x integer); insert into e2 values (7)")
	if n := count(t, c, "select x from e2"); n != 7 {
		t.Errorf("two statements in one Exec: x = %d, want 7", n)
	}
	if n := run(t, c, adapter.Plain("drop table e2")); n != 0 {
		t.Errorf("Run(drop): %d, want 0", n)
	}
}

func testQuery(t *testing.T, e *env) {
	c := e.c
	const q = `select cast(42 as integer) as i, cast(12.50 as decimal(10,2)) as d, cast(1.5 as double precision) as f,
        'x' as s, true as b, cast('2024-03-01 10:20:30' as timestamp) as ts, cast(null as varchar) as n,
        cast(9223372036854775807 as bigint) as big`
	want := []any{int64(42), 12.5, 1.5, "x", true, time.Date(2024, 3, 1, 10, 20, 30, 0, time.UTC), nil, int64(9223372036854775807)}
	cols, rows, err := c.QueryRows(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cols, []string{"i", "d", "f", "s", "b", "ts", "n", "big"}) {
		t.Errorf("columns %v", cols)
	}
	if len(rows) != 1 || !sameValues(rows[0], want) {
		t.Errorf("QueryRows = %#v, want %#v", rows, want)
	}
	r, err := c.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !reflect.DeepEqual(r.Columns(), cols) {
		t.Errorf("Rows.Columns = %v", r.Columns())
	}
	n := 0
	for r.Next() {
		vals, err := r.Values()
		if err != nil {
			t.Fatal(err)
		}
		if !sameValues(vals, want) {
			t.Errorf("Rows.Values = %#v, want %#v", vals, want)
		}
		n++
	}
	if err := r.Err(); err != nil || n != 1 {
		t.Errorf("Rows: %d rows, Err %v; want 1, nil", n, err)
	}
	if err := r.Close(); err != nil {
		t.Error(err)
	}
	// A decimal beyond float64's exact integers.
	_, rows, err = c.QueryRows(ctx, "select cast('12345678901234567890123' as decimal(38,0))")
	if err != nil {
		t.Fatal(err)
	}
	switch v := rows[0][0].(type) {
	case float64, int64, *big.Int:
	default:
		t.Errorf("a decimal(38,0) came back as %T", v)
	}
}

// sameValues compares rows, times by instant.
func sameValues(got, want []any) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if gt, ok := got[i].(time.Time); ok {
			wt, ok := want[i].(time.Time)
			if !ok || !gt.Equal(wt) {
				return false
			}
			continue
		}
		if !reflect.DeepEqual(got[i], want[i]) {
			return false
		}
	}
	return true
}

func testQueryInt(t *testing.T, e *env) {
	c := e.c
	for q, want := range map[string]int64{
		"select 7": 7, "select cast(null as integer)": 0, "select cast(12 as decimal(10,2))": 12, "select cast(3 as smallint)": 3,
	} {
		if n := count(t, c, q); n != want {
			t.Errorf("QueryInt(%s) = %d, want %d", q, n, want)
		}
	}
	for _, q := range []string{"select 1 where 1 = 0", "select 'x'", "select 1.5"} {
		if n, err := c.QueryInt(ctx, q); err == nil {
			t.Errorf("QueryInt(%s) = %d, want an error", q, n)
		}
	}
}

func testTx(t *testing.T, e *env) {
	c := e.c
	boom := errors.New("boom")
	if err := c.Tx(ctx, func() error {
		exec(t, c, "create table kept (x integer)")
		return c.Tx(ctx, func() error { // joins the outer transaction
			exec(t, c, "insert into kept values (1)")
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	err := c.Tx(ctx, func() error {
		exec(t, c, "insert into kept values (2)")
		exec(t, c, "create table undone (x integer)")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("Tx returned %v, want fn's error", err)
	}
	if n := count(t, c, "select count(*) from kept"); n != 1 {
		t.Errorf("after a rollback, kept has %d rows, want 1", n)
	}
	if k, err := c.RelationKind(ctx, adapter.Relation{Name: "undone"}); err != nil || k != "" {
		t.Errorf("a table created in a rolled-back transaction exists (%q, %v)", k, err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Tx swallowed a panic")
			}
		}()
		_ = c.Tx(ctx, func() error {
			exec(t, c, "insert into kept values (3)")
			panic("fn panics")
		})
	}()
	if n := count(t, c, "select count(*) from kept"); n != 1 {
		t.Errorf("after a panic, kept has %d rows, want 1", n)
	}
	// The connection is usable after all that.
	exec(t, c, "insert into kept values (4)")
}

func testOnce(t *testing.T, e *env) {
	c := e.c
	calls := 0
	fail := errors.New("not yet")
	f := func() error {
		calls++
		if calls == 1 {
			return fail
		}
		return nil
	}
	if err := c.Once("k", f); !errors.Is(err, fail) {
		t.Fatalf("first Once: %v", err)
	}
	for range 3 {
		if err := c.Once("k", f); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 2 {
		t.Errorf("f ran %d times, want 2 (once failing, once succeeding)", calls)
	}
	inTx := 0
	_ = c.Tx(ctx, func() error { return c.Once("t", func() error { inTx++; return nil }) })
	_ = c.Once("t", func() error { inTx++; return nil })
	if inTx != 2 {
		t.Errorf("a Once inside a transaction counted as done (%d runs, want 2)", inTx)
	}
}

func testCatalog(t *testing.T, e *env) {
	c := e.c
	d := e.d
	exec(t, c, "create schema cat_s")
	exec(t, c, `create table cat_s.orders as select 1 as id, cast(2.5 as decimal(10,2)) as amount`)
	exec(t, c, `create view cat_s.big as select id from cat_s.orders`)
	exec(t, c, `create table cat_s.`+d.Quote("Odd Name")+` (x integer)`)
	rels, err := c.Relations(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rels {
		if r.Schema != "cat_s" {
			continue
		}
		var cols []string
		for _, col := range r.Columns {
			cols = append(cols, col.Name)
		}
		got = append(got, r.Name+":"+string(r.Kind)+":"+strings.Join(cols, ","))
		if r.Database == "" {
			t.Errorf("%s: no database name", r.Name)
		}
		if r.Kind == adapter.View && r.Rows != -1 {
			t.Errorf("view %s: Rows %d, want -1", r.Name, r.Rows)
		}
	}
	want := []string{"Odd Name:table:x", "big:view:id", "orders:table:id,amount"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Relations(columns) = %v, want %v", got, want)
	}
	light, err := c.Relations(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range light {
		if r.Schema == "cat_s" {
			n++
			if r.Columns != nil {
				t.Errorf("Relations(false) gave the columns of %s", r.Name)
			}
		}
	}
	if n != 3 {
		t.Errorf("Relations(false): %d relations in cat_s, want 3", n)
	}
	for rel, want := range map[adapter.Relation]adapter.Kind{
		{Schema: "cat_s", Name: "orders"}: adapter.Table, {Schema: "cat_s", Name: "big"}: adapter.View,
		{Schema: "cat_s", Name: "Odd Name"}: adapter.Table, {Schema: "cat_s", Name: "nope"}: "", {Schema: "nope", Name: "orders"}: "",
	} {
		if k, err := c.RelationKind(ctx, rel); err != nil || k != want {
			t.Errorf("RelationKind(%s) = %q, %v; want %q", rel, k, err, want)
		}
	}
	cols, err := c.Columns(ctx, adapter.Relation{Schema: "cat_s", Name: "orders"})
	if err != nil || len(cols) != 2 || cols[0].Name != "id" || cols[1].Name != "amount" || cols[0].Type == "" {
		t.Errorf("Columns = %v, %v", cols, err)
	}
	if cols, err := c.Columns(ctx, adapter.Relation{Schema: "cat_s", Name: "nope"}); err != nil || len(cols) != 0 {
		t.Errorf("Columns(missing) = %v, %v", cols, err)
	}
	desc, err := c.DescribeQuery(ctx, "select id, amount * 2 as twice from cat_s.orders;")
	if err != nil || len(desc) != 2 || desc[0].Name != "id" || desc[1].Name != "twice" {
		t.Errorf("DescribeQuery = %v, %v", desc, err)
	}
	if n := count(t, c, "select count(*) from cat_s.orders"); n != 1 {
		t.Errorf("DescribeQuery changed the data: %d rows", n)
	}
	types, err := c.NormalizeTypes(ctx, []string{"integer", "varchar", "decimal(12,2)"})
	if err != nil || len(types) != 3 {
		t.Fatalf("NormalizeTypes = %v, %v", types, err)
	}
	if types[0] != cols[0].Type {
		t.Errorf("NormalizeTypes(integer) = %q, the catalog says %q for an integer column", types[0], cols[0].Type)
	}
	if _, err := c.NormalizeTypes(ctx, []string{"no_such_type"}); err == nil {
		t.Error("NormalizeTypes accepted no_such_type")
	}
}

func testBulk(t *testing.T, e *env) {
	c := e.c
	d := e.d
	exec(t, c, "create schema bulk_s")
	rel := adapter.Relation{Schema: "bulk_s", Name: "loaded"}
	types, err := c.NormalizeTypes(ctx, []string{"bigint", "varchar", "double precision", "boolean", "timestamp"})
	if err != nil {
		t.Fatal(err)
	}
	cols := []adapter.Column{{Name: "id", Type: types[0]}, {Name: "name", Type: types[1]}, {Name: "price", Type: types[2]}, {Name: "ok", Type: types[3]}, {Name: "at", Type: types[4]}}
	w, err := c.Bulk(ctx, rel, cols)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range int64(1000) {
		if err := w.Write(i, "n"+string(rune('a'+i%26)), float64(i)/2, i%2 == 0, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write(int64(1000), nil, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Close(); err != nil || n != 1001 {
		t.Fatalf("Close = %d, %v; want 1001", n, err)
	}
	if n := count(t, c, "select count(*) from "+d.QuoteRelation(rel)); n != 1001 {
		t.Errorf("%d rows loaded, want 1001", n)
	}
	if n := count(t, c, "select count(*) from "+d.QuoteRelation(rel)+" where name is null and price is null"); n != 1 {
		t.Errorf("%d rows of NULLs, want 1", n)
	}
	if got := rowsOf(t, c, "select sum(price), min("+d.Quote("at")+") from "+d.QuoteRelation(rel)); got[0][0] != 249750.0 || !at.Equal(got[0][1].(time.Time)) {
		t.Errorf("sum(price), min(at) = %v", got[0])
	}
	// Without columns, rows are appended to the existing table.
	w, err = c.Bulk(ctx, rel, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(int64(2000), "x", 1.0, true, at); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Close(); err != nil || n != 1 {
		t.Fatalf("append Close = %d, %v", n, err)
	}
	if n := count(t, c, "select count(*) from "+d.QuoteRelation(rel)); n != 1002 {
		t.Errorf("%d rows after appending, want 1002", n)
	}
	// In a rolled-back transaction, the table is not created.
	gone := adapter.Relation{Schema: "bulk_s", Name: "gone"}
	_ = c.Tx(ctx, func() error {
		w, err := c.Bulk(ctx, gone, cols[:1])
		if err != nil {
			return err
		}
		w.Write(int64(1))
		w.Close()
		return errors.New("undo")
	})
	if k, _ := c.RelationKind(ctx, gone); k != "" {
		t.Error("a bulk load in a rolled-back transaction left its table")
	}
}

func testExportCSV(t *testing.T, e *env) {
	c := e.c
	path := filepath.Join(t.TempDir(), "out.csv")
	n, err := c.ExportCSV(ctx, `select 1 as id, 'a, "quoted" b' as name, cast(null as varchar) as missing union all select 2, 'c', 'd' order by id;`, path)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("ExportCSV wrote %d rows, want 2", n)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "id,name,missing\n1,\"a, \"\"quoted\"\" b\",\n2,c,d\n"; string(b) != want {
		t.Errorf("CSV =\n%q\nwant\n%q", b, want)
	}
}

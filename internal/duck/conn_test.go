package duck

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestExecAndQuery(t *testing.T) {
	_, c := openMem(t)
	ctx := context.Background()
	mustExec(t, c, "CREATE TABLE t (i BIGINT, s VARCHAR, d DOUBLE)")
	if n := mustExec(t, c, "INSERT INTO t VALUES (1, 'a', 0.5), (2, NULL, 1.5), (3, 'c', NULL)"); n != 3 {
		t.Errorf("rows affected = %d, want 3", n)
	}
	if n := mustExec(t, c, "UPDATE t SET s = 'x' WHERE i >= ?", 2); n != 2 {
		t.Errorf("rows affected = %d, want 2", n)
	}
	cols, rows, err := c.QueryRows(ctx, "SELECT i, s, d FROM t ORDER BY i")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"i", "s", "d"}; !reflect.DeepEqual(cols, want) {
		t.Errorf("cols = %v, want %v", cols, want)
	}
	want := [][]any{{int64(1), "a", 0.5}, {int64(2), "x", 1.5}, {int64(3), "x", nil}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %#v, want %#v", rows, want)
	}
	for q, want := range map[string]int64{
		"SELECT count(*) FROM t":              3,
		"SELECT sum(i) FROM t":                6, // HUGEINT
		"SELECT max(i)::INTEGER FROM t":       3,
		"SELECT NULL":                         0,
		"SELECT 12::DECIMAL(10,2)":            12,
		"SELECT 9223372036854775807::UBIGINT": 9223372036854775807,
	} {
		if got := mustInt(t, c, q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
	if _, err := c.QueryInt(ctx, "SELECT 1.5"); err == nil {
		t.Error("QueryInt(1.5) succeeded")
	}
	if _, err := c.QueryInt(ctx, "SELECT 1 WHERE false"); err == nil {
		t.Error("QueryInt(no row) succeeded")
	}
	r, err := c.Query(ctx, "SELECT range FROM range(5)")
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for r.Next() {
		var v int64
		if err := r.Scan(&v); err != nil {
			t.Fatal(err)
		}
		sum += v
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if sum != 10 {
		t.Errorf("streamed sum = %d, want 10", sum)
	}
}

func TestCancelInterruptsQuery(t *testing.T) {
	_, c := openMem(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		// Hours of work if not interrupted.
		_, err := c.QueryInt(ctx, "SELECT count(*) FROM range(1000000000) a, range(1000000000) b WHERE a.range + b.range = -1")
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v (%T), want context.Canceled", err, err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("cancelled query did not return")
	}
	// The connection is usable afterwards.
	if n := mustInt(t, c, "SELECT 42"); n != 42 {
		t.Errorf("after cancel: %d", n)
	}
	// An already-cancelled context does not start the statement.
	if _, err := c.Exec(ctx, "CREATE TABLE never (i INT)"); !errors.Is(err, context.Canceled) {
		t.Errorf("Exec with cancelled ctx: %v", err)
	}
}

func TestCancelInterruptsExec(t *testing.T) {
	_, c := openMem(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Exec(ctx, "CREATE TABLE big AS SELECT count(*) AS n FROM range(1000000000) a, range(1000000000) b")
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want context.DeadlineExceeded", err)
		}
		var e *Error
		if errors.As(err, &e) && e.Type != "Interrupt" {
			t.Errorf("Type = %q, want Interrupt", e.Type)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("cancelled statement did not return")
	}
	if kind, err := c.RelationKind(context.Background(), "", "big"); err != nil || kind != "" {
		t.Errorf("table of interrupted CREATE: kind %q, err %v", kind, err)
	}
}

func TestTx(t *testing.T) {
	_, c := openMem(t)
	ctx := context.Background()
	mustExec(t, c, "CREATE TABLE t AS SELECT range AS i FROM range(3)")

	// Error: the replaced table comes back with its rows.
	boom := errors.New("boom")
	err := c.Tx(ctx, func() error {
		mustExec(t, c, "CREATE OR REPLACE TABLE t AS SELECT 'x' AS s")
		mustExec(t, c, "CREATE TABLE other (i INT)")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx err = %v, want boom", err)
	}
	if n := mustInt(t, c, "SELECT sum(i) FROM t"); n != 3 {
		t.Errorf("after rollback sum = %d, want 3", n)
	}
	if kind, _ := c.RelationKind(ctx, "main", "other"); kind != "" {
		t.Errorf("table created in rolled-back Tx exists (%s)", kind)
	}

	// A failing statement inside fn.
	err = c.Tx(ctx, func() error {
		if _, err := c.Exec(ctx, "DROP TABLE t"); err != nil {
			return err
		}
		_, err := c.Exec(ctx, "SELECT nosuch FROM range(1)")
		return err
	})
	var e *Error
	if !errors.As(err, &e) || e.Type != "Binder" {
		t.Fatalf("Tx err = %v, want binder *Error", err)
	}
	if n := mustInt(t, c, "SELECT count(*) FROM t"); n != 3 {
		t.Errorf("after failed statement count = %d, want 3", n)
	}

	// Panic: rolled back, then re-panicked.
	func() {
		defer func() {
			if r := recover(); r != "panic in tx" {
				t.Errorf("recover() = %v", r)
			}
		}()
		_ = c.Tx(ctx, func() error {
			mustExec(t, c, "DELETE FROM t")
			panic("panic in tx")
		})
	}()
	if n := mustInt(t, c, "SELECT count(*) FROM t"); n != 3 {
		t.Errorf("after panic count = %d, want 3", n)
	}

	// Cancelled context inside fn: COMMIT does not run, rollback does.
	cctx, cancel := context.WithCancel(ctx)
	err = c.Tx(cctx, func() error {
		mustExec(t, c, "DELETE FROM t")
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Tx with cancel: %v", err)
	}
	if n := mustInt(t, c, "SELECT count(*) FROM t"); n != 3 {
		t.Errorf("after cancel count = %d, want 3", n)
	}

	// Success, with a nested Tx joining the outer one.
	err = c.Tx(ctx, func() error {
		mustExec(t, c, "INSERT INTO t VALUES (10)")
		return c.Tx(ctx, func() error {
			mustExec(t, c, "INSERT INTO t VALUES (20)")
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := mustInt(t, c, "SELECT sum(i) FROM t"); n != 33 {
		t.Errorf("after commit sum = %d, want 33", n)
	}
}

func TestAppender(t *testing.T) {
	_, c := openMem(t)
	ctx := context.Background()
	mustExec(t, c, "CREATE SCHEMA s")
	mustExec(t, c, "CREATE TABLE s.t (i BIGINT, s VARCHAR, d DOUBLE, b BOOLEAN, ts TIMESTAMP)")
	a, err := c.Appender("s", "t")
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 5000 {
		if err := a.AppendRow(int64(i), fmt.Sprint(i), float64(i)/2, i%2 == 0, ts); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.AppendRow(nil, nil, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.AppendRow(int64(1)); err == nil {
		t.Error("AppendRow with too few values succeeded")
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if n := mustInt(t, c, "SELECT count(*) FROM s.t"); n != 5001 {
		t.Errorf("count = %d, want 5001", n)
	}
	if n := mustInt(t, c, "SELECT count(*) FROM s.t WHERE b AND ts = TIMESTAMP '2020-01-02 03:04:05' AND s = i::VARCHAR"); n != 2500 {
		t.Errorf("count = %d, want 2500", n)
	}

	// Rows appended inside a rolled-back Tx are gone.
	_ = c.Tx(ctx, func() error {
		a, err := c.Appender("s", "t")
		if err != nil {
			t.Fatal(err)
		}
		for range 3000 {
			_ = a.AppendRow(int64(1), "x", 1.0, true, ts)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		if n := mustInt(t, c, "SELECT count(*) FROM s.t"); n != 8001 {
			t.Errorf("inside Tx count = %d, want 8001", n)
		}
		return errors.New("undo")
	})
	if n := mustInt(t, c, "SELECT count(*) FROM s.t"); n != 5001 {
		t.Errorf("after rollback count = %d, want 5001", n)
	}

	// Temporary tables, by the schema name "temp".
	mustExec(t, c, "CREATE TEMP TABLE scratch (x VARCHAR)")
	a, err = c.Appender("temp", "scratch")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.AppendRow("hello"); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if n := mustInt(t, c, "SELECT count(*) FROM temp.scratch"); n != 1 {
		t.Errorf("temp count = %d, want 1", n)
	}

	if _, err := c.Appender("s", "nosuch"); err == nil {
		t.Error("Appender on a missing table succeeded")
	}
}

func TestOnceRunsUntilItSucceedsOutsideATransaction(t *testing.T) {
	_, c := openMem(t)
	ctx := context.Background()
	calls := 0
	setup := func() error {
		calls++
		if calls == 1 {
			return errors.New("first try fails")
		}
		return nil
	}
	if err := c.Once("k", setup); err == nil {
		t.Fatal("the failing first call returned no error")
	}
	// Inside a transaction it runs, but is not remembered: a rollback may undo it.
	if err := c.Tx(ctx, func() error { return c.Once("k", setup) }); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := c.Once("k", setup); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 3 {
		t.Fatalf("setup ran %d times, want 3 (failed, in a transaction, then once)", calls)
	}
	if err := c.Once("other", setup); err != nil || calls != 4 {
		t.Fatalf("another key: %v, %d calls, want 4", err, calls)
	}
}

// What a Once set up on one connection is committed, so the database's
// other connections, taken before or after, skip it (the run's workers do
// not check kiln's history tables again); a Once inside a transaction
// counts for none of them; another DB of the same file checks anew.
func TestOnceSharedByTheDatabasesConnections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "once.duckdb")
	db, a := openAt(t, path)
	ctx := context.Background()
	b, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	calls := 0
	setup := func() error { calls++; return nil }
	if err := a.Tx(ctx, func() error { return a.Once("k", setup) }); err != nil {
		t.Fatal(err)
	}
	if err := b.Once("k", setup); err != nil || calls != 2 {
		t.Fatalf("after a Once in a transaction on another connection: %v, %d calls, want 2", err, calls)
	}
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, conn := range []*Conn{a, b, c} {
		if err := conn.Once("k", setup); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 2 {
		t.Fatalf("setup ran %d times, want 2 (in a transaction, then once for the database)", calls)
	}
	other, err := Open(ctx, filepath.Join(t.TempDir(), "other.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	d, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Once("k", setup); err != nil || calls != 3 {
		t.Fatalf("another database: %v, %d calls, want 3", err, calls)
	}
}

// A transaction whose only statement goes through CommitWith runs it in
// autocommit: committed when the statement returns (another connection
// sees it), and Tx then reports the commit, even when ctx is cancelled
// afterwards. After another statement, or in a nested Tx, CommitWith runs
// inside the transaction, which a failure rolls back whole.
func TestCommitWith(t *testing.T) {
	ctx := context.Background()
	db, c := openAt(t, filepath.Join(t.TempDir(), "commit.duckdb"))
	other, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	seen := func(name string) bool {
		t.Helper()
		kind, err := other.RelationKind(ctx, "main", name)
		if err != nil {
			t.Fatal(err)
		}
		return kind != ""
	}

	// Alone: committed by the statement itself.
	cctx, cancel := context.WithCancel(ctx)
	err = c.Tx(cctx, func() error {
		if !c.CanCommitWith() {
			t.Error("CanCommitWith is false before the transaction's first statement")
		}
		err := c.CommitWith(func() error {
			_, err := c.Exec(cctx, "CREATE TABLE alone AS SELECT 7 AS x")
			return err
		})
		if !seen("alone") {
			t.Error("the statement of CommitWith is not committed when it returns")
		}
		cancel() // too late to undo anything
		return err
	})
	if err != nil {
		t.Fatalf("Tx after CommitWith: %v", err)
	}
	if n := mustInt(t, c, "SELECT x FROM alone"); n != 7 {
		t.Errorf("alone.x = %d, want 7", n)
	}

	// After another statement: one transaction, rolled back whole.
	boom := errors.New("boom")
	err = c.Tx(ctx, func() error {
		mustExec(t, c, "INSERT INTO alone VALUES (8)")
		if c.CanCommitWith() {
			t.Error("CanCommitWith is true after a statement")
		}
		if err := c.CommitWith(func() error {
			_, err := c.Exec(ctx, "CREATE TABLE second AS SELECT 1 AS x")
			return err
		}); err != nil {
			return err
		}
		if seen("second") {
			t.Error("CommitWith after a statement committed it")
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx err = %v, want boom", err)
	}
	if seen("second") || mustInt(t, c, "SELECT count(*) FROM alone") != 1 {
		t.Error("the rolled-back transaction left changes")
	}

	// Nested in another Tx: inside the outer transaction.
	err = c.Tx(ctx, func() error {
		if err := c.Tx(ctx, func() error {
			if c.CanCommitWith() {
				t.Error("CanCommitWith is true in a nested Tx")
			}
			return c.CommitWith(func() error {
				_, err := c.Exec(ctx, "CREATE TABLE nested AS SELECT 1 AS x")
				return err
			})
		}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || seen("nested") {
		t.Errorf("nested CommitWith: err %v, table kept %v", err, seen("nested"))
	}

	// A failing statement changes nothing and leaves no transaction open.
	err = c.Tx(ctx, func() error {
		return c.CommitWith(func() error {
			_, err := c.Exec(ctx, "CREATE TABLE bad AS SELECT nosuch FROM alone")
			return err
		})
	})
	var e *Error
	if !errors.As(err, &e) || e.Type != "Binder" {
		t.Fatalf("failing CommitWith: %v, want a binder *Error", err)
	}
	if seen("bad") {
		t.Error("the failing statement left its table")
	}
	if err := c.Tx(ctx, func() error { return nil }); err != nil {
		t.Errorf("an empty Tx after a failed CommitWith: %v", err)
	}
	mustExec(t, c, "BEGIN TRANSACTION") // fails if a transaction were still open
	mustExec(t, c, "ROLLBACK")
}

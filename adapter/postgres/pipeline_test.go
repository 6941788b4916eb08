package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/testenv/pgtest"
)

// A transaction's statements go to the server with fewer round trips
// (adapter.Pipeliner): the begin and the held statements with the next
// statement, the last one with the commit. What commits, what rolls back,
// the row counts and the positions of errors are those of statements sent
// one by one.
func TestPipelinedTx(t *testing.T) {
	ctx := context.Background()
	a := open(t, pgtest.Database(t))
	defer a.Close()
	c, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	other, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	p, ok := c.(adapter.Pipeliner)
	if !ok {
		t.Fatal("the PostgreSQL connection is not an adapter.Pipeliner")
	}
	if _, err := c.Exec(ctx, "create table src (x integer); insert into src values (1), (2), (3); create table log (what text)"); err != nil {
		t.Fatal(err)
	}
	count := func(q string) int64 {
		t.Helper()
		n, err := other.QueryInt(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// A held statement, then the last statement with the commit: its row
	// count, both visible to another connection.
	var rows int64
	err = c.Tx(ctx, func() error {
		if err := p.ExecLater(ctx, "insert into log values ('built t1')"); err != nil {
			return err
		}
		var err error
		rows, err = p.RunCommit(ctx, adapter.Stmt{SQL: "create table t1 as select x * 10 as y from src", CountRows: true})
		return err
	})
	if err != nil || rows != 3 {
		t.Fatalf("RunCommit: %d rows, %v; want 3 rows", rows, err)
	}
	if n := count("select count(*) from t1") + 10*count("select count(*) from log"); n != 13 {
		t.Fatalf("after the commit, t1's rows + 10 x log's = %d, want 13", n)
	}

	// The last statement fails: nothing of the transaction stays, the
	// error's position is in the statement's own text, and the
	// connection works on.
	bad := "create table t2 as\nselect nope from src"
	err = c.Tx(ctx, func() error {
		if err := p.ExecLater(ctx, "insert into log values ('built t2')"); err != nil {
			return err
		}
		_, err := p.RunCommit(ctx, adapter.Stmt{SQL: bad})
		return err
	})
	var ae *adapter.Error
	if !errors.As(err, &ae) || ae.Type != "undefined_column" || ae.Line != 2 || ae.Col != 8 {
		t.Fatalf("failing last statement: %#v, want undefined_column at line 2, column 8", err)
	}
	if k, _ := other.RelationKind(ctx, adapter.Relation{Name: "t2"}); k != "" || count("select count(*) from log") != 1 {
		t.Fatalf("after the failure: t2 is %q and log has %d rows, want no t2 and 1 row", k, count("select count(*) from log"))
	}

	// A held statement fails: its error, at its own text, and the
	// statements after it do not run.
	err = c.Tx(ctx, func() error {
		if err := p.ExecLater(ctx, "insert into missing values (1)"); err != nil {
			return err
		}
		_, err := c.Exec(ctx, "create table t3 as select 1 as one")
		return err
	})
	if !errors.As(err, &ae) || ae.Type != "undefined_table" || !strings.Contains(ae.Msg, `"missing"`) || ae.Line != 1 || ae.Col != 13 {
		t.Fatalf("failing held statement: %#v, want undefined_table at line 1, column 13", err)
	}
	if k, _ := other.RelationKind(ctx, adapter.Relation{Name: "t3"}); k != "" {
		t.Fatalf("t3 is %q after its transaction failed, want none", k)
	}

	// Statements held to the end go with the commit; a statement with
	// arguments or a query sends the held ones first, in order.
	err = c.Tx(ctx, func() error {
		if err := p.ExecLater(ctx, "insert into log values ('a')"); err != nil {
			return err
		}
		n, err := c.QueryInt(ctx, "select count(*) from log")
		if err != nil || n != 2 {
			t.Errorf("a query inside the transaction sees %d rows of log (%v), want 2", n, err)
		}
		if _, err := c.Exec(ctx, "insert into log values ($1)", "b"); err != nil {
			return err
		}
		return p.ExecLater(ctx, "insert into log values ('c')")
	})
	if err != nil || count("select count(*) from log") != 4 {
		t.Fatalf("held to the commit: %v, log has %d rows, want 4", err, count("select count(*) from log"))
	}
	// An empty transaction, and a Tx whose function fails before sending
	// anything, leave the connection as it was.
	if err := c.Tx(ctx, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := c.Tx(ctx, func() error { _ = p.ExecLater(ctx, "insert into log values ('d')"); return boom }); err != boom {
		t.Fatalf("got %v, want boom", err)
	}
	if n, err := c.QueryInt(ctx, "select count(*) from log"); err != nil || n != 4 {
		t.Fatalf("log has %d rows (%v), want 4", n, err)
	}
	// Outside a transaction, ExecLater and RunCommit run at once.
	if err := p.ExecLater(ctx, "insert into log values ('e')"); err != nil || count("select count(*) from log") != 5 {
		t.Fatalf("ExecLater outside a transaction: %v, log has %d rows, want 5", err, count("select count(*) from log"))
	}
}

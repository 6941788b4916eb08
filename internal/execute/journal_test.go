package execute

import (
	"context"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/duckdb"
	"github.com/kiln-build/kiln/adapter/duckdb/duckdbtest"
	"github.com/kiln-build/kiln/internal/sqlq"
)

var d = duckdb.Dialect{}

func memConn(t *testing.T) adapter.Conn {
	t.Helper()
	return duckdbtest.Conn(t)
}

func exec(t *testing.T, c adapter.Conn, qs ...string) {
	t.Helper()
	for _, q := range qs {
		if _, err := c.Exec(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func value(t *testing.T, c adapter.Conn, q string) int64 {
	t.Helper()
	v, err := c.QueryInt(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// replaceAll stands for a run: it replaces s.t (a table becomes a view) and
// creates s.fresh, each in its own transaction through the journal.
func replaceAll(t *testing.T, c adapter.Conn, j *Journal) {
	t.Helper()
	ctx := context.Background()
	for _, step := range []struct {
		rel sqlq.Relation
		sql string
	}{
		{sqlq.Relation{Schema: "s", Name: "t"}, "create view s.t as select 42 as x"},
		{sqlq.Relation{Schema: "s", Name: "fresh"}, "create table s.fresh as select 1 as y"},
	} {
		var e entry
		err := c.Tx(ctx, func() error {
			kind, err := c.RelationKind(ctx, step.rel)
			if err != nil {
				return err
			}
			if e, err = j.Prepare(ctx, c, d, step.rel, string(kind)); err != nil {
				return err
			}
			_, err = c.Exec(ctx, step.sql)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		j.Record(e)
	}
}

func TestJournalRollbackRestoresTheDatabase(t *testing.T) {
	c := memConn(t)
	exec(t, c, "create schema s", "create table s.t as select * from range(7) r(x)", "create view s.v as select count(*) as n from s.t")
	j := NewJournal("run-1", "")
	replaceAll(t, c, j)
	if got := value(t, c, "select x from s.t"); got != 42 {
		t.Fatalf("new s.t: %d", got)
	}
	n, err := j.Rollback(context.Background(), c, d)
	if err != nil || n != 2 {
		t.Fatalf("rollback: %d, %v", n, err)
	}
	if got := value(t, c, "select n from s.v"); got != 7 {
		t.Errorf("s.t has %d rows after the rollback, want 7", got)
	}
	if got := value(t, c, "select count(*) from duckdb_tables() where table_name = 'fresh' or table_name like '%__kiln_prev%'"); got != 0 {
		t.Errorf("%d leftovers", got)
	}
}

func TestJournalCommitDropsPreviousVersions(t *testing.T) {
	c := memConn(t)
	exec(t, c, "create schema s", "create table s.t as select 1 as x")
	j := NewJournal("run-1", "")
	replaceAll(t, c, j)
	if err := j.Commit(context.Background(), c, d); err != nil {
		t.Fatal(err)
	}
	if got := value(t, c, "select x from s.t"); got != 42 {
		t.Errorf("s.t: %d", got)
	}
	if got := value(t, c, "select count(*) from duckdb_tables() where table_name like '%__kiln_prev%'"); got != 0 {
		t.Errorf("%d backups left", got)
	}
}

func TestRecoverUndoesAKilledRun(t *testing.T) {
	c := memConn(t)
	ctx := context.Background()
	exec(t, c, "create schema s", "create table s.t as select * from range(3) r(x)")
	replaceAll(t, c, NewJournal("killed-run", "")) // never committed nor rolled back
	cat, err := LoadCatalog(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	ids, n, err := Recover(ctx, c, d, cat)
	if err != nil || len(ids) != 1 || ids[0] != "killed-r" || n != 1 {
		t.Fatalf("recover: %v %d %v", ids, n, err)
	}
	if got := value(t, c, "select count(*) from s.t"); got != 3 {
		t.Errorf("s.t has %d rows, want 3", got)
	}
	if cat.Kind(sqlq.Relation{Schema: "s", Name: "t"}) != "table" {
		t.Errorf("the catalog does not know the restored table")
	}
	if ids, _, _ := Recover(ctx, c, d, cat); len(ids) != 0 {
		t.Errorf("recovered twice: %v", ids)
	}
}

// A flow transaction spans runs: each run that succeeds keeps the first
// previous version of its relations; a failed run undoes only itself; the
// flow's rollback restores the state before its first run, and its commit
// drops every previous version.
func TestFlowTransaction(t *testing.T) {
	ctx := context.Background()
	for _, commit := range []bool{false, true} {
		c := memConn(t)
		exec(t, c, "create schema s", "create table s.t as select * from range(7) r(x)")
		if err := OpenTxn(ctx, c, "flow-1"); err != nil {
			t.Fatal(err)
		}
		build := func(run, sql string) *Journal {
			j := NewJournal(run, "flow-1")
			var e entry
			err := c.Tx(ctx, func() error {
				kind, err := c.RelationKind(ctx, sqlq.Relation{Schema: "s", Name: "t"})
				if err != nil {
					return err
				}
				if e, err = j.Prepare(ctx, c, d, sqlq.Relation{Schema: "s", Name: "t"}, string(kind)); err != nil {
					return err
				}
				_, err = c.Exec(ctx, sql)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			j.Record(e)
			return j
		}
		// Task 1 replaces s.t and succeeds.
		if err := build("task-1", "create table s.t as select * from range(3) r(x)").Commit(ctx, c, d); err != nil {
			t.Fatal(err)
		}
		// Task 2 replaces it again and fails: only task 2 is undone.
		if _, err := build("task-2", "create table s.t as select * from range(1) r(x)").Rollback(ctx, c, d); err != nil {
			t.Fatal(err)
		}
		if got := value(t, c, "select count(*) from s.t"); got != 3 {
			t.Fatalf("after task 2's rollback s.t has %d rows, want task 1's 3", got)
		}
		// Task 3 (the retry) succeeds.
		if err := build("task-3", "create table s.t as select * from range(5) r(x)").Commit(ctx, c, d); err != nil {
			t.Fatal(err)
		}
		// A standalone run is refused while the flow is open.
		if err := OpenTxn(ctx, c, "flow-2"); err == nil {
			t.Fatal("a second flow transaction opened while one is open")
		}
		if commit {
			if _, _, err := CommitTxn(ctx, c, d, "flow-1"); err != nil {
				t.Fatal(err)
			}
			if got := value(t, c, "select count(*) from s.t"); got != 5 {
				t.Errorf("committed s.t has %d rows, want 5", got)
			}
		} else {
			if _, err := RollbackTxn(ctx, c, d, "flow-1"); err != nil {
				t.Fatal(err)
			}
			if got := value(t, c, "select count(*) from s.t"); got != 7 {
				t.Errorf("rolled back s.t has %d rows, want the original 7", got)
			}
		}
		if got := value(t, c, "select count(*) from duckdb_tables() where table_name like '%__kiln_prev%'"); got != 0 {
			t.Errorf("%d backups left", got)
		}
		if got := value(t, c, "select count(*) from kiln_history.journal"); got != 0 {
			t.Errorf("%d journal rows left", got)
		}
		if st, _ := TxnStatus(ctx, c, "flow-1"); (commit && st != "committed") || (!commit && st != "rolled_back") {
			t.Errorf("status %s", st)
		}
	}
}

// A node that changes a table in place (an incremental model) has the
// journal copy it first: the table stays for the node to build on, and a
// rollback puts the copy back.
func TestJournalCopyForInPlaceChanges(t *testing.T) {
	c := memConn(t)
	ctx := context.Background()
	exec(t, c, "create schema s", "create table s.t as select * from range(3) r(x)")
	j := NewJournal("run-1", "")
	rel := sqlq.Relation{Schema: "s", Name: "t"}
	var e entry
	err := c.Tx(ctx, func() error {
		var err error
		if e, err = j.PrepareCopy(ctx, c, d, rel, "table"); err != nil {
			return err
		}
		_, err = c.Run(ctx, d.Insert(rel, "select 100"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	j.Record(e)
	if got := value(t, c, "select count(*) from s.t"); got != 4 {
		t.Fatalf("the incremental table has %d rows, want 4", got)
	}
	if n, err := j.Rollback(ctx, c, d); err != nil || n != 1 {
		t.Fatalf("rollback: %d, %v", n, err)
	}
	if got := value(t, c, "select count(*) from s.t"); got != 3 {
		t.Errorf("after the rollback s.t has %d rows, want 3", got)
	}
	if got := value(t, c, "select count(*) from duckdb_tables() where table_name like '%__kiln_prev%'"); got != 0 {
		t.Errorf("%d backups left", got)
	}
}

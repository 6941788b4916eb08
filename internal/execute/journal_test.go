package execute

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
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
		err := c.Tx(ctx, func() error {
			kind, err := c.RelationKind(ctx, step.rel)
			if err != nil {
				return err
			}
			if err := j.Prepare(ctx, c, d, step.rel, string(kind)); err != nil {
				return err
			}
			_, err = c.Exec(ctx, step.sql)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
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
	n, err := j.Rollback(context.Background(), c, d, nil)
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
	if n, err := j.Commit(context.Background(), c, d, true, nil); err != nil || n != 2 {
		t.Fatal(n, err)
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
	rec, err := Recover(ctx, c, d)
	if err != nil || !reflect.DeepEqual(rec.Restored, map[string]int{"killed-run": 2}) {
		t.Fatalf("recover: %+v %v", rec, err)
	}
	if got := value(t, c, "select count(*) from s.t"); got != 3 {
		t.Errorf("s.t has %d rows, want 3", got)
	}
	// The relation the killed run created is gone too.
	if got := value(t, c, "select count(*) from duckdb_tables() where table_name = 'fresh' or table_name like '%__kiln_prev%'"); got != 0 {
		t.Errorf("%d leftovers", got)
	}
	if rec, _ := Recover(ctx, c, d); rec.Changed() {
		t.Errorf("recovered twice: %+v", rec)
	}
}

// Recover gives the run the relations it listed when it changed none (the
// run does not list them again), and none after an undo, whose list is
// stale.
func TestRecoverCatalog(t *testing.T) {
	c := memConn(t)
	ctx := context.Background()
	exec(t, c, "create schema s", "create table s.t as select * from range(3) r(x)", "create view s.v as select 1 as y")
	replaceAll(t, c, NewJournal("killed-run", ""))
	rec, err := Recover(ctx, c, d)
	if err != nil || rec.Catalog != nil {
		t.Fatalf("after undoing a killed run: catalog %v, %v; want none", rec.Catalog, err)
	}
	rec, err = Recover(ctx, c, d)
	if err != nil || rec.Catalog == nil {
		t.Fatalf("nothing to undo: catalog %v, %v; want the relations", rec.Catalog, err)
	}
	loaded, err := LoadCatalog(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rec.Catalog.Relations(), loaded.Relations(); !reflect.DeepEqual(got, want) {
		t.Errorf("Recover's catalog %v, want %v", got, want)
	}
	for rel, kind := range map[sqlq.Relation]string{{Schema: "s", Name: "t"}: "table", {Schema: "s", Name: "v"}: "view", {Schema: "s", Name: "fresh"}: ""} {
		if got := rec.Catalog.Kind(rel); got != kind {
			t.Errorf("Kind(%v) = %q, want %q", rel, got, kind)
		}
	}
}

// Backups that a kiln older than the store's journal left are found by
// their names.
func TestRecoverUndoesALegacyBackup(t *testing.T) {
	c := memConn(t)
	ctx := context.Background()
	exec(t, c, "create schema s", "create table s.t as select * from range(3) r(x)",
		"alter table s.t rename to t__kiln_prev_0ld0ld00", "create table s.t as select 1 as x")
	rec, err := Recover(ctx, c, d)
	if err != nil || !reflect.DeepEqual(rec.Restored, map[string]int{"0ld0ld00": 1}) {
		t.Fatalf("recover: %+v %v", rec, err)
	}
	if got := value(t, c, "select count(*) from s.t"); got != 3 {
		t.Errorf("s.t has %d rows, want 3", got)
	}
}

// A node's change and its journal entry commit together: a change whose
// transaction committed is undone even when the caller was never told
// (an interrupt that arrived as COMMIT succeeded, issue 11's failure 3).
func TestRollbackUndoesEveryCommittedChange(t *testing.T) {
	c := memConn(t)
	ctx := context.Background()
	exec(t, c, "create schema s", "create table s.t as select * from range(3) r(x)")
	j := NewJournal("run-1", "")
	rel := sqlq.Relation{Schema: "s", Name: "t"}
	_ = c.Tx(ctx, func() error {
		if err := j.Prepare(ctx, c, d, rel, "table"); err != nil {
			return err
		}
		_, err := c.Exec(ctx, "create table s.t as select 42 as x")
		return err
	}) // the outcome is not looked at
	if n, err := j.Rollback(ctx, c, d, nil); err != nil || n != 1 {
		t.Fatalf("rollback: %d, %v", n, err)
	}
	if got := value(t, c, "select count(*) from s.t"); got != 3 {
		t.Errorf("s.t has %d rows, want 3", got)
	}
}

// A change whose transaction rolled back leaves no entry: a rollback does
// not touch the relation.
func TestRollbackIgnoresAFailedNode(t *testing.T) {
	c := memConn(t)
	ctx := context.Background()
	exec(t, c, "create schema s", "create table s.t as select * from range(3) r(x)")
	j := NewJournal("run-1", "")
	rel := sqlq.Relation{Schema: "s", Name: "t"}
	err := c.Tx(ctx, func() error {
		if err := j.Prepare(ctx, c, d, rel, "table"); err != nil {
			return err
		}
		_, err := c.Exec(ctx, "create table s.t as select x / 0 as x from nope")
		return err
	})
	if err == nil {
		t.Fatal("the failing statement succeeded")
	}
	if n, err := j.Rollback(ctx, c, d, nil); err != nil || n != 0 {
		t.Fatalf("rollback: %d, %v", n, err)
	}
	if got := value(t, c, "select count(*) from s.t"); got != 3 {
		t.Errorf("s.t has %d rows, want 3", got)
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
			err := c.Tx(ctx, func() error {
				kind, err := c.RelationKind(ctx, sqlq.Relation{Schema: "s", Name: "t"})
				if err != nil {
					return err
				}
				if err := j.Prepare(ctx, c, d, sqlq.Relation{Schema: "s", Name: "t"}, string(kind)); err != nil {
					return err
				}
				_, err = c.Exec(ctx, sql)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return j
		}
		// Task 1 replaces s.t and succeeds.
		if _, err := build("task-1", "create table s.t as select * from range(3) r(x)").Commit(ctx, c, d, true, nil); err != nil {
			t.Fatal(err)
		}
		// Task 2 replaces it again and fails: only task 2 is undone.
		if _, err := build("task-2", "create table s.t as select * from range(1) r(x)").Rollback(ctx, c, d, nil); err != nil {
			t.Fatal(err)
		}
		if got := value(t, c, "select count(*) from s.t"); got != 3 {
			t.Fatalf("after task 2's rollback s.t has %d rows, want task 1's 3", got)
		}
		// Task 3 (the retry) succeeds.
		if _, err := build("task-3", "create table s.t as select * from range(5) r(x)").Commit(ctx, c, d, true, nil); err != nil {
			t.Fatal(err)
		}
		// A standalone run is refused while the flow is open.
		if err := OpenTxn(ctx, c, "flow-2"); err == nil {
			t.Fatal("a second flow transaction opened while one is open")
		}
		if commit {
			if _, err := CommitTxn(ctx, c, d, "flow-1"); err != nil {
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
	err := c.Tx(ctx, func() error {
		if err := j.PrepareCopy(ctx, c, d, rel, "table"); err != nil {
			return err
		}
		_, err := c.Run(ctx, d.Insert(rel, "select 100"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := value(t, c, "select count(*) from s.t"); got != 4 {
		t.Fatalf("the incremental table has %d rows, want 4", got)
	}
	if n, err := j.Rollback(ctx, c, d, nil); err != nil || n != 1 {
		t.Fatalf("rollback: %d, %v", n, err)
	}
	if got := value(t, c, "select count(*) from s.t"); got != 3 {
		t.Errorf("after the rollback s.t has %d rows, want 3", got)
	}
	if got := value(t, c, "select count(*) from duckdb_tables() where table_name like '%__kiln_prev%'"); got != 0 {
		t.Errorf("%d backups left", got)
	}
}

// On DuckDB, Intend journals the relations a run may create before its
// nodes run: a node that creates one writes no entry of its own (its
// transaction is its statement alone); a commit forgets the entries, a
// rollback and a recovery after a kill drop what was built, and count
// only that.
func TestIntendedCreations(t *testing.T) {
	ctx := context.Background()
	built := sqlq.Relation{Schema: "s", Name: "built"}
	failed := sqlq.Relation{Schema: "s", Name: "failed"}
	never := sqlq.Relation{Schema: "s", Name: "never"}
	entries := func(c adapter.Conn) int64 {
		return value(t, c, "select count(*) from kiln_history.journal")
	}
	// run creates s.built in autocommit, fails to create s.failed and never
	// reaches s.never.
	run := func(t *testing.T, c adapter.Conn, j *Journal) {
		t.Helper()
		exec(t, c, "create schema if not exists s")
		if err := j.Intend(ctx, c, []Intent{{Relation: built}, {Relation: failed}, {Relation: never}}); err != nil {
			t.Fatal(err)
		}
		if got := entries(c); got != 3 {
			t.Fatalf("%d entries after Intend, want 3", got)
		}
		for _, step := range []struct {
			rel sqlq.Relation
			sql string
		}{{built, "create table s.built as select 1 as x"}, {failed, "create table s.failed as select nosuch"}} {
			_ = c.Tx(ctx, func() error {
				if err := j.Prepare(ctx, c, d, step.rel, ""); err != nil {
					return err
				}
				_, err := c.(adapter.Pipeliner).RunCommit(ctx, adapter.Plain(step.sql))
				return err
			})
		}
		if got := entries(c); got != 3 {
			t.Errorf("%d entries after the nodes, want 3 (none of their own)", got)
		}
		if got := value(t, c, "select count(*) from duckdb_tables() where schema_name = 's'"); got != 1 {
			t.Fatalf("%d tables in s, want s.built", got)
		}
	}

	t.Run("commit", func(t *testing.T) {
		c := memConn(t)
		j := NewJournal("run-1", "")
		run(t, c, j)
		n, err := j.Commit(ctx, c, d, false, nil)
		if err != nil || n != 1 {
			t.Fatalf("commit: %d, %v; want the 1 relation built", n, err)
		}
		if got := entries(c); got != 0 {
			t.Errorf("%d entries left", got)
		}
		if got := value(t, c, "select x from s.built"); got != 1 {
			t.Errorf("s.built.x = %d", got)
		}
	})
	t.Run("rollback", func(t *testing.T) {
		c := memConn(t)
		j := NewJournal("run-1", "")
		run(t, c, j)
		n, err := j.Rollback(ctx, c, d, nil)
		if err != nil || n != 1 {
			t.Fatalf("rollback: %d, %v; want the 1 relation built", n, err)
		}
		if got := entries(c) + value(t, c, "select count(*) from duckdb_tables() where schema_name = 's'"); got != 0 {
			t.Errorf("%d entries and tables left", got)
		}
	})
	t.Run("recover", func(t *testing.T) {
		c := memConn(t)
		run(t, c, NewJournal("killed-run", "")) // never committed nor rolled back
		rec, err := Recover(ctx, c, d)
		if err != nil || !reflect.DeepEqual(rec.Restored, map[string]int{"killed-run": 1}) {
			t.Fatalf("recover: %+v %v; want the 1 relation built", rec, err)
		}
		if got := entries(c) + value(t, c, "select count(*) from duckdb_tables() where schema_name = 's'"); got != 0 {
			t.Errorf("%d entries and tables left", got)
		}
	})
	// A relation that exists by the time its node runs (Prepare finds it;
	// a hook made it) is moved aside and journaled as usual, and comes
	// back on rollback, which undoes what the nodes did, as without
	// Intend.
	t.Run("created meanwhile", func(t *testing.T) {
		c := memConn(t)
		exec(t, c, "create schema s")
		j := NewJournal("run-1", "")
		if err := j.Intend(ctx, c, []Intent{{Relation: built}}); err != nil {
			t.Fatal(err)
		}
		exec(t, c, "create table s.built as select 5 as x")
		err := c.Tx(ctx, func() error {
			if err := j.Prepare(ctx, c, d, built, "table"); err != nil {
				return err
			}
			_, err := c.Exec(ctx, "create table s.built as select 6 as x")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := entries(c); got != 2 {
			t.Errorf("%d entries, want the intent and the move", got)
		}
		if n, err := j.Rollback(ctx, c, d, nil); err != nil || n != 1 {
			t.Fatalf("rollback: %d, %v", n, err)
		}
		if got := value(t, c, "select x from s.built"); got != 5 {
			t.Errorf("s.built.x = %d, want 5: the version before the node", got)
		}
	})
}

// On DuckDB, Intend also journals the relations a run may rebuild, as
// moved aside to the run's backup names: a node that moves its relation
// aside as intended writes no entry of its own; a commit drops the
// backups that exist, a rollback and a recovery after a kill restore only
// the relations whose backup exists (their nodes committed), and count
// only those.
func TestIntendedMoves(t *testing.T) {
	ctx := context.Background()
	rel := func(name string) sqlq.Relation { return sqlq.Relation{Schema: "s", Name: name} }
	a, v, failed, never := rel("a"), rel("v"), rel("failed"), rel("never")
	entries := func(c adapter.Conn) int64 {
		return value(t, c, "select count(*) from kiln_history.journal")
	}
	// run rebuilds table s.a and view s.v, fails to rebuild s.failed and
	// never reaches s.never.
	run := func(t *testing.T, c adapter.Conn, j *Journal) {
		t.Helper()
		exec(t, c, "create schema if not exists s")
		for _, name := range []string{"a", "failed", "never"} {
			exec(t, c, "create table s."+name+" as select 1 as x")
		}
		exec(t, c, "create view s.v as select 1 as x")
		if err := j.Intend(ctx, c, []Intent{{a, "table"}, {v, "view"}, {failed, "table"}, {never, "table"}}); err != nil {
			t.Fatal(err)
		}
		if got := entries(c); got != 4 {
			t.Fatalf("%d entries after Intend, want 4", got)
		}
		for _, step := range []struct {
			rel        sqlq.Relation
			kind, sql  string
			wantFailed bool
		}{
			{a, "table", "create table s.a as select 2 as x", false},
			{v, "view", "create view s.v as select 2 as x", false},
			{failed, "table", "create table s.failed as select nosuch", true},
		} {
			err := c.Tx(ctx, func() error {
				if err := j.Prepare(ctx, c, d, step.rel, step.kind); err != nil {
					return err
				}
				_, err := c.Exec(ctx, step.sql)
				return err
			})
			if (err != nil) != step.wantFailed {
				t.Fatalf("%s: %v", step.sql, err)
			}
		}
		if got := entries(c); got != 4 {
			t.Errorf("%d entries after the nodes, want 4 (none of their own)", got)
		}
		if got := value(t, c, "select count(*) from duckdb_tables() where table_name like '%__kiln_prev%'") +
			value(t, c, "select count(*) from duckdb_views() where view_name like '%__kiln_prev%'"); got != 2 {
			t.Fatalf("%d backups, want those of s.a and s.v", got)
		}
	}
	values := func(c adapter.Conn) []int64 {
		return []int64{value(t, c, "select x from s.a"), value(t, c, "select x from s.v"),
			value(t, c, "select x from s.failed"), value(t, c, "select x from s.never")}
	}
	backups := func(c adapter.Conn) int64 {
		return value(t, c, "select count(*) from duckdb_tables() where table_name like '%__kiln_prev%'") +
			value(t, c, "select count(*) from duckdb_views() where view_name like '%__kiln_prev%'")
	}

	t.Run("commit", func(t *testing.T) {
		c := memConn(t)
		j := NewJournal("run-1", "")
		run(t, c, j)
		n, err := j.Commit(ctx, c, d, false, nil)
		if err != nil || n != 2 {
			t.Fatalf("commit: %d, %v; want the 2 relations rebuilt", n, err)
		}
		if got := entries(c) + backups(c); got != 0 {
			t.Errorf("%d entries and backups left", got)
		}
		if got := values(c); !reflect.DeepEqual(got, []int64{2, 2, 1, 1}) {
			t.Errorf("after the commit, x = %v, want [2 2 1 1]", got)
		}
	})
	t.Run("rollback", func(t *testing.T) {
		c := memConn(t)
		j := NewJournal("run-1", "")
		run(t, c, j)
		n, err := j.Rollback(ctx, c, d, nil)
		if err != nil || n != 2 {
			t.Fatalf("rollback: %d, %v; want the 2 relations rebuilt", n, err)
		}
		if got := entries(c) + backups(c); got != 0 {
			t.Errorf("%d entries and backups left", got)
		}
		if got := values(c); !reflect.DeepEqual(got, []int64{1, 1, 1, 1}) {
			t.Errorf("after the rollback, x = %v, want [1 1 1 1]", got)
		}
	})
	t.Run("recover", func(t *testing.T) {
		c := memConn(t)
		run(t, c, NewJournal("killed-run", "")) // never committed nor rolled back
		rec, err := Recover(ctx, c, d)
		if err != nil || !reflect.DeepEqual(rec.Restored, map[string]int{"killed-run": 2}) {
			t.Fatalf("recover: %+v %v; want the 2 relations rebuilt", rec, err)
		}
		if got := entries(c) + backups(c); got != 0 {
			t.Errorf("%d entries and backups left", got)
		}
		if got := values(c); !reflect.DeepEqual(got, []int64{1, 1, 1, 1}) {
			t.Errorf("after the recovery, x = %v, want [1 1 1 1]", got)
		}
	})
	// A relation whose kind changed by the time its node runs (a hook
	// replaced the table by a view) is journaled by the node as usual.
	t.Run("kind changed meanwhile", func(t *testing.T) {
		c := memConn(t)
		exec(t, c, "create schema s")
		exec(t, c, "create table s.a as select 1 as x")
		j := NewJournal("run-1", "")
		if err := j.Intend(ctx, c, []Intent{{a, "table"}}); err != nil {
			t.Fatal(err)
		}
		exec(t, c, "drop table s.a")
		exec(t, c, "create view s.a as select 5 as x")
		err := c.Tx(ctx, func() error {
			if err := j.Prepare(ctx, c, d, a, "view"); err != nil {
				return err
			}
			_, err := c.Exec(ctx, "create table s.a as select 6 as x")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := entries(c); got != 2 {
			t.Errorf("%d entries, want the intent and the move", got)
		}
		if n, err := j.Rollback(ctx, c, d, nil); err != nil || n != 1 {
			t.Fatalf("rollback: %d, %v", n, err)
		}
		if got := value(t, c, "select x from s.a"); got != 5 {
			t.Errorf("s.a.x = %d, want 5: the version before the node", got)
		}
		if got := entries(c) + backups(c); got != 0 {
			t.Errorf("%d entries and backups left", got)
		}
	})
}

// stagedCounter counts the store's lookups of staged files.
type stagedCounter struct {
	adapter.Conn
	lookups *int
}

func (c stagedCounter) Store() adapter.Store { return countingStore{c.Conn.Store(), c.lookups} }

type countingStore struct {
	adapter.Store
	lookups *int
}

func (s countingStore) StagedFiles(ctx context.Context, txn string) ([]adapter.StagedFile, error) {
	*s.lookups++
	return s.Store.StagedFiles(ctx, txn)
}

// PublishFiles renames what Commit recorded; after a commit that staged
// no export (most runs) it has nothing to look up in the store.
func TestPublishFilesAfterCommit(t *testing.T) {
	ctx := context.Background()
	lookups := 0
	c := stagedCounter{memConn(t), &lookups}
	exec(t, c, "create schema s", "create table s.t as select 1 as x")
	dir := t.TempDir()
	final := filepath.Join(dir, "out.csv")
	j := NewJournal("run-1", "")
	staged := j.StagedPath(final)
	if err := os.WriteFile(staged, []byte("x\n1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	j.StageFile(staged, final)
	replaceAll(t, c, j)
	if _, err := j.Commit(ctx, c, d, true, nil); err != nil {
		t.Fatal(err)
	}
	before := lookups
	if n, err := j.PublishFiles(ctx, c); err != nil || n != 1 || lookups != before+1 {
		t.Fatalf("run-1 published %d files (%v) with %d lookups, want 1 with 1", n, err, lookups-before)
	}
	if b, err := os.ReadFile(final); err != nil || string(b) != "x\n1\n" {
		t.Fatalf("the export: %q, %v", b, err)
	}
	j2 := NewJournal("run-2", "")
	replaceAll(t, c, j2)
	if _, err := j2.Commit(ctx, c, d, true, nil); err != nil {
		t.Fatal(err)
	}
	before = lookups
	if n, err := j2.PublishFiles(ctx, c); err != nil || n != 0 || lookups != before {
		t.Fatalf("run-2 (nothing staged) published %d files (%v) with %d lookups, want 0 with 0", n, err, lookups-before)
	}
	if b, err := os.ReadFile(final); err != nil || string(b) != "x\n1\n" {
		t.Fatalf("the export after run-2: %q, %v", b, err)
	}
}

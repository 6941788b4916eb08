package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sealRollbackSteps drives the seal project (sealProject, with a view v
// over t) on PostgreSQL: change builds a new row into events (and with
// fail, a test that then fails), undo takes both back.
type sealRollbackSteps struct {
	t   *testing.T
	dir string
	d   pgDB
}

func newSealRollback(t *testing.T) sealRollbackSteps {
	d := newPGDB(t)
	dir := sealProject(t, fmt.Sprintf(`target:
  type: postgres
  host: %s
  port: %s
  user: %s
  dbname: %s
  schema: public
  sslmode: disable
`, d.host, d.port, d.user, d.db))
	if err := os.WriteFile(filepath.Join(dir, "models", "v.sql"), []byte("{{ config(materialized='view') }}\nselect id from {{ ref('t') }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return sealRollbackSteps{t: t, dir: dir, d: d}
}

func (s sealRollbackSteps) change(fail bool) {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.dir, "seeds", "events.csv"), []byte("id,updated_at\n1,2024-01-01\n2,2024-01-02\n3,2024-01-03\n4,2024-01-04\n"), 0o644); err != nil {
		s.t.Fatal(err)
	}
	if fail {
		if err := os.MkdirAll(filepath.Join(s.dir, "tests"), 0o755); err != nil {
			s.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(s.dir, "tests", "no_four.sql"), []byte("select * from {{ ref('fct') }} where id = 4\n"), 0o644); err != nil {
			s.t.Fatal(err)
		}
	}
}

func (s sealRollbackSteps) undo() {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.dir, "seeds", "events.csv"), []byte("id,updated_at\n1,2024-01-01\n2,2024-01-02\n3,2024-01-03\n"), 0o644); err != nil {
		s.t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(s.dir, "tests")); err != nil {
		s.t.Fatal(err)
	}
}

// build runs kiln build (with args), wants exit code want and the
// models' statuses of want (model name -> status), and returns the
// output.
func (s sealRollbackSteps) build(what string, code int, want map[string]string, args ...string) string {
	s.t.Helper()
	c, out, errOut := kiln(s.t, s.dir, append([]string{"build"}, args...)...)
	got := lineStatuses(out + errOut)
	if c != code {
		s.t.Fatalf("%s: build exit %d, want %d\n%s%s", what, c, code, out, errOut)
	}
	for m, w := range want {
		if got["model "+m] != w {
			s.t.Errorf("%s: model %s is %q, want %q\n%s%s", what, m, got["model "+m], w, out, errOut)
		}
	}
	return out + errOut
}

func (s sealRollbackSteps) count(rel string, want string) {
	s.t.Helper()
	if got := s.d.query(s.t, "select count(*) from "+rel); len(got) != 1 || got[0] != want {
		s.t.Errorf("%s has %v rows, want %s", rel, got, want)
	}
}

var allUpToDate = map[string]string{"t": "UP-TO-DATE", "fct": "UP-TO-DATE", "v": "UP-TO-DATE"}

// TestSealPostgresAfterRollback: after a build that a failing test rolled
// back (the trial's finding 7), the next build with no change takes t
// (a table put back by a rename), fct (an incremental table whose rows
// were put back from a copy) and v (a view) as up to date, without
// saying they changed outside kiln, as on DuckDB; a relation changed
// outside kiln after that rollback, or before the rolled-back build
// (which put that change back), still runs.
func TestSealPostgresAfterRollback(t *testing.T) {
	s := newSealRollback(t)
	s.build("first build", 0, nil)
	s.change(true)
	s.build("failing build", 1, map[string]string{"t": "OK", "fct": "OK"})
	s.count("t", "3")
	s.count("fct", "3")
	s.undo()
	out := s.build("build after the rollback", 0, allUpToDate)
	if strings.Contains(out, "outside kiln") {
		t.Errorf("the build after kiln's rollback says a relation changed outside kiln:\n%s", out)
	}

	// Another session's delete after the rollback is still seen.
	s.d.query(t, "delete from fct where id = 3")
	out = s.build("build after another session's delete", 0, map[string]string{"fct": "OK", "t": "UP-TO-DATE", "v": "UP-TO-DATE"})
	if !strings.Contains(out, "1 relation changed outside kiln") || !strings.Contains(out, "public.fct") {
		t.Errorf("the build after another session's delete does not say fct changed outside kiln:\n%s", out)
	}
	s.count("fct", "3")

	// Rows another session added before a build that is rolled back come
	// back with the rollback: kiln cannot vouch for them, the next
	// build runs t and fct again.
	s.d.query(t, "insert into t values (7, date '2024-02-01')")
	s.d.query(t, "insert into fct values (8, date '2023-01-01')")
	s.change(true)
	s.build("failing build after another session's inserts", 1, map[string]string{"t": "OK", "fct": "OK"})
	s.count("t", "4")
	s.undo()
	out = s.build("build after the rollback of changed tables", 0, map[string]string{"t": "OK", "fct": "OK"})
	if !strings.Contains(out, "2 relations changed outside kiln") {
		t.Errorf("the build does not say t and fct changed outside kiln:\n%s", out)
	}
	s.count("t", "3")
	s.build("no-change build", 0, allUpToDate)
}

// TestSealPostgresAfterTransactionRollback: kiln transaction rollback
// seals what it puts back as the last build left it, so the next build
// takes t, fct and v as up to date; a relation changed outside kiln
// before the flow built it is put back with that change, and runs.
func TestSealPostgresAfterTransactionRollback(t *testing.T) {
	s := newSealRollback(t)
	s.build("first build", 0, nil)
	s.change(false)
	s.build("flow build", 0, map[string]string{"t": "OK", "fct": "OK", "v": "OK"}, "--transaction", "f1")
	mustKiln(t, 0, s.dir, "transaction", "rollback", "f1")
	s.count("t", "3")
	s.count("fct", "3")
	s.undo()
	out := s.build("build after the flow's rollback", 0, allUpToDate)
	if strings.Contains(out, "outside kiln") {
		t.Errorf("the build after kiln transaction rollback says a relation changed outside kiln:\n%s", out)
	}

	s.d.query(t, "insert into t values (7, date '2024-02-01')")
	s.d.query(t, "insert into fct values (8, date '2023-01-01')")
	s.change(false)
	s.build("flow build after another session's inserts", 0, map[string]string{"t": "OK", "fct": "OK"}, "--transaction", "f2")
	mustKiln(t, 0, s.dir, "transaction", "rollback", "f2")
	s.count("t", "4")
	s.undo()
	s.build("build after the rollback of changed tables", 0, map[string]string{"t": "OK", "fct": "OK"})
	s.count("t", "3")
	s.build("no-change build", 0, allUpToDate)
}

// events writes the seed events with ids 1..n.
func (s sealRollbackSteps) events(n int) {
	s.t.Helper()
	text := "id,updated_at\n"
	for i := 1; i <= n; i++ {
		text += fmt.Sprintf("%d,2024-01-%02d\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "seeds", "events.csv"), []byte(text), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// TestSealPostgresAfterTransactionCommit: kiln transaction commit seals
// what the flow's runs built, so the next build with no change takes t,
// fct and v as up to date; a relation changed outside kiln after the
// commit, or between the flow's run and the commit, still runs.
func TestSealPostgresAfterTransactionCommit(t *testing.T) {
	s := newSealRollback(t)
	s.build("first build", 0, nil)
	s.events(4)
	s.build("flow build", 0, map[string]string{"t": "OK", "fct": "OK", "v": "OK"}, "--transaction", "f1")
	if out := mustKiln(t, 0, s.dir, "transaction", "commit", "f1"); strings.Contains(out, "warning") {
		t.Errorf("kiln transaction commit warns:\n%s", out)
	}
	out := s.build("build after the flow's commit", 0, allUpToDate)
	if strings.Contains(out, "outside kiln") {
		t.Errorf("the build after kiln transaction commit says a relation changed outside kiln:\n%s", out)
	}
	s.count("fct", "4")

	// Another session's delete after the commit is seen.
	s.d.query(t, "delete from fct where id = 3")
	out = s.build("build after another session's delete", 0, map[string]string{"fct": "OK", "t": "UP-TO-DATE", "v": "UP-TO-DATE"})
	if !strings.Contains(out, "1 relation changed outside kiln") || !strings.Contains(out, "public.fct") {
		t.Errorf("the build after another session's delete does not say fct changed outside kiln:\n%s", out)
	}
	s.count("fct", "4") // the incremental run merges every event again

	// Another session's insert between the flow's run and its commit:
	// the commit does not seal t, the next build runs it (and v).
	s.events(5)
	s.build("second flow build", 0, map[string]string{"t": "OK", "fct": "OK", "v": "OK"}, "--transaction", "f2")
	s.d.query(t, "insert into t values (9, date '2024-02-09')")
	mustKiln(t, 0, s.dir, "transaction", "commit", "f2")
	out = s.build("build after a write before the commit", 0, map[string]string{"t": "OK", "v": "OK", "fct": "UP-TO-DATE"})
	if !strings.Contains(out, "1 relation changed outside kiln") || !strings.Contains(out, "public.t") {
		t.Errorf("the build after another session's insert does not say t changed outside kiln:\n%s", out)
	}
	s.count("t", "5")
	s.build("no-change build", 0, allUpToDate)
}

// TestSealPostgresFlowCannotMarkDirty: a run of a flow transaction that
// cannot record in the seal the relations it found changed outside kiln
// stops before it changes anything, saying so; kiln transaction rollback
// then cannot take fct, an incremental table another session wrote, as
// kiln left it: the next build runs it.
func TestSealPostgresFlowCannotMarkDirty(t *testing.T) {
	s := newSealRollback(t)
	s.build("first build", 0, nil)
	s.d.query(t, "insert into fct values (8, date '2023-01-01')")
	s.d.exec(t, `create function kiln_history.no_seal() returns trigger language plpgsql as $$ begin raise exception 'the seal is read-only'; end $$`,
		"create trigger no_seal before insert or update or delete on kiln_history.seal for each statement execute function kiln_history.no_seal()")
	s.change(false)
	c, out, errOut := kiln(t, s.dir, "build", "--transaction", "f1")
	if c != ExitCannotStart || !strings.Contains(errOut, "cannot record in kiln_history.seal the relations changed outside kiln") ||
		!strings.Contains(errOut, "public.fct") || !strings.Contains(errOut, "nothing ran") {
		t.Errorf("the flow's run that cannot mark fct exited %d, want it refused with the reason\n%s%s", c, out, errOut)
	}
	s.count("fct", "4")
	s.count("t", "3")
	s.d.exec(t, "drop trigger no_seal on kiln_history.seal")
	mustKiln(t, 0, s.dir, "transaction", "rollback", "f1")
	s.undo()
	out = s.build("build after the flow's rollback", 0, map[string]string{"fct": "OK"})
	if !strings.Contains(out, "public.fct") || !strings.Contains(out, "changed outside kiln") {
		t.Errorf("the build after the rollback does not say fct changed outside kiln:\n%s", out)
	}
	s.build("no-change build", 0, allUpToDate)
}

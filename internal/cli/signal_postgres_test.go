//go:build unix

package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// TestInterruptAndLockOnPostgres is TestInterruptAndLock on a PostgreSQL
// target: the real kiln binary builds BottleNeck (with int_slow) in a
// database of the test's server; a build interrupted (SIGINT) or killed
// (SIGKILL) while int_slow runs leaves every table and export as before,
// a second build while one runs is refused by the advisory lock, naming
// the process that holds it, and the next build works.
func TestInterruptAndLockOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kiln binary and runs builds of several seconds")
	}
	bin := buildKiln(t)
	t.Run("SIGINT", func(t *testing.T) {
		d, dir, index, total := slowProjectOnPostgres(t, bin)
		before := pgSnapshot(t, d, dir)
		p := startSlow(t, bin, dir)
		p.waitRunning(t, index, total)
		p.signal(t, syscall.SIGINT)
		if code := p.wait(t, deadline); code != ExitInterrupted {
			t.Errorf("exit code %d after SIGINT, want %d\n%s", code, ExitInterrupted, p.stderr.String())
		}
		checkInterruptedResults(t, dir, index, total)
		checkSame(t, before, pgSnapshot(t, d, dir), sameExports)
		fastBuild(t, bin, dir, "the build after SIGINT")
		checkSame(t, before, pgSnapshot(t, d, dir), 0)
	})
	t.Run("SIGKILL", func(t *testing.T) {
		d, dir, index, total := slowProjectOnPostgres(t, bin)
		before := pgSnapshot(t, d, dir)
		p := startSlow(t, bin, dir)
		p.waitRunning(t, index, total)
		p.signal(t, syscall.SIGKILL)
		p.wait(t, deadline)
		// The server rolls back the killed session's transaction and
		// releases its advisory lock when it sees the connection end;
		// the journal's copies may remain for the next run to restore.
		checkSame(t, before, pgSnapshot(t, d, dir), sameExports|allowPrev)
		killed := lastInvocation(t, dir)
		fastBuild(t, bin, dir, "the build after SIGKILL")
		checkSame(t, before, pgSnapshot(t, d, dir), 0)
		got := d.query(t, "select command || ' ' || status from kiln_history.runs where run_id = '"+killed+"'")
		if len(got) != 1 || got[0] != "build killed" {
			t.Errorf("the killed run %s is recorded as %v, want [build killed]", killed, got)
		}
	})
	t.Run("two builds at once", func(t *testing.T) {
		d, dir, index, total := slowProjectOnPostgres(t, bin)
		before := pgSnapshot(t, d, dir)
		first := startSlow(t, bin, dir)
		first.waitRunning(t, index, total)
		second := startKiln(t, bin, dir, "build", "--threads", "1")
		code := second.wait(t, deadline)
		msg := second.stderr.String()
		if code != ExitCannotStart {
			t.Errorf("the second build exited %d, want %d\n%s", code, ExitCannotStart, msg)
		}
		pid := fmt.Sprintf("PID %d", first.cmd.Process.Pid)
		if !strings.Contains(msg, "is locked by") || !strings.Contains(msg, pid) || !strings.Contains(msg, d.db) {
			t.Errorf("the second build's message does not say database %s is locked by %s:\n%s", d.db, pid, msg)
		}
		first.signal(t, syscall.SIGINT)
		if code := first.wait(t, deadline); code != ExitInterrupted {
			t.Errorf("the first build exited %d after SIGINT, want %d", code, ExitInterrupted)
		}
		checkSame(t, before, pgSnapshot(t, d, dir), sameExports)
		fastBuild(t, bin, dir, "the build after the lock")
	})
}

// slowProjectOnPostgres is slowProject with its target a new database of
// the test's PostgreSQL server.
func slowProjectOnPostgres(t *testing.T, bin string) (d pgDB, dir string, index, total int) {
	t.Helper()
	d = newPGDB(t)
	dir, _ = newProject(t)
	postgresTarget(t, dir, d, 1)
	copyFile(t, filepath.Join("testdata", "signal", "int_slow_postgres.sql"), filepath.Join(dir, "models", "intermediate", "int_slow.sql"))
	fastBuild(t, bin, dir, "the first build")
	rr := readResults(t, dir)
	for i, r := range rr.Results {
		if strings.HasSuffix(r.UniqueID, ".int_slow") {
			return d, dir, i, len(rr.Results)
		}
	}
	t.Fatal("int_slow is not in run_results.json")
	return
}

// pgSnapshot is snapshot for a PostgreSQL target: the row count of every
// table of d but the run history's, the journal's copies apart, and the
// sha256 of every export of dir.
func pgSnapshot(t *testing.T, d pgDB, dir string) tableState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := adapter.Open(ctx, adapter.Target{Type: "postgres", DSN: d.dsn})
	if err != nil {
		t.Fatalf("open the database after the run: %v", err)
	}
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, tables, err := c.QueryRows(ctx, `select table_schema, table_name from information_schema.tables
where table_type = 'BASE TABLE' and table_schema not in ('kiln_history', 'pg_catalog', 'information_schema') order by 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	s := tableState{rows: map[string]int64{}, exports: map[string]string{}}
	for _, tb := range tables {
		name := fmt.Sprintf("%s.%s", tb[0], tb[1])
		if strings.HasSuffix(name, "__kiln_prev") {
			s.prev = append(s.prev, name)
			continue
		}
		n, err := c.QueryInt(ctx, fmt.Sprintf(`select count(*) from "%s"."%s"`, tb[0], tb[1]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s.rows[name] = n
	}
	for name, sum := range snapshotExports(t, dir) {
		s.exports[name] = sum
	}
	return s
}

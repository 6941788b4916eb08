package engine

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// A run that finds the database held says so at once, in one line that
// names the run holding it (from its start record, or from the history's
// copy it keeps) or, for another program, the process; then it waits as
// before and opens the database once it is let go. A database not held
// prints nothing.
func TestWaitForLockSaysWhoHoldsIt(t *testing.T) {
	dir := t.TempDir()
	p := &Project{Dir: dir, DBPath: filepath.Join(dir, "kiln.duckdb")}
	var said []string
	p.cfg.Listener = func(ev Event) {
		if m, ok := ev.(Message); ok {
			said = append(said, string(m.Level)+": "+m.Text)
		}
	}
	started := time.Date(2026, 12, 6, 17, 4, 5, 0, time.Local)
	locked := &adapter.LockError{Path: p.DBPath, PID: 4242, Program: "/usr/bin/kiln-bin"}
	opener := func(failures int) (func() (adapter.Adapter, error), *int) {
		calls := 0
		return func() (adapter.Adapter, error) {
			calls++
			if calls <= failures {
				return nil, locked
			}
			return nil, nil
		}, &calls
	}
	ctx := context.Background()
	run := func(holder func(int) lockHolder, failures int) []string {
		said = nil
		open, calls := opener(failures)
		if _, err := p.openWaiting(ctx, 0, 3*time.Second, holder, open); err != nil || *calls != failures+1 {
			t.Fatalf("err %v after %d calls, want the database opened at call %d", err, *calls, failures+1)
		}
		return said
	}

	// The holder's start record, read before this run wrote its own.
	rec := startRecord{PID: 4242, ID: "run-1", Command: "build", Started: started}
	fromStart := func(pid int) lockHolder { return p.holderOf(pid, rec, true) }
	want := "warn: waiting for the build of PID 4242 (started 17:04:05, `kiln runs` shows it) to release kiln.duckdb"
	if got := run(fromStart, 3); len(got) != 1 || got[0] != want {
		t.Errorf("held by a build: said %q, want once %q", got, want)
	}
	if got := run(fromStart, 0); len(got) != 0 {
		t.Errorf("a database not held: said %q, want nothing", got)
	}

	// No start record of that PID (another run's replaced it): the
	// history's copy that the holder writes.
	copyOf := runsFile{PID: 4242, Current: "run-9", Runs: []RunSummary{
		{ID: "run-9", Command: "retry", Started: started.Add(time.Minute), Status: "running"},
		{ID: "run-8", Command: "build", Started: started, Status: "error"}}}
	data, _ := json.Marshal(copyOf)
	if err := os.WriteFile(RunsFilePath(p.DBPath), data, 0o644); err != nil {
		t.Fatal(err)
	}
	other := startRecord{PID: 77, ID: "run-7", Command: "seed", Started: started}
	fromCopy := func(pid int) lockHolder { return p.holderOf(pid, other, true) }
	want = "warn: waiting for the retry of PID 4242 (started 17:05:05, `kiln runs` shows it) to release kiln.duckdb"
	if got := run(fromCopy, 2); len(got) != 1 || got[0] != want {
		t.Errorf("held by a retry known from the copy: said %q, want once %q", got, want)
	}

	// Another program (kiln show, the DuckDB CLI): the process.
	os.Remove(RunsFilePath(p.DBPath))
	want = `warn: waiting for kiln-bin (PID 4242) to release kiln.duckdb`
	if got := run(fromCopy, 1); len(got) != 1 || got[0] != want {
		t.Errorf("held by another program: said %q, want once %q", got, want)
	}
}

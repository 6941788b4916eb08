//go:build linux

package crashcheck

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/failpoint"
)

// A build holds the DuckDB database's lock until its close (the close's
// checkpoint) has ended: another program that tries to open the database
// while the build stands at its close, its pending seal written
// (run.closing), is refused ("Could not set lock"), and the build then
// ends as it would have, its tables those of a build of m2. The pending
// seal used to read the database file's header by opening and closing
// the file, and closing any descriptor of a file drops the process's
// POSIX locks on it, DuckDB's included: the other program opened the
// database, replayed the build's WAL and checkpointed it while the build
// was about to checkpoint it too (two writers of one file).
func TestClosingBuildKeepsDatabaseLock(t *testing.T) {
	w := setup(t)
	k := copyBase(t, w)
	k.Env = append(k.Env, failpoint.EnvVar+"="+string(failpoint.RunClosing)+":1:stop")
	p, err := k.Start(append([]string{"build"}, m2...)...)
	if err != nil {
		t.Fatal(err)
	}
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(p.PID(), &ws, syscall.WUNTRACED, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		break
	}
	if !ws.Stopped() {
		r, _ := p.Wait()
		t.Fatalf("kiln build ended (status %v) before it stood at %s:\n%s", ws, failpoint.RunClosing, r.Output)
	}
	openErr := tryWrite(filepath.Join(k.Dir, "target", dbFile))
	if err := p.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	r, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if openErr == nil || !strings.Contains(openErr.Error(), "lock") {
		t.Errorf("another program opened the database and wrote it while the build stood at its close (error %v): the build no longer held its lock", openErr)
	}
	if r.Code != 0 || r.Killed {
		t.Fatalf("the build let go exited %d (killed %v):\n%s", r.Code, r.Killed, r.Output)
	}
	got, err := k.Snapshot(dbFile)
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Diff(w.after); d != "" || len(got.Leftovers) > 0 {
		t.Errorf("after the build stood at its close, the project is not as after a build of m2:\n%s\n%v", d, got.Leftovers)
	}
}

// tryWrite opens the DuckDB database at path, as another program would,
// and writes a table of its own; the first error.
func tryWrite(path string) error {
	ctx := context.Background()
	db, err := adapter.Open(ctx, adapter.Target{Type: "duckdb", Path: path})
	if err != nil {
		return err
	}
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Exec(ctx, "create table other_program as select 1 as x")
	return err
}

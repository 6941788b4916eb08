package duck

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const lockHelperEnv = "KILN_DUCK_LOCK_HELPER"

// TestMain doubles as the helper process of TestOpenLocked: with
// KILN_DUCK_LOCK_HELPER set to a database path, the test binary opens that
// database, says "ready" on stdout and holds the file until stdin closes.
func TestMain(m *testing.M) {
	if path := os.Getenv(lockHelperEnv); path != "" {
		os.Exit(holdLock(path))
	}
	os.Exit(m.Run())
}

func holdLock(path string) int {
	db, err := Open(context.Background(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until EOF
	return 0
}

// openMem opens an in-memory database and a connection, closed at the end
// of the test.
func openMem(t *testing.T) (*DB, *Conn) {
	t.Helper()
	return openAt(t, "")
}

// openAt opens the database at path ("" in memory) and a connection,
// closed at the end of the test.
func openAt(t *testing.T, path string) (*DB, *Conn) {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		db.Close()
	})
	return db, c
}

func mustExec(t *testing.T, c *Conn, q string, args ...any) int64 {
	t.Helper()
	n, err := c.Exec(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func mustInt(t *testing.T, c *Conn, q string, args ...any) int64 {
	t.Helper()
	n, err := c.QueryInt(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestOpenFileCreatesDirs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a", "b", "kiln.duckdb")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, c, "CREATE TABLE t AS SELECT range AS i FROM range(10)")
	c.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	// Reopen: the data is there.
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err = db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n := mustInt(t, c, "SELECT count(*) FROM t"); n != 10 {
		t.Errorf("count = %d, want 10", n)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, filepath.Join(t.TempDir(), "what?.duckdb")); err == nil || !strings.Contains(err.Error(), "must not contain '?'") {
		t.Errorf("Open(path with ?) = %v", err)
	}
	notDB := filepath.Join(t.TempDir(), "text.duckdb")
	if err := os.WriteFile(notDB, []byte("not a database, but long enough to have a header of sorts........................"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, notDB)
	var e *Error
	if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), "cannot open database") {
		t.Errorf("Open(not a database) = %v (%T), want *Error", err, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Open(cctx, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Open(cancelled) = %v", err)
	}
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.duckdb")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper: %v", err)
		}
	}()
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if strings.TrimSpace(line) != "ready" {
			t.Fatalf("helper said %q", line)
		}
	case <-time.After(time.Minute):
		t.Fatal("helper did not open the database")
	}

	db, err := Open(context.Background(), path)
	if err == nil {
		db.Close()
		t.Fatal("Open of a locked file succeeded")
	}
	var le *LockError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v (%T), want *LockError", err, err)
	}
	t.Logf("DuckDB said: %v", le.Err)
	if le.Path != path || le.PID != cmd.Process.Pid {
		t.Errorf("LockError{Path %q, PID %d}, want %q, %d", le.Path, le.PID, path, cmd.Process.Pid)
	}
	if filepath.Base(le.Program) != filepath.Base(os.Args[0]) {
		t.Errorf("LockError.Program = %q, want the test binary", le.Program)
	}
	if msg := le.Error(); !strings.Contains(msg, fmt.Sprintf("(PID %d)", cmd.Process.Pid)) || strings.Contains(msg, "\n") {
		t.Errorf("Error() = %q", msg)
	}
}

func TestVersion(t *testing.T) {
	_, c := openMem(t)
	_, rows, err := c.QueryRows(context.Background(), "SELECT version()")
	if err != nil {
		t.Fatal(err)
	}
	if v := Version(); v == "" || v != rows[0][0] {
		t.Errorf("Version() = %q, SELECT version() = %v", v, rows[0][0])
	}
}

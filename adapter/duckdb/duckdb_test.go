package duckdb

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

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/adaptertest"
	"github.com/kiln-build/kiln/internal/load"
)

const lockHelperEnv = "KILN_DUCKDB_LOCK_HELPER"

// TestMain doubles as the helper process of the lock test: with
// KILN_DUCKDB_LOCK_HELPER set to a database path, the test binary opens
// that database, says "ready" on stdout and holds it until stdin closes.
func TestMain(m *testing.M) {
	if path := os.Getenv(lockHelperEnv); path != "" {
		a, err := Open(context.Background(), path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("ready")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until EOF
		a.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestConformance(t *testing.T) {
	adaptertest.Run(t, adaptertest.Config{
		Open: func(t *testing.T) adapter.Adapter {
			a, err := adapter.Open(context.Background(), adapter.Target{Type: "duckdb", Path: filepath.Join(t.TempDir(), "db.duckdb")})
			if err != nil {
				t.Fatal(err)
			}
			return a
		},
		Locked:   locked,
		Conflict: conflict,
	})
}

// locked opens a database that a helper process holds.
func locked(t *testing.T) error {
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
		cmd.Wait()
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
		t.Fatal("the helper did not open the database")
	}
	a, err := Open(context.Background(), path)
	if err == nil {
		a.Close()
		return errors.New("a database held by another process opened")
	}
	var le *adapter.LockError
	if errors.As(err, &le) && le.PID != cmd.Process.Pid {
		t.Errorf("LockError.PID = %d, want the helper's %d", le.PID, cmd.Process.Pid)
	}
	return err
}

// conflict updates one row from two transactions: DuckDB's optimistic
// concurrency control fails the second.
func conflict(t *testing.T, a adapter.Adapter) error {
	ctx := context.Background()
	c1, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c1.Exec(ctx, "create table conflict_t (id integer primary key, x integer); insert into conflict_t values (1, 0)"); err != nil {
		t.Fatal(err)
	}
	var second error
	err = c1.Tx(ctx, func() error {
		if _, err := c1.Exec(ctx, "update conflict_t set x = 1 where id = 1"); err != nil {
			return err
		}
		second = c2.Tx(ctx, func() error {
			_, err := c2.Exec(ctx, "update conflict_t set x = 2 where id = 1")
			return err
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return second
}

// LoadFile loads an input file with internal/load, in the caller's
// transaction.
func TestLoadFile(t *testing.T) {
	ctx := context.Background()
	c := openConn(t, "")
	csv := filepath.Join(t.TempDir(), "prices.csv")
	if err := os.WriteFile(csv, []byte("id,price\n1,10.5\n2,20\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rel := adapter.Relation{Schema: "raw", Name: "prices"}
	if _, err := c.Exec(ctx, "create schema raw"); err != nil {
		t.Fatal(err)
	}
	res, err := loadFile(ctx, c, csv, rel)
	if err != nil || res != 2 {
		t.Fatalf("LoadFile = %d, %v", res, err)
	}
	if n, _ := c.QueryInt(ctx, "select sum(id) from raw.prices"); n != 3 {
		t.Errorf("sum(id) = %d", n)
	}
}

// ParseSQL gives DuckDB's parse trees, and an error object for a text
// that is not a SELECT.
func TestParseSQL(t *testing.T) {
	ctx := context.Background()
	trees, err := openConn(t, "").ParseSQL(ctx, []string{"select a from t", "create table x (a int)"})
	if err != nil || len(trees) != 2 {
		t.Fatalf("ParseSQL = %v, %v", trees, err)
	}
	if !strings.Contains(string(trees[0]), `"error":false`) || !strings.Contains(string(trees[1]), `"error":true`) {
		t.Errorf("trees:\n%s\n%s", trees[0], trees[1])
	}
}

func loadFile(ctx context.Context, c *Conn, path string, rel adapter.Relation) (int64, error) {
	res, err := c.LoadFile(ctx, load.Spec{Path: path, Format: "csv"}, rel)
	return res.Rows, err
}

// A profile's settings and extensions apply to every connection; a setting
// DuckDB does not know fails the open with its name.
func TestOpenSettings(t *testing.T) {
	ctx := context.Background()
	init, err := InitStatements(map[string]any{"threads": 3, "default_null_order": "nulls_first_on_asc_last_on_desc", "enable_progress_bar": false}, []string{"parquet", "json"})
	if err != nil {
		t.Fatal(err)
	}
	want := "SET default_null_order = 'nulls_first_on_asc_last_on_desc'|SET enable_progress_bar = false|SET threads = 3|LOAD parquet|LOAD json"
	if got := strings.Join(init, "|"); got != want {
		t.Errorf("statements %s", got)
	}
	a, err := adapter.Open(ctx, adapter.Target{Type: "duckdb", Settings: map[string]any{"threads": 3}, Extensions: []string{"json"}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for i := 0; i < 2; i++ {
		c, err := a.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := c.QueryInt(ctx, "select current_setting('threads')"); err != nil || n != 3 {
			t.Errorf("connection %d: threads = %d, %v", i, n, err)
		}
		c.Close()
	}
	if _, err := adapter.Open(ctx, adapter.Target{Type: "duckdb", Settings: map[string]any{"no_such_setting": 1}}); err == nil || !strings.Contains(err.Error(), "no_such_setting") {
		t.Errorf("unknown setting: %v", err)
	}
	if _, err := InitStatements(map[string]any{"x; drop": 1}, nil); err == nil {
		t.Error("a setting name with SQL in it was accepted")
	}
}

// RunCommit runs a transaction's only statement in autocommit, and a text
// of several statements in the transaction, so that they stay one change:
// a failing second statement leaves the first undone.
func TestRunCommit(t *testing.T) {
	ctx := context.Background()
	c := openConn(t, filepath.Join(t.TempDir(), "run-commit.duckdb"))
	err := c.Tx(ctx, func() error {
		n, err := c.RunCommit(ctx, adapter.Stmt{SQL: "create table t as select * from range(4)", Body: -1, CountRows: true})
		if n != 4 {
			t.Errorf("RunCommit counted %d rows, want 4", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Tx(ctx, func() error {
		_, err := c.RunCommit(ctx, adapter.Plain("create table u as select 1 as x; create table v as select nosuch"))
		return err
	})
	if err == nil {
		t.Fatal("a failing second statement succeeded")
	}
	for _, name := range []string{"t", "u", "v"} {
		kind, err := c.RelationKind(ctx, adapter.Relation{Schema: "main", Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if want := name == "t"; (kind != "") != want {
			t.Errorf("%s exists: %v, want %v", name, kind != "", want)
		}
	}
}

// openConn opens the database at path ("" in memory) and a connection to
// it, both closed at the end of the test.
func openConn(t *testing.T, path string) *Conn {
	t.Helper()
	ctx := context.Background()
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ac, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ac.Close() })
	return ac.(*Conn)
}

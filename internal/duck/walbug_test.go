package duck

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenWALReplayBug: a database whose write-ahead log holds an ALTER
// TABLE of a table whose CHECK calls a function cannot be opened by
// DuckDB 1.5.6 (duckdb/duckdb#18259, #20543): Open says so in a few
// lines, with what the files hold and how to open it without the log,
// instead of DuckDB's internal error and its C++ stack trace; and the
// database opens as of its last checkpoint once the log is moved aside,
// as the hint says.
func TestOpenWALReplayBug(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.duckdb")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, c, "create table t (id integer, name varchar check (length(name) < 10), note varchar)")
	mustExec(t, c, "insert into t values (1, 'a', 'x')")
	mustExec(t, c, "checkpoint")
	// What a kill leaves: the change committed, in the log only.
	mustExec(t, c, "pragma disable_checkpoint_on_shutdown")
	mustExec(t, c, "alter table t drop column note")
	c.Close()
	db.Close()

	db2, err := Open(ctx, path)
	if err == nil {
		// A DuckDB with the bug fixed replays the log.
		c2, err := db2.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		defer c2.Close()
		if n := mustInt(t, c2, "select count(*) from duckdb_columns() where table_name = 't'"); n != 2 {
			t.Errorf("after the log's replay t has %d columns, want 2", n)
		}
		return
	}
	msg := err.Error()
	for _, want := range []string{"DuckDB cannot replay its write-ahead log w.duckdb.wal", "duckdb/duckdb#18259", "move " + path + ".wal aside"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "Stack Trace") || strings.Contains(msg, "duckdb::") || len(msg) > 1200 {
		t.Errorf("error keeps DuckDB's stack trace (%d bytes):\n%s", len(msg), msg)
	}
	if err := os.Rename(path+".wal", path+".wal.aside"); err != nil {
		t.Fatal(err)
	}
	_, c2 := openAt(t, path)
	if n := mustInt(t, c2, "select count(*) from duckdb_columns() where table_name = 't'"); n != 3 {
		t.Errorf("as of the checkpoint t has %d columns, want 3", n)
	}
}

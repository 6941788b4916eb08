package duckdb

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// checkpointTail is what DuckDB 1.5.6 appended to a WAL of 136,291 bytes
// when a kiln build closing its database was killed in the close's
// checkpoint: a CHECKPOINT entry (meta block 8) and a WAL_FLUSH.
const checkpointTail = "0f000000000000008792bd253b33fc2b6400636500640008650008ffffffff0500000000000000e7fe7d722fed3d5e640064ffff"

func TestCheckpointTail(t *testing.T) {
	tail, _ := hex.DecodeString(checkpointTail)
	if !CheckpointTail(tail) {
		t.Errorf("a checkpoint's CHECKPOINT and WAL_FLUSH entries are not taken for a checkpoint's tail")
	}
	// Torn inside an entry (the CHECKPOINT entry alone, 31 bytes, is
	// whole entries still).
	for i := range len(tail) {
		if i != 31 && CheckpointTail(tail[:i]) {
			t.Errorf("a tail torn after %d of %d bytes is taken for a checkpoint's", i, len(tail))
		}
	}
	// A real WAL's entries (a table created, rows inserted) are not.
	path := filepath.Join(t.TempDir(), "w.duckdb")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(context.Background(), "create table t as select range as i from range(10)"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(context.Background(), "insert into t values (42)"); err != nil {
		t.Fatal(err)
	}
	wal, err := os.ReadFile(path + ".wal")
	if err != nil || len(wal) == 0 {
		t.Fatalf("no WAL to read: %v", err)
	}
	if CheckpointTail(wal) {
		t.Errorf("a WAL of a table's creation and an insert (%d bytes) is taken for a checkpoint's tail", len(wal))
	}
	if CheckpointTail(append(wal, tail...)) {
		t.Errorf("a WAL's entries followed by a checkpoint's are taken for a checkpoint's tail alone")
	}
}

// Each close that checkpoints adds 1 to the file's iteration; an open
// and close without a write, or a write not yet checkpointed, do not.
func TestCheckpointIteration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "i.duckdb")
	session := func(sql string) uint64 {
		t.Helper()
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sql != "" {
			if _, err := c.Exec(ctx, sql); err != nil {
				t.Fatal(err)
			}
		}
		c.Close()
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		n, err := CheckpointIteration(path)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	first := session("create table t as select range as i from range(1000)")
	if got := session(""); got != first {
		t.Errorf("an open and close without a write moved the iteration from %d to %d", first, got)
	}
	if got := session("insert into t values (1)"); got != first+1 {
		t.Errorf("a write and a close moved the iteration from %d to %d, want %d", first, got, first+1)
	}
	if got := session("insert into t values (2); checkpoint; insert into t values (3)"); got != first+3 {
		t.Errorf("a write, a CHECKPOINT, a write and a close moved the iteration from %d to %d, want %d", first+1, got, first+3)
	}
	other := filepath.Join(t.TempDir(), "x.duckdb")
	if err := os.WriteFile(other, make([]byte, 3*4096), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckpointIteration(other); err == nil {
		t.Errorf("a file of zeros is read as a DuckDB database")
	}
}

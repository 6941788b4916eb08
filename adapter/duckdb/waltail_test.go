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

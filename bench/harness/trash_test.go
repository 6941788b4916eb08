package harness

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSetAsideKeepsTheTreeUntilTheEnd checks that a timed run's previous
// target folder is emptied without deleting its compiled tree's files
// (they move to the trash, whose inodes stay in use until the suite
// ends) and that the trash is removed at the end.
func TestSetAsideKeepsTheTreeUntilTheEnd(t *testing.T) {
	work := t.TempDir()
	s := &suite{cfg: Config{Work: work}}
	target := filepath.Join(work, "w1", "target")
	sql := filepath.Join(target, "compiled", "w1", "models", "m0000.sql")
	if err := os.MkdirAll(filepath.Dir(sql), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{sql, filepath.Join(target, "w1.duckdb"), filepath.Join(target, "kiln.log")} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.setAside(target); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Fatalf("target still there: %v", err)
	}
	kept, err := filepath.Glob(filepath.Join(s.trashDir(), "*-compiled", "w1", "models", "m0000.sql"))
	if err != nil || len(kept) != 1 {
		t.Fatalf("the compiled file in the trash: %v %v", kept, err)
	}
	top, _ := filepath.Glob(filepath.Join(s.trashDir(), "*"))
	if len(top) != 1 {
		t.Fatalf("the trash holds %v, want the compiled folder only (the database and logs removed)", top)
	}
	if err := s.setAside(target); err != nil { // a missing target
		t.Fatalf("missing target: %v", err)
	}
	if err := s.emptyTrash(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.trashDir()); !os.IsNotExist(err) {
		t.Fatalf("trash still there: %v", err)
	}
}

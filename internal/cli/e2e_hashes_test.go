package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/internal/history"
)

// The input files' hashes are cached in the database by stamp: an
// untouched file is not read again (a planted hash is taken as is).
// TestHashInputSeesRewrites checks that a rewrite is seen.
func TestInputHashCache(t *testing.T) {
	noSettling(t) // the sample month was just written
	dir, _ := newProject(t)
	mustKiln(t, 0, dir, "build")
	seed := filepath.Join(dir, "seeds", "stock_statuses.csv")
	abs, err := filepath.Abs(seed)
	if err != nil {
		t.Fatal(err)
	}
	if got := query(t, dir, "select count(*) from kiln_history.file_hashes where path = '"+abs+"'"); got != "1" {
		t.Fatalf("the seed's hash is cached %s times, want 1", got)
	}
	erp, _ := filepath.Abs(filepath.Join(dir, "data", "sample", "erp.xlsx"))
	query(t, dir, "update kiln_history.file_hashes set sha256 = 'planted' where path = '"+erp+"'")
	mustKiln(t, 0, dir, "build")
	if m := string(readFile(t, filepath.Join(dir, "target", "manifest.json"))); !strings.Contains(m, `"planted"`) {
		t.Fatal("the unchanged erp.xlsx was hashed again: the manifest does not carry the cached hash")
	}

	if got := query(t, dir, "select count(*) from kiln_history.file_hashes"); got != "4" {
		t.Fatalf("%s hashes cached, want 4 (three Excel files and one seed)", got)
	}
}

// A file rewritten with the same size and its old modification time is
// hashed again: its status-change time moved.
func TestHashInputSeesRewrites(t *testing.T) {
	p := filepath.Join(t.TempDir(), "month.csv")
	if err := os.WriteFile(p, []byte("id,price\n1,10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A file written in the last two seconds is hashed but not cached:
	// its next write may keep its times.
	e := &env{}
	if _, _, err := e.hashInput(p); err != nil || e.newHashes != nil {
		t.Fatalf("a file just written was cached (%v)", err)
	}
	now := time.Now()
	if settled(history.Stamp{ModNs: now.Add(-time.Second).UnixNano()}, now) || !settled(history.Stamp{ModNs: now.Add(-time.Minute).UnixNano()}, now) {
		t.Fatal("settled: want a file written 1 s ago unsettled and one written a minute ago settled")
	}
	noSettling(t)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	first, _, err := e.hashInput(p)
	if err != nil {
		t.Fatal(err)
	}
	e.hashes, e.newHashes = e.newHashes, nil // the next run's cache
	if again, _, _ := e.hashInput(p); again != first || e.newHashes != nil {
		t.Fatalf("an untouched file was hashed again (%s, %v)", again, e.newHashes)
	}
	if err := os.WriteFile(p, []byte("id,price\n1,99\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	second, _, err := e.hashInput(p)
	if err != nil {
		t.Fatal(err)
	}
	if second == first {
		t.Fatal("a rewrite with the same size and modification time kept the cached hash")
	}
}

// noSettling lets the test cache the hashes of files it just wrote.
func noSettling(t *testing.T) {
	old := settleWindow
	settleWindow = 0
	t.Cleanup(func() { settleWindow = old })
}

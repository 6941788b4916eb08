package engine

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// A file rewritten with the same size and its old modification time is
// hashed again: its status-change time moved.
func TestHashInputSeesRewrites(t *testing.T) {
	p := filepath.Join(t.TempDir(), "month.csv")
	if err := os.WriteFile(p, []byte("id,price\n1,10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A file written in the last two seconds is hashed but not cached:
	// its next write may keep its times.
	e := &Project{}
	if _, _, err := e.hashInput(p); err != nil || e.newHashes != nil {
		t.Fatalf("a file just written was cached (%v)", err)
	}
	now := time.Now()
	if settled(adapter.FileStamp{ModNs: now.Add(-time.Second).UnixNano()}, now) || !settled(adapter.FileStamp{ModNs: now.Add(-time.Minute).UnixNano()}, now) {
		t.Fatal("settled: want a file written 1 s ago unsettled and one written a minute ago settled")
	}
	old := SettleWindow
	SettleWindow = 0
	t.Cleanup(func() { SettleWindow = old })
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

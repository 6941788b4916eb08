package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/engine"
	"github.com/kiln-build/kiln/internal/sample"
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
	erp, _ := filepath.Abs(filepath.Join(dir, "data", "sample", sample.DefaultMonth, "erp.xlsx"))
	query(t, dir, "update kiln_history.file_hashes set sha256 = 'planted' where path = '"+erp+"'")
	mustKiln(t, 0, dir, "build")
	if m := string(readFile(t, filepath.Join(dir, "target", "kiln_manifest.json"))); !strings.Contains(m, `"planted"`) {
		t.Fatal("the unchanged erp.xlsx was hashed again: kiln_manifest.json does not carry the cached hash")
	}

	if got := query(t, dir, "select count(*) from kiln_history.file_hashes"); got != "4" {
		t.Fatalf("%s hashes cached, want 4 (three Excel files and one seed)", got)
	}
}

// noSettling lets the test cache the hashes of files it just wrote.
func noSettling(t *testing.T) {
	old := engine.SettleWindow
	engine.SettleWindow = 0
	t.Cleanup(func() { engine.SettleWindow = old })
}

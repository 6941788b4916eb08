package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCatalogHint: DuckDB's missing catalog, in its forms, gets the hint
// naming the views a build with --defer recorded for that catalog, or,
// for a catalog no record names (a view dbt-duckdb built with --defer),
// the general cause; other errors get none.
func TestCatalogHint(t *testing.T) {
	dir := t.TempDir()
	p := &Project{DBPath: filepath.Join(dir, "dev.duckdb")}
	rec := `[{"view": "main.v", "node": "v", "state": "prod", "catalog": "shop"}]`
	if err := os.WriteFile(DeferredViewsPath(p.DBPath), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{`Catalog "shop" does not exist!`, `Catalog with name shop does not exist!`} {
		if h := p.CatalogHint(msg); !strings.Contains(h, "main.v were built with --defer against prod and read it through catalog shop") ||
			!strings.Contains(h, "kiln build -s v") {
			t.Errorf("%s: hint %q", msg, h)
		}
	}
	if h := p.CatalogHint(`Catalog "jaffle" does not exist!`); !strings.Contains(h, "no database named jaffle is attached") {
		t.Errorf("an unrecorded catalog: hint %q", h)
	}
	if h := p.CatalogHint(`Table with name x does not exist!`); h != "" {
		t.Errorf("a missing table: hint %q, want none", h)
	}
}

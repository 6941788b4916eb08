package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSealDeferState: a model that reads a relation of the state's
// database (--defer --favor-state) is not taken as up to date after
// another program changed that database: it runs every build, and the
// build says why. Before, wine_names stayed UP-TO-DATE with the wine's
// old name after production's wines table was updated (the state's
// database is attached read-only and was not sealed).
func TestSealDeferState(t *testing.T) {
	dir := deferProject(t)
	if err := os.WriteFile(filepath.Join(dir, "models", "wine_names.sql"),
		[]byte("{{ config(materialized='table') }}\nselect wine_id, name from {{ ref('wines') }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustKiln(t, 0, dir, "build", "--target-path", "prod")
	mustKiln(t, 0, dir, "build", "--target-path", "dev")
	prodDB := filepath.Join(dir, "prod", "kiln.duckdb")
	devDB := filepath.Join(dir, "dev", "kiln.duckdb")
	deferBuild := func(what string) map[string]string {
		t.Helper()
		code, out, errOut := kiln(t, dir, "build", "--target-path", "dev", "-s", "wine_names", "--defer", "--favor-state", "--state", "prod")
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", what, code, out, errOut)
		}
		got := lineStatuses(out + errOut)
		got["output"] = out + errOut
		return got
	}
	deferBuild("first deferred build")
	got := deferBuild("second deferred build")
	if got["model wine_names"] != "OK" {
		t.Errorf("second deferred build: wine_names is %q, want OK (it reads the state)\n%s", got["model wine_names"], got["output"])
	}
	if w := "wine_names reads the state's database prod/kiln.duckdb (--defer), which another program may have changed since the last build: it and its tests run every build"; !strings.Contains(got["output"], w) {
		t.Errorf("second deferred build does not say %q:\n%s", w, got["output"])
	}
	// Another program renames a wine in production's database.
	duckQuery(t, prodDB, "update main.wines set name = 'Petrus' where wine_id = 1")
	got = deferBuild("deferred build after production changed")
	if got["model wine_names"] != "OK" {
		t.Errorf("deferred build after production changed: wine_names is %q, want OK\n%s", got["model wine_names"], got["output"])
	}
	if name := queryDB(t, devDB, "select name from main.wine_names where wine_id = 1"); name != "Petrus" {
		t.Errorf("dev's wine_names has wine 1 as %q, want production's new name Petrus", name)
	}
	// Without --defer, dev's own wines: wine_names builds from it, then
	// is up to date (dev's database is sealed).
	mustKiln(t, 0, dir, "build", "--target-path", "dev")
	code, out, errOut := kiln(t, dir, "build", "--target-path", "dev")
	if got := lineStatuses(out + errOut); code != 0 || got["model wine_names"] != "UP-TO-DATE" {
		t.Errorf("dev build without --defer: exit %d, wine_names %q, want UP-TO-DATE\n%s%s", code, got["model wine_names"], out, errOut)
	}
}

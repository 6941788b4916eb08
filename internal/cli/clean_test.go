package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCleanNamesWhatItRemoves: kiln clean deleted target/exports (the
// run's CSV and Excel exports) saying only "removed target". As dbt
// clean lists its paths, it now names each path it removes, a folder
// with the count of its files, and keeps the database.
func TestCleanNamesWhatItRemoves(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"project.yml":                 "name: shop\ndatabase-path: target/shop.duckdb\n",
		"models/a.sql":                "select 1 as id",
		"target/exports/kpi.csv":      "id\n1\n",
		"target/exports/kpi.xlsx":     "not really",
		"target/exports/old/2024.csv": "id\n",
		"target/manifest.json":        "{}",
		"target/shop.duckdb":          "kept",
	})
	code, out, errOut := kiln(t, dir, "clean")
	msg := out + errOut
	sep := string(filepath.Separator)
	for _, w := range []string{
		"removed " + filepath.Join("target", "exports") + sep + " (3 files)",
		"removed " + filepath.Join("target", "manifest.json"),
		"removed target, but for the database " + filepath.Join("target", "shop.duckdb"),
	} {
		if code != ExitOK || !strings.Contains(msg, w) {
			t.Errorf("exit %d, want 0 and %q:\n%s", code, w, msg)
		}
	}
	if strings.Contains(msg, "shop.duckdb\n") || strings.Contains(msg, "removed "+filepath.Join("target", "shop.duckdb")) {
		t.Errorf("the database is named as removed:\n%s", msg)
	}
	if fileExists(filepath.Join(dir, "target", "exports")) || !fileExists(filepath.Join(dir, "target", "shop.duckdb")) {
		t.Errorf("after clean: exports %v, database %v; want gone, kept", fileExists(filepath.Join(dir, "target", "exports")), fileExists(filepath.Join(dir, "target", "shop.duckdb")))
	}
}

// TestCleanStaysInsideTheProject: clean-targets checked the path as
// written only: a folder of the project that is a symbolic link to
// another folder had what it points to deleted, and clean-targets:
// [models] deleted the models. Both are refused now (exit 2), as dbt
// clean refuses a path outside the project or a source path, before
// anything is deleted.
func TestCleanStaysInsideTheProject(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"precious.csv": "id\n1\n"})
	for _, tc := range []struct {
		targets, want string
	}{
		{"[target, linked]", `refusing to delete "linked": the clean-targets of project.yml must be folders inside the project, and linked is ` + outside + `, outside it (a symbolic link)`},
		{"[target, linked/sub]", `refusing to delete "linked/sub": the clean-targets of project.yml must be folders inside the project`},
		{"[target, models]", `refusing to delete "models": it holds the project's model-paths "models"`},
		{"[target, src]", `refusing to delete "src": it holds the project's seed-paths "src/seeds"`},
	} {
		t.Run(tc.targets, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, map[string]string{
				"project.yml":          "name: shop\nseed-paths: [src/seeds]\nclean-targets: " + tc.targets + "\n",
				"models/a.sql":         "select 1 as id",
				"src/seeds/s.csv":      "id\n1\n",
				"target/manifest.json": "{}",
			})
			if err := os.Symlink(outside, filepath.Join(dir, "linked")); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := kiln(t, dir, "clean")
			if code != ExitCannotStart || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, want %d and %q:\n%s%s", code, ExitCannotStart, tc.want, out, errOut)
			}
			for _, p := range []string{filepath.Join(outside, "precious.csv"), filepath.Join(dir, "models", "a.sql"), filepath.Join(dir, "src", "seeds", "s.csv"), filepath.Join(dir, "target", "manifest.json")} {
				if !fileExists(p) {
					t.Errorf("%s was deleted", p)
				}
			}
		})
	}
}

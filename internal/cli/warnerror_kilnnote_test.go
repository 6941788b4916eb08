package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWarnErrorKeepsKilnNotes: a project with query-comment (a key kiln
// documents and does not read) builds under --warn-error, as under dbt,
// which emits no warning for it: kiln's own "query-comment is not read"
// stays a warning and the model is built. A dbt warning (a selection
// that matches nothing) still stops the command with --warn-error.
func TestWarnErrorKeepsKilnNotes(t *testing.T) {
	dir := t.TempDir()
	writeProjectFile(t, dir, "project.yml", "name: shop\nquery-comment: \"run by kiln\"\n")
	writeProjectFile(t, dir, "models/one.sql", "select 1 as id\n")
	out := mustKiln(t, ExitOK, dir, "build", "--warn-error")
	if !strings.Contains(out, "warning: query-comment is not read") || strings.Contains(out, "an error with --warn-error") {
		t.Fatalf("query-comment's note is not a plain warning under --warn-error:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "target", "run_results.json")); err != nil {
		t.Fatalf("the build did not run: %v\n%s", err, out)
	}
	if !strings.Contains(string(readFile(t, dir+"/target/run_results.json")), `"model.shop.one"`) {
		t.Fatalf("model one was not built:\n%s", out)
	}
	out = mustKiln(t, ExitCannotStart, dir, "build", "--warn-error", "--select", "nothing_here")
	if !strings.Contains(out, "nothing_here") {
		t.Fatalf("a selection matching nothing is not an error under --warn-error:\n%s", out)
	}
}

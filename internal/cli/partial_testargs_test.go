package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/parsecache"
)

// TestPartialParseTestArgs checks that partial parsing sees the
// environment variables a generic test's arguments read: kiln compile
// through the cache writes the test's SQL with the variable's new value,
// the one --no-partial-parse writes.
func TestPartialParseTestArgs(t *testing.T) {
	window := parsecache.Window
	parsecache.Window = 0 // the files are not edited within a clock tick here
	defer func() { parsecache.Window = window }()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "project.yml"), "name: pp\nmodel-paths: [models]\ndatabase-path: db/pp.duckdb\n")
	writeFile(t, filepath.Join(dir, "models/a.sql"), "select 'x' as s\n")
	writeFile(t, filepath.Join(dir, "models/schema.yml"), "version: 2\nmodels:\n  - name: a\n    columns:\n      - name: s\n"+
		"        data_tests:\n          - accepted_values:\n              values: [w, \"{{ env_var('PP_STATUS') }}\"]\n")
	compiled := filepath.Join(dir, "target/compiled/pp/models/schema.yml/accepted_values_a_s__w___env_var_PP_STATUS_.sql")
	for _, v := range []string{"x", "y", "x"} {
		t.Setenv("PP_STATUS", v)
		want := "not in ('w', '" + v + "')"
		for _, args := range [][]string{{"compile"}, {"compile"}, {"--no-partial-parse", "compile"}} {
			mustKiln(t, 0, dir, args...)
			if got := string(readFile(t, compiled)); !strings.Contains(got, want) {
				t.Fatalf("PP_STATUS=%s, kiln %s: the test's SQL does not read %q:\n%s", v, strings.Join(args, " "), want, got)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "target", "partial_parse.kiln")); err != nil {
		t.Fatalf("compile wrote no cache: %v", err)
	}
}

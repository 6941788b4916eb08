package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeferredViewNamesStateCatalog: a view built with --defer that reads
// a deferred relation names the state's catalog ("shop"."main"...), as
// dbt-duckdb's does. The build warns once, at its end, naming the view;
// later, without --defer, kiln show of the view, a test reading it and a
// model reading it fail with DuckDB's "Catalog ... does not exist" and
// kiln's hint: the view was built with --defer against prod and reads it
// through catalog shop; rebuild it without --defer or pass --defer
// --state again. Rebuilt without --defer, the view reads dev's own
// relations and the record of it is gone.
func TestDeferredViewNamesStateCatalog(t *testing.T) {
	dir := t.TempDir()
	for p, content := range map[string]string{
		"dbt_project.yml": "name: shop\nprofile: shop\n",
		"profiles.yml": "shop:\n  target: prod\n  outputs:\n" +
			"    prod: {type: duckdb, path: shop.duckdb}\n" +
			"    dev: {type: duckdb, path: dev/other.duckdb}\n",
		"seeds/raw_orders.csv":     "id,amount\n1,10\n2,20\n3,30\n4,40\n",
		"models/dev_view.sql":      "{{ config(materialized='view') }}\nselect id, amount from {{ ref('raw_orders') }}\n",
		"models/totals.sql":        "{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('dev_view') }}\n",
		"tests/dev_view_small.sql": "select * from {{ ref('dev_view') }} where amount > 1000\n",
	} {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(p)), content)
	}
	mustKiln(t, 0, dir, "build", "--target-path", "prod")
	out := mustKiln(t, 0, dir, "run", "-t", "dev", "--target-path", "dev", "-s", "dev_view", "--defer", "--state", "prod")
	for _, want := range []string{
		`warning: 1 view(s) built with --defer read the state prod through its catalog "shop": dev_view`,
		"kiln build -s dev_view",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the --defer build: want %q in\n%s", want, out)
		}
	}
	if n := strings.Count(out, "built with --defer"); n != 1 {
		t.Errorf("the --defer build warns %d times, want once:\n%s", n, out)
	}
	hint := "the view(s) main.dev_view were built with --defer against prod and read it through catalog shop"
	for _, args := range [][]string{
		{"show", "-s", "dev_view"},
		{"test", "-s", "dev_view_small"},
		{"run", "-s", "totals"},
	} {
		code, stdout, stderr := kiln(t, dir, append(args, "-t", "dev", "--target-path", "dev")...)
		got := stdout + stderr
		if code == 0 || !strings.Contains(got, "does not exist") || !strings.Contains(got, hint) ||
			!strings.Contains(got, "rebuild them without --defer (kiln build -s dev_view), or pass --defer --state prod again") {
			t.Errorf("kiln %s: exit %d, want a failure with the hint %q in\n%s", strings.Join(args, " "), code, hint, got)
		}
	}
	record := filepath.Join(dir, "dev", "other.duckdb.deferred_views.json")
	if _, err := os.Stat(record); err != nil {
		t.Fatalf("the record of the deferred views: %v", err)
	}
	out = mustKiln(t, 0, dir, "build", "-t", "dev", "--target-path", "dev", "-s", "+dev_view")
	if strings.Contains(out, "built with --defer") {
		t.Errorf("a build without --defer warns of deferred views:\n%s", out)
	}
	if _, err := os.Stat(record); !os.IsNotExist(err) {
		t.Errorf("the view rebuilt without --defer is still recorded (%v)", err)
	}
	if got := mustKiln(t, 0, dir, "show", "-s", "dev_view", "-t", "dev", "--target-path", "dev"); strings.Contains(got, "does not exist") {
		t.Errorf("kiln show after the rebuild:\n%s", got)
	}
}

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// addFiles writes files (slash paths relative to dir) into dir.
func addFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		to := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// topModel is a table over revenue (deferProject's) that reads a column
// (name) the unit tests' given rows of revenue leave out.
const topModel = "{{ config(materialized='table') }}\n" +
	"select wine_id, name, revenue * 2 as doubled from {{ ref('revenue') }}\n"

// TestDeferExportReadsTheDeferredModel: an export's sheet model is a
// dependency like ref(), so under --defer a sheet of a model that is not
// selected (and not built in dev) reads the state's relation: a build of
// top+ into an empty dev writes prod's revenue rows in the workbook's
// revenue sheet and dev's top in the other.
func TestDeferExportReadsTheDeferredModel(t *testing.T) {
	dir := deferProject(t)
	addFiles(t, dir, map[string]string{
		"models/top.sql": topModel,
		"models/_exports.yml": "exports:\n  - name: report\n    format: xlsx\n    path: exports/report.xlsx\n    sheets:\n" +
			"      - {name: top, model: top, order_by: wine_id}\n      - {name: revenue, model: revenue, order_by: wine_id}\n",
	})
	mustKiln(t, 0, dir, "build", "--target-path", "prod")
	out := mustKiln(t, 0, dir, "build", "--target-path", "dev", "-s", "top+", "--defer", "--state", "prod")
	if !strings.Contains(out, "Deferring 4 node(s) to the state prod (prod/kiln.duckdb, read-only): orders, revenue, stg_orders, wines") {
		t.Errorf("want revenue and its parents deferred:\n%s", out)
	}
	if !strings.Contains(out, "ERROR=0 SKIP=0 TOTAL=2") {
		t.Errorf("want top and the export only, both passing:\n%s", out)
	}
	f, err := excelize.OpenFile(filepath.Join(dir, "dev", "exports", "report.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]string{
		"revenue": "wine_id,name,revenue|1,Pomerol,529.5|2,Chablis,270|3,Rosé,118.8",
		"top":     "wine_id,name,doubled|1,Pomerol,1059|2,Chablis,540|3,Rosé,237.6",
	}
	for sheet, w := range want {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, strings.Join(r, ","))
		}
		if g := strings.Join(got, "|"); g != w {
			t.Errorf("sheet %s: %s, want %s (prod's revenue)", sheet, g, w)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "prod", "exports", "report.xlsx")); err != nil {
		t.Errorf("prod's export: %v", err)
	}
}

// TestDeferUnitTestInputColumns: a unit test's given rows may leave
// columns out, which come from the input's relation (as dbt); under
// --defer that is the state's relation, so the unit tests of a model
// built alone into an empty dev pass, and one whose expectation is wrong
// still fails.
func TestDeferUnitTestInputColumns(t *testing.T) {
	dir := deferProject(t)
	given := "    given:\n      - input: ref('revenue')\n        rows:\n          - {wine_id: 1, revenue: 10}\n          - {wine_id: 2, revenue: 2.5}\n"
	addFiles(t, dir, map[string]string{
		"models/top.sql": topModel,
		"models/_unit.yml": "unit_tests:\n  - name: doubles_revenue\n    model: top\n" + given +
			"    expect:\n      rows:\n        - {wine_id: 1, doubled: 20}\n        - {wine_id: 2, doubled: 5}\n",
	})
	mustKiln(t, 0, dir, "build", "--target-path", "prod")
	out := mustKiln(t, 0, dir, "build", "--target-path", "dev", "-s", "top", "--defer", "--state", "prod")
	if !strings.Contains(out, "PASS") || !strings.Contains(out, "doubles_revenue") || !strings.Contains(out, "ERROR=0 SKIP=0 TOTAL=2") {
		t.Errorf("want the unit test to pass and top built:\n%s", out)
	}
	devDB := filepath.Join(dir, "dev", "kiln.duckdb")
	if got := queryDB(t, devDB, "select sum(doubled) from main.top"); got != "1836.6" {
		t.Errorf("dev's top: %s, want 1836.6 (twice prod's revenue)", got)
	}

	// A wrong expectation fails, with the same deferred input.
	addFiles(t, dir, map[string]string{
		"models/_unit_wrong.yml": "unit_tests:\n  - name: wrong_double\n    model: top\n" + given +
			"    expect:\n      rows:\n        - {wine_id: 1, doubled: 21}\n        - {wine_id: 2, doubled: 5}\n",
	})
	out = mustKiln(t, 1, dir, "build", "--target-path", "dev", "-s", "top", "--defer", "--state", "prod")
	if !strings.Contains(out, "wrong_double") || !strings.Contains(out, "FAIL") || strings.Contains(out, "does not have a column") {
		t.Errorf("want wrong_double to fail on its rows, not on a missing column:\n%s", out)
	}
}

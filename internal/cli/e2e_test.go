package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/run"
	"github.com/kiln-build/kiln/internal/sample"
)

// figures are the numbers a BottleNeck month must produce.
type figures struct {
	erp, web, liaison, withIDWeb, joined, premium, ordinary int
	revenue                                                 string // euros, 2 decimals
}

func checkFigures(t *testing.T, dir string, want figures) {
	t.Helper()
	checkFiguresWith(t, dir, want, func(q string) string { return query(t, dir, q) })
}

// checkFiguresWith checks the figures with query, which returns the one
// value of a query in the project's database.
func checkFiguresWith(t *testing.T, dir string, want figures, query func(string) string) {
	t.Helper()
	checks := []struct {
		name, q, want string
	}{
		{"ERP products", `select count(*) from staging.stg_erp`, fmt.Sprint(want.erp)},
		{"ERP product_id unique", `select count(distinct product_id) from staging.stg_erp`, fmt.Sprint(want.erp)},
		{"web products", `select count(*) from staging.stg_web`, fmt.Sprint(want.web)},
		{"liaison rows", `select count(*) from staging.stg_liaison`, fmt.Sprint(want.liaison)},
		{"liaison with id_web", `select count(id_web) from staging.stg_liaison`, fmt.Sprint(want.withIDWeb)},
		{"joined products", `select count(*) from intermediate.int_products`, fmt.Sprint(want.joined)},
		{"revenue rows", `select count(*) from marts.revenue_by_product`, fmt.Sprint(want.joined)},
		{"total revenue", `select cast(cast(total_revenue as decimal(18,2)) as varchar) from marts.kpi_summary`, want.revenue},
		{"total revenue summed", `select cast(cast(sum(revenue) as decimal(18,2)) as varchar) from marts.revenue_by_product`, want.revenue},
		{"premium wines", `select count(*) from marts.premium_wines`, fmt.Sprint(want.premium)},
		{"ordinary wines", `select count(*) from marts.ordinary_wines`, fmt.Sprint(want.ordinary)},
		{"kpi premium", `select premium_count from marts.kpi_summary`, fmt.Sprint(want.premium)},
		{"kpi ordinary", `select ordinary_count from marts.kpi_summary`, fmt.Sprint(want.ordinary)},
	}
	for _, c := range checks {
		if got := query(c.q); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
	exports := filepath.Join(dir, "target", "exports")
	for file, rows := range map[string]int{"revenue_by_product.csv": want.joined, "premium_wines.csv": want.premium, "ordinary_wines.csv": want.ordinary} {
		if got := csvRows(t, filepath.Join(exports, file)); got != rows {
			t.Errorf("%s: %d rows, want %d", file, got, rows)
		}
	}
	f, err := excelize.OpenFile(filepath.Join(exports, "bottleneck_monthly.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for sheet, rows := range map[string]int{"revenue_by_product": want.joined, "premium_wines": want.premium, "summary": 1} {
		all, err := f.GetRows(sheet)
		if err != nil {
			t.Fatalf("sheet %s: %v", sheet, err)
		}
		if len(all)-1 != rows {
			t.Errorf("sheet %s: %d rows, want %d", sheet, len(all)-1, rows)
		}
	}
	summary, _ := f.GetRows("summary")
	if len(summary) == 2 && summary[1][1] != want.revenue && summary[1][1] != strings.TrimSuffix(want.revenue, "0") {
		t.Errorf("summary total_revenue cell %q, want %s", summary[1][1], want.revenue)
	}
}

func TestBuildSample(t *testing.T) {
	dir, exp := newProject(t)
	out := mustKiln(t, 0, dir, "build")
	checkFigures(t, dir, figures{
		erp: exp.ERPProducts, web: exp.WebProducts, liaison: exp.LiaisonRows, withIDWeb: exp.LiaisonWithIDWeb,
		joined: exp.Joined, premium: exp.PremiumCount, ordinary: exp.OrdinaryCount, revenue: exp.TotalRevenue(),
	})
	if !strings.Contains(out, "ERROR=0") {
		t.Errorf("summary missing:\n%s", out)
	}
	for _, f := range []string{"manifest.json", "run_results.json", "compiled/bottleneck/models/marts/revenue_by_product.sql"} {
		if _, err := os.Stat(filepath.Join(dir, "target", f)); err != nil {
			t.Errorf("artifact %s: %v", f, err)
		}
	}
}

// TestBuildRealExports builds the real monthly exports and asserts the
// reference figures of ../shared/bottleneck/README.md exactly.
func TestBuildRealExports(t *testing.T) {
	if _, err := os.Stat(filepath.Join(realExports, "erp.xlsx")); err != nil {
		t.Skipf("the real exports are not at %s", realExports)
	}
	dir, _ := newProject(t)
	raw, _ := filepath.Abs(realExports)
	mustKiln(t, 0, dir, "build", "--vars", fmt.Sprintf("{raw_dir: %q, month: '2020-08'}", raw))
	checkFigures(t, dir, figures{erp: 825, web: 714, liaison: 825, withIDWeb: 734, joined: 714, premium: 30, ordinary: 684, revenue: "70568.60"})
}

// A month with a missing export fails before anything is built, names the
// source, the path and what to do in one error and a count (not a SKIP
// line per node), exits 2 as a run that could not start, and leaves the
// previous tables and exports as they were.
func TestMissingExportKeepsPreviousBuild(t *testing.T) {
	dir, exp := newProject(t)
	mustKiln(t, 0, dir, "build")
	exports := filepath.Join(dir, "target", "exports")
	before := map[string][]byte{}
	for _, f := range []string{"revenue_by_product.csv", "premium_wines.csv", "ordinary_wines.csv", "bottleneck_monthly.xlsx"} {
		before[f] = readFile(t, filepath.Join(exports, f))
	}
	month := filepath.Join(dir, "data", "next")
	if _, err := os.Stat(month); err == nil {
		t.Fatal("next month exists")
	}
	copyFile(t, filepath.Join(dir, "data", "sample", sample.DefaultMonth, "erp.xlsx"), filepath.Join(month, "erp.xlsx"))
	copyFile(t, filepath.Join(dir, "data", "sample", sample.DefaultMonth, "liaison.xlsx"), filepath.Join(month, "liaison.xlsx"))
	stderr := mustKiln(t, 2, dir, "build", "--vars", "{raw_dir: data/next}")
	for _, want := range []string{`source "raw.web"`, filepath.Join("data", "next", "web.xlsx"), "raw_dir",
		"nothing was built: 1 input file cannot be read, so none of the 94 nodes of the run ran"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, stderr)
		}
	}
	if n := len(regexp.MustCompile(`\d+/\d+ SKIP`).FindAllString(stderr, -1)); n > 0 {
		t.Errorf("stderr has %d SKIP lines:\n%s", n, stderr)
	}
	if n := strings.Count(stderr, "web.xlsx"); n > 2 {
		t.Errorf("the missing file is named %d times (its progress line and the summary):\n%s", n, stderr)
	}
	for f, b := range before {
		if !bytes.Equal(b, readFile(t, filepath.Join(exports, f))) {
			t.Errorf("%s changed", f)
		}
	}
	if got := query(t, dir, `select count(*) from intermediate.int_products`); got != fmt.Sprint(exp.Joined) {
		t.Errorf("int_products has %s rows, want the previous %d", got, exp.Joined)
	}
	// The refused run is in the history, as refused (nothing changed, as
	// a run on-run-start refuses), and in the event log.
	if runs := mustKiln(t, 0, dir, "runs"); !strings.Contains(runs, " refused ") {
		t.Errorf("kiln runs does not list the refused run as refused:\n%s", runs)
	}
	if _, status := lastRun(t, dir); status != "refused" {
		t.Errorf("the run refused for a missing input is recorded as %s, want refused", status)
	}
	log := string(readFile(t, filepath.Join(dir, "target", "kiln.log")))
	if !strings.Contains(log, `"event":"run_finished"`) || !strings.Contains(log, `"exit_code":2`) || !strings.Contains(log, "web.xlsx") {
		t.Errorf("kiln.log lacks the refused run:\n%s", log)
	}
	// run_results.json has the unreadable source's error and every other
	// node skipped, so kiln retry, the file delivered, runs the whole run.
	rr, err := artifact.ReadRunResults(filepath.Join(dir, "target", "run_results.json"))
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[run.Status]int{}
	for _, r := range rr.Results {
		statuses[r.Status]++
	}
	if statuses[run.Error] != 1 || statuses[run.Skipped] != 93 || len(rr.Results) != 94 {
		t.Errorf("run_results.json of the refused run: %v, want 1 error and 93 skipped", statuses)
	}
	copyFile(t, filepath.Join(dir, "data", "sample", sample.DefaultMonth, "web.xlsx"), filepath.Join(month, "web.xlsx"))
	if out := mustKiln(t, 0, dir, "retry"); !strings.Contains(out, "Retrying 94 nodes of the last build") {
		t.Errorf("kiln retry of the refused run does not run its 94 nodes:\n%s", out)
	}
	if _, status := lastRun(t, dir); status != "success" {
		t.Errorf("the retry is recorded as %s", status)
	}
}

// A model whose SQL fails keeps its previous table and rows; its
// descendants are skipped and named.
func TestFailedModelKeepsPreviousTable(t *testing.T) {
	dir, exp := newProject(t)
	mustKiln(t, 0, dir, "build")
	model := filepath.Join(dir, "models", "intermediate", "int_products.sql")
	src := readFile(t, model)
	broken := strings.Replace(string(src), "w.post_title,", "w.no_such_column,", 1)
	if err := os.WriteFile(model, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr := mustKiln(t, 1, dir, "build")
	line := 1 + strings.Count(string(src[:strings.Index(string(src), "w.post_title,")]), "\n")
	col := strings.Index(string(src), "w.post_title,") - strings.LastIndex(string(src[:strings.Index(string(src), "w.post_title,")]), "\n")
	at := fmt.Sprintf("models/intermediate/int_products.sql:%d:%d: binder error", line, col)
	for _, want := range []string{"ERROR", "int_products", "no_such_column", "SKIP", "model int_products did not succeed", at, "(compiled SQL: target/compiled/bottleneck/models/intermediate/int_products.sql:"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, stderr)
		}
	}
	if got := query(t, dir, `select count(*) from intermediate.int_products`); got != fmt.Sprint(exp.Joined) {
		t.Errorf("int_products has %s rows, want the previous %d", got, exp.Joined)
	}
}

// A model whose SQL fails, and that has unit tests, is reported once, at
// its .sql line and column: the unit tests that run its SQL on given rows
// fail on the same error, which the summary shows once, naming them.
func TestModelErrorWithUnitTestsReportedOnce(t *testing.T) {
	dir, _ := newProject(t)
	model := filepath.Join(dir, "models", "marts", "wine_zscores.sql")
	src := string(readFile(t, model))
	broken := strings.Replace(src, "    r.total_sales,", "    r.no_such_column,", 1)
	if err := os.WriteFile(model, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	line := 1 + strings.Count(broken[:strings.Index(broken, "r.no_such_column")], "\n")
	stderr := mustKiln(t, 1, dir, "build", "--threads", "1")
	summary := stderr[strings.Index(stderr, "Done in"):]
	at := fmt.Sprintf("(models/marts/wine_zscores.sql:%d:5)", line)
	if n := strings.Count(summary, at); n != 1 {
		t.Errorf("the summary names %s %d times, want once:\n%s", at, n, summary)
	}
	if strings.Contains(summary, "_unit_tests.yml") {
		t.Errorf("the summary reports the model's error against the unit tests' file:\n%s", summary)
	}
	for _, want := range []string{"unit_test premium_is_z_score_above_2", `model "wine_zscores" fails on the given rows`, `"no_such_column"`} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary lacks %q:\n%s", want, summary)
		}
	}
}

// A failing error-severity test skips what is downstream of its model, so
// a bad month never overwrites a good export.
func TestFailingTestKeepsExports(t *testing.T) {
	dir, _ := newProject(t)
	mustKiln(t, 0, dir, "build")
	csv := filepath.Join(dir, "target", "exports", "revenue_by_product.csv")
	before := readFile(t, csv)
	stderr := mustKiln(t, 1, dir, "build", "--vars", "{min_products: 1000}")
	if !strings.Contains(stderr, "FAIL") || !strings.Contains(stderr, "row_count_stg_erp") {
		t.Errorf("no failed row_count test in:\n%s", stderr)
	}
	if !strings.Contains(stderr, "SKIP") || !strings.Contains(stderr, "revenue_by_product_csv") {
		t.Errorf("the export is not skipped:\n%s", stderr)
	}
	if !bytes.Equal(before, readFile(t, csv)) {
		t.Error("the export was overwritten after a failed test")
	}
}

func TestCycleAndUnknownRefExit2WithPositions(t *testing.T) {
	dir, _ := newProject(t)
	stg := filepath.Join(dir, "models", "staging", "stg_erp.sql")
	src := string(readFile(t, stg))
	cyclic := strings.Replace(src, "where product_id is not null", "where product_id not in (select product_id from {{ ref('int_products') }})", 1)
	if err := os.WriteFile(stg, []byte(cyclic), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := kiln(t, dir, "build")
	if code != 2 {
		t.Fatalf("cycle: exit %d, want 2\n%s", code, stderr)
	}
	for _, want := range []string{"dependency cycle: int_products (models/intermediate/int_products.sql) -> stg_erp (models/staging/stg_erp.sql) -> int_products",
		"stg_erp refs int_products at models/staging/stg_erp.sql:14:56", "int_products refs stg_erp at models/intermediate/int_products.sql:11:9"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, stderr)
		}
	}
	unknown := strings.Replace(src, "{{ source('raw', 'erp') }}", "{{ ref('stg_erpp') }}", 1)
	if err := os.WriteFile(stg, []byte(unknown), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = kiln(t, dir, "build")
	if code != 2 {
		t.Fatalf("unknown ref: exit %d, want 2\n%s", code, stderr)
	}
	if want := `models/staging/stg_erp.sql:13:13: unknown model "stg_erpp" in ref(); did you mean "stg_erp"?`; !strings.Contains(stderr, want) {
		t.Errorf("stderr does not hold %q:\n%s", want, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "target", "bottleneck.duckdb")); err == nil {
		t.Error("an invalid project must not create the database")
	}
}

// Exports are published together at the end of a successful run: when one
// export fails, the others written in the same run are discarded and every
// export file stays as the last good run left it. An export file changed by
// hand is not up to date.
func TestExportsArePublishedTogether(t *testing.T) {
	dir, _ := newProject(t)
	mustKiln(t, 0, dir, "build", "--vars", "{premium_z_score: 1}")
	exports := filepath.Join(dir, "target", "exports")
	before := map[string][]byte{}
	for _, f := range []string{"revenue_by_product.csv", "premium_wines.csv", "ordinary_wines.csv", "bottleneck_monthly.xlsx"} {
		before[f] = readFile(t, filepath.Join(exports, f))
	}
	yml := filepath.Join(dir, "models", "marts", "_marts.yml")
	src := string(readFile(t, yml))
	broken := strings.Replace(src, "      - name: summary\n        model: kpi_summary", "      - name: summary\n        model: kpi_summary\n        order_by: no_such_column", 1)
	if broken == src {
		t.Fatal("the YAML did not change")
	}
	if err := os.WriteFile(yml, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	// A new threshold changes every premium and ordinary wine: the CSV
	// exports are rewritten in this run, then discarded with it.
	code, _, stderr := kiln(t, dir, "build", "--vars", "{premium_z_score: 2}")
	if code != 1 || !strings.Contains(stderr, "monthly_report") || !strings.Contains(stderr, "no_such_column") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for f, b := range before {
		if !bytes.Equal(b, readFile(t, filepath.Join(exports, f))) {
			t.Errorf("%s changed although the run failed", f)
		}
	}
	entries, _ := os.ReadDir(exports)
	if len(entries) != 4 {
		t.Errorf("staged files left in %s: %v", exports, entries)
	}
	// Back to the good YAML: the same month is up to date, but an export
	// file edited by hand is written again.
	if err := os.WriteFile(yml, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(exports, "premium_wines.csv"), []byte("tampered\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustKiln(t, 0, dir, "build", "--vars", "{premium_z_score: 1}")
	if !bytes.Equal(before["premium_wines.csv"], readFile(t, filepath.Join(exports, "premium_wines.csv"))) {
		t.Error("the tampered export was not rewritten")
	}
}

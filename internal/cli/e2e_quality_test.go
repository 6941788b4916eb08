package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kiln-build/kiln/internal/sample"
)

// dropWebProducts writes a copy of the month in from into to, with one web
// product row in every `every` removed from web.xlsx, from the offset-th
// (with its sku, so its attachment twin no longer matches either).
func dropWebProducts(t *testing.T, from, to string, every, offset int) int {
	t.Helper()
	for _, f := range []string{"erp.xlsx", "liaison.xlsx"} {
		copyFile(t, filepath.Join(from, f), filepath.Join(to, f))
	}
	wb, err := excelize.OpenFile(filepath.Join(from, "web.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	rows, err := wb.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	typeCol, skuCol := -1, -1
	for i, h := range rows[0] {
		switch h {
		case "post_type":
			typeCol = i
		case "sku":
			skuCol = i
		}
	}
	var drop []int // 1-based sheet rows
	products := 0
	for i, r := range rows[1:] {
		if typeCol < len(r) && r[typeCol] == "product" && skuCol < len(r) && r[skuCol] != "" {
			if products%every == offset%every {
				drop = append(drop, i+2)
			}
			products++
		}
	}
	for k := len(drop) - 1; k >= 0; k-- {
		if err := wb.RemoveRow("Sheet1", drop[k]); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := wb.SaveAs(filepath.Join(to, "web.xlsx")); err != nil {
		t.Fatal(err)
	}
	return len(drop)
}

// stampWorkbooks sets the title of the month's erp.xlsx and liaison.xlsx
// in folder to "month m", as each month's export carries its own metadata,
// and the ERP's first stock_quantity to 100+m: input_freshness compares
// the cells, so each month's ERP export must differ from the others' by a
// cell (the liaison, a mapping, may repeat).
func stampWorkbooks(t *testing.T, folder string, m int) {
	t.Helper()
	for _, f := range []string{"erp.xlsx", "liaison.xlsx"} {
		p := filepath.Join(folder, f)
		wb, err := excelize.OpenFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := wb.SetDocProps(&excelize.DocProperties{Title: fmt.Sprintf("month %d", m)}); err != nil {
			t.Fatal(err)
		}
		if f == "erp.xlsx" {
			sheet := wb.GetSheetName(0)
			rows, err := wb.GetRows(sheet)
			if err != nil || len(rows) < 2 {
				t.Fatalf("%s: %v", p, err)
			}
			col := slices.Index(rows[0], "stock_quantity")
			if col < 0 {
				t.Fatalf("%s has no stock_quantity: %v", p, rows[0])
			}
			cell, _ := excelize.CoordinatesToCellName(col+1, 2)
			if err := wb.SetCellValue(sheet, cell, 100+m); err != nil {
				t.Fatal(err)
			}
		}
		if err := wb.Save(); err != nil {
			t.Fatal(err)
		}
		wb.Close()
	}
}

// The deviation gates over months: seven accepted months (each the month's
// exports with a few web products missing, as months differ) pass once the
// cold start is over; then a month with a fifth of the web products
// removed fails on the joined products (and, on the real exports, the
// revenue) with the band, the rules and the months they came from, exits 1
// and leaves the tables and exports as they were; it is no accepted month,
// so a good month passes after it.
func TestDeviationFromPreviousRuns(t *testing.T) {
	t.Run("sample", func(t *testing.T) { deviation(t, "", false) })
	t.Run("real", func(t *testing.T) {
		if _, err := os.Stat(filepath.Join(realExports, "web.xlsx")); err != nil {
			t.Skipf("the real exports are not at %s", realExports)
		}
		raw, _ := filepath.Abs(realExports)
		deviation(t, raw, true)
	})
}

func deviation(t *testing.T, raw string, revenueFails bool) {
	dir, _ := newProject(t)
	if raw == "" {
		// A month of 600 products: revenue of the bundled 60 moves by a
		// fifth when one product goes.
		raw = filepath.Join(dir, "data", "base")
		if _, err := sample.Generate(raw, sample.Config{Products: 600, Seed: sample.DefaultSeed}); err != nil {
			t.Fatal(err)
		}
	}
	build := func(want, m int, folder string) string {
		vars := fmt.Sprintf("{raw_dir: %q, month: '2024-%02d'}", folder, m)
		return mustKiln(t, want, dir, "build", "--vars", vars)
	}
	var out string
	for m := 1; m <= 7; m++ {
		folder := filepath.Join(dir, "data", fmt.Sprintf("m%02d", m))
		dropWebProducts(t, raw, folder, 40, m)
		stampWorkbooks(t, folder, m)
		out = build(0, m, folder)
		if m == 1 && !strings.Contains(out, "joined_products_anomaly") {
			t.Fatalf("no anomaly gate ran:\n%s", out)
		}
	}
	if !strings.Contains(out, "WARN=1 ") {
		t.Errorf("month 7 warns on more than the negative price (a gate still in its cold start?):\n%s", out)
	}
	joined := query(t, dir, `select count(*) from marts.revenue_by_product`)
	stgWeb := query(t, dir, `select count(*) from staging.stg_web`)
	exports := filepath.Join(dir, "target", "exports")
	before := readFile(t, filepath.Join(exports, "revenue_by_product.csv"))

	bad := filepath.Join(dir, "data", "bad")
	dropped := dropWebProducts(t, raw, bad, 5, 0)
	stampWorkbooks(t, bad, 70)
	stderr := build(1, 8, bad)
	var n int
	fmt.Sscan(joined, &n)
	wants := []string{"FAIL test joined_products_anomaly", "row count: ", " is outside the band ", "beyond ±10% and ±10",
		"FAIL test joined_products_vs_last_run", "a decrease of more than 10%",
		"the median of the last 7 accepted months", "accepted months: 2024-01 ", "build again with --accept-deviations"}
	if dropped < n/6 {
		t.Fatalf("only %d of about %d web products dropped", dropped, n)
	}
	if revenueFails {
		wants = append(wants, "FAIL test total_revenue_anomaly", "sum(revenue): ")
	}
	for _, want := range wants {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, stderr)
		}
	}
	if !bytes.Equal(before, readFile(t, filepath.Join(exports, "revenue_by_product.csv"))) {
		t.Error("a bad month overwrote the export")
	}
	// The whole run was rolled back: the staging tables hold the good month.
	if !strings.Contains(stderr, "were restored; the tables, views and exports are as they were before the run") {
		t.Errorf("no rollback message:\n%s", stderr)
	}
	var webBefore int
	fmt.Sscan(query(t, dir, `select count(*) from marts.revenue_by_product`), &webBefore)
	if webBefore != n {
		t.Errorf("revenue_by_product has %d rows after the failed run, want the previous %d", webBefore, n)
	}
	if got := query(t, dir, `select count(*) from duckdb_tables() where table_name like '%__kiln_prev'`); got != "0" {
		t.Errorf("%s backup tables left", got)
	}
	if got := query(t, dir, `select count(*) from staging.stg_web`); got != stgWeb {
		t.Errorf("stg_web has %s rows after the failed run, want the previous month's %s", got, stgWeb)
	}
	runs := mustKiln(t, 0, dir, "runs")
	if strings.Count(runs, "success") != 7 || strings.Count(runs, " error ") != 1 {
		t.Errorf("kiln runs:\n%s", runs)
	}
	// The failed month is no accepted month: a good month passes after it.
	good := filepath.Join(dir, "data", "m08")
	dropWebProducts(t, raw, good, 40, 8)
	stampWorkbooks(t, good, 8)
	build(0, 8, good)
}

// store_failures keeps a failing test's rows in the audit schema.
func TestStoreFailures(t *testing.T) {
	dir, exp := newProject(t)
	mustKiln(t, 0, dir, "build")
	got := query(t, dir, `select count(*) from audit.accepted_range_stg_erp_price__0 where price < 0`)
	if got != fmt.Sprint(exp.ERPNegativePrices) {
		t.Errorf("audit table holds %s negative prices, want %d", got, exp.ERPNegativePrices)
	}
}

// The unit tests of the premium logic fail when the z-score is broken, and
// their model (and what depends on it) is skipped.
func TestUnitTestsCatchBrokenZScore(t *testing.T) {
	dir, _ := newProject(t)
	out := mustKiln(t, 0, dir, "build")
	for _, name := range []string{"premium_is_z_score_above_2", "no_premium_when_prices_are_close"} {
		if !strings.Contains(out, name) {
			t.Errorf("unit test %s did not run:\n%s", name, out)
		}
	}
	model := filepath.Join(dir, "models", "marts", "wine_zscores.sql")
	src := string(readFile(t, model))
	broken := strings.ReplaceAll(src, "s.stddev_price", "(s.stddev_price * 2)")
	if broken == src {
		t.Fatal("the model did not change")
	}
	if err := os.WriteFile(model, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr := mustKiln(t, 1, dir, "build")
	for _, want := range []string{"FAIL", "premium_is_z_score_above_2", "missing {product_id=7, is_premium=true}", "unexpected {product_id=7, is_premium=false}",
		"no_premium_when_prices_are_close", "SKIP", "marts.wine_zscores"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, stderr)
		}
	}
	// kiln test runs the unit tests with the data tests, on literal rows.
	if stderr = mustKiln(t, 1, dir, "test", "-s", "test_type:unit"); !strings.Contains(stderr, "ERROR=2") {
		t.Fatalf("kiln test: no ERROR=2 in\n%s", stderr)
	}
}

// A contract that the model's output does not meet stops the model before
// anything is replaced, listing the differing columns.
func TestContractMismatchKeepsPreviousTable(t *testing.T) {
	dir, _ := newProject(t)
	mustKiln(t, 0, dir, "build")
	model := filepath.Join(dir, "models", "marts", "kpi_summary.sql")
	src := string(readFile(t, model))
	changed := strings.Replace(src, "sum(revenue) as total_revenue,", "sum(revenue)::double as total_revenue, 1 as extra,", 1)
	if err := os.WriteFile(model, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr := mustKiln(t, 1, dir, "build", "-s", "kpi_summary")
	// At the column declared in YAML whose type differs.
	for _, want := range []string{`models/marts/_marts.yml:85:9: the contract of model "kpi_summary" is not met`, `column "total_revenue" is DOUBLE, the contract says DECIMAL(38,2)`, `column "extra" (INTEGER) is not in the contract`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, stderr)
		}
	}
	if got := query(t, dir, `select typeof(total_revenue) from marts.kpi_summary`); got != "DECIMAL(38,2)" {
		t.Errorf("kpi_summary was replaced: total_revenue is %s", got)
	}
}

// A test on a column the model does not have is reported at its YAML
// position, with the model's columns.
func TestTestOnMissingColumn(t *testing.T) {
	dir, _ := newProject(t)
	yml := filepath.Join(dir, "models", "marts", "_marts.yml")
	src := string(readFile(t, yml))
	changed := strings.Replace(src, "      - name: revenue\n        description: Price", "      - name: revnue\n        description: Price", 1)
	if changed == src {
		t.Fatal("the YAML did not change")
	}
	if err := os.WriteFile(yml, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr := mustKiln(t, 1, dir, "build")
	want := "(models/marts/_marts.yml:12:13)\n  test \"not_null\" is on column \"revnue\", which model \"revenue_by_product\" does not have (columns: product_id, sku, post_title, price, total_sales, revenue)\n  hint: did you mean \"revenue\"?"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr does not hold\n%s\n%s", want, stderr)
	}
}

// Switching from the bundled sample to the real exports is no deviation
// (each keeps its own baseline); a real change of level is accepted once
// with --accept-deviations; a new threshold keeps the baseline.
func TestBaselinesAcrossDataAndThresholds(t *testing.T) {
	if _, err := os.Stat(filepath.Join(realExports, "web.xlsx")); err != nil {
		t.Skipf("the real exports are not at %s", realExports)
	}
	dir, _ := newProject(t)
	real, _ := filepath.Abs(realExports)
	vars := fmt.Sprintf("{raw_dir: %q, month: '2020-08'}", real)
	mustKiln(t, 0, dir, "build")
	mustKiln(t, 0, dir, "build", "--vars", vars)

	bad := filepath.Join(dir, "data", "bad")
	dropWebProducts(t, real, bad, 5, 0)
	badVars := fmt.Sprintf("{raw_dir: %q, month: '2020-08', correction: true}", bad)
	// A stricter threshold is the same gate: it still has its baseline.
	yml := filepath.Join(dir, "models", "marts", "_marts.yml")
	src := string(readFile(t, yml))
	stricter := strings.Replace(src, "max_decrease_pct: 10", "max_decrease_pct: 5", 1)
	if stricter == src {
		t.Fatal("the YAML did not change")
	}
	if err := os.WriteFile(yml, []byte(stricter), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := kiln(t, dir, "build", "--vars", badVars)
	if code != 1 || !strings.Contains(stderr, "a decrease of more than 5%") {
		t.Fatalf("exit %d: the gate lost its baseline with a new threshold\n%s", code, stderr)
	}
	// The new level is real: accept it once, then it is the baseline.
	out := mustKiln(t, 0, dir, "build", "--vars", badVars, "--accept-deviations")
	if !strings.Contains(out, "accepted (--accept-deviations)") {
		t.Errorf("no accepted deviation in:\n%s", out)
	}
	mustKiln(t, 0, dir, "build", "--vars", badVars)
	// The sample over this database is refused now (BottleNeck's
	// history_guard): it holds a month built from other inputs.
	code, _, stderr = kiln(t, dir, "build")
	if code != 1 || !strings.Contains(stderr, "holds a month built from other inputs") {
		t.Fatalf("exit %d: the sample was not refused over real months\n%s", code, stderr)
	}
}

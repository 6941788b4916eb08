package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// realRaw returns the absolute folder of the real exports, or skips.
func realRaw(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(realExports, "web.xlsx")); err != nil {
		t.Skipf("the real exports are not at %s", realExports)
	}
	raw, _ := filepath.Abs(realExports)
	return raw
}

// realMonth writes into dir/data/<name> a month of the real exports that
// differs from the others by its cells (one web product in 40 dropped
// from the offset-th, the ERP stamped with m), as a new month's export.
func realMonth(t *testing.T, dir, raw, name string, m int) string {
	t.Helper()
	folder := filepath.Join(dir, "data", name)
	dropWebProducts(t, raw, folder, 40, m)
	stampWorkbooks(t, folder, m)
	return folder
}

// editSheet opens folder/file, calls edit with its first sheet, its rows
// (as text) and the index of each header, and saves it.
func editSheet(t *testing.T, folder, file string, edit func(wb *excelize.File, sheet string, rows [][]string, col func(string) int)) {
	t.Helper()
	p := filepath.Join(folder, file)
	wb, err := excelize.OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	sheet := wb.GetSheetName(0)
	rows, err := wb.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) int {
		i := slices.Index(rows[0], name)
		if i < 0 {
			t.Fatalf("%s has no column %s", p, name)
		}
		return i
	}
	edit(wb, sheet, rows, col)
	if err := wb.Save(); err != nil {
		t.Fatal(err)
	}
}

// cell returns the name of the cell of 0-based column c and 1-based row r.
func cell(c, r int) string {
	s, _ := excelize.CoordinatesToCellName(c+1, r)
	return s
}

// duplicateRows inserts after each of the first n data rows that keep(row)
// accepts a copy of it (its cells and types), and calls change on the
// copy's 1-based row; it returns the first column of the copied rows.
func duplicateRows(t *testing.T, wb *excelize.File, sheet string, rows [][]string, n int, keep func([]string) bool, change func(r int, row []string)) []string {
	t.Helper()
	var picked []int // 1-based
	for i, r := range rows[1:] {
		if len(picked) < n && keep(r) {
			picked = append(picked, i+2)
		}
	}
	var keys []string
	for k := len(picked) - 1; k >= 0; k-- {
		r := picked[k]
		if err := wb.DuplicateRow(sheet, r); err != nil {
			t.Fatal(err)
		}
		if change != nil {
			change(r+1, rows[r-1])
		}
		keys = append(keys, rows[r-1][0])
	}
	return keys
}

// Finding 1 of trial A: an ERP export with product ids on several rows
// at different prices, or a web export with skus on several product rows
// at different units sold, fails at the raw step (the cleaning would
// keep one of them silently), names the keys, and publishes nothing;
// rows exported twice, identical, warn and the month builds.
func TestDuplicateKeysInExports(t *testing.T) {
	raw := realRaw(t)
	dir, _ := newProject(t)
	build := func(want int, month, folder string) string {
		return mustKiln(t, want, dir, "build", "--vars", fmt.Sprintf("{raw_dir: %q, month: %q}", folder, month))
	}
	build(0, "2020-09", realMonth(t, dir, raw, "m09", 9))
	exports := filepath.Join(dir, "target", "exports")
	before := readFile(t, filepath.Join(exports, "bottleneck_monthly.xlsx"))

	// ERP: 10 product ids again at three times their price.
	erp := realMonth(t, dir, raw, "erpdup", 10)
	var ids []string
	editSheet(t, erp, "erp.xlsx", func(wb *excelize.File, sheet string, rows [][]string, col func(string) int) {
		price := col("price")
		ids = duplicateRows(t, wb, sheet, rows, 10, func(r []string) bool { return len(r) > price && r[price] != "" && r[price] != "0" },
			func(r int, row []string) {
				p, _ := strconv.ParseFloat(row[price], 64)
				if err := wb.SetCellValue(sheet, cell(price, r), p*3); err != nil {
					t.Fatal(err)
				}
			})
	})
	out := build(1, "2020-10", erp)
	if !strings.Contains(out, "FAIL test erp_duplicate_ids_disagree") {
		t.Errorf("output does not say FAIL test erp_duplicate_ids_disagree:\n%s", out)
	}
	// The first failing row shown is the first of the ten in the order of
	// the columns' text, whatever order the audit table's group by left.
	if m := regexp.MustCompile(`the failing rows are in audit\.erp_duplicate_ids_disagree: \{product_id=(\d+), n_rows=2, `).FindStringSubmatch(out); m == nil || m[1] != slices.Min(ids) {
		t.Errorf("output does not show the first duplicated id (%s of %v) first among the failing rows:\n%s", slices.Min(ids), ids, out)
	}
	if got := query(t, dir, `select count(*) from audit.erp_duplicate_ids_disagree`); got != "10" {
		t.Errorf("audit.erp_duplicate_ids_disagree holds %s keys, want 10", got)
	}
	if got := query(t, dir, `select count(*) from history.monthly_indicators`); got != "1" {
		t.Errorf("the history holds %s months after the failed one, want 1", got)
	}
	if !bytes.Equal(before, readFile(t, filepath.Join(exports, "bottleneck_monthly.xlsx"))) {
		t.Error("the failed month overwrote the workbook")
	}

	// Web: 10 skus on a second product row with 100 more units sold.
	web := realMonth(t, dir, raw, "webdup", 11)
	editSheet(t, web, "web.xlsx", func(wb *excelize.File, sheet string, rows [][]string, col func(string) int) {
		typ, sku, sales := col("post_type"), col("sku"), col("total_sales")
		duplicateRows(t, wb, sheet, rows, 10, func(r []string) bool { return len(r) > sales && r[typ] == "product" && r[sku] != "" },
			func(r int, row []string) {
				n, _ := strconv.Atoi(row[sales])
				if err := wb.SetCellValue(sheet, cell(sales, r), n+100); err != nil {
					t.Fatal(err)
				}
			})
	})
	out = build(1, "2020-10", web)
	if !strings.Contains(out, "FAIL test web_duplicate_skus_disagree") || !strings.Contains(out, "the failing rows are in audit.web_duplicate_skus_disagree: {sku=") {
		t.Errorf("the web's disagreeing skus do not fail:\n%s", out)
	}
	if !bytes.Equal(before, readFile(t, filepath.Join(exports, "bottleneck_monthly.xlsx"))) {
		t.Error("the failed month overwrote the workbook")
	}

	// ERP rows exported twice, identical: a warning naming them, and the
	// month builds with the reference figures.
	same := realMonth(t, dir, raw, "erpsame", 12)
	editSheet(t, same, "erp.xlsx", func(wb *excelize.File, sheet string, rows [][]string, col func(string) int) {
		ids = duplicateRows(t, wb, sheet, rows, 3, func([]string) bool { return true }, nil)
	})
	out = build(0, "2020-10", same)
	if !strings.Contains(out, "WARN test erp_duplicate_ids_identical") || !strings.Contains(out, "{product_id="+ids[len(ids)-1]+", n_rows=2, ") {
		t.Errorf("the identical rows do not warn with their ids:\n%s", out)
	}
	if strings.Contains(out, "FAIL test erp_duplicate_ids_disagree") {
		t.Errorf("identical rows fail:\n%s", out)
	}
	if got := query(t, dir, `select erp_products from history.monthly_indicators where month = date '2020-10-01'`); got != "825" {
		t.Errorf("stg_erp has %s products, want 825", got)
	}
}

// Finding 11 of trial A: a month whose web export holds every row twice
// (a month loaded twice) fails on the export's row count against the last
// accepted run, though the cleaning's de-duplication gives the same
// figures; the exports stay as they were.
func TestMonthLoadedTwiceFails(t *testing.T) {
	raw := realRaw(t)
	dir, _ := newProject(t)
	build := func(want int, month, folder string) string {
		return mustKiln(t, want, dir, "build", "--vars", fmt.Sprintf("{raw_dir: %q, month: %q}", folder, month))
	}
	build(0, "2020-09", realMonth(t, dir, raw, "m09", 9))
	exports := filepath.Join(dir, "target", "exports")
	before := readFile(t, filepath.Join(exports, "revenue_by_product.csv"))
	last := query(t, dir, `select count(*) from raw.web`)
	twice := realMonth(t, dir, raw, "twice", 10)
	rows := 0
	editSheet(t, twice, "web.xlsx", func(wb *excelize.File, sheet string, all [][]string, col func(string) int) {
		rows = 2 * (len(all) - 1)
		duplicateRows(t, wb, sheet, all, len(all), func([]string) bool { return true }, nil)
	})
	out := build(1, "2020-10", twice)
	want := fmt.Sprintf("row count went from %s to %d (", last, rows)
	if !strings.Contains(out, "FAIL test web_rows_vs_last_run") || !strings.Contains(out, want) {
		t.Errorf("the doubled web export does not fail web_rows_vs_last_run with %q:\n%s", want, out)
	}
	if !bytes.Equal(before, readFile(t, filepath.Join(exports, "revenue_by_product.csv"))) {
		t.Error("the month loaded twice overwrote the export")
	}
	if got := query(t, dir, `select count(*) from history.monthly_indicators`); got != "1" {
		t.Errorf("the history holds %s months, want 1", got)
	}
}

// halveSales sets every web product's units sold to half (rounded down):
// a month whose revenue is half the months before it.
func halveSales(t *testing.T, folder string) {
	t.Helper()
	editSheet(t, folder, "web.xlsx", func(wb *excelize.File, sheet string, rows [][]string, col func(string) int) {
		sales := col("total_sales")
		for i, r := range rows[1:] {
			if sales < len(r) && r[sales] != "" {
				n, err := strconv.Atoi(r[sales])
				if err != nil {
					continue
				}
				if err := wb.SetCellValue(sheet, cell(sales, i+2), n/2); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

// Findings 3 and 4 of trial A. A month whose revenue halved: a build of
// the workbook's ancestors (-s +monthly_report) runs the gates over the
// history (the exports depend on monthly_indicators), fails and leaves
// every export byte for byte; the failure gives the value, the median and
// the change. --accept-deviations accepts it (a warning, exit 0, the
// month joins the history), and the next month at the new level passes
// without it.
func TestHistoryGatesGateExportsAndAcceptDeviations(t *testing.T) {
	raw := realRaw(t)
	dir, _ := newProject(t)
	build := func(want int, month, folder string, flags ...string) string {
		args := append([]string{"build", "--vars", fmt.Sprintf("{raw_dir: %q, month: %q}", folder, month)}, flags...)
		return mustKiln(t, want, dir, args...)
	}
	build(0, "2020-09", realMonth(t, dir, raw, "m09", 9))
	exports := filepath.Join(dir, "target", "exports")
	files := []string{"bottleneck_monthly.xlsx", "revenue_by_product.csv", "premium_wines.csv", "ordinary_wines.csv"}
	before := map[string][]byte{}
	for _, f := range files {
		before[f] = readFile(t, filepath.Join(exports, f))
	}
	half := realMonth(t, dir, raw, "half", 10)
	halveSales(t, half)
	out := build(1, "2020-10", half, "-s", "+monthly_report")
	for _, want := range []string{"FAIL test total_revenue_over_history", "the failing rows are in audit.total_revenue_over_history: {month=2020-10, value=",
		", median_of_earlier_months=", ", change_pct=-5", ", previous_month=2020-09-01, ", "build again with --accept-deviations"} {
		if !strings.Contains(out, want) {
			t.Errorf("the partial build does not say %q:\n%s", want, out)
		}
	}
	for _, f := range files {
		if !bytes.Equal(before[f], readFile(t, filepath.Join(exports, f))) {
			t.Errorf("the rejected month overwrote %s", f)
		}
	}
	if got := query(t, dir, `select count(*) from history.monthly_indicators`); got != "1" {
		t.Errorf("the history holds %s months, want 1", got)
	}

	out = build(0, "2020-10", half, "--accept-deviations")
	if !strings.Contains(out, "WARN test total_revenue_over_history") || !strings.Contains(out, "accepted (--accept-deviations)") {
		t.Errorf("--accept-deviations does not accept the history gate:\n%s", out)
	}
	revenue := query(t, dir, `select total_revenue from history.monthly_indicators where month = date '2020-10-01'`)
	var r float64
	fmt.Sscan(revenue, &r)
	if r < 30000 || r > 40000 {
		t.Errorf("the accepted month's revenue is %s, want about half of 70,568.60", revenue)
	}
	if bytes.Equal(before["revenue_by_product.csv"], readFile(t, filepath.Join(exports, "revenue_by_product.csv"))) {
		t.Error("the accepted month did not publish its exports")
	}
	// The next month at the new level follows it.
	next := realMonth(t, dir, raw, "next", 11)
	halveSales(t, next)
	out = build(0, "2020-11", next)
	if strings.Contains(out, "total_revenue_over_history (") {
		t.Errorf("the month after the accepted change of level is flagged:\n%s", out)
	}
}

// realMonths makes the months first..last (9 is 2020-09, 13 is 2021-01)
// with realMonth, in folders m09, m10, ..., keyed by month, their files
// dated one hour apart in month order two days ago (input_freshness
// wants each month's files newer than the last accepted month's).
func realMonths(t *testing.T, dir, raw string, first, last int) map[int]string {
	t.Helper()
	folders := map[int]string{}
	base := time.Now().Add(-48 * time.Hour)
	for m := first; m <= last; m++ {
		folders[m] = realMonth(t, dir, raw, fmt.Sprintf("m%02d", m), m)
		for _, f := range []string{"erp.xlsx", "web.xlsx", "liaison.xlsx"} {
			at := base.Add(time.Duration(m) * time.Hour)
			if err := os.Chtimes(filepath.Join(folders[m], f), at, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	return folders
}

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/kiln-build/kiln/internal/sample"
)

// setCell writes value into cell (such as "C10") of the first sheet of
// the workbook at path.
func setCell(t *testing.T, path, cell string, value any) {
	t.Helper()
	wb, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	if err := wb.SetCellValue(wb.GetSheetName(0), cell, value); err != nil {
		t.Fatal(err)
	}
	if err := wb.Save(); err != nil {
		t.Fatal(err)
	}
}

// priceRows are an ERP export of n products: product_id, name, price.
func priceRows(n int) [][]any {
	rows := [][]any{{"product_id", "name", "price"}}
	for i := 1; i <= n; i++ {
		rows = append(rows, []any{i, "wine " + string(rune('a'+i%26)), 5 + float64(i)*0.25})
	}
	return rows
}

// TestTextCellLocatedInWorkbook: a text ("12,50 EUR") in a workbook's
// column of numbers makes the column VARCHAR. schema_changes said only
// `retyped "price" DOUBLE -> VARCHAR`, and the model that casts it only
// DuckDB's conversion error: neither named the workbook, the sheet or the
// cell. Both now name them (erp.xlsx Sheet1!C10 = "12,50 EUR"), with what
// the column's other cells are and what the column was in the last
// accepted run; the runs fail as before (exit 1) and leave the tables as
// they were.
func TestTextCellLocatedInWorkbook(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"project.yml": "name: shop\ndatabase-path: target/bottleneck.duckdb\nvars:\n  month: \"2024-01\"\n  raw_dir: data/m1\n",
		"models/stg_erp.sql": "{{ config(materialized='table') }}\nselect product_id,\n    cast(price as decimal(12, 2)) as price\n" +
			"from {{ source('raw', 'erp') }}\n",
		"models/sources.yml": `version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: erp
        external:
          location: "{{ var('raw_dir') }}/erp.xlsx"
          sheet: Sheet1
        data_tests:
          - schema_changes
`,
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	writeBook(t, filepath.Join(dir, "data", "m1", "erp.xlsx"), priceRows(20), now)
	mustKiln(t, 0, dir, "build", "--vars", "{month: '2024-01', raw_dir: data/m1}")

	// The next month's export, with a text in C10 (row 10: product 9).
	m2 := filepath.Join(dir, "data", "m2", "erp.xlsx")
	writeBook(t, m2, priceRows(20), now)
	setCell(t, m2, "C10", "12,50 EUR")
	want := []string{
		`retyped "price" DOUBLE -> VARCHAR since the last accepted run`,
		`data/m2/erp.xlsx Sheet1!C10 = "12,50 EUR" is text, where the other 19 values of column C ("price") are numbers`,
		`"price" was DOUBLE in the last accepted run: fix the cell in the workbook`,
	}
	code, out, errOut := kiln(t, dir, "build", "--vars", "{month: '2024-02', raw_dir: data/m2}")
	msg := out + errOut
	for _, w := range want {
		if code != ExitFailure || !strings.Contains(msg, w) {
			t.Errorf("schema_changes: exit %d, want %d and %q:\n%s", code, ExitFailure, w, msg)
		}
	}
	if got := priceType(t, dir); got != "DOUBLE" {
		t.Errorf("after the failed run raw.erp.price is %s, want DOUBLE (the previous table)", got)
	}

	// With the deviation accepted, the model's cast fails on the value.
	want = []string{
		`Could not convert string "12,50 EUR" (data/m2/erp.xlsx Sheet1!C10, source raw.erp) to DECIMAL(12,2)`,
		`hint: raw.erp loaded "price" as VARCHAR: data/m2/erp.xlsx Sheet1!C10 = "12,50 EUR" is text, where the other 19 values of column C ("price") are numbers; fix the cell in the workbook, or make stg_erp cast such values`,
	}
	code, out, errOut = kiln(t, dir, "build", "--accept-deviations", "--vars", "{month: '2024-02', raw_dir: data/m2}")
	msg = out + errOut
	for _, w := range want {
		if code != ExitFailure || !strings.Contains(msg, w) {
			t.Errorf("stg_erp: exit %d, want %d and %q:\n%s", code, ExitFailure, w, msg)
		}
	}
	if strings.Contains(msg, "goroutine ") || strings.Contains(msg, "panic") {
		t.Errorf("a stack trace:\n%s", msg)
	}
	if got := priceType(t, dir); got != "DOUBLE" {
		t.Errorf("after the failed run raw.erp.price is %s, want DOUBLE (the previous table)", got)
	}
}

func priceType(t *testing.T, dir string) string {
	t.Helper()
	return query(t, dir, "select data_type from information_schema.columns where table_schema = 'raw' and table_name = 'erp' and column_name = 'price'")
}

// TestTextCellLocatedBottleNeck is the report on the BottleNeck project:
// the sample month copied to a folder of its own, with "12,50 EUR" in
// erp.xlsx's C10 (the price column), built for the next month: the
// error of stg_erp names the workbook, the sheet, the cell and its value.
func TestTextCellLocatedBottleNeck(t *testing.T) {
	dir, _ := newProject(t)
	raw := filepath.Join(dir, "raw")
	copyTree(t, filepath.Join(dir, "data", "sample", sample.DefaultMonth), raw)
	setCell(t, filepath.Join(raw, "erp.xlsx"), "C10", "12,50 EUR")
	code, out, errOut := kiln(t, dir, "build", "--vars", "{raw_dir: raw, month: 2020-09}")
	msg := out + errOut
	for _, w := range []string{
		`ERROR model staging.stg_erp (models/staging/stg_erp.sql:9:9)`,
		`Could not convert string "12,50 EUR" (raw/erp.xlsx Sheet1!C10, source raw.erp) to DECIMAL(12,2)`,
		`raw/erp.xlsx Sheet1!C10 = "12,50 EUR" is text, where the other `,
		`values of column C ("price") are numbers`,
	} {
		if code != ExitFailure || !strings.Contains(msg, w) {
			t.Errorf("exit %d, want %d and %q:\n%s", code, ExitFailure, w, msg)
		}
	}
}

// TestTextCellLocatedWhenUpToDate: the cell of a text that a model's
// cast refuses was named only when the run loaded the workbook; when its
// source was up to date (loaded by an earlier run, the file unchanged)
// the error was DuckDB's alone. The run now reads the workbook again for
// its text columns, and names the cell there too.
func TestTextCellLocatedWhenUpToDate(t *testing.T) {
	dir := t.TempDir()
	model := "{{ config(materialized='table') }}\nselect product_id, price\nfrom {{ source('raw', 'erp') }}\n"
	writeTree(t, dir, map[string]string{
		"project.yml":        "name: shop\ndatabase-path: target/bottleneck.duckdb\n",
		"models/stg_erp.sql": model,
		"models/sources.yml": "version: 2\nsources:\n  - name: raw\n    schema: raw\n    tables:\n      - name: erp\n        external:\n          location: data/erp.xlsx\n",
	})
	book := filepath.Join(dir, "data", "erp.xlsx")
	writeBook(t, book, priceRows(20), time.Now())
	setCell(t, book, "C10", "12,50 EUR")
	mustKiln(t, ExitOK, dir, "build")

	// The model now casts the price; the workbook is as it was.
	writeTree(t, dir, map[string]string{"models/stg_erp.sql": strings.Replace(model, "price\n", "cast(price as decimal(12, 2)) as price\n", 1)})
	code, out, errOut := kiln(t, dir, "build")
	msg := out + errOut
	for _, w := range []string{
		`UP-TO-DATE`,
		`Could not convert string "12,50 EUR" (data/erp.xlsx Sheet1!C10, source raw.erp) to DECIMAL(12,2)`,
		`hint: raw.erp loaded "price" as VARCHAR: data/erp.xlsx Sheet1!C10 = "12,50 EUR" is text, where the other 19 values of column C ("price") are numbers`,
	} {
		if code != ExitFailure || !strings.Contains(msg, w) {
			t.Errorf("exit %d, want %d and %q:\n%s", code, ExitFailure, w, msg)
		}
	}

	// A run that does not select the source does not read its file (it
	// may have changed since the table was loaded): the hint says how to
	// have the cell named.
	code, out, errOut = kiln(t, dir, "build", "-s", "stg_erp")
	want := `hint: if the value is a cell of raw.erp, build it with stg_erp to have its cell named (kiln build -s +stg_erp): this run did not read the file`
	if code != ExitFailure || !strings.Contains(out+errOut, want) {
		t.Errorf("-s stg_erp: exit %d, want %d and %q:\n%s%s", code, ExitFailure, want, out, errOut)
	}
}

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ordersRows are a month's orders whose ordered_at cells are texts (dates
// typed as text in the export), one of them bad when bad is not "".
func ordersRows(bad string) [][]any {
	rows := [][]any{{"order_id", "ordered_at", "amount"}}
	for i, d := range []string{"2020-08-03", "2020-08-11", "2020-08-09", "2020-08-28", "2020-08-02"} {
		if i == 2 && bad != "" {
			d = bad
		}
		rows = append(rows, []any{i + 1, d, 10.5 + float64(i)})
	}
	return rows
}

func textDatesProject(t *testing.T, dir, columns string) {
	t.Helper()
	writeTree(t, dir, map[string]string{
		"project.yml":         "name: shop\ndatabase-path: target/bottleneck.duckdb\nvars:\n  raw_dir: data/m1\n",
		"models/last_day.sql": "select max(ordered_at) as last_day from {{ source('raw', 'orders') }}\n",
		"models/sources.yml": `version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: orders
        external:
          location: "{{ var('raw_dir') }}/orders.xlsx"
` + columns,
	})
}

// TestTextDatesNotSilent: a first month whose date column holds dates
// typed as text loaded that column as VARCHAR without a word, and models
// compared and sorted strings. Now, as dbt-external-tables types an
// external table's columns by their declared data_type, a source
// column's data_type is the type its file loads with (the text dates load
// as DATE; a cell that is not a date is an error naming the workbook, the
// sheet and the cell, and the previous table stays); without one, the
// load warns that the column is dates typed as text and how to declare it.
// A data_type that column_types contradicts is an error at the column.
func TestTextDatesNotSilent(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	textDatesProject(t, dir, "")
	writeBook(t, filepath.Join(dir, "data", "m1", "orders.xlsx"), ordersRows(""), now)
	code, out, errOut := kiln(t, dir, "build")
	want := `warning: source raw.orders: column B ("ordered_at") of data/m1/orders.xlsx loaded as VARCHAR, not DATE: its 5 text cells hold ISO dates (the first Sheet1!B2 = "2020-08-03"), so comparisons and sorts on it are of text; declare the column's type in the source's YAML (columns: [{name: ordered_at, data_type: date}]) to load it as DATE`
	if code != ExitOK || !strings.Contains(out+errOut, want) {
		t.Errorf("no declared type: exit %d, want 0 and %q:\n%s%s", code, want, out, errOut)
	}
	if got := query(t, dir, "select data_type from information_schema.columns where table_name = 'orders' and column_name = 'ordered_at'"); got != "VARCHAR" {
		t.Errorf("no declared type: ordered_at is %s, want VARCHAR (as inferred)", got)
	}

	// Declared, the text dates load as DATE, and nothing is said.
	textDatesProject(t, dir, "        columns:\n          - name: ordered_at\n            data_type: date\n")
	code, out, errOut = kiln(t, dir, "build")
	if code != ExitOK || strings.Contains(out+errOut, "warning: source raw.orders") {
		t.Errorf("declared date: exit %d, want 0 and no warning:\n%s%s", code, out, errOut)
	}
	if got := query(t, dir, "select data_type from information_schema.columns where table_name = 'orders' and column_name = 'ordered_at'"); got != "DATE" {
		t.Errorf("declared date: ordered_at is %s, want DATE", got)
	}
	if got := query(t, dir, "select strftime(last_day, '%Y-%m-%d') from main.last_day"); got != "2020-08-28" {
		t.Errorf("declared date: last_day = %s, want 2020-08-28", got)
	}

	// A text that is not a date: the load fails at its cell, the table
	// stays as it was.
	writeBook(t, filepath.Join(dir, "data", "m2", "orders.xlsx"), ordersRows("09/08/2020"), now)
	code, out, errOut = kiln(t, dir, "build", "--vars", "{raw_dir: data/m2}")
	for _, w := range []string{`data/m2/orders.xlsx": column "ordered_at": value "09/08/2020" in cell B4 of sheet "Sheet1" cannot be cast to date (its data_type in the source's YAML)`,
		`fix the value in the file, or change the data_type of "ordered_at" in the source's YAML`} {
		if code != ExitFailure || !strings.Contains(out+errOut, w) {
			t.Errorf("a bad date: exit %d, want %d and %q:\n%s%s", code, ExitFailure, w, out, errOut)
		}
	}
	if got := query(t, dir, "select count(*) || ' ' || typeof(max(ordered_at)) from raw.orders where ordered_at = date '2020-08-09'"); got != "1 DATE" {
		t.Errorf("after the failed load: %s, want the previous table (1 DATE)", got)
	}

	// column_types that contradicts the declared type.
	textDatesProject(t, dir, "          column_types: {ordered_at: varchar}\n        columns:\n          - name: ordered_at\n            data_type: date\n")
	code, out, errOut = kiln(t, dir, "build")
	want = `models/sources.yml:11:13: column "ordered_at" of source "raw.orders" is declared data_type "date", and its external block's column_types gives it "varchar"`
	if code != ExitCannotStart || !strings.Contains(errOut, want) {
		t.Errorf("column_types against data_type: exit %d, want %d and %q:\n%s%s", code, ExitCannotStart, want, out, errOut)
	}
	if err := os.RemoveAll(filepath.Join(dir, "data", "m2")); err != nil {
		t.Fatal(err)
	}
}

package load

import (
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// writeSheets writes a workbook with the sheets of rows, in order.
func writeSheets(t *testing.T, path string, names []string, rows map[string][][]any) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, name := range names {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for j, r := range rows[name] {
			if err := f.SetSheetRow(name, "A"+strconv.Itoa(j+1), &r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// TestTextColumnsLocateCells: a load records, for each column typed
// VARCHAR by inference, the kinds of its cells and where the first of
// each are, across the sheets of a split export, in sheet and row order:
// the text cells among numbers are named by sheet and reference.
func TestTextColumnsLocateCells(t *testing.T) {
	path := filepath.Join(t.TempDir(), "erp.xlsx")
	price := func(rows ...any) [][]any {
		out := [][]any{{"product_id", "price", "name", "note"}}
		for i, v := range rows {
			out = append(out, []any{i + 1, v, "wine " + strconv.Itoa(i), nil})
		}
		return out
	}
	writeSheets(t, path, []string{"Jan", "Feb 2"}, map[string][][]any{
		"Jan":   price(10.5, 20, "12,50 EUR", 7.25, "n/a"),
		"Feb 2": price(3.5, "?", 4, "x", "y"),
	})
	c := newConn(t)
	res := mustLoad(t, c, Spec{Path: path, Sheet: "*"}, rel("raw", "erp"))
	checkColumns(t, res.Columns, "product_id BIGINT, price VARCHAR, name VARCHAR, note VARCHAR")
	if len(res.TextColumns) != 2 {
		t.Fatalf("TextColumns = %+v, want price and name", res.TextColumns)
	}
	p := res.TextColumns[0]
	if p.Name != "price" || p.Letter != "B" {
		t.Fatalf("first text column %q (%s), want price (B)", p.Name, p.Letter)
	}
	if m := p.Main(); m.Kind != "number" || m.Count != 5 {
		t.Errorf("main kind %s x %d, want number x 5", m.Kind, m.Count)
	}
	cells, n := p.Others()
	var got []string
	for _, c := range cells {
		got = append(got, c.String())
	}
	want := []string{`Jan!B4 = "12,50 EUR"`, `Jan!B6 = "n/a"`, `'Feb 2'!B3 = "?"`}
	if n != 5 || !reflect.DeepEqual(got, want) {
		t.Errorf("others = %q (%d), want %q (5)", got, n, want)
	}
	if c, k, ok := p.Find("?"); !ok || c.Ref != "B3" || c.Sheet != "Feb 2" || k.Kind != "text" {
		t.Errorf(`Find("?") = %+v, %s, %v`, c, k.Kind, ok)
	}
	if _, _, ok := p.Find("not there"); ok {
		t.Error(`Find("not there") found a cell`)
	}
	wantDesc := `erp.xlsx Jan!B4 = "12,50 EUR", Jan!B6 = "n/a", 'Feb 2'!B3 = "?" and 2 more are text, where the other 5 values of column B ("price") are numbers`
	if d := p.Describe("erp.xlsx"); d != wantDesc {
		t.Errorf("Describe:\n got %s\nwant %s", d, wantDesc)
	}
	wantName := `the 10 values of column C ("name") of erp.xlsx are all text cells, the first Jan!C2 = "wine 0"`
	if d := res.TextColumns[1].Describe("erp.xlsx"); d != wantName {
		t.Errorf("Describe:\n got %s\nwant %s", d, wantName)
	}
}

// TestTextColumnsOneCell: one text among numbers is "is text", and a
// column typed by column_types is not a text column.
func TestTextColumnsOneCell(t *testing.T) {
	path := filepath.Join(t.TempDir(), "erp.xlsx")
	writeSheets(t, path, []string{"Sheet1"}, map[string][][]any{
		"Sheet1": {{"id", "price", "qty"}, {1, 10.5, 1}, {2, "12,50 EUR", "2"}, {3, 7, 3}},
	})
	c := newConn(t)
	res := mustLoad(t, c, Spec{Path: path, ColumnTypes: map[string]string{"qty": "VARCHAR"}}, rel("raw", "erp"))
	if len(res.TextColumns) != 1 {
		t.Fatalf("TextColumns = %+v, want price alone", res.TextColumns)
	}
	want := `erp.xlsx Sheet1!B3 = "12,50 EUR" is text, where the other 2 values of column B ("price") are numbers`
	if d := res.TextColumns[0].Describe("erp.xlsx"); d != want {
		t.Errorf("Describe:\n got %s\nwant %s", d, want)
	}
}

// TestDatesAsText: a workbook's column of dates typed as text (all text
// cells ISO dates, the other cells dates) is told apart from a column of
// other texts, and said as such; a text with a time of day makes it
// TIMESTAMP; one text that is not an ISO date makes it plain text.
func TestDatesAsText(t *testing.T) {
	path := filepath.Join(t.TempDir(), "orders.xlsx")
	day := time.Date(2020, 8, 5, 0, 0, 0, 0, time.UTC)
	writeSheets(t, path, []string{"Sheet1"}, map[string][][]any{"Sheet1": {
		{"all_text", "mixed", "stamps", "other"},
		{"2020-08-03", day, "2020-08-03 10:30", "2020-08-03"},
		{"2020-08-11", "2020-08-12", "2020-08-04 09:00:00", "03/08/2020"},
		{"2020-08-09", day, "2020-08-05", "2020-08-09"},
	}})
	res := mustLoad(t, newConn(t), Spec{Path: path}, rel("", "o"))
	got := map[string]string{}
	for _, c := range res.TextColumns {
		typ, _, ok := c.DatesAsText()
		got[c.Name] = typ + " " + strconv.FormatBool(ok)
	}
	want := map[string]string{"all_text": "DATE true", "mixed": "DATE true", "stamps": "TIMESTAMP true", "other": " false"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DatesAsText = %v, want %v", got, want)
	}
	for _, c := range res.TextColumns {
		note := c.DatesAsTextNote("orders.xlsx")
		switch c.Name {
		case "all_text":
			if w := `column A ("all_text") of orders.xlsx loaded as VARCHAR, not DATE: its 3 text cells hold ISO dates (the first Sheet1!A2 = "2020-08-03"), so comparisons and sorts on it are of text`; !strings.HasPrefix(note, w) {
				t.Errorf("note = %q\nwant %q...", note, w)
			}
		case "mixed":
			if w := `its 1 text cell holds an ISO date (the first Sheet1!B3 = "2020-08-12"), beside 2 date cells`; !strings.Contains(note, w) {
				t.Errorf("note = %q\nwant ...%q...", note, w)
			}
		case "other":
			if note != "" {
				t.Errorf("other: note = %q, want none", note)
			}
		}
	}
}

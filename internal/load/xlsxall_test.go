package load

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// writeSplitWorkbook writes an export split over sheets, as Excel's row
// limit forces: Sheet1 and Sheet2 with the same header (Sheet2's padded
// with spaces), an empty Sheet3, and Other with another header.
func writeSplitWorkbook(t *testing.T, path string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	rows := map[string][][]any{
		"Sheet1": {{"id", "code"}, {1, "a"}, {2, "b"}},
		"Sheet2": {{" id", "code "}, {3, "c"}, nil, {4, "x-1"}},
		"Sheet3": nil,
		"Other":  {{"id", "label"}, {5, "e"}},
	}
	for _, name := range []string{"Sheet1", "Sheet2", "Sheet3", "Other"} {
		if name != "Sheet1" {
			if _, err := f.NewSheet(name); err != nil {
				t.Fatal(err)
			}
		}
		for i, r := range rows[name] {
			if r == nil {
				continue
			}
			if err := f.SetSheetRow(name, "A"+strconv.Itoa(i+1), &r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

func TestLoadXLSXAllSheets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "split.xlsx")
	writeSplitWorkbook(t, path)
	c := newConn(t)
	// Without Other, whose header differs: by hand, a copy with it removed.
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.DeleteSheet("Other"); err != nil {
		t.Fatal(err)
	}
	split := filepath.Join(t.TempDir(), "split2.xlsx")
	if err := f.SaveAs(split); err != nil {
		t.Fatal(err)
	}
	f.Close()

	if err := Check(Spec{Path: split, Sheet: "*"}); err != nil {
		t.Errorf("Check(*) = %v", err)
	}
	res := mustLoad(t, c, Spec{Path: split, Sheet: "*"}, rel("raw", "split"))
	if res.Rows != 4 {
		t.Errorf("Rows = %d, want 4", res.Rows)
	}
	checkColumns(t, res.Columns, "id BIGINT, code VARCHAR")
	// In sheet order, then row order.
	checkRows(t, rowsOf(t, c, "SELECT * FROM raw.split"), []string{"1|a", "2|b", "3|c", "4|x-1"})

	// A value that does not cast names its sheet.
	_, err = Load(context.Background(), c, Spec{Path: split, Sheet: "*", ColumnTypes: map[string]string{"code": "INTEGER"}}, rel("raw", "split"))
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), `value "a" in cell B2 of sheet "Sheet1"`) || ie.Sheet != "Sheet1" {
		t.Errorf("cast error = %v", err)
	}
	_, err = Load(context.Background(), c, Spec{Path: split, Sheet: "*", ColumnTypes: map[string]string{"code": "VARCHAR", "id": "BIGINT"}}, rel("raw", "split"))
	if err != nil {
		t.Errorf("load with overrides: %v", err)
	}

	// Headers that differ: the error names the sheet and the column.
	_, err = Load(context.Background(), c, Spec{Path: path, Sheet: "*"}, rel("raw", "split"))
	want := `the header of sheet "Other" differs from sheet "Sheet1"'s: column B is "label", not "code"`
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), want) || ie.Sheet != "Other" {
		t.Errorf("Load(headers differ) = %v, want %q", err, want)
	}
	checkRows(t, rowsOf(t, c, "SELECT * FROM raw.split"), []string{"1|a", "2|b", "3|c", "4|x-1"})
	noStaging(t, c)

	// A workbook whose only sheet is empty.
	empty := filepath.Join(t.TempDir(), "empty.xlsx")
	ef := excelize.NewFile()
	if err := ef.SaveAs(empty); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(context.Background(), c, Spec{Path: empty, Sheet: "*"}, rel("raw", "e")); err == nil || !strings.Contains(err.Error(), `sheet "Sheet1" is empty`) {
		t.Errorf("Load(empty, *) = %v", err)
	}
	// Two empty sheets.
	if _, err := ef.NewSheet("Sheet2"); err != nil {
		t.Fatal(err)
	}
	if err := ef.SaveAs(empty); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(context.Background(), c, Spec{Path: empty, Sheet: "*"}, rel("raw", "e")); err == nil || !strings.Contains(err.Error(), "every worksheet is empty") {
		t.Errorf("Load(two empty sheets, *) = %v", err)
	}
}

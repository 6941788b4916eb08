package sample

import (
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"
)

// workbook is one generated file reopened with excelize.
type workbook struct {
	f    *excelize.File
	rows [][]string // raw values of Sheet1, header first, padded to the header's width
}

func open(t *testing.T, dir, file string) *workbook {
	t.Helper()
	f, err := excelize.OpenFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return &workbook{f: f, rows: rawRows(t, f, SheetName)}
}

func rawRows(t *testing.T, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		for len(rows[i]) < len(rows[0]) {
			rows[i] = append(rows[i], "")
		}
	}
	return rows
}

// cell returns the cell type and the custom number format of a data cell
// (row 0 is the first data row, col a column name).
func (w *workbook) cell(t *testing.T, row int, columns []string, col string) (excelize.CellType, string) {
	t.Helper()
	c := -1
	for i, name := range columns {
		if name == col {
			c = i
		}
	}
	name, err := excelize.CoordinatesToCellName(c+1, row+2)
	if err != nil {
		t.Fatal(err)
	}
	typ, err := w.f.GetCellType(SheetName, name)
	if err != nil {
		t.Fatal(err)
	}
	id, err := w.f.GetCellStyle(SheetName, name)
	if err != nil {
		t.Fatal(err)
	}
	style, err := w.f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	format := ""
	if style.CustomNumFmt != nil {
		format = *style.CustomNumFmt
	}
	return typ, format
}

// record is one web row by column name.
type record map[string]string

func (w *workbook) records() []record {
	var out []record
	for _, row := range w.rows[1:] {
		r := record{}
		for i, name := range w.rows[0] {
			r[name] = row[i]
		}
		out = append(out, r)
	}
	return out
}

// generate writes cfg's month into a fresh temporary directory.
func generate(t *testing.T, cfg Config) (string, Expected) {
	t.Helper()
	dir := t.TempDir()
	e, err := Generate(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return dir, e
}

// allRows returns every sheet's raw rows of the three files, by file and
// sheet.
func allRows(t *testing.T, dir string) map[string][][]string {
	t.Helper()
	out := map[string][][]string{}
	for _, file := range []string{ERPFile, LiaisonFile, WebFile} {
		f, err := excelize.OpenFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, sheet := range f.GetSheetList() {
			out[file+"/"+sheet] = rawRows(t, f, sheet)
		}
		_ = f.Close()
	}
	return out
}

package load

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// FuzzSheet reads arbitrary worksheet XML through the row reader
// (excelize's iterator and the cell scan): it must end without panicking.
func FuzzSheet(f *testing.F) {
	f.Add([]byte(handMadeParts["xl/worksheets/data.xml"]))
	f.Add([]byte(`<worksheet><sheetData><row r="0"><c r="ZZZZZ1" s="-1" t="s"><v>99</v></c></row></sheetData></worksheet>`))
	f.Add([]byte(`<sheetData><row><c><is><t>x</t></is></c><c t="d"><v>nonsense</v></c></row>`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, sheet []byte) {
		parts := map[string]string{}
		for k, v := range handMadeParts {
			parts[k] = v
		}
		parts["xl/worksheets/data.xml"] = string(sheet)
		path := filepath.Join(dir, "fuzz.xlsx")
		if err := writeZipQuiet(path, parts); err != nil {
			t.Skip(err)
		}
		wb, err := openWorkbook(path)
		if err != nil {
			t.Fatal(err)
		}
		defer wb.Close()
		rows, err := wb.openSheet(wb.sheets[0])
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		l := &xlsxLoad{wb: wb}
		for rows.next() {
			for _, c := range rows.cells {
				if c.col < 1 || c.col > excelize.MaxColumns {
					t.Fatalf("column %d", c.col)
				}
				v, _ := l.text(c)
				_ = strings.TrimSpace(v)
			}
		}
		_ = rows.Err()
	})
}

func writeZipQuiet(path string, parts map[string]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	for _, name := range sortedKeys(parts) {
		w, err := zw.Create(name)
		if err != nil {
			return err
		}
		if _, err := w.Write([]byte(parts[name])); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

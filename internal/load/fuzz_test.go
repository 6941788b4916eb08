package load

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzSheet reads arbitrary worksheet XML through the sheet reader: it
// must end without panicking.
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
		wb, err := openWorkbook(path, Limits{}, false)
		if err != nil {
			t.Fatal(err)
		}
		defer wb.Close()
		r, err := wb.openSheet(wb.sheets[0])
		if err != nil {
			return // a bad shared string table, say
		}
		defer r.Close()
		cv := cellConv{wb: wb, nulls: newNullSet(nil)}
		for {
			ok, err := r.next()
			if err != nil || !ok {
				break
			}
			for _, c := range r.cells {
				if c.col < 1 || c.col > maxColumns {
					t.Fatalf("column %d", c.col)
				}
				v, _ := cv.text(c, true)
				_ = strings.TrimSpace(v)
			}
		}
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

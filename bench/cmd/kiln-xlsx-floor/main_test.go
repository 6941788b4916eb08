package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.xlsx")
	f := excelize.NewFile()
	for i, r := range [][]any{{"id", "name"}, {1, "a"}, {2, nil}} {
		if err := f.SetSheetRow("Sheet1", "A"+string(rune('1'+i)), &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{path}, &out, &errb); code != 0 || out.String() != path+": 3 rows, 5 cells\n" {
		t.Errorf("run = %d, %q, %q", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run([]string{filepath.Join(t.TempDir(), "none.xlsx")}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "file not found") {
		t.Errorf("missing file: %d, %q", code, errb.String())
	}
}

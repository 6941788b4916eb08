package load

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtureWorkbook is a real workbook of the repository's sample project.
var fixtureWorkbook = filepath.Join("..", "..", "data", "sample", "2020-08", "erp.xlsx")

// TestWorkbookFaultsInUsersWords reads files that are not whole xlsx
// workbooks (a text file named .xlsx, an empty one, truncated and damaged
// copies of a real workbook): the errors say what is wrong and how to fix
// it, never archive/zip's, compress/flate's or encoding/xml's wording.
func TestWorkbookFaultsInUsersWords(t *testing.T) {
	real, err := os.ReadFile(fixtureWorkbook)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A byte of the first part's compressed data changed: the part no
	// longer inflates, or inflates to other bytes than its checksum's.
	flipped := append([]byte(nil), real...)
	for i := 200; i < 240; i++ {
		flipped[i] ^= 0x5a
	}
	const recopy = "; re-export or re-copy it (a copy or download cut short leaves such a file)"
	half := len(real) / 2
	for _, tc := range []struct {
		name string
		data []byte
		want string // the error's text after `cannot read "<path>": `
	}{
		{"erp_text.xlsx", []byte("product_id,price\n1,12.5\n"),
			`not an Excel workbook: an .xlsx file is a zip archive and this file is not one (it is text, beginning "product_id,price"); re-export it from Excel as an Excel Workbook (.xlsx); if it is a CSV file, name it .csv`},
		{"erp_empty.xlsx", nil, "the file is empty (0 bytes), not an Excel workbook" + recopy},
		{"erp_truncated.xlsx", real[:half],
			fmt.Sprintf("the workbook is truncated or damaged: its zip archive ends after %d bytes, without the directory that closes every .xlsx", half) + recopy},
		{"erp_cut.xlsx", append(append([]byte(nil), real[:1000]...), real[1100:]...),
			"the workbook is truncated or damaged: part xl/worksheets/sheet1.xml is not where the directory of its zip archive says it is" + recopy},
		{"erp_flipped.xlsx", flipped, "the workbook is truncated or damaged: "},
		{"erp_binary.xlsx", []byte{0x00, 0x01, 0x02, 0xff, 0xfe},
			"not an Excel workbook: an .xlsx file is a zip archive and this file is not one; re-export it from Excel as an Excel Workbook (.xlsx)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := write(tc.name, tc.data)
			_, lerr := Load(context.Background(), newConn(t), Spec{Path: path}, rel("", "t"))
			for _, err := range []error{Check(Spec{Path: path}), lerr} {
				var ie *InputError
				if !errors.As(err, &ie) {
					t.Fatalf("err = %v, want *InputError", err)
				}
				msg := err.Error()
				prefix := fmt.Sprintf("cannot read %q: ", path)
				if !strings.HasPrefix(msg, prefix+tc.want) {
					t.Errorf("err = %q\nwant  %q", msg, prefix+tc.want)
				}
				for _, internal := range []string{"zip:", "flate", "EOF", "XML syntax", "not a valid"} {
					if strings.Contains(msg, internal) {
						t.Errorf("err = %q: says %q", msg, internal)
					}
				}
				if !errors.Is(err, errNotXLSX) {
					t.Errorf("err = %v: not errNotXLSX", err)
				}
			}
		})
	}
}

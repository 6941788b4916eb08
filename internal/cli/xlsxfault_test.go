package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/sample"
)

// A source workbook that is not one (a CSV renamed .xlsx, a copy cut
// short) fails the build with the source's position in its YAML, the
// file's path and what is wrong in the user's words, never Go's zip
// wording.
func TestBrokenWorkbookSource(t *testing.T) {
	dir, _ := newProject(t)
	erp := filepath.Join(dir, "data", "sample", sample.DefaultMonth, "erp.xlsx")
	whole, err := os.ReadFile(erp)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"text", []byte("product_id;price\n1;2.5\n"), `not an Excel workbook: an .xlsx file is a zip archive and this file is not one (it is text, beginning "product_id;price"); re-export it from Excel as an Excel Workbook (.xlsx); if it is a CSV file, name it .csv`},
		{"truncated", whole[:len(whole)/3], "the workbook is truncated or damaged: its zip archive ends after "},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(erp, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := kiln(t, dir, "build", "-s", "source:raw.erp")
			all := out + errOut
			if code != ExitCannotStart || !strings.Contains(all, "models/staging/_sources.yml:") ||
				!strings.Contains(all, `cannot read "`+erp+`": `+c.want) || strings.Contains(all, "zip:") || strings.Contains(all, "EOF") {
				t.Errorf("build: exit %d, want the source's position and %q:\n%s", code, c.want, all)
			}
		})
	}
}

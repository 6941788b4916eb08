package load

import (
	"errors"
	"maps"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckReadsWholeSheets: a workbook whose zip is whole but whose
// sheet XML is damaged after its header row (a tag cut short in row 6, a
// sheet that ends inside its data, a value right of the header in row 7)
// passed Check, which read the header only, and failed the run halfway,
// after other nodes had run. Check now reads every row: the error names
// the file, the sheet and what is wrong, before anything runs.
func TestCheckReadsWholeSheets(t *testing.T) {
	dir := t.TempDir()
	const sheet = "xl/worksheets/data.xml"
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"cut tag", `<x:row r="6"><x:c r="A6">`, `<x:row r="6"><x:c r="A6"`, `cannot read "` + "%s" + `": `},
		{"ends early", `<x:row r="7">`, ``, `cannot read "%s": `},
		{"right of header", `<x:c r="D7" t="e"><x:v>#DIV/0!</x:v></x:c>`, `<x:c r="G7"><x:v>9</x:v></x:c>`, `cannot read "%s": cell G7 of sheet "Data" holds a value right of the header's last column, F: expected 6 columns, found 7`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts := maps.Clone(handMadeParts)
			if !strings.Contains(parts[sheet], tc.old) {
				t.Fatalf("the sheet has no %q", tc.old)
			}
			if tc.name == "ends early" {
				parts[sheet] = parts[sheet][:strings.Index(parts[sheet], tc.old)+len(tc.old)+10]
			} else {
				parts[sheet] = strings.Replace(parts[sheet], tc.old, tc.new, 1)
			}
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".xlsx")
			writeZip(t, path, parts)
			err := Check(Spec{Path: path})
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Check = %v, want *InputError", err)
			}
			want := strings.Replace(tc.want, "%s", path, 1)
			if !strings.HasPrefix(err.Error(), want) || ie.Sheet != "Data" {
				t.Errorf("Check = %q (sheet %q)\nwant %q... (sheet \"Data\")", err, ie.Sheet, want)
			}
			for _, internal := range []string{"XML syntax", "EOF"} {
				if strings.Contains(err.Error(), internal) {
					t.Errorf("Check = %q: says %q", err, internal)
				}
			}
			// The load says the same.
			_, lerr := Load(t.Context(), newConn(t), Spec{Path: path}, rel("", "t"))
			if lerr == nil || lerr.Error() != err.Error() {
				t.Errorf("Load = %v\nCheck = %v", lerr, err)
			}
		})
	}
	// A whole workbook passes.
	path := filepath.Join(dir, "whole.xlsx")
	writeZip(t, path, handMadeParts)
	if err := Check(Spec{Path: path}); err != nil {
		t.Errorf("Check(whole) = %v", err)
	}
}

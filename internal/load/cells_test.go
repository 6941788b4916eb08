package load

import (
	"context"
	"maps"
	"path/filepath"
	"strings"
	"testing"
)

// A workbook's cells digest is computed by the load's one pass (and by
// Cells alone, equal); it ignores what does not change the cells loaded
// (document properties, an empty row, a number written with more digits)
// and changes with any value, or a value's kind.
func TestCellsDigest(t *testing.T) {
	dir := t.TempDir()
	c := newConn(t)
	digest := func(name string, parts map[string]string) string {
		t.Helper()
		path := filepath.Join(dir, name+".xlsx")
		writeZip(t, path, parts)
		res := mustLoad(t, c, Spec{Path: path}, rel("", "hand"))
		alone, err := Cells(context.Background(), Spec{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(res.Cells, "kiln-cells-1:") || len(res.Cells) != len("kiln-cells-1:")+64 || alone != res.Cells {
			t.Fatalf("%s: the load's digest %q, Cells' %q", name, res.Cells, alone)
		}
		return res.Cells
	}
	with := func(part, old, new string) map[string]string {
		t.Helper()
		parts := maps.Clone(handMadeParts)
		if part == "" {
			return parts
		}
		if old == "" {
			parts[part] = new
			return parts
		}
		if !strings.Contains(parts[part], old) {
			t.Fatalf("%s has no %q", part, old)
		}
		parts[part] = strings.Replace(parts[part], old, new, 1)
		return parts
	}
	base := digest("base", handMadeParts)
	for name, parts := range map[string]map[string]string{
		"docProps":      with("docProps/core.xml", "", `<?xml version="1.0"?><cp:coreProperties xmlns:cp="x"><dcterms:modified>2031-01-01T00:00:00Z</dcterms:modified></cp:coreProperties>`),
		"empty row":     with("xl/worksheets/data.xml", `<x:row r="5" spans="1:6">`, `<x:row r="4"></x:row><x:row r="5" spans="1:6">`),
		"more digits":   with("xl/worksheets/data.xml", `<x:v>1.5</x:v>`, `<x:v>1.5000000000000000</x:v>`),
		"an error cell": with("xl/worksheets/data.xml", `<x:v>#N/A</x:v>`, `<x:v>#REF!</x:v>`),
	} {
		if got := digest(name, parts); got != base {
			t.Errorf("%s: the digest changed", name)
		}
	}
	for name, parts := range map[string]map[string]string{
		"a text":          with("xl/worksheets/data.xml", `<x:c r="B6" t="s"><x:v>4</x:v>`, `<x:c r="B6" t="s"><x:v>5</x:v>`),
		"a number":        with("xl/worksheets/data.xml", `<x:v>1.5</x:v>`, `<x:v>1.25</x:v>`),
		"a number's kind": with("xl/worksheets/data.xml", `<x:c r="A2"><x:v>1</x:v></x:c>`, `<x:c r="A2" t="inlineStr"><x:is><x:t>1</x:t></x:is></x:c>`),
		"a moved value":   with("xl/worksheets/data.xml", `<x:c r="F5" t="s">`, `<x:c r="E5" t="s">`),
		"a header":        with("xl/sharedStrings.xml", `<si><t>amount</t></si>`, `<si><t>amount_eur</t></si>`),
	} {
		if got := digest(name, parts); got == base {
			t.Errorf("%s changed: the digest did not", name)
		}
	}
	csv := writeFile(t, dir, "a.csv", "id,label\n1,x\n")
	if res := mustLoad(t, c, Spec{Path: csv}, rel("", "a")); res.Cells != "" {
		t.Errorf("a CSV file's load gave a cells digest %q", res.Cells)
	}
	if got, err := Cells(context.Background(), Spec{Path: csv}); got != "" || err != nil {
		t.Errorf("Cells(CSV) = %q, %v", got, err)
	}
}

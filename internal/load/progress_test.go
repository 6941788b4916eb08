package load

import (
	"path/filepath"
	"strings"
	"testing"
)

// A load reports its progress: rows and the share of the file never go
// back, and the last call has every row, the whole file and Done.
func TestProgressReports(t *testing.T) {
	dir := t.TempDir()
	xlsx := filepath.Join(dir, "big.xlsx")
	writeBigWorkbook(t, xlsx, 20000, 4)
	csv := writeFile(t, dir, "big.csv", "a,b\n"+strings.Repeat("1,x\n", 30000))
	c := newConn(t)
	for path, rows := range map[string]int64{xlsx: 20000, csv: 30000} {
		var got []Progress
		mustLoad(t, c, Spec{Path: path, Progress: func(p Progress) { got = append(got, p) }}, rel("", "p"))
		if len(got) == 0 {
			t.Fatalf("%s: no progress", path)
		}
		for i := 1; i < len(got); i++ {
			if got[i].Rows < got[i-1].Rows || got[i].Share < got[i-1].Share || got[i].Elapsed < got[i-1].Elapsed {
				t.Errorf("%s: progress goes back: %+v then %+v", path, got[i-1], got[i])
			}
		}
		last := got[len(got)-1]
		if !last.Done || last.Rows != rows || last.Share != 1 || last.Path != path {
			t.Errorf("%s: last progress %+v, want Done with %d rows", path, last, rows)
		}
		for _, p := range got[:len(got)-1] {
			if p.Done || p.Share < 0 || p.Share > 1 {
				t.Errorf("%s: progress %+v", path, p)
			}
		}
	}
}

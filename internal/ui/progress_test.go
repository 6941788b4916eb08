package ui

import (
	"bytes"
	"testing"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
)

// A long load prints its progress: nothing in the first 2 s, then a line
// at most every 5 s, none at the end (the node's result line follows);
// nothing at all when progress is off (not a terminal) or with JSON.
func TestProgress(t *testing.T) {
	n := &graph.Node{ID: "source.shop.raw.web", Kind: graph.Source, Name: "web", Source: &graph.SourceInfo{SourceName: "raw"}}
	var b bytes.Buffer
	p := New(&b, false)
	p.SetProgress(true)
	for _, s := range []float64{0.5, 1.9, 2.1, 4, 7, 7.2, 12.5} {
		p.Progress(n, int64(s*1000), 1000, s/20, time.Duration(s*float64(time.Second)), false)
	}
	p.Progress(n, 20000, 1000, 1, 20*time.Second, true)
	want := "  ... source raw.web: 2,100 rows, 1,000 rows/s, 11% of the file, 2s\n" +
		"  ... source raw.web: 7,200 rows, 1,000 rows/s, 36% of the file, 7s\n" +
		"  ... source raw.web: 12,500 rows, 1,000 rows/s, 62% of the file, 13s\n"
	if got := b.String(); got != want {
		t.Errorf("progress lines:\n%s\nwant:\n%s", got, want)
	}
	b.Reset()
	off := New(&b, false)
	off.Progress(n, 5000, 1000, 0.5, 10*time.Second, false)
	if b.Len() != 0 {
		t.Errorf("progress off printed %q", b.String())
	}
	if thousands(1234567) != "1,234,567" || thousands(-1000) != "-1,000" || thousands(999) != "999" {
		t.Error("thousands")
	}
}

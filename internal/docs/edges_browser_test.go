package docs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kiln-build/kiln/internal/testenv/browsertest"
)

// An edge that spans several layers goes around the boxes of the layers
// it crosses (a slot of its own in each, as Sugiyama's dummy nodes), in
// Chromium, measured on the drawn SVG: here a -> d and a -> e span
// layers whose one box (b, c) sits at the height a straight edge takes,
// and f -> e spans one. It used to cross b and c.
func TestLongEdgesGoAroundBoxes(t *testing.T) {
	archive := `-- project.yml --
name: shop
-- models/a.sql --
select 1 as x
-- models/b.sql --
select x from {{ ref('a') }}
-- models/c.sql --
select x from {{ ref('b') }}
-- models/d.sql --
select a.x from {{ ref('a') }} as a join {{ ref('c') }} as c using (x)
-- models/e.sql --
select a.x from {{ ref('a') }} as a join {{ ref('d') }} as d using (x) join {{ ref('f') }} as f using (x)
-- models/f.sql --
select x from {{ ref('b') }}
`
	file := filepath.Join(t.TempDir(), "long.txtar")
	if err := os.WriteFile(file, []byte(archive), 0o644); err != nil {
		t.Fatal(err)
	}
	in := loadFixture(t, file).input(t, false)
	url := writePage(t, in)
	b := browsertest.Start(t, 1400, 900)
	browsertest.Do(t, b, "open the graph", chromedp.Navigate(url+"#/graph"), chromedp.WaitVisible(chromedp.CSS("#graph g.node")))
	if n := browsertest.EdgeCount(t, b); n != 8 {
		t.Errorf("the graph draws %d edges, want 8", n)
	}
	if x := browsertest.EdgeCrossings(t, b); len(x) > 0 {
		t.Errorf("edges pass through boxes they do not connect: %v", x)
	}
	if p := b.Problems(); len(p) > 0 {
		t.Errorf("the page reported problems: %v", p)
	}
}

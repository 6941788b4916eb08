package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kiln-build/kiln/internal/testenv/browsertest"
)

// In the BottleNeck lineage graph, read in Chromium, no edge passes
// through the box of a node it does not connect. The long edge
// stg_erp -> monthly_indicators used to be drawn straight through the
// erp_price_history snapshot, which then looked like it fed downstream.
func TestDocsGraphEdgesAvoidBoxes(t *testing.T) {
	dir, _ := newProject(t)
	mustKiln(t, ExitOK, dir, "build")
	mustKiln(t, ExitOK, dir, "docs", "generate")
	g, _ := compiledGraph(t, dir)
	s := browsertest.Start(t, 1400, 900)
	url := "file://" + filepath.Join(dir, "target", "docs", "index.html") + "#/graph"
	browsertest.Do(t, s, "open the graph", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#graph g.node")))
	long := nodeIndex(g, "model.bottleneck.stg_erp") + " -> " + nodeIndex(g, "model.bottleneck.monthly_indicators")
	edges := browsertest.Eval[[]string](t, s, `Array.from(document.querySelectorAll('#graph path.edge[data-from]')).map(p => p.getAttribute('data-from') + ' -> ' + p.getAttribute('data-to'))`)
	if !contains(edges, long) {
		t.Fatalf("the graph does not draw stg_erp -> monthly_indicators (%s) among %d edges", long, len(edges))
	}
	if x := browsertest.EdgeCrossings(t, s); len(x) > 0 {
		names := " " + strings.Join(x, " ; ") + " "
		for _, n := range g.Nodes() {
			names = strings.ReplaceAll(names, " "+nodeIndex(g, n.ID)+" ", " "+n.Name+" ")
		}
		t.Errorf("edges pass through boxes they do not connect (keys: node indexes): %v\n%s", x, names)
	}
	if p := s.Problems(); len(p) > 0 {
		t.Errorf("the page reported problems: %v", p)
	}
}

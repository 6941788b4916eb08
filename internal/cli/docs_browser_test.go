package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/selector"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/testenv/browsertest"
)

// probe adds to the project a model whose description and column name hold
// <script>, to check that the page shows them as text.
func probe(t *testing.T, dir string) {
	t.Helper()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("models/marts/probe_escaping.sql", `select product_id, revenue as "<script>alert('column')</script>"
from {{ ref('revenue_by_product') }}
`)
	write("models/marts/_probe.yml", `version: 2
models:
  - name: probe_escaping
    description: 'Holds <script>alert("description")</script> and **bold** text.'
`)
}

// TestDocsInBrowser builds the BottleNeck project, generates its docs, and
// reads them in headless Chromium from file:// as a reader would.
func TestDocsInBrowser(t *testing.T) {
	dir, _ := newProject(t)
	probe(t, dir)
	// The first build creates the schemas; the second runs on 4 workers
	// for the timeline (see the report: parallel first builds conflict on
	// CREATE SCHEMA).
	mustKiln(t, 0, dir, "build")
	mustKiln(t, 0, dir, "build", "--threads", "4")
	mustKiln(t, 0, dir, "docs", "generate")
	index := filepath.Join(dir, "target", "docs", "index.html")
	url := "file://" + index
	g, results := compiledGraph(t, dir)

	s := browsertest.Start(t, 1400, 900)
	browsertest.Do(t, s, "open the graph", chromedp.Navigate(url+"#/graph"), chromedp.WaitVisible(chromedp.CSS("#graph g.node")))

	// Node titles are readable at the initial zoom on a 1400 x 900 screen:
	// their font size times the graph's scale is at least 11 px.
	titlePx := browsertest.Eval[float64](t, s, `Math.min(...Array.from(document.querySelectorAll('#graph g.node text.title')).map(e => parseFloat(getComputedStyle(e).fontSize) * e.getScreenCTM().a))`)
	t.Logf("node titles at %.2f px at the initial zoom (1400 x 900)", titlePx)
	if titlePx < 11 {
		t.Errorf("node titles are %.2f px at the initial zoom, want 11 px or more", titlePx)
	}

	// Every node but the tests is drawn.
	drawn := browsertest.Eval[[]string](t, s, `Array.from(document.querySelectorAll('#graph g.node')).map(g => kiln.data.nodes[+g.getAttribute('data-key')].id).sort()`)
	var want []string
	for _, n := range g.Nodes() {
		if n.Kind != graph.Test && n.Kind != graph.UnitTest {
			want = append(want, string(n.ID))
		}
	}
	sort.Strings(want)
	if strings.Join(drawn, " ") != strings.Join(want, " ") {
		t.Errorf("graph draws\n%v\nwant\n%v", drawn, want)
	}

	// The filter box evaluates the --select grammar as kiln does.
	checkSelectorParity(t, s, g, results)

	// Selecting a node highlights its ancestors and descendants.
	browsertest.Do(t, s, "select int_products", chromedp.Click(chromedp.CSS(`#graph g.node[data-key="`+nodeIndex(g, "model.bottleneck.int_products")+`"]`)))
	if up := browsertest.Eval[int](t, s, `document.querySelectorAll('#graph g.node.up').length`); up != 6 {
		t.Errorf("int_products has %d ancestors highlighted, want 6 (3 sources, 3 staging models)", up)
	}
	if down := browsertest.Eval[int](t, s, `document.querySelectorAll('#graph g.node.down').length`); down < 8 {
		t.Errorf("int_products has %d descendants highlighted, want at least 8", down)
	}
	shot, err := chromedp.Run(s.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, dir, "docs-graph.png", shot)
	// Picking a column shows its upstream and downstream columns.
	browsertest.Do(t, s, "pick int_products.price", chromedp.Click(chromedp.CSS(`#graph-panel button[data-col="price"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#graph g.kind-column`)))
	cols := browsertest.Eval[[]string](t, s, `Array.from(document.querySelectorAll('#graph g.kind-column title')).map(t => t.textContent).sort()`)
	for _, c := range []string{"raw.erp.price", "stg_erp.price", "int_products.price", "revenue_by_product.price", "revenue_by_product.revenue"} {
		if !contains(cols, c) {
			t.Errorf("column graph of int_products.price lacks %s: %v", c, cols)
		}
	}

	// The search finds a model; a click opens its page with its columns and
	// their lineage.
	browsertest.Do(t, s, "search", chromedp.Navigate(url+"#/"), chromedp.SendKeys(chromedp.CSS("#search"), "revenue_by"),
		chromedp.WaitVisible(chromedp.CSS(`#tree a.item[data-id="model.bottleneck.revenue_by_product"]`)),
		chromedp.Click(chromedp.CSS(`#tree a.item[data-id="model.bottleneck.revenue_by_product"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#columns tr.col-row[data-col="revenue"]`)))
	row := browsertest.Eval[string](t, s, `document.querySelector('#columns tr.col-row[data-col="revenue"]').textContent`)
	for _, w := range []string{"int_products.price", "int_products.total_sales", "DECIMAL", "Price (ERP) times units sold (web)"} {
		if !strings.Contains(row, w) {
			t.Errorf("revenue row %q lacks %q", row, w)
		}
	}
	browsertest.Do(t, s, "revenue lineage", chromedp.Click(chromedp.CSS(`#columns tr.col-row[data-col="revenue"] button.col-name`)),
		chromedp.WaitVisible(chromedp.CSS("#lineage-origins")))
	origins := browsertest.Eval[string](t, s, `document.querySelector('#lineage-origins').textContent`)
	upstream := browsertest.Eval[string](t, s, `document.querySelector('#lineage-upstream').textContent`)
	for _, w := range []string{"raw.erp.price", "raw.web.total_sales"} {
		if !strings.Contains(origins, w) {
			t.Errorf("origins of revenue %q lack %s", origins, w)
		}
	}
	for _, w := range []string{"stg_erp.price", "stg_web.total_sales", "int_products.price", "int_products.total_sales"} {
		if !strings.Contains(upstream, w) {
			t.Errorf("upstream of revenue %q lacks %s", upstream, w)
		}
	}
	if strings.Contains(origins, "product_id") || strings.Contains(upstream, "stg_liaison") {
		t.Errorf("revenue's lineage holds join keys: %q", upstream)
	}
	browsertest.Do(t, s, "tall viewport", chromedp.EmulateViewport(1400, 2200))
	shot, err = chromedp.Run(s.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, dir, "docs-revenue_by_product.png", shot)
	browsertest.Do(t, s, "viewport", chromedp.EmulateViewport(1400, 1000))

	// The run timeline and the tests' expected and actual results.
	browsertest.Do(t, s, "run page", chromedp.Navigate(url+"#/run"), chromedp.WaitVisible(chromedp.CSS("#run-timeline rect.bar")))
	bars := browsertest.Eval[int](t, s, `document.querySelectorAll('#run-timeline rect.bar').length`)
	rows := browsertest.Eval[int](t, s, `document.querySelectorAll('#run-tests tr[data-id]').length`)
	tests, warned := 0, ""
	for _, r := range results.Results {
		if strings.HasPrefix(string(r.UniqueID), "test.") || strings.HasPrefix(string(r.UniqueID), "unit_test.") {
			tests++
		}
		if r.Status == "warn" {
			warned = r.Actual
		}
	}
	if bars != len(results.Results) || rows != tests {
		t.Errorf("run page: %d bars for %d results, %d test rows for %d tests", bars, len(results.Results), rows, tests)
	}
	if table := browsertest.Eval[string](t, s, `document.querySelector('#run-tests').textContent`); warned == "" || !strings.Contains(table, warned) {
		t.Errorf("the tests table lacks the warning's actual result %q: %q", warned, table)
	}
	shot, err = chromedp.Run(s.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, dir, "docs-run.png", shot)

	// A description and a column name holding <script> show as text.
	browsertest.Do(t, s, "probe page", chromedp.Navigate(url+"#/node/model.bottleneck.probe_escaping"), chromedp.WaitVisible(chromedp.CSS("#node-description")))
	desc := browsertest.Eval[string](t, s, `document.querySelector('#node-description').textContent`)
	if !strings.Contains(desc, `<script>alert("description")</script>`) || !strings.Contains(desc, "bold") {
		t.Errorf("description shows %q", desc)
	}
	if n := browsertest.Eval[int](t, s, `document.querySelectorAll('script').length`); n != 2 {
		t.Errorf("%d script elements, want the page's 2", n)
	}
	if n := browsertest.Eval[int](t, s, `document.querySelectorAll('#node-description strong').length`); n != 1 {
		t.Errorf("**bold** renders as %d <strong>", n)
	}
	colName := browsertest.Eval[string](t, s, `document.querySelector('#columns tr.col-row:nth-child(3) button').textContent`)
	if colName != `<script>alert('column')</script>` {
		t.Errorf("column name shows %q", colName)
	}

	for _, p := range s.Problems() {
		t.Error(p)
	}
	for _, r := range s.Requests() {
		if r != url && !strings.HasPrefix(r, url+"#") {
			t.Errorf("the page made a request: %s", r)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func nodeIndex(g *graph.Graph, id graph.ID) string { return fmt.Sprint(g.Index(id)) }

// compiledGraph compiles the project in dir as the docs saw it, with the
// run results of its last build.
func compiledGraph(t *testing.T, dir string) (*graph.Graph, *artifact.RunResults) {
	t.Helper()
	p, l := project.Load(os.DirFS(dir))
	if l.HasErrors() {
		t.Fatal(l)
	}
	m, errs := compiler.Compile(p, compiler.Options{ProjectDir: dir})
	if errs != nil {
		t.Fatal(errs)
	}
	rr, err := artifact.ReadRunResults(filepath.Join(dir, "target", "run_results.json"))
	if err != nil {
		t.Fatal(err)
	}
	return m.Graph, rr
}

// checkSelectorParity compares the page's evaluation of selectors with
// compiler/selector's.
func checkSelectorParity(t *testing.T, s *browsertest.Session, g *graph.Graph, rr *artifact.RunResults) {
	t.Helper()
	statuses := map[graph.ID]string{}
	for id, s := range rr.Status {
		statuses[id] = string(s)
	}
	for _, c := range [][2]string{
		{"+revenue_by_product", ""}, {"stg_erp+", ""}, {"tag:stage_b", ""}, {"path:models/marts", ""},
		{"source:raw.web+", ""}, {"resource_type:model,tag:stage_d", ""}, {"config.materialized:ephemeral", ""},
		{"@int_products", ""}, {"2+kpi_summary", ""}, {"test_name:unique", ""}, {"file:stg_web.sql", ""},
		{"stg_*", ""}, {"bottleneck.marts.*", ""}, {"result:warn", ""}, {"test_type:singular", ""},
		{"int_products+1 stg_web", "tag:stage_b"}, {"", "resource_type:test"}, {"path:models/**/*.sql", ""},
		{"source:raw", ""}, {"package:bottleneck,resource_type:export", ""},
	} {
		var sel, exc []string
		if c[0] != "" {
			sel = []string{c[0]}
		}
		if c[1] != "" {
			exc = []string{c[1]}
		}
		ids, err := selector.Select(g, sel, exc, selector.Options{Results: statuses})
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		want := make([]string, len(ids))
		for i, id := range ids {
			want[i] = string(id)
		}
		sort.Strings(want)
		got := browsertest.Eval[[]string](t, s, fmt.Sprintf("kiln.select(%q, %q).sort()", c[0], c[1]))
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("select %q exclude %q:\n page: %v\nkiln: %v", c[0], c[1], got, want)
		}
	}
}

// saveScreenshot writes a screenshot under the repository's target/ (and
// the project's), for CI to keep.
func saveScreenshot(t *testing.T, dir, name string, png []byte) {
	t.Helper()
	for _, d := range []string{filepath.Join(repoRoot, "target", "docs-browser-test"), filepath.Join(dir, "target")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDocsInBrowserLarge opens the docs of 1,000 models: the graph asks
// for a selection instead of drawing everything, then draws the
// neighbourhood of the picked node; pages stay quick.
func TestDocsInBrowserLarge(t *testing.T) {
	dir := t.TempDir()
	writeLargeProject(t, dir, 1000)
	mustKiln(t, 0, dir, "docs", "generate")
	url := "file://" + filepath.Join(dir, "target", "docs", "index.html")
	s := browsertest.Start(t, 1400, 1000)
	browsertest.Do(t, s, "open the graph", chromedp.Navigate(url+"#/graph"), chromedp.WaitVisible(chromedp.CSS("#graph .notice")))
	if n := browsertest.Eval[int](t, s, `document.querySelectorAll('#graph g.node').length`); n != 0 {
		t.Errorf("%d nodes drawn without a selection", n)
	}
	t.Logf("graph notice in %.0f ms", browsertest.Eval[float64](t, s, "kiln.renderMs"))
	browsertest.Do(t, s, "a neighbourhood", chromedp.Navigate(url+"#/graph?node=model.big.m0555"), chromedp.WaitVisible(chromedp.CSS("#graph g.node.sel")))
	n := browsertest.Eval[int](t, s, `document.querySelectorAll('#graph g.node').length`)
	if n < 10 || n > 400 {
		t.Errorf("%d nodes drawn around m0555, want 10 to 400", n)
	}
	t.Logf("neighbourhood of %d nodes in %.0f ms", n, browsertest.Eval[float64](t, s, "kiln.renderMs"))
	browsertest.Do(t, s, "a filter", chromedp.Navigate(url+"#/graph?select=%2Bm0555"), chromedp.WaitVisible(chromedp.CSS("#graph g.node")))
	want := browsertest.Eval[int](t, s, `kiln.select("+m0555", "").filter(id => !id.startsWith("test.")).length`)
	if got := browsertest.Eval[int](t, s, `document.querySelectorAll('#graph g.node').length`); got != want {
		t.Errorf("+m0555 draws %d nodes, want %d", got, want)
	}
	t.Logf("+m0555: %d nodes in %.0f ms", want, browsertest.Eval[float64](t, s, "kiln.renderMs"))
	browsertest.Do(t, s, "a column", chromedp.Navigate(url+"#/node/model.big.m0999?column=a"), chromedp.WaitVisible(chromedp.CSS("#lineage-origins")))
	origins := browsertest.Eval[string](t, s, `document.querySelector('#lineage-origins').textContent`)
	if !strings.Contains(origins, "base.a") || !strings.Contains(origins, "base.c") {
		t.Errorf("origins of m0999.a: %q", origins)
	}
	t.Logf("page of m0999 with the lineage of a in %.0f ms", browsertest.Eval[float64](t, s, "kiln.renderMs"))
	browsertest.Do(t, s, "search", chromedp.Navigate(url+"#/"), chromedp.SendKeys(chromedp.CSS("#search"), "m0777"),
		chromedp.WaitVisible(chromedp.CSS(`#tree a.item[data-id="model.big.m0777"]`)))
	for _, p := range s.Problems() {
		t.Error(p)
	}
}

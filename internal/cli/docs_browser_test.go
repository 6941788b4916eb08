package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/selector"
	"github.com/kiln-build/kiln/internal/artifact"
)

// chromiumPath finds Debian's chromium (or $KILN_CHROMIUM). A missing
// browser fails the test: .ci/run installs it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("KILN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium: install it (apt-get install -y chromium) or set KILN_CHROMIUM to a Chrome binary")
	return ""
}

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

// browserSession collects what the page does that it must not: console
// errors, exceptions, requests, dialogs.
type browserSession struct {
	mu       sync.Mutex
	problems []string
	requests []string
}

func (s *browserSession) add(list *[]string, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*list = append(*list, msg)
}

func newBrowser(t *testing.T) (context.Context, *browserSession) {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	}
	// The browser lives as long as this context: a hung browser fails the
	// test instead of blocking it.
	life, cancelLife := context.WithTimeout(context.Background(), 3*time.Minute)
	actx, cancelAlloc := chromedp.NewExecAllocator(life, opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc(); cancelLife() })
	s := &browserSession{}
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("cannot start chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == "error" || m.Type == chromedp.ConsoleException || m.Type == "assert" {
				s.add(&s.problems, fmt.Sprintf("console %s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line))
			}
		}
	}()
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			s.add(&s.requests, e.Request.URL)
		case *page.EventJavascriptDialogOpening:
			s.add(&s.problems, "dialog: "+e.Message)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	return ctx, s
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
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

	ctx, s := newBrowser(t)
	do(t, ctx, "open the graph", chromedp.Navigate(url+"#/graph"), chromedp.WaitVisible(chromedp.CSS("#graph g.node")))

	// Every node but the tests is drawn.
	drawn := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#graph g.node')).map(g => kiln.data.nodes[+g.getAttribute('data-key')].id).sort()`)
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
	checkSelectorParity(t, ctx, g, results)

	// Selecting a node highlights its ancestors and descendants.
	do(t, ctx, "select int_products", chromedp.Click(chromedp.CSS(`#graph g.node[data-key="`+nodeIndex(g, "model.bottleneck.int_products")+`"]`)))
	if up := eval[int](t, ctx, `document.querySelectorAll('#graph g.node.up').length`); up != 6 {
		t.Errorf("int_products has %d ancestors highlighted, want 6 (3 sources, 3 staging models)", up)
	}
	if down := eval[int](t, ctx, `document.querySelectorAll('#graph g.node.down').length`); down < 8 {
		t.Errorf("int_products has %d descendants highlighted, want at least 8", down)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, dir, "docs-graph.png", shot)
	// Picking a column shows its upstream and downstream columns.
	do(t, ctx, "pick int_products.price", chromedp.Click(chromedp.CSS(`#graph-panel button[data-col="price"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#graph g.kind-column`)))
	cols := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#graph g.kind-column title')).map(t => t.textContent).sort()`)
	for _, c := range []string{"raw.erp.price", "stg_erp.price", "int_products.price", "revenue_by_product.price", "revenue_by_product.revenue"} {
		if !contains(cols, c) {
			t.Errorf("column graph of int_products.price lacks %s: %v", c, cols)
		}
	}

	// The search finds a model; a click opens its page with its columns and
	// their lineage.
	do(t, ctx, "search", chromedp.Navigate(url+"#/"), chromedp.SendKeys(chromedp.CSS("#search"), "revenue_by"),
		chromedp.WaitVisible(chromedp.CSS(`#tree a.item[data-id="model.bottleneck.revenue_by_product"]`)),
		chromedp.Click(chromedp.CSS(`#tree a.item[data-id="model.bottleneck.revenue_by_product"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#columns tr.col-row[data-col="revenue"]`)))
	row := eval[string](t, ctx, `document.querySelector('#columns tr.col-row[data-col="revenue"]').textContent`)
	for _, w := range []string{"int_products.price", "int_products.total_sales", "DECIMAL", "Price (ERP) times units sold (web)"} {
		if !strings.Contains(row, w) {
			t.Errorf("revenue row %q lacks %q", row, w)
		}
	}
	do(t, ctx, "revenue lineage", chromedp.Click(chromedp.CSS(`#columns tr.col-row[data-col="revenue"] button.col-name`)),
		chromedp.WaitVisible(chromedp.CSS("#lineage-origins")))
	origins := eval[string](t, ctx, `document.querySelector('#lineage-origins').textContent`)
	upstream := eval[string](t, ctx, `document.querySelector('#lineage-upstream').textContent`)
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
	do(t, ctx, "tall viewport", chromedp.EmulateViewport(1400, 2200))
	shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, dir, "docs-revenue_by_product.png", shot)
	do(t, ctx, "viewport", chromedp.EmulateViewport(1400, 1000))

	// The run timeline and the tests' expected and actual results.
	do(t, ctx, "run page", chromedp.Navigate(url+"#/run"), chromedp.WaitVisible(chromedp.CSS("#run-timeline rect.bar")))
	bars := eval[int](t, ctx, `document.querySelectorAll('#run-timeline rect.bar').length`)
	rows := eval[int](t, ctx, `document.querySelectorAll('#run-tests tr[data-id]').length`)
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
	if table := eval[string](t, ctx, `document.querySelector('#run-tests').textContent`); warned == "" || !strings.Contains(table, warned) {
		t.Errorf("the tests table lacks the warning's actual result %q: %q", warned, table)
	}
	shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, dir, "docs-run.png", shot)

	// A description and a column name holding <script> show as text.
	do(t, ctx, "probe page", chromedp.Navigate(url+"#/node/model.bottleneck.probe_escaping"), chromedp.WaitVisible(chromedp.CSS("#node-description")))
	desc := eval[string](t, ctx, `document.querySelector('#node-description').textContent`)
	if !strings.Contains(desc, `<script>alert("description")</script>`) || !strings.Contains(desc, "bold") {
		t.Errorf("description shows %q", desc)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('script').length`); n != 2 {
		t.Errorf("%d script elements, want the page's 2", n)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#node-description strong').length`); n != 1 {
		t.Errorf("**bold** renders as %d <strong>", n)
	}
	colName := eval[string](t, ctx, `document.querySelector('#columns tr.col-row:nth-child(3) button').textContent`)
	if colName != `<script>alert('column')</script>` {
		t.Errorf("column name shows %q", colName)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.problems {
		t.Error(p)
	}
	for _, r := range s.requests {
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
func checkSelectorParity(t *testing.T, ctx context.Context, g *graph.Graph, rr *artifact.RunResults) {
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
		got := eval[[]string](t, ctx, fmt.Sprintf("kiln.select(%q, %q).sort()", c[0], c[1]))
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
	ctx, s := newBrowser(t)
	do(t, ctx, "open the graph", chromedp.Navigate(url+"#/graph"), chromedp.WaitVisible(chromedp.CSS("#graph .notice")))
	if n := eval[int](t, ctx, `document.querySelectorAll('#graph g.node').length`); n != 0 {
		t.Errorf("%d nodes drawn without a selection", n)
	}
	t.Logf("graph notice in %.0f ms", eval[float64](t, ctx, "kiln.renderMs"))
	do(t, ctx, "a neighbourhood", chromedp.Navigate(url+"#/graph?node=model.big.m0555"), chromedp.WaitVisible(chromedp.CSS("#graph g.node.sel")))
	n := eval[int](t, ctx, `document.querySelectorAll('#graph g.node').length`)
	if n < 10 || n > 400 {
		t.Errorf("%d nodes drawn around m0555, want 10 to 400", n)
	}
	t.Logf("neighbourhood of %d nodes in %.0f ms", n, eval[float64](t, ctx, "kiln.renderMs"))
	do(t, ctx, "a filter", chromedp.Navigate(url+"#/graph?select=%2Bm0555"), chromedp.WaitVisible(chromedp.CSS("#graph g.node")))
	want := eval[int](t, ctx, `kiln.select("+m0555", "").filter(id => !id.startsWith("test.")).length`)
	if got := eval[int](t, ctx, `document.querySelectorAll('#graph g.node').length`); got != want {
		t.Errorf("+m0555 draws %d nodes, want %d", got, want)
	}
	t.Logf("+m0555: %d nodes in %.0f ms", want, eval[float64](t, ctx, "kiln.renderMs"))
	do(t, ctx, "a column", chromedp.Navigate(url+"#/node/model.big.m0999?column=a"), chromedp.WaitVisible(chromedp.CSS("#lineage-origins")))
	origins := eval[string](t, ctx, `document.querySelector('#lineage-origins').textContent`)
	if !strings.Contains(origins, "base.a") || !strings.Contains(origins, "base.c") {
		t.Errorf("origins of m0999.a: %q", origins)
	}
	t.Logf("page of m0999 with the lineage of a in %.0f ms", eval[float64](t, ctx, "kiln.renderMs"))
	do(t, ctx, "search", chromedp.Navigate(url+"#/"), chromedp.SendKeys(chromedp.CSS("#search"), "m0777"),
		chromedp.WaitVisible(chromedp.CSS(`#tree a.item[data-id="model.big.m0777"]`)))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.problems {
		t.Error(p)
	}
}

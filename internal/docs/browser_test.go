package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/tools/txtar"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/testenv/browsertest"
)

// withNodes returns the fixture's input with extra nodes in its graph: kinds
// the compiler does not make yet stand for the ones it will.
func withNodes(t *testing.T, in *Input, extra ...*graph.Node) *Input {
	t.Helper()
	g, err := graph.New(append(in.Manifest.Graph.Nodes(), extra...))
	if err != nil {
		t.Fatal(err)
	}
	m := *in.Manifest
	m.Graph = g
	out := *in
	out.Manifest = &m
	return &out
}

func synthetic(kind graph.Kind, name string, parent graph.ID) *graph.Node {
	return &graph.Node{ID: graph.ID(string(kind) + ".shop." + name), Kind: kind, Name: name, Package: "shop",
		Path: "models/marts/_" + string(kind) + ".yml", FQN: []string{"shop", name}, DependsOn: []graph.ID{parent},
		Config: graph.Config{Enabled: true}, Description: "A synthetic " + string(kind) + "."}
}

// writePage renders in to a temporary index.html and returns its URL.
func writePage(t *testing.T, in *Input) string {
	t.Helper()
	dir := t.TempDir()
	if err := Write(dir, in); err != nil {
		t.Fatal(err)
	}
	return "file://" + filepath.Join(dir, IndexFile)
}

// rgb is "#rrggbb" as CSS computes it: "rgb(r, g, b)".
func rgb(hex string) string {
	v, _ := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	return fmt.Sprintf("rgb(%d, %d, %d)", v>>16, v>>8&0xff, v&0xff)
}

const titlePxJS = `Math.min(...Array.from(document.querySelectorAll('#graph g.node text.title')).map(e => parseFloat(getComputedStyle(e).fontSize) * e.getScreenCTM().a))`

// exposureFiles add to the shop a snapshot and an exposure, as a project
// declares them.
var exposureFiles = []txtar.File{{Name: "models/marts/_exposures.yml", Data: []byte(`version: 2
snapshots:
  - name: customers_history
    relation: ref('stg_customers')
    config: {unique_key: customer_id, strategy: check, check_cols: all}
exposures:
  - name: revenue_dashboard
    label: Revenue
    type: dashboard
    maturity: high
    url: https://bi.shop.example/revenue
    owner: {name: Ann, email: ann@shop.example}
    depends_on: ["ref('customer_revenue')", "ref('customers_history')"]
`)}}

// TestPageInBrowser opens the shop's docs in Chromium at 1400 x 900 with
// a snapshot and an exposure that the project declares, and a node of a
// kind the page knows nothing of (a widget). Each shows in the graph, the
// list and the overview with its own colour; the exposure's page says
// what it is and who owns it. A column name typed in the search lists the
// nodes that have the column. A graph too wide to fit at a readable size
// starts at a readable size, and "fit" then shows it whole.
func TestPageInBrowser(t *testing.T) {
	f := loadFixture(t, "testdata/shop.txtar", exposureFiles...)
	base := f.input(t, true)
	in := withNodes(t, base, synthetic("widget", "revenue_board", "model.shop.customer_revenue"))
	s := buildSite(in)
	kinds := map[graph.Kind]siteKind{}
	for _, k := range s.Kinds {
		kinds[k.Kind] = k
	}
	url := writePage(t, in)
	b := browsertest.Start(t, 1400, 900)
	browsertest.Do(t, b, "open the graph", chromedp.Navigate(url+"#/graph"), chromedp.WaitVisible(chromedp.CSS("#graph g.node")))

	if px := browsertest.Eval[float64](t, b, titlePxJS); px < 11 {
		t.Errorf("node titles at %.2f px, want 11 or more", px)
	}
	strokes := map[string]string{}
	for _, kind := range []graph.Kind{graph.Exposure, graph.Snapshot, "widget", graph.Model, graph.Source} {
		k, ok := kinds[kind]
		if !ok {
			t.Fatalf("no style for %s in %v", kind, s.Kinds)
		}
		stroke := browsertest.Eval[string](t, b, fmt.Sprintf(`Array.from(document.querySelectorAll('#graph g.node')).filter(g => kiln.data.nodes[+g.getAttribute('data-key')].kind === %q).map(g => getComputedStyle(g.querySelector('rect')).stroke).join(' ')`, kind))
		if stroke == "" || strings.Trim(strings.ReplaceAll(stroke, rgb(k.Color), ""), " ") != "" {
			t.Errorf("%s nodes drawn with stroke %q, want %s (%s)", kind, stroke, rgb(k.Color), k.Color)
		}
		strokes[stroke] = string(kind)
		dot := browsertest.Eval[string](t, b, fmt.Sprintf(`getComputedStyle(document.querySelector('#tree details[data-kind=%q] summary .dot')).backgroundColor`, kind))
		summary := browsertest.Eval[string](t, b, fmt.Sprintf(`document.querySelector('#tree details[data-kind=%q] summary').textContent`, kind))
		if dot != rgb(k.Color) || !strings.HasPrefix(summary, k.Title+" (") {
			t.Errorf("the list shows %s as %q with a %s dot, want %q and %s", kind, summary, dot, k.Title, rgb(k.Color))
		}
	}
	if len(strokes) != 5 {
		t.Errorf("five kinds share colours: %v", strokes)
	}
	// Every node but the tests is drawn.
	shown := browsertest.Eval[int](t, b, `document.querySelectorAll('#graph g.node').length`)
	if want := len(in.Manifest.Graph.Nodes()) - 3; shown != want { // tests are hidden
		t.Errorf("the graph shows %d nodes, want %d", shown, want)
	}
	browsertest.Do(t, b, "open the exposure", chromedp.Navigate(url+"#/node/exposure.shop.revenue_dashboard"), chromedp.WaitVisible(chromedp.CSS("#exposure")))
	if got := browsertest.Eval[string](t, b, `document.querySelector('#exposure').innerText.replace(/\s+/g, ' ')`); got != "type dashboard label Revenue maturity high owner Ann <ann@shop.example> url https://bi.shop.example/revenue" {
		t.Errorf("the exposure's page says %q", got)
	}
	deps := browsertest.Eval[string](t, b, `document.querySelector('main').innerText`)
	for _, want := range []string{"customer_revenue", "customers_history"} {
		if !strings.Contains(deps, want) {
			t.Errorf("the exposure's page does not name %s", want)
		}
	}
	if k := kinds["widget"]; k.Title != "Widgets" || k.Check {
		t.Errorf("widget style %+v", k)
	}

	// The overview counts every kind.
	browsertest.Do(t, b, "overview", chromedp.Navigate(url+"#/"), chromedp.WaitVisible(chromedp.CSS(`.card[data-kind="widget"]`)))
	cards := browsertest.Eval[string](t, b, `Array.from(document.querySelectorAll('.card[data-kind]')).map(c => c.getAttribute('data-kind') + '=' + c.querySelector('b').textContent).join(' ')`)
	if cards != "model=4 snapshot=1 source=2 exposure=1 widget=1 test=3" {
		t.Errorf("overview cards %q", cards)
	}

	// A column name finds the nodes that have the column.
	for _, col := range []string{"customer_id", "AMOUNT"} {
		var want []string
		for _, n := range s.Nodes {
			for _, c := range n.Columns {
				if strings.EqualFold(c.Name, col) {
					want = append(want, string(n.ID))
				}
			}
		}
		sort.Strings(want)
		browsertest.Eval[bool](t, b, `(() => { const s = document.querySelector('#search'); s.value = ''; s.dispatchEvent(new Event('input')); return true; })()`)
		browsertest.Do(t, b, "search "+col, chromedp.SendKeys(chromedp.CSS("#search"), col), chromedp.WaitVisible(chromedp.CSS("#tree a.item .muted")))
		// Hits by column say which column; the others match by name.
		got := browsertest.Eval[[]string](t, b, `Array.from(document.querySelectorAll('#tree a.item')).filter(a => a.querySelector('.muted')).map(a => a.getAttribute('data-id')).sort()`)
		why := browsertest.Eval[[]string](t, b, `Array.from(new Set(Array.from(document.querySelectorAll('#tree a.item .muted')).map(s => s.textContent)))`)
		byName := browsertest.Eval[[]string](t, b, `Array.from(document.querySelectorAll('#tree a.item')).filter(a => !a.querySelector('.muted')).map(a => a.textContent)`)
		if len(want) < 2 || strings.Join(got, " ") != strings.Join(want, " ") || len(why) != 1 || !strings.EqualFold(why[0], " · "+col) {
			t.Errorf("search %q lists by column %v (%q), want the nodes with the column: %v", col, got, why, want)
		}
		for _, name := range byName {
			if !strings.Contains(strings.ToLower(name), strings.ToLower(col)) {
				t.Errorf("search %q lists %q", col, name)
			}
		}
	}

	// A chain of 12 widgets after the shop is too wide to fit readably.
	var chain []*graph.Node
	parent := graph.ID("model.shop.customer_revenue")
	for i := range 12 {
		n := synthetic("widget", fmt.Sprintf("w%02d", i), parent)
		chain, parent = append(chain, n), n.ID
	}
	wide := writePage(t, withNodes(t, base, chain...))
	browsertest.Do(t, b, "open the wide graph", chromedp.Navigate(wide+"#/graph"), chromedp.WaitVisible(chromedp.CSS("#graph g.node")))
	px := browsertest.Eval[float64](t, b, titlePxJS)
	msg := browsertest.Eval[string](t, b, `document.querySelector('#graph-msg').textContent`)
	offscreen := `(() => { const r = document.querySelector('#graph svg').getBoundingClientRect(); return Array.from(document.querySelectorAll('#graph g.node rect')).filter(e => { const b = e.getBoundingClientRect(); return b.left < r.left || b.right > r.right || b.top < r.top || b.bottom > r.bottom; }).length; })()`
	if px < 11 || !strings.Contains(msg, "readable size") || browsertest.Eval[int](t, b, offscreen) == 0 {
		t.Errorf("wide graph: titles at %.2f px, message %q, %d nodes off the canvas; want 11 px or more, a note and some off", px, msg, browsertest.Eval[int](t, b, offscreen))
	}
	browsertest.Do(t, b, "fit", chromedp.Click(chromedp.CSS(`.canvas .zoom button[title="fit the graph"]`)))
	if n := browsertest.Eval[int](t, b, offscreen); n != 0 {
		t.Errorf("after fit, %d nodes are off the canvas", n)
	}

	for _, p := range b.Problems() {
		t.Error(p)
	}
	for _, r := range b.Requests() {
		if !strings.HasPrefix(r, url) && !strings.HasPrefix(r, wide) {
			t.Errorf("the page made a request: %s", r)
		}
	}
	if _, err := os.Stat(strings.TrimPrefix(url, "file://")); err != nil {
		t.Fatal(err)
	}
}

// TestPageDocsConfig: docs.show false (the YAML property) leaves a model
// out of the list and draws it greyed in the graph, as dbt's docs site
// does; docs.node_color (config: in YAML, +docs in project.yml, merged
// key by key, config() over both) fills the node's box with that colour,
// a hex code or a CSS name; text on a dark colour is light.
func TestPageDocsConfig(t *testing.T) {
	f := loadFixture(t, "testdata/shop.txtar", txtar.File{Name: "models/staging/_staging.yml", Data: []byte(`version: 2
models:
  - name: stg_customers
    docs: {show: false}
  - name: stg_orders
    config:
      docs: {node_color: "#cd7f32"}
`)}, txtar.File{Name: "project.yml", Data: []byte(`name: shop
models:
  shop:
    +materialized: table
    staging:
      +schema: staging
      +materialized: view
      +docs: {node_color: navy}
    marts:
      +schema: marts
      +docs: {node_color: gold}
`)}, txtar.File{Name: "models/marts/order_totals.sql", Data: []byte(`{{ config(materialized='ephemeral', docs={'node_color': 'DarkGreen'}) }}
select customer_id, sum(amount) as total, count(*) as orders
from {{ ref('stg_orders') }}
group by all
`)})
	url := writePage(t, f.input(t, true))
	b := browsertest.Start(t, 1400, 900)
	browsertest.Do(t, b, "open the graph", chromedp.Navigate(url+"#/graph"), chromedp.WaitVisible(chromedp.CSS("#graph g.node")))
	items := browsertest.Eval[[]string](t, b, `Array.from(document.querySelectorAll('#tree details[data-kind="model"] a.item')).map(a => a.getAttribute('data-id')).sort()`)
	if want := []string{"model.shop.customer_revenue", "model.shop.order_totals", "model.shop.stg_orders"}; strings.Join(items, " ") != strings.Join(want, " ") {
		t.Errorf("the list shows models %v, want %v (stg_customers has docs.show false)", items, want)
	}
	fills := browsertest.Eval[map[string]string](t, b, `Object.fromEntries(Array.from(document.querySelectorAll('#graph g.node')).map(g => [kiln.data.nodes[+g.getAttribute('data-key')].name, getComputedStyle(g.querySelector('rect')).fill + ' ' + getComputedStyle(g.querySelector('rect')).fillOpacity + ' ' + getComputedStyle(g.querySelector('text.title')).fill]))`)
	want := map[string]string{
		"stg_customers":    "rgb(145, 149, 153) 0.5 " + rgb("#1f2328"), // hidden: greyed, still drawn
		"stg_orders":       rgb("#cd7f32") + " 1 " + rgb("#1f2328"),
		"customer_revenue": rgb("#ffd700") + " 1 " + rgb("#1f2328"),
		"order_totals":     rgb("#006400") + " 1 " + rgb("#ffffff"), // config() over +docs; light text
	}
	for name, w := range want {
		if fills[name] != w {
			t.Errorf("%s drawn %q, want %q", name, fills[name], w)
		}
	}
	for _, p := range b.Problems() {
		t.Error(p)
	}
}

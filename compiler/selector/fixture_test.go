package selector

import (
	"sort"
	"sync"
	"testing"
	"testing/fstest"

	"golang.org/x/tools/txtar"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// Names of the shop project's tests (testdata/shop.txtar).
const (
	avStatus    = "accepted_values_orders_enriched_status__open__shipped" // on orders_enriched
	kpisMatch   = "assert_kpis_match"                                     // singular: daily_kpis, revenue
	revPositive = "assert_revenue_positive"                               // singular: revenue
	nnLtv       = "not_null_customer_ltv_customer_id"                     // on customer_ltv, tag critical
	nnStgOrders = "not_null_stg_orders_id"                                // on stg_orders
	relRevCust  = "relationships_revenue_customer_id__id__ref_stg_customers_"
	srcNN       = "source_not_null_raw_orders_id" // on source raw.orders
	uqStgCust   = "unique_stg_customers_id"
	uqStgOrders = "unique_stg_orders_id"
)

var fixtures struct {
	sync.Mutex
	graphs map[string]*graph.Graph
}

// shopGraph compiles testdata/shop.txtar once.
func shopGraph(t testing.TB) *graph.Graph { return fixtureGraph(t, "shop") }

// fixtureGraph compiles testdata/<name>.txtar once.
func fixtureGraph(t testing.TB, name string) *graph.Graph {
	t.Helper()
	fixtures.Lock()
	defer fixtures.Unlock()
	if g := fixtures.graphs[name]; g != nil {
		return g
	}
	ar, err := txtar.ParseFile("testdata/" + name + ".txtar")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, f := range ar.Files {
		fsys[f.Name] = &fstest.MapFile{Data: f.Data}
	}
	p, l := project.Load(fsys)
	if l.HasErrors() {
		t.Fatal(l.Err())
	}
	m, l := compiler.Compile(p, compiler.Options{ProjectDir: "/proj", LookupEnv: func(string) (string, bool) { return "", false }})
	if l != nil {
		t.Fatal(l)
	}
	if fixtures.graphs == nil {
		fixtures.graphs = map[string]*graph.Graph{}
	}
	fixtures.graphs[name] = m.Graph
	return m.Graph
}

// names returns the display names of ids (source.table for sources), sorted.
func names(g *graph.Graph, ids []graph.ID) []string {
	out := []string{}
	for _, id := range ids {
		out = append(out, g.Node(id).DisplayName())
	}
	sort.Strings(out)
	return out
}

// allBut returns every node of g but the given names, sorted.
func allBut(g *graph.Graph, but ...string) []string {
	skip := map[string]bool{}
	for _, b := range but {
		skip[b] = true
	}
	var out []string
	for _, n := range g.Nodes() {
		if !skip[n.DisplayName()] {
			out = append(out, n.DisplayName())
		}
	}
	sort.Strings(out)
	return out
}

// fingerprints gives each node of g a fingerprint from its file and config.
func fingerprints(g *graph.Graph) map[graph.ID]Fingerprint {
	out := map[graph.ID]Fingerprint{}
	for _, n := range g.Nodes() {
		out[n.ID] = Fingerprint{Body: n.Checksum + n.RawCode, Config: n.Config.Materialized, Relation: n.Relation.String()}
	}
	return out
}

func copyFP(m map[graph.ID]Fingerprint) map[graph.ID]Fingerprint {
	out := make(map[graph.ID]Fingerprint, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// byName returns the ID of the node named name.
func byName(t testing.TB, g *graph.Graph, name string) graph.ID {
	t.Helper()
	for _, n := range g.Nodes() {
		if n.DisplayName() == name {
			return n.ID
		}
	}
	t.Fatalf("no node %q", name)
	return ""
}

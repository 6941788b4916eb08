package lineage

import (
	"os"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// bottleneck compiles the repository's own project.
func bottleneck(t *testing.T) *graph.Graph {
	t.Helper()
	p, l := project.Load(os.DirFS("../.."))
	if l.HasErrors() {
		t.Fatal(l)
	}
	m, errs := compiler.Compile(p, compiler.Options{ProjectDir: "../.."})
	if errs != nil {
		t.Fatal(errs)
	}
	return m.Graph
}

func projectTrees(t *testing.T, g *graph.Graph) map[graph.ID][]byte {
	var ids []graph.ID
	var sqls []string
	for _, n := range g.Nodes() {
		if n.Kind == graph.Model && n.CompiledCode != "" {
			ids = append(ids, n.ID)
			sqls = append(sqls, n.CompiledCode)
		}
	}
	trees, err := conn.ParseSQL(ctx, sqls)
	if err != nil {
		t.Fatal(err)
	}
	out := map[graph.ID][]byte{}
	for i, id := range ids {
		out[id] = trees[i]
	}
	return out
}

func upstream(p *Project, model, column string) string {
	r := p.Models[graph.ID("model.bottleneck."+model)]
	if r == nil {
		return "no lineage"
	}
	c := r.Lookup(column)
	if c == nil {
		return "no column"
	}
	var s []string
	for _, u := range c.Upstream {
		s = append(s, strings.TrimPrefix(strings.TrimPrefix(u.Node, "model.bottleneck."), "source.bottleneck.")+"."+u.Column)
	}
	return strings.Join(s, " ")
}

// TestBottleNeckWithoutCatalog follows revenue back to the raw sources with
// no database: each model is known by the analysis of its own SQL.
func TestBottleNeckWithoutCatalog(t *testing.T) {
	g := bottleneck(t)
	p := AnalyzeProject(g, projectTrees(t, g), nil)
	if len(p.Errors) > 0 {
		t.Fatal(p.Errors)
	}
	for _, c := range []struct{ model, column, want string }{
		{"revenue_by_product", "revenue", "int_products.price int_products.total_sales"},
		{"int_products", "price", "stg_erp.price"},
		{"int_products", "total_sales", "stg_web.total_sales"},
		{"stg_erp", "price", "raw.erp.price"},
		{"stg_web", "total_sales", "raw.web.total_sales"},
		{"wine_zscores", "z_score", "price_stats.mean_price price_stats.stddev_price revenue_by_product.price"},
		{"price_stats", "mean_price", "revenue_by_product.price"},
		{"kpi_summary", "premium_count", "wine_zscores.is_premium"},
		{"kpi_summary", "products", ""},
		{"stg_erp", "onsale_web", "raw.erp.onsale_web"},
	} {
		if got := upstream(p, c.model, c.column); got != c.want {
			t.Errorf("%s.%s <- %q, want %q", c.model, c.column, got, c.want)
		}
	}
	for id, r := range p.Models {
		if !r.Complete {
			t.Errorf("%s: incomplete lineage", id)
		}
	}
}

// TestAlignWithCatalog: the catalog's names and order win; positions match
// when the counts agree, names otherwise, and a * stands for the rest.
func TestAlignWithCatalog(t *testing.T) {
	res := &Result{Columns: []Column{
		{Name: "(a + 1)", Upstream: []ColumnRef{{"t", "a"}}},
		{Name: "b", Upstream: []ColumnRef{{"t", "b"}}, Direct: true},
	}}
	align(res, []string{"x", "B"})
	if got := format(res); got != "x <- t.a; B = t.b" {
		t.Errorf("positional: %s", got)
	}
	res = &Result{Columns: []Column{
		{Name: "b", Upstream: []ColumnRef{{"t", "b"}}, Direct: true},
		{Name: "*", Upstream: []ColumnRef{{"u", "*"}}, Direct: true},
	}}
	align(res, []string{"b", "c", "d"})
	if got := format(res); got != "b = t.b; c = u.c; d = u.d" || !res.Complete {
		t.Errorf("wildcard: %s", got)
	}
}

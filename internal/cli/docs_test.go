package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsGenerateWithoutDatabase: before any build the docs still show
// the graph and the column lineage, from the SQL and the YAML.
func TestDocsGenerateWithoutDatabase(t *testing.T) {
	dir, _ := newProject(t)
	out := mustKiln(t, 0, dir, "docs", "generate")
	if !strings.Contains(out, "without the database") || !strings.Contains(out, "wrote target/docs/index.html") {
		t.Errorf("output:\n%s", out)
	}
	if fileExists(filepath.Join(dir, "target", "bottleneck.duckdb")) {
		t.Error("docs generate created the database")
	}
	var lj struct {
		Nodes map[string]struct {
			Columns []struct {
				Name     string
				Upstream []struct{ Node, Column string }
			}
		}
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "docs", "lineage.json")), &lj); err != nil {
		t.Fatal(err)
	}
	var got string
	for _, c := range lj.Nodes["model.bottleneck.revenue_by_product"].Columns {
		if c.Name == "revenue" {
			got = fmt.Sprint(c.Upstream)
		}
	}
	if got != "[{model.bottleneck.int_products price} {model.bottleneck.int_products total_sales}]" {
		t.Errorf("revenue <- %s", got)
	}
	var cat struct {
		Metadata map[string]any
		Nodes    map[string]any
		Sources  map[string]any
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "catalog.json")), &cat); err != nil {
		t.Fatal(err)
	}
	if cat.Metadata["dbt_schema_version"] != "https://schemas.getdbt.com/dbt/catalog/v1.json" || len(cat.Nodes)+len(cat.Sources) != 0 {
		t.Errorf("catalog without a database: %+v", cat)
	}
}

// TestDocsGenerateCatalog: after a build, catalog.json has every relation
// (models, seeds, snapshots, sources) with its columns, types and row
// counts.
func TestDocsGenerateCatalog(t *testing.T) {
	dir, exp := newProject(t)
	mustKiln(t, 0, dir, "build")
	out := mustKiln(t, 0, dir, "docs", "generate")
	if strings.Contains(out, "warning") {
		t.Errorf("warnings:\n%s", out)
	}
	var cat struct {
		Nodes, Sources map[string]struct {
			Metadata struct{ Type, Schema, Name string }
			Columns  map[string]struct {
				Type  string
				Index int
			}
			Stats map[string]struct{ Value any }
		}
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "catalog.json")), &cat); err != nil {
		t.Fatal(err)
	}
	rev := cat.Nodes["model.bottleneck.revenue_by_product"]
	if rev.Metadata.Schema != "marts" || rev.Metadata.Type != "BASE TABLE" || rev.Columns["revenue"].Index != 6 ||
		!strings.HasPrefix(rev.Columns["revenue"].Type, "DECIMAL") || fmt.Sprint(rev.Stats["row_count"].Value) != fmt.Sprint(exp.Joined) {
		t.Errorf("revenue_by_product in the catalog: %+v", rev)
	}
	// Snapshots are in dbt's catalog too (trial B, session 15: missing).
	snap := cat.Nodes["snapshot.bottleneck.erp_price_history"]
	if snap.Metadata.Schema != "history" || snap.Metadata.Type != "BASE TABLE" || snap.Columns["dbt_scd_id"].Type == "" || snap.Columns["first_month"].Index != 4 {
		t.Errorf("erp_price_history in the catalog: %+v", snap)
	}
	if _, ok := cat.Nodes["model.bottleneck.price_stats"]; ok {
		t.Error("the ephemeral price_stats is in the catalog")
	}
	if len(cat.Sources) != 3 {
		t.Errorf("%d sources in the catalog, want 3", len(cat.Sources))
	}
	code, _, errOut := kiln(t, dir, "docs", "generate", "--empty-catalog")
	if code != 0 || !strings.Contains(errOut, "--empty-catalog") {
		t.Errorf("--empty-catalog: exit %d\n%s", code, errOut)
	}
}

func TestDocsServeNeedsGenerate(t *testing.T) {
	dir, _ := newProject(t)
	code, _, errOut := kiln(t, dir, "docs", "serve", "--port", "0")
	if code != ExitCannotStart || !strings.Contains(errOut, "run kiln docs generate first") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
	code, _, errOut = kiln(t, dir, "docs", "serve", "--port", "70000")
	if code != ExitCannotStart || !strings.Contains(errOut, "not a port number") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}

// writeLargeProject writes a project of n table models in layers of 100
// over a seed, each model reading one or two models of earlier layers
// through CTEs, a `*`, a join USING, a window and expressions, with YAML
// descriptions and two tests per model.
func writeLargeProject(tb testing.TB, dir string, n int) {
	tb.Helper()
	write := func(name, text string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	write("project.yml", "name: big\nmodels:\n  big:\n    +materialized: table\n")
	var csv strings.Builder
	csv.WriteString("id,k,a,b,c\n")
	for i := range 10 {
		fmt.Fprintf(&csv, "%d,%d,%d,%d,%d\n", i, i%3, i*2, i*3, i*4)
	}
	write("seeds/base.csv", csv.String())
	r := rand.New(rand.NewPCG(1, 2))
	const width = 100
	yml := map[int]*strings.Builder{}
	for i := range n {
		layer := i / width
		name := fmt.Sprintf("m%04d", i)
		var sql string
		if layer == 0 {
			sql = "select id, k, a * 2 as a, b, c + 1 as c, 'x' as tag from {{ ref('base') }}\n"
		} else {
			p1 := fmt.Sprintf("m%04d", (layer-1)*width+r.IntN(width))
			p2 := fmt.Sprintf("m%04d", r.IntN(layer*width))
			sql = fmt.Sprintf(`with a as (select * from {{ ref('%s') }}),
b as (select id, sum(c) over (partition by k) as w from {{ ref('%s') }})
select a.id, a.k, a.a + b.w as a, a.b, coalesce(a.c, 0) as c, a.tag
from a join b using (id)
`, p1, p2)
		}
		write(fmt.Sprintf("models/layer_%02d/%s.sql", layer, name), sql)
		y := yml[layer]
		if y == nil {
			y = &strings.Builder{}
			y.WriteString("version: 2\nmodels:\n")
			yml[layer] = y
		}
		fmt.Fprintf(y, "  - name: %s\n    description: Model %d of layer %d, **generated**.\n    columns:\n      - name: id\n        data_tests: [unique, not_null]\n      - name: a\n        description: The `a` measure.\n", name, i, layer)
	}
	for layer, y := range yml {
		write(fmt.Sprintf("models/layer_%02d/_models.yml", layer), y.String())
	}
}

// BenchmarkDocsGenerate1000 measures kiln docs generate on 1,000 models
// (and 2,000 tests), without and with the database of a build.
func BenchmarkDocsGenerate1000(b *testing.B) {
	for _, withDB := range []bool{false, true} {
		b.Run(fmt.Sprintf("catalog=%v", withDB), func(b *testing.B) {
			dir := b.TempDir()
			writeLargeProject(b, dir, 1000)
			if withDB {
				benchKiln(b, dir, "seed")
				benchKiln(b, dir, "run")
			}
			b.ResetTimer()
			for b.Loop() {
				benchKiln(b, dir, "docs", "generate")
			}
			b.StopTimer()
			st, err := os.Stat(filepath.Join(dir, "target", "docs", "index.html"))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(st.Size())/1e6, "MB-html")
		})
	}
}

func benchKiln(b *testing.B, dir string, args ...string) {
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), append([]string{"--project-dir", dir}, args...), strings.NewReader(""), &out, &errOut); code != 0 {
		b.Fatalf("kiln %s: exit %d\n%s", strings.Join(args, " "), code, errOut.String())
	}
}

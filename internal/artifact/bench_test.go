package artifact

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// synthetic builds a project of size nodes: 1% sources, 39% models
// (each reading one to three earlier models or sources, with five
// documented columns and a few hundred bytes of SQL) and 60% generic tests.
func synthetic(tb testing.TB, size int) *compiler.Manifest {
	tb.Helper()
	var nodes []*graph.Node
	var upstream []*graph.Node
	nSources, nModels := size/100, size*39/100
	for i := range nSources {
		name := fmt.Sprintf("t%04d", i)
		n := &graph.Node{
			ID: graph.ID("source.big.raw." + name), Kind: graph.Source, Name: name, Package: "big",
			Path: "models/sources.yml", FQN: []string{"big", "raw", name},
			Config:   graph.Config{Enabled: true, Extra: map[string]any{}},
			Relation: sqlq.Relation{Schema: "raw", Name: name},
			Source: &graph.SourceInfo{SourceName: "raw", Identifier: name, External: &graph.External{
				Location: "data/" + name + ".xlsx", Format: "xlsx", Sheet: "Sheet1",
			}},
		}
		nodes = append(nodes, n)
		upstream = append(upstream, n)
	}
	cols := []graph.Column{{Name: "id", DataType: "integer"}, {Name: "name"}, {Name: "amount", Description: "in euros"}, {Name: "day"}, {Name: "country"}}
	var models []*graph.Node
	for i := range nModels {
		name := fmt.Sprintf("m%05d", i)
		var deps []graph.ID
		var refs, srcs []graph.Ref
		var from []string
		for j := range 1 + i%3 {
			p := upstream[(i*7+j*13)%len(upstream)]
			if p.Kind == graph.Source {
				srcs = append(srcs, graph.Ref{Package: "raw", Name: p.Name})
			} else {
				refs = append(refs, graph.Ref{Package: "big", Name: p.Name})
			}
			deps = append(deps, p.ID)
			from = append(from, p.Relation.String())
		}
		deps = uniqueSorted(deps)
		sql := "select id, name, sum(amount) as amount, day, country\nfrom " + strings.Join(from, "\njoin ") +
			"\nwhere amount is not null and country in ('FR', 'BE', 'CH')\ngroup by all\norder by day desc, id\n"
		n := &graph.Node{
			ID: graph.ID("model.big." + name), Kind: graph.Model, Name: name, Package: "big",
			Path: "models/layer" + fmt.Sprint(i%10) + "/" + name + ".sql", FQN: []string{"big", "layer" + fmt.Sprint(i%10), name},
			Description: "model " + name, RawCode: sql, CompiledCode: sql, Checksum: sha(sql),
			Config: graph.Config{Enabled: true, Materialized: "table", Schema: "marts", Tags: []string{"nightly"}, Meta: map[string]any{"owner": "data"}, Extra: map[string]any{}},
			Refs:   refs, SourceRef: srcs, DependsOn: deps,
			Relation: sqlq.Relation{Schema: "marts", Name: name}, Columns: cols,
		}
		nodes = append(nodes, n)
		models = append(models, n)
		upstream = append(upstream, n)
	}
	for i := 0; len(nodes) < size; i++ {
		on := models[i%len(models)]
		test := []string{"unique", "not_null"}[i/len(models)%2]
		name := fmt.Sprintf("%s_%s_id_%d", test, on.Name, i)
		sql := "select id from " + on.Relation.String() + " where id is null\n"
		nodes = append(nodes, &graph.Node{
			ID: graph.ID("test.big." + name + ".0123456789"), Kind: graph.Test, Name: name, Package: "big",
			Path: "models/schema.yml", FQN: []string{"big", name}, CompiledCode: sql, Checksum: sha(name),
			Config:    graph.Config{Enabled: true, Materialized: "test", Severity: "error", Extra: map[string]any{}},
			DependsOn: []graph.ID{on.ID}, Macros: []string{"big.test_" + test},
			Test: &graph.TestInfo{Generic: test, Kwargs: map[string]any{}, ColumnName: "id", Attached: on.ID},
		})
	}
	g, err := graph.New(nodes)
	if err != nil {
		tb.Fatal(err)
	}
	p := &project.Project{Config: project.Config{Name: "big", ModelPaths: []string{"models"}, SeedPaths: []string{"seeds"}, TestPaths: []string{"tests"}}}
	return &compiler.Manifest{Project: p, Graph: g}
}

func uniqueSorted(ids []graph.ID) []graph.ID {
	seen := map[graph.ID]bool{}
	var out []graph.ID
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func BenchmarkWriteManifest10k(b *testing.B) {
	m := synthetic(b, 10000)
	meta := testMeta()
	dir := b.TempDir()
	b.ResetTimer()
	for b.Loop() {
		if err := WriteManifest(dir, m, meta); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFingerprints10k(b *testing.B) {
	m := synthetic(b, 10000)
	b.ResetTimer()
	for b.Loop() {
		if fps := Fingerprints(m, nil); len(fps) != 10000 {
			b.Fatalf("%d fingerprints", len(fps))
		}
	}
}

func BenchmarkWriteCompiled10k(b *testing.B) {
	m := synthetic(b, 10000)
	dir := b.TempDir()
	b.ResetTimer()
	for b.Loop() {
		if err := WriteCompiled(dir, m, 8); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSyntheticManifest checks the benchmark's project is a valid graph
// whose manifest round-trips.
func TestSyntheticManifest(t *testing.T) {
	m := synthetic(t, 1000)
	if m.Graph.Len() != 1000 {
		t.Fatalf("%d nodes", m.Graph.Len())
	}
	dir := t.TempDir()
	if err := WriteManifest(dir, m, testMeta()); err != nil {
		t.Fatal(err)
	}
	read, err := ReadManifestFingerprints(dir + "/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "fingerprints", len(read), 1000)
	eq(t, "macro dep", obj(t, readJSON(t, dir+"/manifest.json"), "nodes", "test.big.unique_m00000_id_0.0123456789", "depends_on")["macros"], []string{"macro.big.test_unique"})
}

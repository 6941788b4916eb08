package selector

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/kiln-build/kiln/compiler/graph"
)

// bigGraph returns a project-like graph of about n nodes: sources, then
// models in folders each reading up to three earlier nodes, a tag "x" on one
// model in a hundred, and a test on every third model (some with a second
// parent).
func bigGraph(n int) *graph.Graph {
	r := rand.New(rand.NewSource(7))
	var nodes []*graph.Node
	var models []graph.ID
	for i := 0; i < n/20; i++ {
		id := graph.ID(fmt.Sprintf("source.big.raw.t%d", i))
		nodes = append(nodes, &graph.Node{ID: id, Kind: graph.Source, Name: fmt.Sprintf("t%d", i), Package: "big",
			FQN: []string{"big", "raw", fmt.Sprintf("t%d", i)}, Path: "models/sources.yml", Config: graph.Config{Enabled: true},
			Source: &graph.SourceInfo{SourceName: "raw"}})
		models = append(models, id)
	}
	for i := 0; len(nodes) < n; i++ {
		name := fmt.Sprintf("m%d", i)
		dir := fmt.Sprintf("f%d", i%30)
		nd := &graph.Node{ID: graph.ID("model.big." + name), Kind: graph.Model, Name: name, Package: "big",
			FQN: []string{"big", dir, name}, Path: "models/" + dir + "/" + name + ".sql",
			Config: graph.Config{Enabled: true, Materialized: "table", Tags: []string{dir}}}
		if r.Intn(100) == 0 {
			nd.Config.Tags = append(nd.Config.Tags, "x")
		}
		for k := 1 + r.Intn(3); k > 0; k-- {
			p := models[len(models)-1-r.Intn(min(len(models), 200))]
			if len(nd.DependsOn) == 0 || nd.DependsOn[0] != p {
				nd.DependsOn = append(nd.DependsOn, p)
			}
		}
		nodes = append(nodes, nd)
		models = append(models, nd.ID)
		if i%3 == 0 {
			deps := []graph.ID{nd.ID}
			if r.Intn(4) == 0 {
				deps = append(deps, models[r.Intn(len(models)-1)])
			}
			nodes = append(nodes, &graph.Node{ID: graph.ID("test.big.unique_" + name), Kind: graph.Test, Name: "unique_" + name,
				Package: "big", FQN: []string{"big", dir, "unique_" + name}, Path: "models/" + dir + "/schema.yml",
				DependsOn: deps, Config: graph.Config{Enabled: true, Severity: "error"}, Test: &graph.TestInfo{Generic: "unique", Attached: nd.ID}})
		}
	}
	g, err := graph.New(nodes)
	if err != nil {
		panic(err)
	}
	return g
}

// BenchmarkSelect10k selects on a 10,000-node graph. "cold" rebuilds the
// graph index each time, as a command's first selection does.
func BenchmarkSelect10k(b *testing.B) {
	g := bigGraph(10000)
	for _, c := range []struct {
		name     string
		sel, exc []string
		mode     string
		cold     bool
	}{
		{name: "tag:x+", sel: []string{"tag:x+"}},
		{name: "tag:x+/cold", sel: []string{"tag:x+"}, cold: true},
		{name: "+tag:x+/buildable", sel: []string{"+tag:x+"}, mode: Buildable},
		{name: "@tag:x/cautious", sel: []string{"@tag:x"}, mode: Cautious},
		{name: "stg_*,path:models/f1", sel: []string{"m1*,path:models/f1"}},
		{name: "all--exclude=2+f3", exc: []string{"2+f3"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			opt := Options{Indirect: c.mode}
			n := 0
			for b.Loop() {
				if c.cold {
					lastIndex.Lock()
					lastIndex.g = nil
					lastIndex.Unlock()
				}
				ids, err := Select(g, c.sel, c.exc, opt)
				if err != nil {
					b.Fatal(err)
				}
				n = len(ids)
			}
			b.ReportMetric(float64(n), "nodes")
		})
	}
}

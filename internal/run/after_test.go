package run

import (
	"fmt"
	"testing"

	"github.com/kiln-build/kiln/compiler/graph"
)

// A source over the relation a seed writes (Node.After): its readers wait
// for the seed and the seed's tests when the seed is planned, and for
// nothing when it is not; the seed gains no child.
func TestSourceReadersWaitForTheWriter(t *testing.T) {
	on := graph.Config{Enabled: true}
	nodes := []*graph.Node{
		{ID: "seed.p.raw", Kind: graph.Seed, Name: "raw", Config: on, Seed: &graph.SeedInfo{}},
		{ID: "test.p.raw_unique", Kind: graph.Test, Name: "raw_unique", Config: on, Test: &graph.TestInfo{}, DependsOn: []graph.ID{"seed.p.raw"}},
		{ID: "source.p.s.raw", Kind: graph.Source, Name: "raw", Config: on, Source: &graph.SourceInfo{}, After: []graph.ID{"seed.p.raw"}},
		{ID: "model.p.a", Kind: graph.Model, Name: "a", Config: graph.Config{Enabled: true, Materialized: "table"}, DependsOn: []graph.ID{"source.p.s.raw"}},
	}
	g, err := graph.New(nodes)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(g.Children("seed.p.raw")); got != "[test.p.raw_unique]" {
		t.Errorf("the seed's children are %s: After is no dependency", got)
	}
	p := NewPlan(g, g.Order())
	if got, want := fmt.Sprint(p.Waits("model.p.a")), "[seed.p.raw test.p.raw_unique]"; got != want {
		t.Errorf("model a waits for %s, want %s", got, want)
	}
	p = NewPlan(g, []graph.ID{"model.p.a"})
	if got := p.Waits("model.p.a"); len(got) != 0 {
		t.Errorf("with the seed left out, model a waits for %v", got)
	}
	_, res := runAll(t, g, 4, map[string]Status{"seed.p.raw": Error}, Options{})
	if res["model.p.a"].SkippedBy != "seed.p.raw" {
		t.Errorf("a failed seed does not skip the source's reader: %+v", res["model.p.a"])
	}
}

package state

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// randomGraph builds a DAG of n nodes: file-backed sources first, then
// models over earlier nodes, and tests on models.
func randomGraph(r *rand.Rand, n int) []*graph.Node {
	var nodes []*graph.Node
	for i := 0; i < n; i++ {
		id := graph.ID(fmt.Sprintf("model.p.m%03d", i))
		node := &graph.Node{ID: id, Kind: graph.Model, Name: string(id), CompiledCode: fmt.Sprintf("select %d", i),
			Config: graph.Config{Enabled: true, Materialized: "table"}, Relation: sqlq.Relation{Schema: "main", Name: fmt.Sprintf("m%03d", i)}}
		switch {
		case i < 3:
			node.ID = graph.ID(fmt.Sprintf("source.p.raw.s%d", i))
			node.Kind = graph.Source
			node.CompiledCode = ""
			node.Source = &graph.SourceInfo{SourceName: "raw", External: &graph.External{Path: fmt.Sprintf("s%d.xlsx", i)}}
		case i%5 == 4:
			node.ID = graph.ID(fmt.Sprintf("test.p.t%03d", i))
			node.Kind = graph.Test
			node.Test = &graph.TestInfo{Generic: "not_null"}
			node.DependsOn = []graph.ID{nodes[r.IntN(len(nodes))].ID}
		default:
			for k := 0; k < 1+r.IntN(3); k++ {
				p := nodes[r.IntN(len(nodes))]
				if p.Kind != graph.Test {
					node.DependsOn = append(node.DependsOn, p.ID)
				}
			}
		}
		nodes = append(nodes, node)
	}
	return nodes
}

// own is the nodes' own fingerprints of a random graph: their code, their
// tags, and a source's input file, run together.
func own(nodes []*graph.Node, inputs map[graph.ID]string) map[graph.ID]string {
	out := map[graph.ID]string{}
	for _, n := range nodes {
		out[n.ID] = fmt.Sprint(n.CompiledCode, n.Config.Tags, inputs[n.ID])
	}
	return out
}

// Property: after random edits (a model's SQL, a config, an input file),
// a node is up to date if and only if neither it nor any ancestor was
// edited. In particular no node whose inputs changed is ever skipped.
func TestUpToDateIffNothingUpstreamChanged(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	for trial := 0; trial < 300; trial++ {
		nodes := randomGraph(r, 5+r.IntN(40))
		g, err := graph.New(nodes)
		if err != nil {
			t.Fatal(err)
		}
		inputs := map[graph.ID]string{}
		for _, n := range nodes {
			if n.Kind == graph.Source {
				inputs[n.ID] = "sha-" + string(n.ID)
			}
		}
		stored := Fingerprints(g, own(nodes, inputs))

		edited := map[graph.ID]bool{}
		for e := 0; e < 1+r.IntN(3); e++ {
			n := nodes[r.IntN(len(nodes))]
			edited[n.ID] = true
			switch {
			case n.Kind == graph.Source:
				inputs[n.ID] = "changed-" + fmt.Sprint(trial, e)
			case r.IntN(2) == 0:
				n.CompiledCode += " -- edited"
			default:
				n.Config.Tags = append(n.Config.Tags, fmt.Sprint("t", e))
			}
		}
		current := Fingerprints(g, own(nodes, inputs))
		fresh := Decide(g.Order(), current, stored, func(graph.ID) bool { return true })
		for _, id := range g.Order() {
			dirty := edited[id]
			for a := range g.Ancestors(id, -1) {
				dirty = dirty || edited[a]
			}
			if fresh[id] == dirty {
				t.Fatalf("trial %d: %s up to date=%v, edited itself or upstream=%v", trial, id, fresh[id], dirty)
			}
		}
	}
}

func TestUnknowableSourcesAlwaysRun(t *testing.T) {
	src := &graph.Node{ID: "source.p.raw.t", Kind: graph.Source, Source: &graph.SourceInfo{SourceName: "raw"}, Config: graph.Config{Enabled: true}}
	m := &graph.Node{ID: "model.p.m", Kind: graph.Model, DependsOn: []graph.ID{src.ID}, CompiledCode: "select 1", Config: graph.Config{Enabled: true}}
	g, err := graph.New([]*graph.Node{src, m})
	if err != nil {
		t.Fatal(err)
	}
	fps := map[graph.ID]artifact.Fingerprint{src.ID: {Config: "c"}, m.ID: {Code: "x"}}
	fp := Fingerprints(g, Own(g, fps, nil))
	if fp[src.ID] != "" || fp[m.ID] != "" {
		t.Fatalf("fingerprints %v", fp)
	}
	if got := Decide(g.Order(), fp, fp, nil); len(got) != 0 {
		t.Fatalf("up to date: %v", got)
	}
}

func TestMissingRelationRuns(t *testing.T) {
	m := &graph.Node{ID: "model.p.m", Kind: graph.Model, CompiledCode: "select 1", Config: graph.Config{Enabled: true}}
	g, _ := graph.New([]*graph.Node{m})
	fp := Fingerprints(g, Own(g, map[graph.ID]artifact.Fingerprint{m.ID: {Code: "x"}}, nil))
	if got := Decide(g.Order(), fp, fp, func(graph.ID) bool { return false }); len(got) != 0 {
		t.Fatalf("a dropped relation must be rebuilt: %v", got)
	}
	if got := Decide(g.Order(), fp, fp, func(graph.ID) bool { return true }); !got[m.ID] {
		t.Fatalf("unchanged model not up to date")
	}
}

func TestSalt(t *testing.T) {
	fps := map[graph.ID]string{"a": "x", "b": ""}
	Salt(fps, "timezone=Asia/Tokyo")
	if fps["a"] == "x" || fps["a"] == "" || fps["b"] != "" {
		t.Errorf("Salt = %v", fps)
	}
	other := map[graph.ID]string{"a": "x"}
	Salt(other, "timezone=Europe/Paris")
	if other["a"] == fps["a"] {
		t.Error("two settings give one fingerprint")
	}
}

// A file-backed source or seed whose file cannot be read has no
// fingerprint (it runs, and its run reports the file).
func TestUnreadableInputRuns(t *testing.T) {
	src := &graph.Node{ID: "source.p.raw.t", Kind: graph.Source, Config: graph.Config{Enabled: true},
		Source: &graph.SourceInfo{SourceName: "raw", External: &graph.External{Path: "t.csv"}}}
	seed := &graph.Node{ID: "seed.p.s", Kind: graph.Seed, Config: graph.Config{Enabled: true}}
	g, _ := graph.New([]*graph.Node{src, seed})
	fps := map[graph.ID]artifact.Fingerprint{src.ID: {Body: "b"}, seed.ID: {Body: "b"}}
	own := Own(g, fps, map[graph.ID]artifact.InputFile{seed.ID: {SHA256: "abc"}})
	if own[src.ID] != "" || own[seed.ID] != fps[seed.ID].Digest() {
		t.Fatalf("own = %v: want none for the unreadable source, the digest for the seed", own)
	}
}

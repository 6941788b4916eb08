package cli

import (
	"slices"
	"testing"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/engine"
)

// TestLsKeysMatchObject holds lsKeys, which --output-keys is checked
// against, to the keys lsObject prints: a key added to one and not the
// other fails here.
func TestLsKeysMatchObject(t *testing.T) {
	model := &graph.Node{ID: "model.p.m", Kind: graph.Model, Name: "m"}
	source := &graph.Node{ID: "source.p.s.t", Kind: graph.Source, Name: "t", Source: &graph.SourceInfo{SourceName: "s"}}
	ivs := map[graph.ID][]engine.Interval{model.ID: {{Start: time.Unix(0, 0), End: time.Unix(1, 0)}}}
	seen := map[string]bool{}
	for _, n := range []*graph.Node{model, source} {
		obj, err := lsObject(n, nil, nil, ivs, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k := range obj {
			seen[k] = true
			if !slices.Contains(lsKeys, k) {
				t.Errorf("lsObject prints %q, which lsKeys lacks", k)
			}
		}
	}
	for _, k := range lsKeys {
		if !seen[k] {
			t.Errorf("lsKeys has %q, which lsObject never prints", k)
		}
	}
}

package engine

import (
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
)

// A node's warnings (the compiler's warnings written in the file that
// declares it: its SQL or CSV file, or the YAML entry of a source, test
// or export; "model nokey_di: delete+insert without unique_key appends
// every new row") are printed by the commands that select, run or compile
// it, once per invocation: build, run, test, seed, snapshot, compile, ls,
// show -s, docs generate and source freshness of a selection that holds
// it, retry of the nodes it retries, and parse of every node (dbt prints
// them when it parses, every node being compiled then). Not by the
// commands that select no node: show --inline and compile --inline (which
// print their inline query's own), run-operation, runs, debug,
// transaction. The other warnings (project.yml's, the profile's, a file
// that declares no node) are printed by every command, when it loads the
// project. With --warn-error every warning is an error of the load.

// heldWarning is a node's warning that the load did not print.
type heldWarning struct {
	d       diag.Diagnostic
	nodes   []graph.ID
	printed bool
}

// holdNodeWarnings returns, of ws, the warnings to print as the project
// loads, and keeps the others in p, each with the nodes declared in its
// file (the inline query's are printed).
func (p *Project) holdNodeWarnings(g *graph.Graph, ws diag.List) diag.List {
	byFile := map[string][]graph.ID{}
	for _, n := range g.Nodes() {
		if p.inlinePath != "" && n.Path == p.inlinePath {
			continue
		}
		byFile[n.Path] = append(byFile[n.Path], n.ID)
		if f := n.Pos.File; f != "" && f != n.Path {
			byFile[f] = append(byFile[f], n.ID)
		}
	}
	var now diag.List
	for _, d := range ws {
		if ids := byFile[d.Pos.File]; d.Pos.File != "" && len(ids) > 0 {
			p.held = append(p.held, &heldWarning{d: d, nodes: ids})
			continue
		}
		now = append(now, d)
	}
	return now
}

// NodeWarnings prints, as one Diagnostics event, the warnings of the
// nodes ids (every node's when ids is nil) that this invocation has not
// printed yet (see holdNodeWarnings).
func (p *Project) NodeWarnings(ids []graph.ID) {
	if len(p.held) == 0 {
		return
	}
	want := map[graph.ID]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var l diag.List
	for _, h := range p.held {
		if h.printed {
			continue
		}
		for _, id := range h.nodes {
			if ids == nil || want[id] {
				h.printed = true
				l = append(l, h.d)
				break
			}
		}
	}
	if len(l) > 0 {
		p.emit(Diagnostics{List: l})
	}
}

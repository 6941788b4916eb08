package compiler

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/materialize"
)

// buildGraph sorts dependencies, drops disabled nodes, and builds the DAG,
// reporting a cycle with every file and ref of the loop.
func (c *compiler) buildGraph() {
	var nodes []*graph.Node
	for _, id := range c.ids() {
		n := c.nodes[id]
		n.DependsOn = uniqueIDs(n.DependsOn)
		if !n.Config.Enabled {
			c.disabled = append(c.disabled, n)
			continue
		}
		nodes = append(nodes, n)
	}
	for _, n := range nodes {
		for _, p := range n.DependsOn {
			if t := c.nodes[p]; t != nil && !t.Config.Enabled && n.Kind == graph.Export {
				c.diags.Errorf(n.Pos, "export %q writes disabled %s %q", n.Name, t.Kind, t.Name).Hint = "enable it or remove it from the export"
			}
			if t := c.nodes[p]; t != nil && !t.Config.Enabled && n.Kind == graph.Exposure {
				c.diags.Errorf(n.Pos, "exposure %q depends on disabled %s %q", n.Name, t.Kind, t.Name).Hint = "enable it or remove it from depends_on"
			}
		}
	}
	if c.diags.HasErrors() {
		return
	}
	g, err := graph.New(nodes)
	var ce *graph.CycleError
	switch {
	case errors.As(err, &ce):
		c.diags.Add(c.cycleDiag(ce))
	case err != nil:
		c.diags.Errorf(diag.Pos{}, "%v", err)
	default:
		c.graph = g
	}
}

func (c *compiler) cycleDiag(ce *graph.CycleError) diag.Diagnostic {
	// A loop through a source's After: the writer of the relation the
	// source reads also reads the source, so no order builds the writer
	// first.
	for i := 1; i < len(ce.Path); i++ {
		w, src := c.nodes[ce.Path[i-1]], c.nodes[ce.Path[i]]
		if src.Kind != graph.Source || !slices.Contains(src.After, w.ID) {
			continue
		}
		reads := "reads the source"
		var via []string // the nodes from src to w, both left out
		for j := i + 1; j < i+len(ce.Path)-2; j++ {
			via = append(via, c.nodes[ce.Path[j%(len(ce.Path)-1)]].DisplayName())
		}
		if len(via) > 0 {
			reads += " through " + strings.Join(via, ", ")
		}
		fix := "read the table's previous rows with {{ this }} in an incremental model, or point the source at another relation"
		if w.Kind == graph.Snapshot {
			fix = "a snapshot keeps its previous rows itself: point the source at the relation the snapshot takes its rows from, or at another relation"
		}
		return diag.Diagnostic{
			Pos: src.Pos,
			Msg: fmt.Sprintf("source %q reads the relation %s, which %s writes, and %s %s: it would be built from its own previous table",
				src.DisplayName(), src.Relation.Display(), describeNode(w), w.DisplayName(), reads),
			Hint: fix + "; otherwise a source may read the relation a seed, model or snapshot writes: kiln builds the source's readers after the writer",
		}
	}
	var names, refs []string
	var first diag.Pos
	for i, id := range ce.Path {
		n := c.nodes[id]
		names = append(names, fmt.Sprintf("%s (%s)", n.Name, n.Path))
		if i == 0 {
			continue
		}
		prev := c.nodes[ce.Path[i-1]]
		pos := n.Pos
		for _, r := range n.Refs {
			if r.Name == prev.Name {
				pos = r.Pos
				break
			}
		}
		for _, r := range n.SourceRef {
			if prev.Kind == graph.Source && r.Name == prev.Name {
				pos = r.Pos
				break
			}
		}
		if first.File == "" {
			first = pos
		}
		refs = append(refs, fmt.Sprintf("%s refs %s at %s", n.Name, prev.Name, pos))
	}
	names[len(names)-1] = c.nodes[ce.Path[len(ce.Path)-1]].Name
	return diag.Diagnostic{
		Pos:  first,
		Msg:  "dependency cycle: " + strings.Join(names, " -> "),
		Hint: strings.Join(refs, "; ") + "; remove one of these refs",
	}
}

func uniqueIDs(ids []graph.ID) []graph.ID {
	seen := map[graph.ID]bool{}
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sortIDs(out)
	return out
}

func sortIDs(ids []graph.ID) {
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && ids[j] < ids[j-1]; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
}

// inlineEphemerals prepends, in topological order, each ephemeral parent of
// a node as a CTE named __dbt__cte__<model>, as dbt does.
// An ephemeral parent's own code already holds its ephemeral parents.
func (c *compiler) inlineEphemerals() {
	for _, id := range c.graph.Order() {
		n := c.graph.Node(id)
		if n.CompiledCode == "" {
			continue
		}
		ctes := c.ephemeralCTEs(id)
		if len(ctes) > 0 {
			n.CompiledCode = materialize.InjectCTEs(n.CompiledCode, ctes)
			if inc := n.Incremental; inc != nil {
				inc.Code = materialize.InjectCTEs(inc.Code, ctes)
				if b := inc.Batch; b != nil {
					b.Code = materialize.InjectCTEs(b.Code, ctes)
					b.IncrementalCode = materialize.InjectCTEs(b.IncrementalCode, ctes)
				}
			}
		}
	}
}

// ephemeralCTEs returns the CTEs of the ephemeral parents of node id.
func (c *compiler) ephemeralCTEs(id graph.ID) []string {
	var ctes []string
	for _, p := range c.graph.Parents(id) {
		pn := c.graph.Node(p)
		if pn.Kind == graph.Model && pn.Config.Materialized == graph.Ephemeral {
			ctes = append(ctes, cteName(pn.Name)+" as (\n"+strings.TrimSpace(pn.CompiledCode)+"\n)")
		}
	}
	return ctes
}

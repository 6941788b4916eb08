package engine

import (
	"context"
	"sort"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/run"
)

// Plan is what a run executes: the selected nodes that do something
// (ephemeral models, sources without a file and disabled nodes are left
// out, dependencies pass through them) and, for each, the nodes it waits
// for (see run.NewPlan: a node's tests gate its children, exports wait
// for every other node).
type Plan struct {
	g *graph.Graph
	p *run.Plan
	// selected is dbt's selected_resources: the unique ids of the
	// selected models (ephemeral ones included), seeds, snapshots, tests
	// and unit tests, sorted.
	selected []string
}

// Plan plans the nodes ids (see Select).
func (p *Project) Plan(ids []graph.ID) *Plan {
	g := p.Graph()
	pl := &Plan{g: g, p: run.NewPlan(g, ids), selected: []string{}}
	for _, id := range ids {
		if n := g.Node(id); n != nil && n.Config.Enabled {
			switch n.Kind {
			case graph.Model, graph.Seed, graph.Snapshot, graph.Test, graph.UnitTest:
				pl.selected = append(pl.selected, string(id))
			}
		}
	}
	sort.Strings(pl.selected)
	return pl
}

// Selected returns dbt's selected_resources for the plan: the unique ids
// of the selected models (ephemeral ones included), seeds, snapshots,
// tests and unit tests, sorted; the executable ones are Nodes.
func (pl *Plan) Selected() []string { return pl.selected }

// Nodes returns the planned nodes in topological order.
func (pl *Plan) Nodes() []graph.ID { return pl.p.IDs() }

// Waits returns the planned nodes that node id waits for.
func (pl *Plan) Waits(id graph.ID) []graph.ID { return pl.p.Waits(id) }

// Serial returns the planned nodes in the order a run with one thread
// executes them: each model's tests right after it, then the next node
// in topological order. It runs the scheduler with an executor that only
// records.
func (pl *Plan) Serial() []graph.ID {
	rec := &recordOrder{}
	run.Run(context.Background(), pl.p, rec, run.Options{Threads: 1})
	return rec.order
}

type recordOrder struct{ order []graph.ID }

func (r *recordOrder) Execute(_ context.Context, _ int, n *graph.Node) run.Result {
	r.order = append(r.order, n.ID)
	return run.Result{ID: n.ID, Status: run.Success}
}

package kestra

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/run"
)

// edges returns, for each task, the tasks it waits for: the scheduler's
// plan (run.NewPlan) of the flow's nodes and tests, its waits mapped onto
// the tasks that run them. The rules (a node waits for its parents and
// their tests, a unit test's model for it, an export for every other node)
// are the scheduler's own, so a flow orders its tasks as kiln build orders
// its nodes.
func (p *planner) edges() map[*task]map[*task]bool {
	var ids []graph.ID
	for _, t := range p.tasks {
		ids = append(append(ids, t.members...), t.tests...)
	}
	p.flow = run.NewPlan(p.g, ids)
	deps := map[*task]map[*task]bool{}
	for _, t := range p.tasks {
		deps[t] = map[*task]bool{}
	}
	for _, id := range p.flow.IDs() {
		to := p.taskOf[id]
		for _, w := range p.flow.Waits(id) {
			if from := p.taskOf[w]; from != nil && from != to {
				deps[to][from] = true
			}
		}
	}
	return deps
}

// order sorts the tasks topologically, taking among the ready tasks the one
// whose first node comes first in the graph's order, and fills dependsOn.
// A cycle, which only grouping can create, is an error naming the loop.
func (p *planner) order(deps map[*task]map[*task]bool) ([]*task, error) {
	first := map[*task]int{}
	waiting := map[*task]int{}
	children := map[*task][]*task{}
	for _, t := range p.tasks {
		first[t] = p.g.Index(t.members[0])
		waiting[t] = len(deps[t])
		for d := range deps[t] {
			t.dependsOn = append(t.dependsOn, d.id)
			children[d] = append(children[d], t)
		}
		sort.Strings(t.dependsOn)
	}
	var ready, out []*task
	for _, t := range p.tasks {
		if waiting[t] == 0 {
			ready = append(ready, t)
		}
	}
	for len(ready) > 0 {
		k := 0
		for i, t := range ready {
			if first[t] < first[ready[k]] {
				k = i
			}
		}
		t := ready[k]
		ready = append(ready[:k], ready[k+1:]...)
		out = append(out, t)
		for _, c := range children[t] {
			if waiting[c]--; waiting[c] == 0 {
				ready = append(ready, c)
			}
		}
	}
	if len(out) == len(p.tasks) {
		return out, nil
	}
	// Name the loop with the graph package's cycle finder.
	byID := map[graph.ID]*task{}
	var nodes []*graph.Node
	for _, t := range p.tasks {
		n := &graph.Node{ID: graph.ID(t.id)}
		for _, d := range t.dependsOn {
			n.DependsOn = append(n.DependsOn, graph.ID(d))
		}
		byID[n.ID] = t
		nodes = append(nodes, n)
	}
	_, err := graph.New(nodes)
	var ce *graph.CycleError
	if !errors.As(err, &ce) {
		return nil, fmt.Errorf("the tasks have a cycle")
	}
	var loop []string
	for _, id := range ce.Path {
		loop = append(loop, string(id))
	}
	return nil, fmt.Errorf("grouping creates a cycle between tasks: %s (%s); group so that stages depend one way, or export one task per node (--group-by node)", strings.Join(loop, " -> "), p.why(byID[ce.Path[0]], byID[ce.Path[1]]))
}

// why names one node edge behind the task edge from -> to.
func (p *planner) why(from, to *task) string {
	for _, id := range append(append([]graph.ID(nil), to.members...), to.tests...) {
		for _, w := range p.flow.Waits(id) {
			if p.taskOf[w] == from {
				return fmt.Sprintf("%s %s waits for %s %s", p.g.Node(id).Kind, p.g.Node(id).DisplayName(), p.g.Node(w).Kind, p.g.Node(w).DisplayName())
			}
		}
	}
	return "through the tests of " + from.id
}

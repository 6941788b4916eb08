package kestra

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/graph"
)

// edges returns, for each task, the tasks it waits for: the scheduler's
// dependencies (run.NewPlan) between the flow's nodes, mapped onto tasks.
// A node waits for its nearest executing parents and for the data tests
// of those parents (a test belongs to its last parent); a unit test waits
// for the inputs it mocks and its model for it; an export waits for every
// other node, as exports publish a whole run or nothing.
func (p *planner) edges() map[*task]map[*task]bool {
	testsOf := map[graph.ID][]graph.ID{} // last parent -> data tests
	unitsOf := map[graph.ID][]graph.ID{} // model -> unit tests
	var others []graph.ID                // every planned node but exports
	for _, t := range p.tasks {
		for _, id := range t.tests {
			n := p.g.Node(id)
			if n.Kind == graph.UnitTest && n.UnitTest != nil {
				unitsOf[n.UnitTest.Model] = append(unitsOf[n.UnitTest.Model], id)
			} else if o := p.lastParent(id); n.Kind == graph.Test && o != "" {
				testsOf[o] = append(testsOf[o], id)
			}
		}
		for _, id := range append(append([]graph.ID(nil), t.members...), t.tests...) {
			if p.g.Node(id).Kind != graph.Export {
				others = append(others, id)
			}
		}
	}
	deps := map[*task]map[*task]bool{}
	add := func(from *task, to *task) {
		if from != nil && from != to {
			deps[to][from] = true
		}
	}
	for _, t := range p.tasks {
		deps[t] = map[*task]bool{}
		for _, id := range append(append([]graph.ID(nil), t.members...), t.tests...) {
			n := p.g.Node(id)
			if n.Kind == graph.Export {
				for _, o := range others {
					add(p.taskOf[o], t)
				}
				continue
			}
			parents := p.planned(id)
			for _, par := range parents {
				add(p.taskOf[par], t)
				if n.Kind != graph.Test {
					for _, test := range testsOf[par] {
						add(p.taskOf[test], t)
					}
				}
			}
			for _, u := range unitsOf[id] {
				add(p.taskOf[u], t)
			}
		}
	}
	return deps
}

// planned returns the flow's nodes id waits for: its nearest executing
// parents with a task, or for a unit test the inputs it mocks.
func (p *planner) planned(id graph.ID) []graph.ID {
	var out []graph.ID
	if n := p.g.Node(id); n.Kind == graph.UnitTest {
		if n.UnitTest != nil {
			for _, in := range n.UnitTest.Given {
				if p.taskOf[in.Node] != nil {
					out = append(out, in.Node)
				}
			}
		}
		return out
	}
	for _, par := range p.effective(id) {
		if p.taskOf[par] != nil {
			out = append(out, par)
		}
	}
	return out
}

// lastParent is the parent, among those with a task, that the scheduler
// attaches a data test to.
func (p *planner) lastParent(test graph.ID) graph.ID {
	var last graph.ID
	for _, par := range p.planned(test) {
		if last == "" || p.g.Index(par) > p.g.Index(last) {
			last = par
		}
	}
	return last
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
	return nil, fmt.Errorf("grouping by folder creates a cycle between tasks: %s (%s); move the models so that folders depend one way, or export one task per node", strings.Join(loop, " -> "), p.why(byID[ce.Path[0]], byID[ce.Path[1]]))
}

// why names one node edge behind the task edge from -> to.
func (p *planner) why(from, to *task) string {
	for _, id := range append(append([]graph.ID(nil), to.members...), to.tests...) {
		for _, par := range p.effective(id) {
			if p.taskOf[par] == from {
				return fmt.Sprintf("%s %s depends on %s %s", p.g.Node(id).Kind, p.g.Node(id).DisplayName(), p.g.Node(par).Kind, p.g.Node(par).DisplayName())
			}
		}
	}
	return "through the tests of " + from.id
}

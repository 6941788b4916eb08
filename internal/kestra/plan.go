package kestra

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/selector"
	"github.com/kiln-build/kiln/internal/run"
)

// runnable are the kinds that become tasks; tests run with their model.
var runnable = map[graph.Kind]bool{graph.Model: true, graph.Snapshot: true, graph.Source: true, graph.Seed: true, graph.Export: true}

func isTest(n *graph.Node) bool { return n.Kind == graph.Test || n.Kind == graph.UnitTest }

// task is one task of the Dag: the nodes it runs, and the --select and
// --exclude arguments that make kiln build run exactly those.
type task struct {
	id, description string
	members         []graph.ID // runnable nodes, in topological order
	tests           []graph.ID // the tests kiln build runs with them
	selects         []string
	excludes        []string
	dependsOn       []string // task ids, sorted
	// publish marks the exports' task of a flow on a database server,
	// which the commit task runs (Options.Database).
	publish bool
}

type planner struct {
	g      *graph.Graph
	tasks  []*task
	taskOf map[graph.ID]*task // members and tests
	// whole is the scheduler's plan of every node of the graph: its waits
	// are each node's nearest executing parents (through ephemeral models
	// and sources without a file), and a unit test's mocked inputs.
	whole *run.Plan
	// flow is the scheduler's plan of the flow's nodes and tests, whose
	// waits the tasks' dependsOn follow (set by edges).
	flow *run.Plan
	// projectFile is the project file's name, for messages.
	projectFile string
}

// plan splits the selected runnable nodes into tasks, checks with the
// selector that each task's arguments select its nodes and nothing else,
// gives each test to one task, and derives the tasks' dependencies from
// the graph. The tasks come in a topological order.
func plan(g *graph.Graph, opt Options) ([]*task, error) {
	ids := g.Order()
	if opt.Select != nil {
		set := map[graph.ID]bool{}
		for _, id := range opt.Select {
			set[id] = true
		}
		ids = g.Sorted(set)
	}
	var flow []graph.ID
	for _, id := range ids {
		if n := g.Node(id); n != nil && runnable[n.Kind] && n.IsExecutable() {
			flow = append(flow, id)
		}
	}
	if len(flow) == 0 {
		return nil, fmt.Errorf("the selection holds no model, file-backed source, seed or export to run")
	}
	p := &planner{g: g, taskOf: map[graph.ID]*task{}, whole: run.NewPlan(g, g.Order()), projectFile: opt.projectFile()}
	// On a database server the exports are the commit task's.
	var exports []graph.ID
	if opt.onServer() {
		rest := flow[:0:0]
		for _, id := range flow {
			if g.Node(id).Kind == graph.Export {
				exports = append(exports, id)
			} else {
				rest = append(rest, id)
			}
		}
		flow = rest
	}
	groupBy := opt.GroupBy
	if groupBy == GroupByAuto || groupBy == "" {
		groupBy = GroupByNode
		if len(flow) > opt.maxNodeTasks() {
			groupBy = GroupByFolder
		}
	}
	var err error
	switch {
	case len(flow) == 0:
		// Only exports, on a server: the commit task runs them.
	case groupBy == GroupByNode:
		err = p.byNode(flow)
	case groupBy == GroupByFolder:
		err = p.byFolder(flow)
	case groupBy == GroupByTag:
		err = p.byTag(flow, opt.Stages)
	case groupBy == GroupBySelector:
		err = p.bySelector(flow, opt.Stages, opt.Selectors)
	case groupBy == GroupByOne:
		err = p.one(flow, opt.Select == nil)
	default:
		return nil, fmt.Errorf("unknown grouping %q; use --group-by auto, node, folder, tag, selector or one", opt.GroupBy)
	}
	if err == nil && len(exports) > 0 {
		if err = p.addExports(exports, map[string]bool{}); err == nil {
			t := p.tasks[len(p.tasks)-1]
			t.publish, t.description = true, countKinds(g, exports)
		}
	}
	if err != nil {
		return nil, err
	}
	if err := p.assignTests(); err != nil {
		return nil, err
	}
	for _, t := range p.tasks {
		switch len(t.tests) {
		case 0:
		case 1:
			t.description += "; and 1 test"
		default:
			t.description += fmt.Sprintf("; and %d tests", len(t.tests))
		}
	}
	return p.order(p.edges())
}

// byNode makes one task per node, selected by name, or by its full name
// when the name selects other nodes too.
func (p *planner) byNode(flow []graph.ID) error {
	used := map[string]bool{}
	for _, id := range flow {
		n := p.g.Node(id)
		t := &task{id: uniqueID(taskID(n), used), members: []graph.ID{id}}
		t.description = fmt.Sprintf("%s %s (%s)", n.Kind, n.DisplayName(), n.Path)
		var candidates []string
		if n.Kind == graph.Source {
			candidates = []string{"source:" + n.Source.SourceName + "." + n.Name, "source:" + n.Package + "." + n.Source.SourceName + "." + n.Name}
		} else {
			candidates = []string{n.Name, strings.Join(n.FQN, ".")}
		}
		ok := false
		for _, c := range candidates {
			t.selects = []string{c}
			if got, _, err := p.selected(t); err == nil && sameIDs(got, t.members) {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("no selector picks %s %q alone", n.Kind, n.DisplayName())
		}
		p.add(t)
	}
	return nil
}

// byFolder makes one task per folder: --select path:<folder>, excluding the
// folders below it that are tasks of their own, and one last task for the
// exports, which wait for every other node anyway (grouped with their
// folder they would make a cycle with any folder downstream of it). When
// a task's selector picks nodes left out of the flow, the task lists its
// nodes instead.
func (p *planner) byFolder(flow []graph.ID) error {
	groups := map[string][]graph.ID{}
	var folders []string
	var exports []graph.ID
	for _, id := range flow {
		if p.g.Node(id).Kind == graph.Export {
			exports = append(exports, id)
			continue
		}
		dir := path.Dir(p.g.Node(id).Path)
		if _, ok := groups[dir]; !ok {
			folders = append(folders, dir)
		}
		groups[dir] = append(groups[dir], id)
	}
	sort.Strings(folders)
	used := map[string]bool{}
	for _, dir := range folders {
		t := &task{id: uniqueID(sanitize(dir, "root"), used), members: groups[dir]}
		t.description = fmt.Sprintf("%s: %s", dir, countKinds(p.g, t.members))
		var tries [][2][]string // selects, excludes
		if dir != "." {
			var subs []string
			for _, sub := range folders {
				if strings.HasPrefix(sub, dir+"/") {
					subs = append(subs, "path:"+sub)
				}
			}
			tries = append(tries, [2][]string{{"path:" + dir}, subs},
				[2][]string{{"path:" + dir}, append(subs, "resource_type:export")})
		}
		if err := p.addGroup(t, tries); err != nil {
			return fmt.Errorf("cannot select the nodes of folder %s alone: %v", dir, err)
		}
	}
	return p.addExports(exports, used)
}

// addExports adds the task of the exports, which wait for every other
// node anyway (grouped with a stage they would make a cycle with any stage
// downstream of it).
func (p *planner) addExports(exports []graph.ID, used map[string]bool) error {
	if len(exports) == 0 {
		return nil
	}
	t := &task{id: uniqueID("exports", used), members: exports}
	t.description = "the exports, once everything else succeeded: " + countKinds(p.g, exports)
	if err := p.addGroup(t, [][2][]string{{{"resource_type:export"}, nil}}); err != nil {
		return fmt.Errorf("cannot select the exports alone: %v", err)
	}
	return nil
}

// addGroup gives t the first of tries (--select and --exclude arguments)
// that picks exactly its members, else a list of its members, and adds
// the task.
func (p *planner) addGroup(t *task, tries [][2][]string) error {
	for _, try := range tries {
		t.selects, t.excludes = try[0], try[1]
		if got, _, err := p.selected(t); err == nil && sameIDs(got, t.members) {
			p.add(t)
			return nil
		}
	}
	t.selects, t.excludes = nil, nil
	for _, id := range t.members {
		t.selects = append(t.selects, nodeSelector(p.g.Node(id)))
	}
	got, _, err := p.selected(t)
	if err == nil && !sameIDs(got, t.members) {
		err = fmt.Errorf("its selectors pick %d nodes, not %d", len(got), len(t.members))
	}
	if err != nil {
		return err
	}
	p.add(t)
	return nil
}

func (p *planner) add(t *task) {
	p.tasks = append(p.tasks, t)
	for _, id := range t.members {
		p.taskOf[id] = t
	}
}

// selected runs the selector on t's arguments as kiln build will, and
// returns the runnable nodes and the tests it picks.
func (p *planner) selected(t *task) (nodes, tests []graph.ID, err error) {
	ids, err := selector.Select(p.g, t.selects, t.excludes, selector.Options{Indirect: selector.Buildable})
	if err != nil {
		return nil, nil, err
	}
	for _, id := range ids {
		n := p.g.Node(id)
		switch {
		case !n.IsExecutable():
		case isTest(n):
			tests = append(tests, id)
		case runnable[n.Kind]:
			nodes = append(nodes, id)
		}
	}
	return nodes, tests, nil
}

// assignTests records the tests each task runs. A test whose parents are
// all in the flow but that no task picks (its parents are in unrelated
// branches) is added by name to the task of its last parent, as the
// scheduler attaches it; a test two tasks pick is an error.
func (p *planner) assignTests() error {
	for _, t := range p.tasks {
		_, tests, err := p.selected(t)
		if err != nil {
			return err
		}
		for _, id := range tests {
			if other := p.taskOf[id]; other != nil {
				return fmt.Errorf("test %q would run in two tasks, %s and %s; run without --group-by", p.g.Node(id).Name, other.id, t.id)
			}
			p.taskOf[id] = t
			t.tests = append(t.tests, id)
		}
	}
	for _, id := range p.g.Order() {
		n := p.g.Node(id)
		if !isTest(n) || !n.IsExecutable() || p.taskOf[id] != nil {
			continue
		}
		owner := p.owner(id)
		if owner == "" {
			continue
		}
		t := p.taskOf[owner]
		t.selects = append(t.selects, nodeSelector(n))
		nodes, tests, err := p.selected(t)
		if err != nil || !sameIDs(nodes, t.members) || !contains(tests, id) {
			return fmt.Errorf("cannot add test %q to task %s", n.Name, t.id)
		}
		p.taskOf[id] = t
		t.tests = append(t.tests, id)
	}
	return nil
}

// owner returns the node whose task runs a test: the model of a unit
// test, else the last (in topological order) of the test's parents when
// they are all in the flow, as the scheduler attaches it (run.NewPlan);
// "" when there is none.
func (p *planner) owner(test graph.ID) graph.ID {
	if n := p.g.Node(test); n.Kind == graph.UnitTest {
		if n.UnitTest == nil || p.taskOf[n.UnitTest.Model] == nil {
			return ""
		}
		return n.UnitTest.Model
	}
	var last graph.ID
	for _, par := range p.whole.Waits(test) {
		if t := p.taskOf[par]; t == nil || !contains(t.members, par) {
			return ""
		}
		if last == "" || p.g.Index(par) > p.g.Index(last) {
			last = par
		}
	}
	return last
}

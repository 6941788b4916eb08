package kestra

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/selector"
)

// The groupings of Options.GroupBy.
const (
	// GroupByAuto ("" too) is one task per node up to Options.MaxNodeTasks
	// runnable nodes, else one task per folder.
	GroupByAuto = "auto"
	// GroupByNode makes one task per model, file-backed source, seed and
	// export.
	GroupByNode = "node"
	// GroupByFolder makes one task per folder ("--select path:models/staging"),
	// and one for the exports.
	GroupByFolder = "folder"
	// GroupByTag makes one task per tag of Options.Stages, in that order
	// (every tag of the flow's nodes, by first use, when empty): a node
	// goes to the first stage whose tag it has; untagged nodes to a task
	// "other"; the exports to their own task.
	GroupByTag = "tag"
	// GroupBySelector makes one task per named selector of selectors.yml
	// (Options.Stages, or every selector in file order): a node goes to the
	// first stage that selects it; the rest to "other"; the exports to
	// their own task.
	GroupBySelector = "selector"
	// GroupByOne makes a single task that builds the whole selection.
	GroupByOne = "one"
)

// DefaultMaxNodeTasks is the most runnable nodes GroupByAuto makes one task
// each. Each task is a kiln process (it compiles the project and opens the
// database: about 0.2 s for BottleNeck) and, in Kestra, a task run of the
// execution's context, which Kestra advises to keep small
// (https://kestra.io/docs/best-practices/flows); above ten nodes the
// stages say as much in the Kestra UI, and the metrics and run results
// give each node's figures.
const DefaultMaxNodeTasks = 10

func (o Options) maxNodeTasks() int {
	if o.MaxNodeTasks > 0 {
		return o.MaxNodeTasks
	}
	return DefaultMaxNodeTasks
}

// stage is one group of GroupByTag or GroupBySelector.
type stage struct {
	name    string
	pick    map[graph.ID]bool // the nodes the stage's rule selects
	selects []string          // --select arguments that may reproduce it ("tag:x"), or none
}

// byTag makes one task per tag (see GroupByTag).
func (p *planner) byTag(flow []graph.ID, tags []string) error {
	if len(tags) == 0 {
		seen := map[string]bool{}
		for _, id := range flow {
			for _, t := range p.g.Node(id).Config.Tags {
				if !seen[t] {
					seen[t] = true
					tags = append(tags, t)
				}
			}
		}
		if len(tags) == 0 {
			return fmt.Errorf("--group-by tag: no node of the flow has a tag; tag the stages (+tags in %s) or use --group-by folder", p.projectFile)
		}
	}
	var stages []stage
	for _, tag := range tags {
		st := stage{name: tag, pick: map[graph.ID]bool{}, selects: []string{"tag:" + tag}}
		for _, id := range flow {
			for _, t := range p.g.Node(id).Config.Tags {
				if t == tag {
					st.pick[id] = true
				}
			}
		}
		if len(st.pick) == 0 {
			return fmt.Errorf("--stages: no node of the flow has tag %q", tag)
		}
		stages = append(stages, st)
	}
	return p.byStages(flow, stages, "untagged")
}

// bySelector makes one task per named selector (see GroupBySelector).
func (p *planner) bySelector(flow []graph.ID, names []string, defs map[string]*selector.Definition) error {
	if len(defs) == 0 {
		return fmt.Errorf("--group-by selector needs named selectors: the project has no selectors.yml")
	}
	if len(names) == 0 {
		for n := range defs {
			names = append(names, n)
		}
		sort.Slice(names, func(i, j int) bool { return defs[names[i]].Pos.Less(defs[names[j]].Pos) })
	}
	var stages []stage
	for _, name := range names {
		def := defs[name]
		if def == nil {
			return fmt.Errorf("--stages: unknown selector %q; selectors.yml defines %s", name, strings.Join(sortedNames(defs), ", "))
		}
		ids, err := selector.SelectDefinition(p.g, def, selector.Options{Indirect: selector.Buildable})
		if err != nil {
			return fmt.Errorf("selector %s: %v", name, err)
		}
		st := stage{name: name, pick: map[graph.ID]bool{}}
		for _, id := range ids {
			st.pick[id] = true
		}
		stages = append(stages, st)
	}
	return p.byStages(flow, stages, "other")
}

// byStages gives each node of flow to the first stage that picks it, one
// task per stage in order, a task rest for the nodes no stage picks, and
// one for the exports. A stage's task selects its nodes with the stage's
// own --select (minus the earlier stages) when that picks exactly them,
// else by name.
func (p *planner) byStages(flow []graph.ID, stages []stage, rest string) error {
	used := map[string]bool{}
	taken := map[graph.ID]bool{}
	var exports []graph.ID
	var earlier []string
	for _, st := range stages {
		var members []graph.ID
		for _, id := range flow {
			if p.g.Node(id).Kind == graph.Export {
				continue
			}
			if st.pick[id] && !taken[id] {
				taken[id] = true
				members = append(members, id)
			}
		}
		if len(members) == 0 {
			continue // every node it picks is in an earlier stage
		}
		t := &task{id: uniqueID(sanitize(st.name, "stage"), used), members: members}
		t.description = fmt.Sprintf("stage %s: %s", st.name, countKinds(p.g, members))
		var tries [][2][]string
		if len(st.selects) > 0 {
			ex := append([]string(nil), earlier...)
			tries = append(tries, [2][]string{st.selects, ex}, [2][]string{st.selects, append(ex, "resource_type:export")})
		}
		if err := p.addGroup(t, tries); err != nil {
			return fmt.Errorf("cannot select the nodes of stage %s alone: %v", st.name, err)
		}
		earlier = append(earlier, st.selects...)
	}
	var others []graph.ID
	for _, id := range flow {
		switch {
		case p.g.Node(id).Kind == graph.Export:
			exports = append(exports, id)
		case !taken[id]:
			others = append(others, id)
		}
	}
	if len(others) > 0 {
		t := &task{id: uniqueID(rest, used), members: others}
		t.description = fmt.Sprintf("the nodes of no stage: %s", countKinds(p.g, others))
		if err := p.addGroup(t, nil); err != nil {
			return fmt.Errorf("cannot select the nodes of no stage: %v", err)
		}
	}
	return p.addExports(exports, used)
}

// one makes a single task for the whole flow: kiln build of every node
// when all is set (with --select '*', so a default selector of
// selectors.yml does not apply), else of the flow's nodes by name.
func (p *planner) one(flow []graph.ID, all bool) error {
	t := &task{id: "build_all", members: flow}
	t.description = "the whole project: " + countKinds(p.g, flow)
	var tries [][2][]string
	if all {
		// Without the exports when the commit task runs them (a server).
		tries = [][2][]string{{{"*"}, nil}, {{"*", "source:*"}, nil},
			{{"*"}, {"resource_type:export"}}, {{"*", "source:*"}, {"resource_type:export"}}}
	}
	return p.addGroup(t, tries)
}

func sortedNames(defs map[string]*selector.Definition) []string {
	var out []string
	for n := range defs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// SLA returns the maximum duration of a flow of tasks tasks whose project's
// successful full builds took builds: three times the longest, plus a
// minute per task for Kestra's scheduling and kiln's start, rounded up to
// the minute; 0 when builds is empty.
func SLA(builds []time.Duration, tasks int) time.Duration {
	var longest time.Duration
	for _, b := range builds {
		longest = max(longest, b)
	}
	if len(builds) == 0 {
		return 0
	}
	d := 3*longest + time.Duration(tasks)*time.Minute
	return (d + time.Minute - 1).Truncate(time.Minute)
}

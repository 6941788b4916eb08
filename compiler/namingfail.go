package compiler

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
)

// A project's naming macro (generate_schema_name and the others) is
// rendered for every node it names, so one defect in it fails for each
// of them alike. Its failures are gathered (namingFails) and reported
// once per macro, position and kind of failure (flushNamingFails),
// naming how many nodes it failed for and the first few.

// namingFailKind is how a naming macro failed.
type namingFailKind uint8

const (
	namingRaised   namingFailKind = iota // it raised an error, or its template failed
	namingEmpty                          // it gave no name
	namingDatabase                       // it gave a database other than the target's
)

// namingFailure is the failures of one naming macro at one position, of
// one kind: the detail (the error's message, or the database given) of
// each node it failed for.
type namingFailure struct {
	gen    string // generate_schema_name, ...
	comp   string // schema, alias, database
	pos    diag.Pos
	kind   namingFailKind
	hint   string
	target string // the target's database (namingDatabase)
	detail map[graph.ID]string
	nodes  map[graph.ID]*graph.Node
}

// namingFails gathers naming failures until flushNamingFails; its zero
// value is ready to use, and it is safe for concurrent use.
type namingFails struct {
	mu sync.Mutex
	by map[string]*namingFailure
}

// add records that f's macro failed for node n, with detail.
func (nf *namingFails) add(f namingFailure, n *graph.Node, detail string) {
	nf.mu.Lock()
	defer nf.mu.Unlock()
	key := fmt.Sprintf("%s\x00%s\x00%d", f.gen, f.pos, f.kind)
	g := nf.by[key]
	if g == nil {
		if nf.by == nil {
			nf.by = map[string]*namingFailure{}
		}
		f.detail, f.nodes = map[graph.ID]string{}, map[graph.ID]*graph.Node{}
		g = &f
		nf.by[key] = g
	}
	if _, seen := g.nodes[n.ID]; !seen {
		g.nodes[n.ID], g.detail[n.ID] = n, detail
	}
}

// flush returns one diagnostic per failure gathered, by position, and
// forgets them.
func (nf *namingFails) flush() diag.List {
	nf.mu.Lock()
	defer nf.mu.Unlock()
	var out diag.List
	for _, g := range nf.by {
		out.Add(g.diagnostic())
	}
	nf.by = nil
	out.Sort()
	return out
}

// namingListed is how many nodes a repeated failure names before "and N
// more".
const namingListed = 3

// diagnostic is g as one error: for one node as it reads alone
// ("generate_schema_name for model "a" (models/a.sql): ..."), for more
// "generate_schema_name failed for 12 nodes (model "a", model "b",
// model "c" and 9 more): ...", or, when the message names the node,
// "..., each with its own message; for model "a" (models/a.sql): ...".
func (g *namingFailure) diagnostic() diag.Diagnostic {
	ids := make([]graph.ID, 0, len(g.nodes))
	for id := range g.nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	first := g.nodes[ids[0]]
	details := map[string]bool{}
	for _, id := range ids {
		details[g.detail[id]] = true
	}
	detail := g.detail[ids[0]]
	var d diag.Diagnostic
	if len(ids) == 1 {
		switch g.kind {
		case namingRaised:
			d = diag.Errorf(g.pos, "%s for %s: %s", g.gen, describeNode(first), detail)
		case namingEmpty:
			d = diag.Errorf(g.pos, "%s gives no %s for %s", g.gen, g.comp, describeNode(first))
		default:
			d = diag.Errorf(g.pos, "%s gives database %q for %s, not the target's (%q)", g.gen, detail, describeNode(first), g.target)
		}
		d.Hint = g.hint
		return d
	}
	names := make([]string, 0, namingListed)
	for _, id := range ids[:min(len(ids), namingListed)] {
		n := g.nodes[id]
		names = append(names, fmt.Sprintf("%s %q", n.Kind, n.DisplayName()))
	}
	nodes := fmt.Sprintf("%d nodes (%s", len(ids), strings.Join(names, ", "))
	if more := len(ids) - len(names); more > 0 {
		nodes += fmt.Sprintf(" and %d more", more)
	}
	nodes += ")"
	switch g.kind {
	case namingRaised:
		if len(details) > 1 {
			d = diag.Errorf(g.pos, "%s failed for %s, each with its own message; for %s: %s", g.gen, nodes, describeNode(first), detail)
			break
		}
		d = diag.Errorf(g.pos, "%s failed for %s: %s", g.gen, nodes, detail)
	case namingEmpty:
		d = diag.Errorf(g.pos, "%s gives no %s for %s", g.gen, g.comp, nodes)
	default:
		dbs := make([]string, 0, len(details))
		for db := range details {
			dbs = append(dbs, fmt.Sprintf("%q", db))
		}
		slices.Sort(dbs)
		what := "database " + dbs[0]
		if len(dbs) > 1 {
			what = "databases " + strings.Join(dbs, ", ")
		}
		d = diag.Errorf(g.pos, "%s gives %s for %s, not the target's (%q)", g.gen, what, nodes, g.target)
	}
	d.Hint = g.hint
	return d
}

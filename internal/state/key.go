package state

import (
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/graph"
)

// Key returns the key under which the up-to-date state of node id is kept
// (kiln_history.state's unique_id): its unique id and where its output
// is, "<unique id>@<relation>" (the relation as sqlq.Relation.String
// writes it), so that a node built in turn into two schemas (a backfill's
// backfill_staging beside staging, by a var in +schema) keeps a state for
// each, and a build of one leaves the other's up to date. A node without
// a relation of its own (a test that keeps no failing rows, an export)
// is keyed by the relations its parents write, sorted and joined by ",";
// a node with neither by its unique id alone (Legacy's key).
func Key(g *graph.Graph, id graph.ID) string {
	rels := map[string]bool{}
	where(g, id, rels, map[graph.ID]bool{})
	if len(rels) == 0 {
		return string(id)
	}
	out := make([]string, 0, len(rels))
	for r := range rels {
		out = append(out, r)
	}
	sort.Strings(out)
	return string(id) + "@" + strings.Join(out, ",")
}

// Legacy is the key of id's state as a kiln before Key kept it: its
// unique id. Lookup falls back to it, so that a database built by such a
// kiln keeps its up-to-date state until each node is built again.
func Legacy(id graph.ID) string { return string(id) }

// Lookup returns the stored state of node id from saved (keyed as
// LoadState returns it): saved[Key], else saved[Legacy].
func Lookup(saved map[string]string, g *graph.Graph, id graph.ID) string {
	if fp, ok := saved[Key(g, id)]; ok {
		return fp
	}
	return saved[Legacy(id)]
}

// where adds to rels the relation node id writes, or, without one, those
// of its parents (recursively).
func where(g *graph.Graph, id graph.ID, rels map[string]bool, seen map[graph.ID]bool) {
	n := g.Node(id)
	if n == nil || seen[id] {
		return
	}
	seen[id] = true
	if !n.Relation.IsZero() && !(n.Kind == graph.Model && n.Config.Materialized == graph.Ephemeral) {
		rels[n.Relation.String()] = true
		return
	}
	for _, p := range g.Parents(id) {
		where(g, p, rels, seen)
	}
}

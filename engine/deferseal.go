package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/graph"
)

// The state's database that --defer attaches is not sealed (see
// seal.go): another program (production's own builds, the duckdb CLI)
// may write it between two builds of this target, and the fingerprints
// of the deferred nodes are this project's, not what the state's
// relations hold. So a node that reads a deferred relation has no
// fingerprint of its own in a run that defers (as a source without a
// file): it is never up to date and its build is not recorded as one.

// deferredReaders returns the nodes that read a relation of the state
// --defer attaches (a parent in p.deferred, looking through ephemeral
// models), with why, for chained; nil when the run defers nothing to
// another database file (a state in this target's database is sealed
// with it). On PostgreSQL every deferral counts: the state's relations
// are in schemas this target's seal does not hold.
func (p *Project) deferredReaders() map[graph.ID]string {
	if len(p.deferred) == 0 || len(p.attach) == 0 && !p.OnServer() {
		return nil
	}
	g := p.Graph()
	out := map[graph.ID]string{}
	for _, n := range g.Nodes() {
		if _, ok := p.deferred[n.ID]; ok {
			continue
		}
		if par := p.deferredParent(n.ID, map[graph.ID]bool{}); par != "" {
			from := "the state's database " + Rel(p.Dir, p.stateDB())
			if p.OnServer() {
				from = "the state's relation " + stateName(p.deferred[par])
			}
			out[n.ID] = fmt.Sprintf("reads %s from %s (--defer), which kiln cannot tell unchanged since its last build", g.Node(par).Name, from)
		}
	}
	return out
}

// deferredParent returns a parent of id that the run reads from the
// state, looking through ephemeral models; "" when none.
func (p *Project) deferredParent(id graph.ID, seen map[graph.ID]bool) graph.ID {
	g := p.Graph()
	for _, par := range g.Parents(id) {
		if seen[par] {
			continue
		}
		seen[par] = true
		if _, ok := p.deferred[par]; ok {
			return par
		}
		if n := g.Node(par); n != nil && n.Kind == graph.Model && n.Config.Materialized == graph.Ephemeral {
			if q := p.deferredParent(par, seen); q != "" {
				return q
			}
		}
	}
	return ""
}

// stateDB returns the state's database file --defer attached ("" when
// none).
func (p *Project) stateDB() string {
	if len(p.attach) == 0 {
		return ""
	}
	return p.attach[0].Path
}

// deferredNote returns the build's info line naming the planned nodes
// that run every build because they read the state (readers, see
// deferredReaders); "" when none is planned.
func (r *runner) deferredNote(readers map[graph.ID]string) string {
	var names []string
	for id := range readers {
		if r.plan.Planned(id) {
			if n := r.p.Graph().Node(id); n.Kind != graph.Test {
				names = append(names, n.Name)
			}
		}
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	if len(names) > 5 {
		names = append(names[:5], "...")
	}
	verb, they := "read", "they and their tests run every build"
	if len(names) == 1 {
		verb, they = "reads", "it and its tests run every build"
	}
	if r.p.OnServer() {
		return fmt.Sprintf("%s %s relations of the state %s (--defer), which its builds (or another program) may have changed since the last build: %s",
			strings.Join(names, ", "), verb, r.p.deferState, they)
	}
	return fmt.Sprintf("%s %s the state's database %s (--defer), which another program may have changed since the last build: %s",
		strings.Join(names, ", "), verb, Rel(r.p.Dir, r.p.stateDB()), they)
}

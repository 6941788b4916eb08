package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// --defer on a PostgreSQL target: the state's relations are other
// relations of the same server (production's schema), which the run reads
// by their names as the state's manifest records them; nothing is
// attached. PostgreSQL cannot read another database's relations, so a
// selected node that would read a relation the state built in another
// database than this target's is refused before anything runs, at its
// ref() or source().

// checkServerState refuses a deferral on a PostgreSQL target whose
// selected nodes (or the ephemeral models they inline) read a deferred
// relation that the run could not read:
//
//   - one in another database than this target's (its own database, a
//     dbt manifest's or a dbt project's, else the database the state's
//     run built in, kiln.target; an unknown one, or this target's when
//     its profile names none and it holds no relation, is taken for the
//     same):
//     PostgreSQL cannot read across databases;
//   - one that does not exist (dropped since the state's run).
//
// It returns ErrInvalid after a Diagnostics event with an error at each
// such ref() or source(), nil when every read relation is there; other
// errors are failures to read this target's relations.
func (p *Project) checkServerState(ctx context.Context, dev *devDatabase, flag string, st *artifact.DeferState, deferred map[graph.ID]sqlq.Relation, selected []graph.ID) error {
	stateDB := func(rel sqlq.Relation) string {
		if rel.Database != "" {
			return rel.Database
		}
		if st.Target != nil {
			return st.Target.Database
		}
		return ""
	}
	d, err := dev.open(ctx)
	if err != nil {
		return err
	}
	rels, err := d.conn.Relations(ctx, false)
	if err != nil {
		return err
	}
	here := p.Profile.Database // else the server's name for it (PGDATABASE)
	exists := map[string]bool{}
	for _, r := range rels {
		exists[relKey(r.Relation)] = true
		if here == "" {
			here = r.Database
		}
	}
	g := p.Graph()
	var l diag.List
	for _, id := range selected {
		for _, r := range p.deferredReads(id, deferred, map[graph.ID]bool{}) {
			rel := deferred[r.parent]
			reader, par := g.Node(r.reader), g.Node(r.parent)
			if db := stateDB(rel); db != "" && here != "" && db != here {
				l.Errorf(r.pos, "%s reads %s from the state %s (--defer), which its run built in database %s, but this target builds in database %s: PostgreSQL cannot read another database's relations",
					reader.Name, par.DisplayName(), flag, db, here).Hint =
					fmt.Sprintf("defer to a run built in database %s (production in another schema of it), build %s in this target first (kiln build -s %s: --defer then reads this target's), or select it too", here, par.DisplayName(), selectorName(par))
				continue
			}
			if !exists[relKey(rel)] {
				l.Errorf(r.pos, "%s reads %s from the state %s (--defer), but its relation %s does not exist in %s (dropped since that run?)",
					reader.Name, par.DisplayName(), flag, stateName(rel), p.DatabaseName()).Hint =
					fmt.Sprintf("build %s in the state's target again, build it in this target first (kiln build -s %s: --defer then reads this target's), or select it too", par.DisplayName(), selectorName(par))
			}
		}
	}
	if len(l) == 0 {
		return nil
	}
	l.Sort()
	p.emit(Diagnostics{List: l})
	return ErrInvalid
}

// deferredRead is a ref() or source() of reader that reads the deferred
// parent, at pos.
type deferredRead struct {
	reader, parent graph.ID
	pos            diag.Pos
}

// deferredReads returns the reads of deferred relations by node id: its
// refs and sources of a parent in deferred, at their position in its
// file (its own position when the call is not found), and those of the
// ephemeral models it inlines, at theirs.
func (p *Project) deferredReads(id graph.ID, deferred map[graph.ID]sqlq.Relation, seen map[graph.ID]bool) []deferredRead {
	g := p.Graph()
	n := g.Node(id)
	var out []deferredRead
	for _, par := range g.Parents(id) {
		if seen[par] {
			continue
		}
		seen[par] = true
		t := g.Node(par)
		if t == nil {
			continue
		}
		if _, ok := deferred[par]; ok {
			out = append(out, deferredRead{reader: id, parent: par, pos: callPos(n, t)})
			continue
		}
		if t.Kind == graph.Model && t.Config.Materialized == graph.Ephemeral {
			out = append(out, p.deferredReads(par, deferred, seen)...)
		}
	}
	return out
}

// callPos returns where n calls ref() or source() of t: the first such
// call, else n's own position.
func callPos(n, t *graph.Node) diag.Pos {
	if t.Kind == graph.Source && t.Source != nil {
		for _, s := range n.SourceRef {
			if s.Package == t.Source.SourceName && s.Name == t.Name && s.Pos.File != "" {
				return s.Pos
			}
		}
		return n.Pos
	}
	for _, r := range n.Refs {
		if r.Name == t.Name && (r.Version == "" || r.Version == t.Version) && r.Pos.File != "" {
			return r.Pos
		}
	}
	return n.Pos
}

// selectorName is how kiln build -s names n: source:<source>.<table> for
// a source, its name otherwise.
func selectorName(n *graph.Node) string {
	if n.Kind == graph.Source && n.Source != nil {
		return "source:" + n.Source.SourceName + "." + n.Name
	}
	return n.Name
}

// stateName is rel as messages name it: schema.name.
func stateName(rel sqlq.Relation) string { return rel.Display() }

// stateSchemas lists the schemas of the deferred relations, sorted, for
// the info line: "schema prod" or "schemas prod, prod_marts".
func stateSchemas(deferred map[graph.ID]sqlq.Relation) string {
	seen := map[string]bool{}
	var list []string
	for _, rel := range deferred {
		if !seen[rel.Schema] {
			seen[rel.Schema] = true
			list = append(list, rel.Schema)
		}
	}
	sort.Strings(list)
	if len(list) == 1 {
		return "schema " + list[0]
	}
	return "schemas " + strings.Join(list, ", ")
}

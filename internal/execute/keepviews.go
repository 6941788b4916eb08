package execute

import (
	"context"
	"fmt"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/run"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// viewsToKeep returns the views to keep when model n's existing relation,
// of kind, is replaced, on a database that binds views to the relations
// they read (adapter.ViewKeeper: PostgreSQL): the views that read it,
// directly or through one another, that this run does not rebuild (a
// view the run rebuilds, and the views only it leads to, are left to its
// node), parents first, with their definitions. They must be read before
// the relation is moved aside. None elsewhere, or when no such view
// exists (the views read at the run's start, ReadBoundViews, answer that
// without a query).
//
// dbt-postgres replaces a relation with drop ... cascade, which drops
// these views; kiln keeps them: keepViews creates them again on the new
// relation, in the node's transaction.
func (e *Executor) viewsToKeep(ctx context.Context, conn adapter.Conn, n *graph.Node, kind string) ([]adapter.BoundView, error) {
	vb, ok := conn.(adapter.ViewBinder)
	vk, keeps := conn.(adapter.ViewKeeper)
	if !ok || !keeps || kind == "" {
		return nil, nil
	}
	deps, err := e.dependentViews(ctx, vb, n.Relation)
	if err != nil {
		return nil, err
	}
	outside := false
	for _, v := range deps {
		outside = outside || !e.rebuilds(v)
	}
	if !outside {
		return nil, nil
	}
	all, err := vk.BoundViews(ctx, n.Relation)
	if err != nil {
		return nil, err
	}
	root := sqlq.Relation{Schema: n.Relation.Schema, Name: n.Relation.Name}
	kept := map[sqlq.Relation]bool{}
	var out []adapter.BoundView
	for _, v := range all {
		if e.rebuilds(v.Relation) {
			continue
		}
		for _, p := range v.Parents {
			if p == root || kept[p] {
				kept[v.Relation] = true
				out = append(out, v)
				break
			}
		}
	}
	return out, nil
}

// asideViews and keepViews keep views, which read model n's relation that the node
// has just built anew (viewsToKeep read them before), again on it, in the
// node's transaction: each is moved aside and journaled (so that a
// rollback, or the next start after a kill, puts it back as it was on the
// previous relation), or dropped without a journal, then created again
// from its definition, with its privileges, owner and comments. A view
// that cannot be created again (it reads a column the model no longer
// has, or one whose new type its query cannot use) fails the node with a
// *run.NodeError at n's file naming the view and the database's reason;
// the transaction then rolls back and nothing has changed.
//
// asideViews moves them aside (or drops them) before the relation is
// built; keepViews then creates them.
func (e *Executor) asideViews(ctx context.Context, conn adapter.Conn, vs []adapter.BoundView) error {
	// Parents first: their entries are older, so that a commit drops the
	// backups, and an undo puts the views back, the views on views first
	// (newest first).
	for _, v := range vs {
		if e.opts.Journal == nil {
			break
		}
		if err := e.opts.Journal.MoveAside(ctx, conn, e.d, v.Relation, v.Kind); err != nil {
			return err
		}
	}
	// Without a journal they are dropped, the views on views first.
	for i := len(vs) - 1; i >= 0 && e.opts.Journal == nil; i-- {
		if _, err := conn.Run(ctx, e.d.DropRelation(vs[i].Relation, vs[i].Kind, false)); err != nil {
			return err
		}
	}
	return nil
}

// keepViews creates vs again (see asideViews).
func (e *Executor) keepViews(ctx context.Context, conn adapter.Conn, n *graph.Node, vs []adapter.BoundView) error {
	for _, v := range vs {
		for _, s := range v.Statements {
			if _, err := conn.Run(ctx, adapter.Plain(s)); err != nil {
				name := e.d.QuoteRelation(v.Relation)
				return &run.NodeError{Pos: n.Pos, Err: err,
					Msg: fmt.Sprintf("model %q: the %s %s, which reads %s, cannot be created again on its new relation: %s",
						n.Name, v.Kind, name, n.Name, oneLine(err.Error())),
					Hint: fmt.Sprintf("PostgreSQL binds a view to the relation it reads, so kiln creates the views on %s again from their definitions after it rebuilds it, and this one reads what the model no longer gives (a column gone, or a type its query cannot use); nothing was changed. Change the view, make it a model of the project (then it is rebuilt in the same run), or drop it (drop %s %s)",
						n.Name, v.Kind, name)}
			}
		}
	}
	return nil
}

// journalHookViews journals the views that read node n's relation after
// its post-hooks ran in its transaction and that did not exist at the
// run's start (a post-hook's create view ... from {{ this }}): they are
// the run's work, which a rollback undoes (Journal.Made), so that it can
// put n's previous relation back. A view that existed at the run's start
// was kept (keepViews) or rebuilt by its own node, journaled there.
func (e *Executor) journalHookViews(ctx context.Context, conn adapter.Conn, n *graph.Node) error {
	vb, ok := conn.(adapter.ViewBinder)
	if !ok || e.opts.Journal == nil || n.Relation.IsZero() {
		return nil
	}
	deps, err := vb.DependentViews(ctx, n.Relation)
	if err != nil {
		return err
	}
	for _, v := range deps {
		if e.cat.Kind(v) != "" {
			continue
		}
		if err := e.opts.Journal.Made(ctx, conn, v); err != nil {
			return err
		}
	}
	return nil
}

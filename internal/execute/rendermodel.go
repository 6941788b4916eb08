package execute

import (
	"context"
	"fmt"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/materialize"
	"github.com/kiln-build/kiln/internal/run"
)

// renderModel renders model n again at run time (Options.Render), when
// its template reads execute, and returns the node with the SQL of this
// run as its CompiledCode; for an incremental model whose run applies to
// its table, rendered with is_incremental() true and as its
// Incremental.Code too (the SQL applied), as dbt renders the model when
// it runs (its parse-time rendering, execute false, may differ: a filter
// written under {% if execute %}).
// It returns n as is when the template does not read execute; done with
// the failed result when the rendering fails.
func (e *Executor) renderModel(ctx context.Context, conn adapter.Conn, n *graph.Node) (out *graph.Node, res run.Result, done bool) {
	applies := func() bool {
		return n.Incremental != nil && n.Incremental.Batch == nil && e.cat.Kind(n.Relation) == string(adapter.Table) && !materialize.FullRefresh(n, e.opts.FullRefresh)
	}
	incremental := applies()
	for try := 0; ; try++ {
		sql, ok, err := e.opts.Render(ctx, n, adapter.Session{Conn: conn, Dialect: e.d, Type: e.typ, Incremental: incremental})
		if err != nil {
			return nil, failed(&run.NodeError{Pos: n.Pos, Msg: fmt.Sprintf("model %q: rendering at run time: %v", n.Name, err), Err: err}), true
		}
		if !ok {
			return n, run.Result{}, false
		}
		// The template may have created or dropped the node's relation.
		kind, err := conn.RelationKind(ctx, n.Relation)
		if err != nil {
			return nil, failed(err), true
		}
		e.cat.Set(n.Relation, string(kind))
		if applies() != incremental && try == 0 {
			// It did, and so changed whether the run applies to the
			// table: rendered again with is_incremental() as it is now.
			incremental = !incremental
			continue
		}
		rendered := *n
		rendered.CompiledCode = sql
		if incremental {
			inc := *n.Incremental
			inc.Code = sql
			rendered.Incremental = &inc
		}
		return &rendered, run.Result{}, false
	}
}

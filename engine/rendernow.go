package engine

import (
	"context"
	"fmt"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
)

// RenderNow renders the nodes of ids whose templates read execute
// (Node.RenderAtRun: while compiling, execute is false and such a
// template may render no SQL at all) as a run renders them, with execute
// true and the database at hand, and returns their SQL by id, as dbt
// compile does with its connection. The caller holds the target folder
// (LockTarget), so that no run changes the database meanwhile; what a
// killed run left is restored first, as a run does. A template's own
// statements (run_query, statement) run as they would in a run. It
// returns an empty map when no node of ids renders at run time,
// ErrNoDatabase (wrapped) before the first build, *adapter.LockError
// while another process holds the database, and a node's rendering error
// with the node's name.
func (p *Project) RenderNow(ctx context.Context, ids []graph.ID) (map[graph.ID]string, error) {
	var todo []*graph.Node
	for _, id := range ids {
		if n := p.Graph().Node(id); n != nil && n.RenderAtRun {
			todo = append(todo, n)
		}
	}
	out := map[graph.ID]string{}
	if len(todo) == 0 || p.cfg.Render == nil {
		return out, nil
	}
	if p.DBPath != ":memory:" && !p.DatabaseExists() {
		return nil, fmt.Errorf("%w: %s; run kiln build first", ErrNoDatabase, p.DatabaseName())
	}
	d, err := p.OpenDatabase(ctx)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	conn, db := d.conn, d.db
	if err := p.recover(ctx, conn, db.Dialect()); err != nil {
		return nil, err
	}
	s := adapter.Session{Conn: conn, Dialect: db.Dialect(), Type: db.Type()}
	for _, n := range todo {
		sql, ok, err := p.cfg.Render(ctx, n, s)
		if err != nil {
			return nil, fmt.Errorf("%s %q: rendering with the database: %w", n.Kind, n.DisplayName(), err)
		}
		if ok {
			out[n.ID] = sql
		}
	}
	return out, nil
}

package execute

import (
	"context"
	"fmt"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
)

// reads returns the relation that reading node id means in this run, as
// ref() of it does: the state's under --defer (Options.Deferred), else
// the node's own; the zero Relation for an unknown node or one without a
// relation (an ephemeral model).
func (e *Executor) reads(id graph.ID) adapter.Relation {
	if rel, ok := e.opts.Deferred[id]; ok {
		return rel
	}
	if n := e.g.Node(id); n != nil {
		return n.Relation
	}
	return adapter.Relation{}
}

// inputColumns returns the columns of the relation a unit test's given
// input id stands for, which fill the columns its rows leave out (as
// dbt): under --defer the state's relation (Options.Deferred), which is
// read through the attached database; else the input's own relation in
// this database, nil when it does not exist (or the input has none).
// Errors: the catalog cannot be read, or the state's relation cannot be
// described.
func (e *Executor) inputColumns(ctx context.Context, conn adapter.Conn, id graph.ID) ([]adapter.Column, error) {
	if rel, ok := e.opts.Deferred[id]; ok {
		cols, err := conn.DescribeQuery(ctx, e.d.SelectAll(rel, ""))
		if err != nil {
			return nil, fmt.Errorf("cannot read the columns of given input %s from the state's relation %s (--defer): %w", e.g.Node(id).Name, rel, err)
		}
		return cols, nil
	}
	rel := e.reads(id)
	if rel.IsZero() {
		return nil, nil
	}
	return conn.Columns(ctx, rel)
}

package engine

import (
	"context"
	"fmt"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
)

// Operation runs macro (dbt's run-operation: "name", or "package.name")
// with args as its keyword arguments against the project's database, as
// dbt does: the macro renders with execute true, the statements it runs
// (run_query, statement, adapter methods) run on one connection in one
// transaction, committed when the macro ends without error and rolled
// back otherwise; var() reads the vars of the macro's package. Its log()
// and print() messages reach the listener as Log events. It returns
// what the macro returns (or renders). Like a run, it first finishes what
// killed kiln processes left; it returns *adapter.LockError while a build
// holds the database, and the macro's error, placed in its file, when it
// fails.
func (p *Project) Operation(ctx context.Context, macro string, args map[string]any) (string, error) {
	db, err := p.openDB(ctx, 0, 0)
	if err != nil {
		return "", err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return "", interrupted(ctx, err)
	}
	defer conn.Close()
	unlock, err := p.lockTarget(ctx, "run-operation")
	if err != nil {
		return "", err
	}
	defer unlock()
	if err := p.recover(ctx, conn, db.Dialect()); err != nil {
		return "", err
	}
	s := adapter.Session{Conn: conn, Dialect: db.Dialect(), Type: db.Type()}
	var out string
	err = conn.Tx(ctx, func() error {
		var err error
		out, err = p.Manifest.Operation(ctx, macro, args, s, func(l graph.LogLine) { p.log(nil, l) })
		return err
	})
	if err != nil {
		return "", fmt.Errorf("run-operation %s: %w", macro, err)
	}
	return out, nil
}

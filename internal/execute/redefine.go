package execute

import (
	"context"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// definition returns the statements that create table rel as it is now
// (adapter.TableDefiner), for the journal entry of a table a rollback may
// have to create again; nil where the dialect does not read them or they
// cannot be used (the rollback then renames the copy back).
func definition(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel sqlq.Relation) ([]string, error) {
	td, ok := d.(adapter.TableDefiner)
	if !ok {
		return nil, nil
	}
	_, rows, err := conn.QueryRows(ctx, td.TableDefinition(rel).SQL)
	if err != nil {
		return nil, err
	}
	return td.DefinitionStatements(rel, rows), nil
}

// recreate puts entry e's table back whole from its saved definition, in
// the caller's transaction: the table is dropped, created again by the
// definition's create table, given the backup's rows (by column name),
// then its indexes and comments, and the privileges granted on the
// backup; the backup is dropped. It reports false, changing nothing, when
// e has no definition (the caller renames the backup back). The backup
// must exist.
func recreate(ctx context.Context, conn adapter.Conn, d adapter.Dialect, e adapter.JournalEntry, backup sqlq.Relation) (bool, error) {
	if len(e.Definition) == 0 {
		return false, nil
	}
	cols, err := conn.Columns(ctx, backup)
	if err != nil {
		return false, err
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	if err := dropRelation(ctx, conn, d, e.Relation); err != nil {
		return false, err
	}
	if _, err := conn.Run(ctx, adapter.Plain(e.Definition[0])); err != nil {
		return false, err
	}
	if _, err := conn.Run(ctx, d.InsertColumns(e.Relation, backup, names, "")); err != nil {
		return false, err
	}
	for _, s := range e.Definition[1:] {
		if _, err := conn.Run(ctx, adapter.Plain(s)); err != nil {
			return false, err
		}
	}
	if g, ok := d.(adapter.Granter); ok {
		if err := restoreGrants(ctx, conn, g, e.Relation, backup); err != nil {
			return false, err
		}
	}
	_, err = conn.Run(ctx, d.DropRelation(backup, adapter.Table, false))
	return true, err
}

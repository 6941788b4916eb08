package execute

import (
	"context"
	"fmt"
	"strings"

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
// the caller's transaction: the definition's statements before its
// create table run first (PostgreSQL: the views reading the table and
// the other tables' foreign keys to it dropped, its serial sequences
// released, to be given back after), the table is dropped, created again
// by the create table, given the backup's rows (by column name) and the
// privileges granted on the backup, then the definition's other
// statements run (indexes, constraints, comments, privileges, views);
// the backup is dropped. It reports false, changing nothing, when e has
// no definition, or none with a create table (the caller renames the
// backup back). The backup must exist.
func recreate(ctx context.Context, conn adapter.Conn, d adapter.Dialect, e adapter.JournalEntry, backup sqlq.Relation) (bool, error) {
	at := adapter.CreateTableAt(e.Definition)
	if at < 0 {
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
	for _, s := range e.Definition[:at] {
		if _, err := conn.Run(ctx, adapter.Plain(s)); err != nil {
			return false, err
		}
	}
	if err := dropRelation(ctx, conn, d, e.Relation); err != nil {
		return false, err
	}
	if _, err := conn.Run(ctx, adapter.Plain(e.Definition[at])); err != nil {
		return false, err
	}
	if _, err := conn.Run(ctx, d.InsertColumns(e.Relation, backup, names, "")); err != nil {
		return false, err
	}
	if g, ok := d.(adapter.Granter); ok {
		// Before the definition's own privileges (PostgreSQL's), which
		// are those of the table when the copy was made.
		if err := restoreGrants(ctx, conn, g, e.Relation, backup); err != nil {
			return false, err
		}
	}
	for _, s := range e.Definition[at+1:] {
		if _, err := conn.Run(ctx, adapter.Plain(s)); err != nil {
			return false, err
		}
	}
	_, err = conn.Run(ctx, d.DropRelation(backup, adapter.Table, false))
	return true, err
}

// reshapePlan is how a node changes the columns of a table it keeps in
// place, on a database that cannot replay some ALTER TABLE statements
// from its log (adapter.Reshaper): by creating the table again from def
// (recreate true), or by altering it (false, def nil).
type reshapePlan struct {
	recreate bool
	def      []string
	// read says that def is the table's definition as read before the
	// change (nil when it cannot be used): the journal keeps it rather
	// than read it again.
	read bool
}

// known returns the definition p read, for the journal, or nil when it
// read none.
func (p *reshapePlan) known() *reshapePlan {
	if p == nil || !p.read {
		return nil
	}
	return p
}

// planReshape reads table rel's definition where the dialect is an
// adapter.Reshaper and decides how its columns are changed: by ALTER
// TABLE when the dialect says an ALTER of rel replays from the log, else
// by creating rel again (reshapeTable). It refuses, before anything
// changes, a table that can be changed neither way: its definition
// cannot be read back (a generated column), or it has column comments,
// which DuckDB cannot replay on such a table either. what names the node
// and change says what would change, and rebuild how to build the
// table anew (materialize.RebuildHint), for the errors. One catalog query,
// run only by a node that changes a table's columns; the plan keeps what
// it read for the journal (Journal.PrepareReshape, PrepareCopy), which
// then reads nothing more.
func planReshape(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel sqlq.Relation, what, change, rebuild string) (reshapePlan, error) {
	g, ok := d.(adapter.Reshaper)
	td, ok2 := d.(adapter.TableDefiner)
	if !ok || !ok2 {
		return reshapePlan{}, nil
	}
	_, rows, err := conn.QueryRows(ctx, td.TableDefinition(rel).SQL)
	if err != nil {
		return reshapePlan{}, err
	}
	create := ""
	comments := false
	for _, r := range rows {
		if len(r) < 3 {
			continue
		}
		switch w, _ := r[0].(string); w {
		case "table":
			create, _ = r[2].(string)
		case "column comment":
			comments = true
		}
	}
	def := td.DefinitionStatements(rel, rows)
	if create == "" || !g.AlterUnsafe(create) {
		return reshapePlan{def: def, read: true}, nil
	}
	why := "its table has a CHECK, a DEFAULT that calls a function or an operator, or a generated column (made outside kiln), and " + change +
		"; DuckDB cannot replay an ALTER TABLE of such a table from its write-ahead log (duckdb/duckdb#18259), so kiln creates the table again with its new columns"
	if comments {
		return reshapePlan{}, fmt.Errorf("%s: %s, but DuckDB cannot replay the comments on its columns either; nothing was changed: remove the column comments (comment on column ... is null, with the database closed cleanly after), or %s", what, why, rebuild)
	}
	if len(def) == 0 {
		return reshapePlan{}, fmt.Errorf("%s: %s, but its definition cannot be read back (a generated column); nothing was changed: change its columns by hand, or %s", what, why, rebuild)
	}
	return reshapePlan{recreate: true, def: def, read: true}, nil
}

// shapeTable is the temporary table reshapeTable runs a change's ALTER
// statements on.
func shapeTable(rel sqlq.Relation) string { return "__kiln_shape_" + rel.Name }

// reshapeTable changes the columns of table rel, whose definition is
// def (planReshape), without altering it: the statements alter (built
// for the relation given) run on a temporary table created from def,
// whose definition, read back, creates rel again after it is dropped;
// the rows of rows (a copy of rel's, the journal's backup) are inserted
// by the names of the columns the two have, then def's indexes and
// comments are created again. It runs in the node's transaction, which
// the log then holds as a drop, a create, inserts and create indexes,
// all of which DuckDB replays.
func reshapeTable(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel sqlq.Relation, def []string, rows sqlq.Relation, alter func(adapter.Relation) []adapter.Stmt) error {
	g := d.(adapter.Reshaper)
	name := shapeTable(rel)
	s, ok := g.ShapeTable(def[0], rel, name)
	if !ok {
		return fmt.Errorf("cannot read the definition of %s to create it again: %s", d.QuoteRelation(rel), def[0])
	}
	if _, err := conn.Run(ctx, s); err != nil {
		return err
	}
	shape := d.TempRelation(name)
	for _, s := range alter(shape) {
		if _, err := conn.Run(ctx, s); err != nil {
			return err
		}
	}
	_, text, err := conn.QueryRows(ctx, g.ShapeDefinition(name).SQL)
	if err != nil {
		return err
	}
	if len(text) != 1 || len(text[0]) != 1 {
		return fmt.Errorf("cannot read the definition of the temporary table %s", name)
	}
	t, _ := text[0][0].(string)
	create, ok := g.Reshaped(t, name, rel)
	if !ok {
		return fmt.Errorf("cannot read the definition of the temporary table %s: %s", name, t)
	}
	newCols, err := conn.DescribeQuery(ctx, d.SelectAll(shape, ""))
	if err != nil {
		return err
	}
	oldCols, err := conn.Columns(ctx, rows)
	if err != nil {
		return err
	}
	had := map[string]bool{}
	for _, c := range oldCols {
		had[strings.ToLower(c.Name)] = true
	}
	var names []string
	for _, c := range newCols {
		if had[strings.ToLower(c.Name)] {
			names = append(names, c.Name)
		}
	}
	if _, err := conn.Run(ctx, d.DropRelation(shape, adapter.Table, false)); err != nil {
		return err
	}
	if _, err := conn.Run(ctx, d.DropRelation(rel, adapter.Table, false)); err != nil {
		return err
	}
	if _, err := conn.Run(ctx, create); err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("the new columns of %s (%d) and those of its copy (%d) have no name in common", d.QuoteRelation(rel), len(newCols), len(oldCols))
	}
	if _, err := conn.Run(ctx, d.InsertColumns(rel, rows, names, "")); err != nil {
		return err
	}
	for _, s := range def[1:] {
		if _, err := conn.Run(ctx, adapter.Plain(s)); err != nil {
			return err
		}
	}
	return nil
}

// alterUnsafe reports whether the table a journal entry's definition def
// creates must not have its columns altered in place (adapter.Reshaper):
// a rollback then creates it again from def instead.
func alterUnsafe(d adapter.Dialect, def []string) bool {
	g, ok := d.(adapter.Reshaper)
	return ok && len(def) > 0 && g.AlterUnsafe(def[0])
}

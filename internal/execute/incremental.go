package execute

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/failpoint"
	"github.com/kiln-build/kiln/internal/materialize"
	"github.com/kiln-build/kiln/internal/run"
)

// newRowsTable is the temporary table holding an incremental model's new
// rows while it is applied (one per connection, so workers do not clash).
func newRowsTable(n *graph.Node) string { return "__kiln_new_" + n.Relation.Name }

// withCode returns a copy of n whose compiled SQL is code, so that an
// error in it maps back to the file.
func withCode(n *graph.Node, code string) *graph.Node {
	c := *n
	c.CompiledCode = code
	return &c
}

// incremental builds model n, materialized incremental, in one
// transaction. When its table exists and the run is not a full refresh
// (materialize.FullRefresh), is_incremental() was true: the new rows
// (n.Incremental.Code) are applied to the table by the model's strategy,
// after its columns are evolved as on_schema_change says; the journal
// keeps a copy of the table (it cannot be rebuilt). Otherwise the table
// is built whole from n.CompiledCode. With a unique_key, the new rows are
// checked first: a NULL or duplicate key is an error and nothing is
// written.
// A microbatch model is built by microbatch, with plan when its hooks
// needed it first (withHooks), else with the plan it reads.
func (e *Executor) incremental(ctx context.Context, conn adapter.Conn, n *graph.Node, plan *batchPlan) run.Result {
	if n.Incremental.Batch != nil {
		return e.microbatch(ctx, conn, n, plan)
	}
	kind := e.cat.Kind(n.Relation)
	applied := kind == string(adapter.Table) && !materialize.FullRefresh(n, e.opts.FullRefresh)
	var out incrementalResult
	// The table, its copy (or backup) and the journal entry are committed
	// together.
	err := conn.Tx(ctx, func() error {
		var err error
		if applied {
			err = e.applyIncremental(ctx, conn, n, &out)
		} else {
			err = e.buildWhole(ctx, conn, n, kind, &out)
		}
		if err == nil && !applied {
			err = e.createIndexes(ctx, conn, n)
		}
		if err == nil {
			err = e.checkReferrers(ctx, conn, n)
		}
		if err == nil {
			err = e.distribute(ctx, conn, n)
		}
		if err == nil && !e.grantsAfterHooks(n) {
			err = e.applyGrants(ctx, conn, n, e.carried(n, kind))
		}
		if err == nil {
			err = persistDocs(ctx, conn, e.d, n)
		}
		if err == nil {
			failpoint.Hit(failpoint.NodeBuilt)
		}
		return err
	})
	if err != nil {
		return failed(err)
	}
	failpoint.Hit(failpoint.NodeCommitted)
	e.cat.Set(n.Relation, string(adapter.Table))
	return out.result(n)
}

// incrementalResult is what an incremental build wrote.
type incrementalResult struct {
	whole    bool  // the table was built whole
	rows     int64 // rows of the new data (all rows when whole)
	written  int64 // rows inserted, merged or replaced by the last statement
	deleted  int64 // rows deleted (delete+insert, microbatch)
	batches  int   // microbatch: batches built
	schema   string
	strategy string
}

func (o incrementalResult) result(n *graph.Node) run.Result {
	r := run.Result{Status: run.Success, Rows: o.rows, CompiledCode: n.CompiledCode}
	if !o.whole && n.Incremental.Batch == nil {
		// The rendering that ran, with is_incremental() true, as dbt
		// writes it (run_results.json, manifest.json, target/compiled).
		r.CompiledCode = n.Incremental.Code
	}
	var msg string
	switch {
	case o.whole:
		msg = fmt.Sprintf("built whole: %s", plural(o.rows, "row"))
		r.AdapterResponse = map[string]any{"_message": fmt.Sprintf("SELECT %d", o.rows), "rows_affected": o.rows}
	default:
		msg = fmt.Sprintf("%s: %s", o.strategy, plural(o.rows, "new row"))
		if o.deleted > 0 {
			msg += fmt.Sprintf(", %d replaced", o.deleted)
		}
		r.AdapterResponse = map[string]any{"_message": fmt.Sprintf("%s %d", strings.ToUpper(o.strategy), o.written), "rows_affected": o.written}
	}
	if o.batches > 0 {
		msg += fmt.Sprintf(" in %s", plural(int64(o.batches), "batch"))
	}
	if o.schema != "" {
		msg += "; columns: " + o.schema
	}
	r.Message = msg
	r.Metrics = map[string]float64{"rows": float64(o.rows)}
	return r
}

// buildWhole builds incremental model n's table from its full SQL,
// replacing the relation of kind at its name (kept in the journal).
func (e *Executor) buildWhole(ctx context.Context, conn adapter.Conn, n *graph.Node, kind string, out *incrementalResult) error {
	out.whole = true
	if err := e.opts.Journal.Prepare(ctx, conn, e.d, n.Relation, kind); err != nil {
		return e.asideError(n, err)
	}
	if e.opts.Journal == nil && kind == string(adapter.View) {
		if _, err := conn.Run(ctx, e.d.DropRelation(n.Relation, adapter.View, false)); err != nil {
			return err
		}
	}
	if !e.schemas {
		if _, err := conn.Run(ctx, e.d.CreateSchema(n.Relation.Schema)); err != nil {
			return err
		}
	}
	keys := n.Incremental.UniqueKey
	if materialize.Constrained(n) {
		return e.buildConstrained(ctx, conn, n, keys, out)
	}
	if len(keys) == 0 {
		s := materialize.Unlogged(e.d, n, e.d.CreateTableAs(n.Relation, n.CompiledCode))
		rows, err := conn.Run(ctx, s)
		if err != nil {
			return e.sqlError(n, err, s)
		}
		out.rows = rows
		return nil
	}
	tmp, rows, err := e.newRows(ctx, conn, n, n.CompiledCode)
	if err != nil {
		return err
	}
	if err := CheckKeyExprs(ctx, conn, e.d, "model", n.Name, tmp, keys, n.Incremental.UniqueKeyAt, n.Incremental.UniqueKeyItemsAt); err != nil {
		return err
	}
	if _, err := conn.Run(ctx, materialize.Unlogged(e.d, n, e.d.CreateTableAs(n.Relation, e.d.SelectAll(tmp, "")))); err != nil {
		return err
	}
	out.rows = rows
	_, err = conn.Run(ctx, e.d.DropRelation(tmp, adapter.Table, true))
	return err
}

// buildConstrained creates incremental model n's table from its
// contract, with its constraints, as dbt creates it on a first build or a
// full refresh, and inserts the rows of its full SQL (checked first
// against the unique key keys, when there is one), then checks its
// foreign keys.
func (e *Executor) buildConstrained(ctx context.Context, conn adapter.Conn, n *graph.Node, keys []string, out *incrementalResult) error {
	query, tmp := n.CompiledCode, adapter.Relation{}
	if len(keys) > 0 {
		var err error
		if tmp, _, err = e.newRows(ctx, conn, n, n.CompiledCode); err != nil {
			return err
		}
		if err := CheckKeyExprs(ctx, conn, e.d, "model", n.Name, tmp, keys, n.Incremental.UniqueKeyAt, n.Incremental.UniqueKeyItemsAt); err != nil {
			return err
		}
		query = e.d.SelectAll(tmp, "")
	}
	stmts := materialize.ConstrainedTable(e.d, n, query)
	if _, err := conn.Run(ctx, stmts[0]); err != nil {
		return err
	}
	rows, err := conn.Run(ctx, stmts[1])
	if err != nil {
		if tmp.IsZero() {
			return e.sqlError(n, err, stmts[1])
		}
		return fmt.Errorf("model %q: %w", n.Name, err)
	}
	out.rows = rows
	if !tmp.IsZero() {
		if _, err := conn.Run(ctx, e.d.DropRelation(tmp, adapter.Table, true)); err != nil {
			return err
		}
	}
	return e.checkForeignKeys(ctx, conn, n)
}

// newRows creates the temporary table of model n's new rows from code and
// returns it with its number of rows.
func (e *Executor) newRows(ctx context.Context, conn adapter.Conn, n *graph.Node, code string) (adapter.Relation, int64, error) {
	s := e.d.CreateTempTableAs(newRowsTable(n), code)
	rows, err := conn.Run(ctx, s)
	if err != nil {
		return adapter.Relation{}, 0, e.sqlError(withCode(n, code), err, s)
	}
	return e.d.TempRelation(newRowsTable(n)), rows, nil
}

// applyIncremental applies the new rows of model n to its table.
func (e *Executor) applyIncremental(ctx context.Context, conn adapter.Conn, n *graph.Node, out *incrementalResult) error {
	inc := n.Incremental
	out.strategy = inc.Strategy
	tmp, rows, err := e.newRows(ctx, conn, n, inc.Code)
	if err != nil {
		return err
	}
	out.rows = rows
	if len(inc.UniqueKey) > 0 {
		if err := CheckKeyExprs(ctx, conn, e.d, "model", n.Name, tmp, inc.UniqueKey, inc.UniqueKeyAt, inc.UniqueKeyItemsAt); err != nil {
			return err
		}
	}
	newCols, err := conn.DescribeQuery(ctx, e.d.SelectAll(tmp, ""))
	if err != nil {
		return err
	}
	tableCols, err := conn.Columns(ctx, n.Relation)
	if err != nil {
		return err
	}
	evolve, cols, err := materialize.Evolve(e.d, n, inc.OnSchemaChange, n.Relation, tableCols, newCols)
	if err != nil {
		return err
	}
	if len(evolve) > 0 {
		out.schema = materialize.DiffColumns(tableCols, newCols).Describe(inc.OnSchemaChange)
	}
	apply, err := materialize.Apply(e.d, n, n.Relation, tmp, cols)
	if err != nil {
		return err
	}
	if err := e.checkIndexedEvolve(ctx, conn, n, tableCols, newCols, len(evolve) > 0); err != nil {
		return err
	}
	constrained := materialize.Constrained(n)
	var plan reshapePlan
	if len(evolve) > 0 && !constrained {
		change := fmt.Sprintf("on_schema_change %s would change its columns (%s)", inc.OnSchemaChange, materialize.DiffColumns(tableCols, newCols).Describe(inc.OnSchemaChange))
		if plan, err = planReshape(ctx, conn, e.d, n.Relation, fmt.Sprintf("model %q", n.Name), change, materialize.RebuildHint(n)); err != nil {
			return err
		}
	}
	switch {
	case constrained && len(evolve) > 0:
		return fmt.Errorf("model %q: its table was created with its contract's constraints and its columns differ from the new rows' (%s); %s to create it again from its contract",
			n.Name, materialize.DiffColumns(tableCols, newCols).Describe(inc.OnSchemaChange), materialize.RebuildHint(n))
	case constrained || !dropsColumns(inc.OnSchemaChange, tableCols, newCols):
		// The journal keeps the rows, not a copy of the table to rename
		// back, which would lose the table's definition: a rollback
		// gives the table itself its columns and rows back, with its
		// constraints, defaults, indexes and grants.
		if err := e.keepTable(ctx, conn, n, len(evolve) > 0, plan.known()); err != nil {
			return err
		}
	default:
		// sync_all_columns drops a column, which cannot be put back in
		// its place: a rollback creates the table again from the
		// definition the journal keeps with its copy (DuckDB,
		// PostgreSQL), or, without one, renames the copy back, with the
		// indexes and grants kiln gives it (not the constraints and
		// defaults added outside the model's config).
		if err := e.opts.Journal.prepareCopy(ctx, conn, e.d, n.Relation, string(adapter.Table), plan.known()); err != nil {
			return err
		}
		if err := e.keepGrants(ctx, conn, n); err != nil {
			return err
		}
		if err := e.keepDocs(ctx, conn, n); err != nil {
			return err
		}
		if !e.opts.Journal.Defines(n.Relation) {
			if err := e.keepIndexes(ctx, conn, n); err != nil {
				return err
			}
		}
	}
	if plan.recreate {
		alter := func(r adapter.Relation) []adapter.Stmt {
			st, _, _ := materialize.Evolve(e.d, n, inc.OnSchemaChange, r, tableCols, newCols)
			return st
		}
		if err := e.reshape(ctx, conn, n.Relation, plan.def, alter); err != nil {
			return fmt.Errorf("model %q: on_schema_change %s: %w", n.Name, inc.OnSchemaChange, err)
		}
		evolve = nil
	}
	for _, s := range evolve {
		if _, err := conn.Run(ctx, s); err != nil {
			return fmt.Errorf("model %q: on_schema_change %s: %w", n.Name, inc.OnSchemaChange, err)
		}
	}
	for i, s := range apply {
		c, err := conn.Run(ctx, s)
		if err != nil {
			return fmt.Errorf("model %q: %s: %w", n.Name, inc.Strategy, err)
		}
		if i == len(apply)-1 {
			out.written = c
		} else {
			out.deleted += c
		}
	}
	if err := e.checkForeignKeys(ctx, conn, n); err != nil {
		return err
	}
	_, err = conn.Run(ctx, e.d.DropRelation(tmp, adapter.Table, true))
	return err
}

// reshape changes the columns of node's table rel, whose definition is
// def, by creating it again (reshapeTable) with the rows of the
// journal's copy, which the node made first (keepTable, PrepareCopy);
// without a journal, of a temporary copy made here.
func (e *Executor) reshape(ctx context.Context, conn adapter.Conn, rel adapter.Relation, def []string, alter func(adapter.Relation) []adapter.Stmt) error {
	if e.opts.Journal != nil {
		return reshapeTable(ctx, conn, e.d, rel, def, e.opts.Journal.BackupOf(rel), alter)
	}
	name := "__kiln_rows_" + rel.Name
	if _, err := conn.Run(ctx, e.d.CreateTempTableAs(name, e.d.SelectAll(rel, ""))); err != nil {
		return err
	}
	rows := e.d.TempRelation(name)
	if err := reshapeTable(ctx, conn, e.d, rel, def, rows, alter); err != nil {
		return err
	}
	_, err := conn.Run(ctx, e.d.DropRelation(rows, adapter.Table, false))
	return err
}

// checkIndexedEvolve refuses, before model n changes anything, an
// on_schema_change (evolve: it changes the table's columns from table to
// rows) that its database cannot carry out or undo on a table with an
// index made by create index (adapter.ColumnDropGuard: DuckDB). DuckDB
// adds a column to such a table but refuses to drop one or change its
// type ("Cannot alter entry ... because there are entries that depend on
// it", DuckDB 1.5), so sync_all_columns dropping or retyping a column is
// refused here, naming the columns. A run that only adds columns goes on:
// its rollback creates the table again from the definition the journal
// saves (PrepareReshape), with its indexes, constraints and rows; where
// that definition cannot be read back (a generated column), the run is
// refused too, as the rollback could then only put a copy of the rows
// back.
func (e *Executor) checkIndexedEvolve(ctx context.Context, conn adapter.Conn, n *graph.Node, table, rows []adapter.Column, evolve bool) error {
	g, ok := e.d.(adapter.ColumnDropGuard)
	if !ok || !evolve {
		return nil
	}
	ix, err := conn.QueryInt(ctx, g.IndexCount(n.Relation).SQL)
	if err != nil || ix == 0 {
		return err
	}
	what := "an index"
	if ix > 1 {
		what = fmt.Sprintf("%d indexes", ix)
	}
	mode, ch := n.Incremental.OnSchemaChange, materialize.DiffColumns(table, rows)
	if mode == "sync_all_columns" && len(ch.Removed)+len(ch.Retyped) > 0 {
		return fmt.Errorf("model %q: its table has %s made with create index, and on_schema_change %s would drop or change the type of its columns (%s), which DuckDB refuses on a table with an index (it only adds columns to one); drop the index first (and create it again after the run, a post-hook can): --full-refresh cannot replace a table with an index either",
			n.Name, what, mode, ch.Describe(mode))
	}
	def, err := definition(ctx, conn, e.d, n.Relation)
	if err != nil {
		return err
	}
	if len(def) == 0 {
		return fmt.Errorf("model %q: its table has %s made with create index, and on_schema_change %s would add columns (%s); DuckDB then refuses to drop them again, and the table's definition cannot be read back (a generated column) to create it again, so a failed run could not give the table back as it was; drop the index first (and create it again after the run, a post-hook can): --full-refresh cannot replace a table with an index either",
			n.Name, what, mode, materialize.SchemaChange{Added: ch.Added})
	}
	return nil
}

// dropsColumns reports whether on_schema_change mode drops a column of
// the table (columns table) for the new rows (columns rows).
func dropsColumns(mode string, table, rows []adapter.Column) bool {
	return mode == "sync_all_columns" && len(materialize.DiffColumns(table, rows).Removed) > 0
}

// CheckKeys returns an error naming what (model or snapshot) name, the key
// and an example value when a row of rel has a NULL in a column of keys,
// or when two rows have the same keys; the caller writes nothing then. A
// key that is not a column of rel is an error too. keys are column names
// (a snapshot's unique_key), quoted in the queries.
//
// at is where unique_key is written: a key that is not a column is a
// *run.NodeError there, with the nearest column (or the columns) as its
// hint; a zero at leaves it a plain error. items, when it has one
// position by key (graph.IncrementalInfo.UniqueKeyItemsAt), are where
// each key is written in unique_key's list: the error is at its key's.
func CheckKeys(ctx context.Context, conn adapter.Conn, d adapter.Dialect, what, name string, rel adapter.Relation, keys []string, at diag.Pos, items []diag.Pos) error {
	return checkKeys(ctx, conn, d, what, name, rel, keys, false, at, items)
}

// CheckKeyExprs is CheckKeys for an incremental model's unique_key, which
// kiln writes as given, as dbt does (not quoted): each key is a column
// name, resolved by the database's rules (PostgreSQL folds an unquoted
// name to lower case), a quoted name, or an expression of the columns. A
// plain name that is no column's, in any case, is refused as by
// CheckKeys; a key the database cannot read in the new rows (a name it
// folds to no column, an expression that does not parse) is a
// *run.NodeError at unique_key with the database's message, and, for a
// name of mixed case, a hint to quote it.
func CheckKeyExprs(ctx context.Context, conn adapter.Conn, d adapter.Dialect, what, name string, rel adapter.Relation, keys []string, at diag.Pos, items []diag.Pos) error {
	return checkKeys(ctx, conn, d, what, name, rel, keys, true, at, items)
}

// plainName matches an unquoted SQL name: a key that is one is checked
// against the columns by name.
var plainName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)

func checkKeys(ctx context.Context, conn adapter.Conn, d adapter.Dialect, what, name string, rel adapter.Relation, keys []string, asWritten bool, at diag.Pos, items []diag.Pos) error {
	cols, err := conn.DescribeQuery(ctx, d.SelectAll(rel, ""))
	if err != nil {
		return err
	}
	have := map[string]bool{}
	var names []string
	for _, c := range cols {
		have[strings.ToLower(c.Name)] = true
		names = append(names, c.Name)
	}
	exprs := make([]string, len(keys))
	for i, k := range keys {
		exprs[i] = k
		if !asWritten {
			exprs[i] = d.Quote(k)
		}
		if (!asWritten || plainName.MatchString(k)) && !have[strings.ToLower(k)] {
			pos := at
			if len(items) == len(keys) && items[i].File != "" {
				pos = items[i]
			}
			if pos.File == "" {
				return fmt.Errorf("%s %q: unique_key column %q is not a column of its rows (%s); nothing was written", what, name, k, strings.Join(names, ", "))
			}
			hint := "its columns are " + strings.Join(names, ", ")
			if dym := diag.DidYouMean(k, names); dym != "" {
				hint = dym + " " + hint
			}
			return &run.NodeError{Pos: pos, Msg: fmt.Sprintf("%s %q: unique_key column %q is not a column of its rows; nothing was written", what, name, k), Hint: hint}
		}
	}
	keyText := strings.Join(keys, ", ")
	if len(keys) > 1 {
		keyText = "(" + keyText + ")"
	}
	_, rows, err := conn.QueryRows(ctx, d.NullKey(rel, exprs))
	if err != nil {
		if asWritten {
			return keyExprError(what, name, keyText, keys, names, at, err)
		}
		return err
	}
	if len(rows) > 0 {
		return fmt.Errorf("%s %q: unique_key %s is NULL in a row (%s); nothing was written: filter those rows out or fill the key",
			what, name, keyText, keyValues(keys, rows[0]))
	}
	_, rows, err = conn.QueryRows(ctx, d.DuplicateKey(rel, exprs))
	if err != nil {
		return err
	}
	if len(rows) > 0 {
		return fmt.Errorf("%s %q: unique_key %s is not unique: %s is in %v rows; nothing was written: deduplicate the rows or widen the key",
			what, name, keyText, keyValues(keys, rows[0]), rows[0][len(keys)])
	}
	return nil
}

// keyExprError is the error of a unique_key, keys as written, that the
// database could not read in the new rows (columns names): at unique_key
// (at), with the database's message, and a hint to quote a name of mixed
// case that is a column's as written (the database folded it).
func keyExprError(what, name, keyText string, keys, names []string, at diag.Pos, err error) error {
	msg := fmt.Sprintf("%s %q: unique_key %s does not read its rows: %v; nothing was written", what, name, keyText, err)
	hint := "kiln writes unique_key as given, as dbt does: a column name, a quoted name, or an expression of the columns"
	for _, k := range keys {
		if !plainName.MatchString(k) {
			continue
		}
		for _, c := range names {
			switch {
			case c == k && strings.ToLower(k) != k:
				hint = fmt.Sprintf("the database reads the unquoted name %s as %s, and kiln writes unique_key as given, as dbt does; write unique_key: '\"%s\"' to keep its case", k, strings.ToLower(k), k)
			case strings.EqualFold(c, k):
				hint = fmt.Sprintf("kiln writes unique_key as given, as dbt does, and %s may be a word of the database's SQL: write unique_key: '\"%s\"'", k, c)
			}
		}
	}
	if at.File == "" {
		return fmt.Errorf("%s (%s)", msg, hint)
	}
	return &run.NodeError{Pos: at, Msg: msg, Hint: hint, Err: err}
}

// keyValues writes key = value pairs: k1 = 5, k2 = 'x', k3 = NULL.
func keyValues(keys []string, row []any) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " = " + sqlValue(row[i])
	}
	return strings.Join(parts, ", ")
}

func sqlValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case time.Time:
		return "'" + x.Format("2006-01-02 15:04:05.999999") + "'"
	}
	return fmt.Sprint(v)
}

package materialize

import (
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
)

// SchemaChange is how the columns of an incremental model's new rows
// differ from its table's, compared by name without regard to case (as
// DuckDB and PostgreSQL resolve unquoted names), as dbt's
// check_for_schema_changes does.
type SchemaChange struct {
	Added   []adapter.Column // in the new rows only, with their types
	Removed []adapter.Column // in the table only
	Retyped []adapter.Column // in both, with the new rows' type
}

// Empty reports whether the columns are the same.
func (s SchemaChange) Empty() bool { return len(s.Added)+len(s.Removed)+len(s.Retyped) == 0 }

// String lists the changes, for messages, as Describe("") does.
func (s SchemaChange) String() string { return s.Describe("") }

// Describe lists the changes for messages, "; " between them: new
// column "note" (VARCHAR); column "status" is no longer in the model's
// query; column "amount" is now VARCHAR. mode, the model's
// on_schema_change, says what becomes of the columns no longer in the
// query: sync_all_columns drops them ("(dropped)"), append_new_columns
// keeps them ("(kept, NULL in the new rows)"); "" or another mode says
// nothing more.
func (s SchemaChange) Describe(mode string) string {
	var parts []string
	if len(s.Added) > 0 {
		cols := make([]string, len(s.Added))
		for i, c := range s.Added {
			cols[i] = fmt.Sprintf("%q (%s)", c.Name, c.Type)
		}
		parts = append(parts, map[bool]string{true: "new column ", false: "new columns "}[len(cols) == 1]+strings.Join(cols, ", "))
	}
	if len(s.Removed) > 0 {
		cols := make([]string, len(s.Removed))
		for i, c := range s.Removed {
			cols[i] = fmt.Sprintf("%q", c.Name)
		}
		gone := fmt.Sprintf("columns %s are no longer in the model's query", strings.Join(cols, ", "))
		if len(cols) == 1 {
			gone = fmt.Sprintf("column %s is no longer in the model's query", cols[0])
		}
		switch mode {
		case "sync_all_columns":
			gone += " (dropped)"
		case "append_new_columns":
			gone += " (kept, NULL in the new rows)"
		}
		parts = append(parts, gone)
	}
	for _, c := range s.Retyped {
		parts = append(parts, fmt.Sprintf("column %q is now %s", c.Name, c.Type))
	}
	return strings.Join(parts, "; ")
}

// DiffColumns compares table's columns with the new rows' columns.
func DiffColumns(table, rows []adapter.Column) SchemaChange {
	var s SchemaChange
	have := map[string]adapter.Column{}
	for _, c := range table {
		have[strings.ToLower(c.Name)] = c
	}
	seen := map[string]bool{}
	for _, c := range rows {
		k := strings.ToLower(c.Name)
		seen[k] = true
		old, ok := have[k]
		switch {
		case !ok:
			s.Added = append(s.Added, c)
		case !strings.EqualFold(old.Type, c.Type):
			s.Retyped = append(s.Retyped, adapter.Column{Name: old.Name, Type: c.Type})
		}
	}
	for _, c := range table {
		if !seen[strings.ToLower(c.Name)] {
			s.Removed = append(s.Removed, c)
		}
	}
	return s
}

// Evolve returns the statements that change table rel for the new rows'
// columns as on_schema_change says, and the columns to write from the new
// rows: ignore keeps the table and writes its columns (an error names
// those the new rows lack); fail refuses any change; append_new_columns
// adds the new columns and writes the new rows' columns (the removed
// ones get NULL); sync_all_columns adds, drops and retypes columns to
// match the new rows. n is the model, named in errors, whose hint to
// rebuild it follows its full_refresh config (RebuildHint).
func Evolve(d adapter.Dialect, n *graph.Node, mode string, rel adapter.Relation, table, rows []adapter.Column) ([]adapter.Stmt, []string, error) {
	model := n.Name
	ch := DiffColumns(table, rows)
	names := func(cols []adapter.Column) []string {
		out := make([]string, len(cols))
		for i, c := range cols {
			out[i] = c.Name
		}
		return out
	}
	switch mode {
	case "", "ignore":
		if len(ch.Removed) > 0 {
			return nil, nil, fmt.Errorf("model %q: the new rows lack the column %s of its table (on_schema_change: ignore writes the table's columns); set on_schema_change: append_new_columns or sync_all_columns, or %s",
				model, quoteNames(names(ch.Removed)), RebuildHint(n))
		}
		return nil, names(table), nil
	case "fail":
		if !ch.Empty() {
			return nil, nil, fmt.Errorf("model %q: the columns of the new rows differ from its table's (%s) and on_schema_change is fail; %s, or set on_schema_change: append_new_columns or sync_all_columns",
				model, ch, RebuildHint(n))
		}
		return nil, names(table), nil
	case "append_new_columns":
		var stmts []adapter.Stmt
		if len(ch.Added) > 0 {
			stmts = append(stmts, d.AddColumns(rel, ch.Added))
		}
		return stmts, names(rows), nil
	case "sync_all_columns":
		var stmts []adapter.Stmt
		if len(ch.Removed) > 0 {
			stmts = append(stmts, d.DropColumns(rel, names(ch.Removed)))
		}
		if len(ch.Retyped) > 0 {
			stmts = append(stmts, d.AlterColumnTypes(rel, ch.Retyped))
		}
		if len(ch.Added) > 0 {
			stmts = append(stmts, d.AddColumns(rel, ch.Added))
		}
		return stmts, names(rows), nil
	}
	return nil, nil, fmt.Errorf("model %q: unknown on_schema_change %q", model, mode)
}

func quoteNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return "s " + strings.Join(q, ", ")
}

// Apply returns the statements of n's strategy that write the new rows of
// relation rows into table rel, cols being the columns to write: append
// inserts them; delete+insert deletes the rows whose unique_key is among
// the new rows' (and that meet incremental_predicates) then inserts them,
// with dbt's statement for a unique_key string (DeleteMatching) or list
// (DeleteJoined), and without a unique_key deletes the rows that meet
// incremental_predicates where the adapter's dbt does (DeletePredicates:
// dbt-postgres, not dbt-duckdb);
// merge updates the rows whose unique_key matches and inserts the others
// (merge_update_columns or every column but merge_exclude_columns are
// updated). unique_key and merge_update_columns are written as given, as
// dbt writes them; the columns of cols, from the catalog, are quoted.
// Microbatch batches are written by Batch.
func Apply(d adapter.Dialect, n *graph.Node, rel, rows adapter.Relation, cols []string) ([]adapter.Stmt, error) {
	inc := n.Incremental
	switch inc.Strategy {
	case "append":
		return []adapter.Stmt{d.InsertColumns(rel, rows, cols, "")}, nil
	case "delete+insert":
		var stmts []adapter.Stmt
		switch {
		case inc.UniqueKeyList:
			stmts = append(stmts, d.DeleteJoined(rel, rows, inc.UniqueKey, inc.Predicates))
		case len(inc.UniqueKey) > 0:
			stmts = append(stmts, d.DeleteMatching(rel, rows, inc.UniqueKey, inc.Predicates))
		default:
			if s := d.DeletePredicates(rel, rows, inc.Predicates); s.SQL != "" {
				stmts = append(stmts, s)
			}
		}
		return append(stmts, d.InsertColumns(rel, rows, cols, "")), nil
	case "merge":
		return []adapter.Stmt{Merge(d, n, rel, rows, cols)}, nil
	}
	return nil, fmt.Errorf("model %q: incremental strategy %q cannot be applied here", n.Name, inc.Strategy)
}

// Merge is dbt's merge of the rows of relation rows into table rel on
// n's unique_key (get_merge_sql), cols being the columns to write: the
// rows whose key matches (and that meet incremental_predicates) get the
// columns of merge_update_columns, or every column but
// merge_exclude_columns, the others are inserted. The merge strategy,
// and each batch of a microbatch model on PostgreSQL (dbt-postgres's
// postgres__get_incremental_microbatch_sql).
func Merge(d adapter.Dialect, n *graph.Node, rel, rows adapter.Relation, cols []string) adapter.Stmt {
	inc := n.Incremental
	update := quoted(d, cols)
	switch {
	case len(inc.UpdateColumns) > 0:
		update = inc.UpdateColumns
	case len(inc.ExcludeColumns) > 0:
		update = quoted(d, without(cols, inc.ExcludeColumns))
	}
	return d.Merge(rel, rows, inc.UniqueKey, update, cols, inc.Predicates)
}

// quoted returns the names cols quoted by d.
func quoted(d adapter.Dialect, cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = d.Quote(c)
	}
	return out
}

// without returns cols less the names of drop (compared without case).
func without(cols, drop []string) []string {
	gone := map[string]bool{}
	for _, c := range drop {
		gone[strings.ToLower(c)] = true
	}
	var out []string
	for _, c := range cols {
		if !gone[strings.ToLower(c)] {
			out = append(out, c)
		}
	}
	return out
}

// RebuildHint returns how an error's hint tells the user to rebuild
// incremental model n whole: "rebuild it with --full-refresh", or, when n
// sets full_refresh: false (which wins over --full-refresh, as in dbt, so
// that flag would do nothing), to set full_refresh: true for one run or
// remove it, or to change the table by hand.
func RebuildHint(n *graph.Node) string {
	if n.Incremental != nil && n.Incremental.FullRefresh != nil && !*n.Incremental.FullRefresh {
		return "rebuild it: it sets full_refresh: false, which makes kiln ignore --full-refresh (as dbt does), so set full_refresh: true for one run " +
			"(or remove full_refresh: false and run with --full-refresh), or change the table by hand"
	}
	return "rebuild it with --full-refresh"
}

// FullRefresh reports whether model n, incremental, is rebuilt whole when
// the run's --full-refresh is flag: its full_refresh config wins when set,
// as dbt's should_full_refresh.
func FullRefresh(n *graph.Node, flag bool) bool {
	if n.Incremental != nil && n.Incremental.FullRefresh != nil {
		return *n.Incremental.FullRefresh
	}
	return flag
}

package execute

import (
	"context"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/run"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// persistDocs writes node n's descriptions into the database's comments,
// as dbt's persist_docs config asks
// (https://docs.getdbt.com/reference/resource-configs/persist_docs):
// relation: true comments the table or view, columns: true each column
// that the YAML describes and the relation has (as dbt-postgres, which
// skips the others); an empty description writes nothing. It runs in
// the node's transaction, after the build (for a seed, after its rows
// are loaded, as dbt's seed materialization calls persist_docs). For an
// incremental model or a snapshot, which keeps its table, it runs at
// every build, as dbt's materializations, and writes only the comments
// that differ from the table's (where the dialect reads them,
// adapter.Commenter): keepDocs has kept the previous ones in the journal.
// Before any column comment, for every node, checkDocsReplay refuses one
// DuckDB could not replay (a table model or seed too: its table, made in
// this transaction, may have a contract's CHECK that calls a function).
func persistDocs(ctx context.Context, conn adapter.Conn, d adapter.Dialect, n *graph.Node) error {
	relation, columns := n.PersistDocs()
	if !relation && !columns {
		return nil
	}
	var have *comments
	if keepsTable(n) {
		var err error
		if have, err = readComments(ctx, conn, d, n.Relation); err != nil {
			return err
		}
	}
	kind := "table"
	if n.Config.Materialized == graph.View {
		kind = "view"
	}
	rel := d.QuoteRelation(n.Relation)
	if relation && n.Description != "" && (have == nil || have.table != n.Description) {
		if _, err := conn.Run(ctx, adapter.Plain("comment on "+kind+" "+rel+" is "+d.Literal(n.Description))); err != nil {
			return err
		}
	}
	if !columns {
		return nil
	}
	if err := checkDocsReplay(ctx, conn, d, n); err != nil {
		return err
	}
	cols, err := wantColumnComments(ctx, conn, n)
	if err != nil {
		return err
	}
	for _, c := range cols {
		if have != nil && have.column(c.name) == c.text {
			continue
		}
		if _, err := conn.Run(ctx, adapter.Plain("comment on column "+rel+"."+d.Quote(c.name)+" is "+d.Literal(c.text))); err != nil {
			return err
		}
	}
	return nil
}

// keepsTable reports whether n changes its table in place from run to
// run (an incremental model, a snapshot), rather than building it anew.
func keepsTable(n *graph.Node) bool {
	return n.Kind == graph.Snapshot || n.Kind == graph.Model && n.Config.Materialized == graph.Incremental
}

// comment is one column's comment.
type comment struct{ name, text string }

// comments are a table's comments: its own and its columns', "" for none.
type comments struct {
	table string
	cols  []comment
}

// column returns the comment of column name (any case), "" when none.
func (c *comments) column(name string) string {
	for _, x := range c.cols {
		if strings.EqualFold(x.name, name) {
			return x.text
		}
	}
	return ""
}

// readComments reads table rel's comments; nil when the dialect does not
// read them (adapter.Commenter).
func readComments(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel sqlq.Relation) (*comments, error) {
	cm, ok := d.(adapter.Commenter)
	if !ok {
		return nil, nil
	}
	_, rows, err := conn.QueryRows(ctx, cm.Comments(rel).SQL)
	if err != nil {
		return nil, err
	}
	out := &comments{}
	for _, r := range rows {
		if len(r) < 2 {
			continue
		}
		name, _ := r[0].(string)
		text, _ := r[1].(string)
		if name == "" {
			out.table = text
			continue
		}
		out.cols = append(out.cols, comment{name, text})
	}
	return out, nil
}

// wantColumnComments returns the column comments persist_docs writes on
// n's relation: the described columns it has, by the relation's names.
func wantColumnComments(ctx context.Context, conn adapter.Conn, n *graph.Node) ([]comment, error) {
	have, err := conn.Columns(ctx, n.Relation)
	if err != nil {
		return nil, err
	}
	exists := map[string]string{}
	for _, c := range have {
		exists[strings.ToLower(c.Name)] = c.Name
	}
	var out []comment
	for _, col := range n.Columns {
		name, ok := exists[strings.ToLower(col.Name)]
		if !ok || col.Description == "" {
			continue
		}
		out = append(out, comment{name, col.Description})
	}
	return out, nil
}

// keptMark begins the comment of a journal's copy of a table whose
// comments keepDocs kept on it: the table's own comment follows.
const keptMark = "kiln: comments kept; "

// keepDocs runs, in the node's transaction, before incremental model or
// snapshot n with persist_docs changes its table in place, after the
// journal copied the table (its backup, Journal.BackupOf): it refuses a
// column comment DuckDB could not replay (checkDocsReplay), then writes
// the table's comments on the copy, its own comment marked (keptMark),
// for a rollback to put back (restoreComments). Nothing without a
// journal or where the dialect does not read comments.
func (e *Executor) keepDocs(ctx context.Context, conn adapter.Conn, n *graph.Node) error {
	relation, columns := n.PersistDocs()
	if !relation && !columns {
		return nil
	}
	if err := checkDocsReplay(ctx, conn, e.d, n); err != nil {
		return err
	}
	if e.opts.Journal == nil {
		return nil
	}
	have, err := readComments(ctx, conn, e.d, n.Relation)
	if err != nil || have == nil {
		return err
	}
	backup := e.d.QuoteRelation(e.opts.Journal.BackupOf(n.Relation))
	if _, err := conn.Run(ctx, adapter.Plain("comment on table "+backup+" is "+e.d.Literal(keptMark+have.table))); err != nil {
		return err
	}
	for _, c := range have.cols {
		if c.text == "" {
			continue
		}
		if _, err := conn.Run(ctx, adapter.Plain("comment on column "+backup+"."+e.d.Quote(c.name)+" is "+e.d.Literal(c.text))); err != nil {
			return err
		}
	}
	return nil
}

// checkDocsReplay refuses, before n changes its table, column comments
// that persist_docs would change on a table DuckDB cannot replay them on
// from its write-ahead log (adapter.Reshaper: a CHECK or DEFAULT that
// calls a function, a generated column; duckdb/duckdb#18259, #20543,
// #22124; measured on 1.5.6: also when the table was created in the same
// transaction): a kill before the next checkpoint would leave a database
// that does not open. keepDocs runs it before n changes a table it keeps,
// persistDocs again before it writes, for every node (a table model or a
// first build creates the table, with a contract's CHECK, in the node's
// transaction); an error rolls that transaction back, so the previous
// table stays as it was.
func checkDocsReplay(ctx context.Context, conn adapter.Conn, d adapter.Dialect, n *graph.Node) error {
	g, ok := d.(adapter.Reshaper)
	td, ok2 := d.(adapter.TableDefiner)
	if _, columns := n.PersistDocs(); !ok || !ok2 || !columns {
		return nil
	}
	have, err := readComments(ctx, conn, d, n.Relation)
	if err != nil || have == nil {
		return err
	}
	want, err := wantColumnComments(ctx, conn, n)
	if err != nil {
		return err
	}
	var changed []string
	for _, c := range want {
		if have.column(c.name) != c.text {
			changed = append(changed, c.name)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	_, rows, err := conn.QueryRows(ctx, td.TableDefinition(n.Relation).SQL)
	if err != nil {
		return err
	}
	create := ""
	for _, r := range rows {
		if w, _ := r[0].(string); len(r) >= 3 && w == "table" {
			create, _ = r[2].(string)
		}
	}
	if create == "" || !g.AlterUnsafe(create) {
		return nil
	}
	what := "model"
	switch n.Kind {
	case graph.Snapshot:
		what = "snapshot"
	case graph.Seed:
		what = "seed"
	}
	return &run.NodeError{Pos: n.Pos,
		Msg: fmt.Sprintf("%s %q: persist_docs would change the comments on columns %s of table %s, whose CHECK or DEFAULT calls a function or an operator, or which has a generated column; "+
			"DuckDB 1.5 cannot replay such a comment from its write-ahead log (duckdb/duckdb#18259, #22124), so a kill before its next checkpoint would leave a database that does not open; nothing was changed",
			what, n.Name, strings.Join(changed, ", "), d.QuoteRelation(n.Relation)),
		Hint: "set persist_docs: {relation: true, columns: false} on it (the table's own comment is safe), or drop that CHECK or DEFAULT from the table"}
}

// restoreComments gives table rel the comments that keepDocs kept on
// backup, the journal's copy of it, when it kept some (backup's comment
// begins with keptMark; else nothing): only those that differ are
// written (a comment on a column of a table DuckDB cannot replay it on
// is never one: checkDocsReplay refused to change it). rel may be backup
// itself, which a rollback renames back: its marked comment is then
// made the table's again. Nothing where the dialect does not read
// comments.
func restoreComments(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel, backup sqlq.Relation) error {
	kept, err := readComments(ctx, conn, d, backup)
	if err != nil || kept == nil || !strings.HasPrefix(kept.table, keptMark) {
		return err
	}
	kept.table = strings.TrimPrefix(kept.table, keptMark)
	have, err := readComments(ctx, conn, d, rel)
	if err != nil {
		return err
	}
	text := func(s string) string {
		if s == "" {
			return "null"
		}
		return d.Literal(s)
	}
	q := d.QuoteRelation(rel)
	if have.table != kept.table {
		if _, err := conn.Run(ctx, adapter.Plain("comment on table "+q+" is "+text(kept.table))); err != nil {
			return err
		}
	}
	for _, c := range have.cols {
		if want := kept.column(c.name); want != c.text {
			if _, err := conn.Run(ctx, adapter.Plain("comment on column "+q+"."+d.Quote(c.name)+" is "+text(want))); err != nil {
				return err
			}
		}
	}
	return nil
}

// persistsDocs reports whether building n runs statements after its
// relation's (persistDocs), which must be in the same transaction.
func persistsDocs(n *graph.Node) bool {
	relation, columns := n.PersistDocs()
	return relation || columns
}

package execute

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
)

// IndexesOf returns the indexes config of n (dbt-postgres's indexes: a
// list of {columns: [...], unique: bool, type: method}, validated by the
// compiler), or nil when n sets none or builds no table (a view or an
// ephemeral model: dbt creates indexes on tables only).
func IndexesOf(n *graph.Node) []adapter.Index {
	list, _ := n.Config.Extra["indexes"].([]any)
	if len(list) == 0 || (n.Kind == graph.Model && n.Config.Materialized != graph.Table && n.Config.Materialized != graph.Incremental) {
		return nil
	}
	var out []adapter.Index
	for _, v := range list {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		var ix adapter.Index
		switch cols := m["columns"].(type) {
		case []any:
			for _, c := range cols {
				if s, ok := c.(string); ok {
					ix.Columns = append(ix.Columns, s)
				}
			}
		case []string:
			ix.Columns = append(ix.Columns, cols...)
		}
		ix.Unique, _ = m["unique"].(bool)
		ix.Type, _ = m["type"].(string)
		if len(ix.Columns) > 0 {
			out = append(out, ix)
		}
	}
	return out
}

// IndexesUnused reports whether n is a model whose indexes config has no
// effect: it sets indexes and builds no table (a view or an ephemeral
// model; dbt creates indexes on tables only, and says nothing).
func IndexesUnused(n *graph.Node) bool {
	list, _ := n.Config.Extra["indexes"].([]any)
	return len(list) > 0 && n.Kind == graph.Model && IndexesOf(n) == nil
}

// IndexName returns the name of the i-th index ix of relation rel built
// at instant now in run runID: the hex MD5 of its columns, the relation,
// unique, type, the instant, the run and i, as dbt-postgres's
// PostgresIndexConfig.render (which hashes the columns, the relation,
// unique, type and the current time). A new name for every build: the
// previous version of the relation, which the journal keeps aside in the
// same schema until the run commits, keeps its indexes' names.
func IndexName(rel adapter.Relation, ix adapter.Index, now time.Time, runID string, i int) string {
	parts := append(append([]string(nil), ix.Columns...), rel.Schema+"."+rel.Name, strconv.FormatBool(ix.Unique), ix.Type,
		now.UTC().Format(time.RFC3339Nano), runID, strconv.Itoa(i))
	sum := md5.Sum([]byte(strings.Join(parts, "_")))
	return hex.EncodeToString(sum[:])
}

// indexed reports whether building n creates indexes: n sets them and the
// dialect creates them (PostgreSQL; on DuckDB the engine says once per
// run that they are not created).
func (e *Executor) indexed(n *graph.Node) bool {
	_, ok := e.d.(adapter.Indexer)
	return ok && len(IndexesOf(n)) > 0
}

// createIndexes creates n's indexes on its table, in n's transaction,
// right after the table is built anew (a table model, a seed, an
// incremental model or a snapshot created or fully refreshed, as dbt's
// materializations call create_indexes): a table kept in place keeps the
// indexes it has. An index that fails (a unique index over duplicate
// keys, an unknown column or method) fails the node, whose transaction
// rolls back: the previous version of the relation is left as it was.
func (e *Executor) createIndexes(ctx context.Context, conn adapter.Conn, n *graph.Node) error {
	if !e.indexed(n) {
		return nil
	}
	ixr := e.d.(adapter.Indexer)
	runID := ""
	if e.opts.Journal != nil {
		runID = e.opts.Journal.runID
	}
	now := time.Now()
	for i, ix := range IndexesOf(n) {
		s := ixr.CreateIndex(n.Relation, IndexName(n.Relation, ix, now, runID, i), ix)
		if _, err := conn.Run(ctx, s); err != nil {
			return &indexError{n: n, ix: ix, err: err}
		}
	}
	return nil
}

// indexError is an index of a node's indexes config that failed.
type indexError struct {
	n   *graph.Node
	ix  adapter.Index
	err error
}

func (x *indexError) Error() string {
	what := "index"
	if x.ix.Unique {
		what = "unique index"
	}
	return fmt.Sprintf("%s %q: creating its %s on (%s): %v", x.n.Kind, x.n.DisplayName(), what, strings.Join(x.ix.Columns, ", "), x.err)
}

func (x *indexError) Unwrap() error { return x.err }

// keepIndexes creates on the journal's copy of n's table (PrepareCopy
// just made it, without indexes) the indexes the table has, so that a
// rollback, which renames the copy back, leaves the table with its
// indexes. Nothing runs when n sets no indexes or the database creates
// none.
func (e *Executor) keepIndexes(ctx context.Context, conn adapter.Conn, n *graph.Node) error {
	if !e.indexed(n) || e.opts.Journal == nil {
		return nil
	}
	ixr := e.d.(adapter.Indexer)
	_, rows, err := conn.QueryRows(ctx, ixr.CopyIndexes(n.Relation, e.opts.Journal.BackupOf(n.Relation)).SQL)
	if err != nil {
		return err
	}
	for _, r := range rows {
		s, _ := r[0].(string)
		if _, err := conn.Run(ctx, adapter.Stmt{SQL: s}); err != nil {
			return fmt.Errorf("%s %q: keeping its indexes on the copy of its table: %w", n.Kind, n.DisplayName(), err)
		}
	}
	return nil
}

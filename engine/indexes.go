package engine

import (
	"fmt"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/execute"
)

// warnIndexes says once, before the nodes run, that the indexes config
// (dbt-postgres's) of the planned tables is not applied on a database
// whose dialect creates no index (DuckDB: dbt-duckdb creates them, kiln
// does not yet, so that a unique index does not fail a build there). On
// PostgreSQL it says nothing: the nodes create their indexes
// (execute.IndexesOf).
func (r *runner) warnIndexes() {
	if _, ok := r.ex.Dialect().(adapter.Indexer); ok {
		return
	}
	if list := r.plannedWith(func(n *graph.Node) bool { return execute.IndexesOf(n) != nil }); list != "" {
		r.p.printf(Warn, "warning: indexes are not created on %s yet (a unique index does not check its keys there; dbt-duckdb creates them): %s; they are created on a PostgreSQL target",
			databaseName(r.ex.Type()), list)
	}
}

// warnIndexesUnused says once, before the nodes run, that the indexes
// config of the selected views and ephemeral models has no effect (dbt
// creates indexes on tables only and ignores them there without a word),
// naming the first ten of them and their materialization, on every
// database.
func (r *runner) warnIndexesUnused() {
	g := r.p.Graph()
	var names []string
	for _, id := range r.selected {
		if n := g.Node(graph.ID(id)); n != nil && execute.IndexesUnused(n) {
			names = append(names, fmt.Sprintf("%s %q (%s)", n.Kind, n.DisplayName(), n.Config.Materialized))
		}
	}
	if len(names) == 0 {
		return
	}
	r.p.printf(Warn, "warning: indexes have no effect on a view or an ephemeral model, which have no table to index (as in dbt, they are ignored): %s; "+
		"materialize them as table or incremental to index them, or leave indexes out of their config", nameList(names))
}

// warnUnloggedUnused says once, before the nodes run, that unlogged: true
// has no effect on the selected views and ephemeral models (dbt-postgres
// ignores it there without a word), on a database that makes unlogged
// tables (elsewhere the run refuses unlogged: true: CheckUnlogged).
func (r *runner) warnUnloggedUnused() {
	if _, ok := r.ex.Dialect().(adapter.Unlogger); !ok {
		return
	}
	g := r.p.Graph()
	var names []string
	for _, id := range r.selected {
		if n := g.Node(graph.ID(id)); n != nil && execute.UnloggedUnused(n) {
			names = append(names, fmt.Sprintf("%s %q (%s)", n.Kind, n.DisplayName(), n.Config.Materialized))
		}
	}
	if len(names) > 0 {
		r.p.printf(Warn, "warning: unlogged has no effect on a view or an ephemeral model, which have no table (as in dbt, it is ignored): %s", nameList(names))
	}
}

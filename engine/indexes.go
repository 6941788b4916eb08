package engine

import (
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

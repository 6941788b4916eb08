package engine

import (
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/execute"
)

// warnGrants says once, before the nodes run, that the grants config of
// the planned models, seeds and snapshots has no effect on a database
// without roles (DuckDB: dbt-duckdb ignores grants too, and logs it per
// relation). On PostgreSQL it says nothing: the nodes apply their grants
// (execute.GrantsOf).
func (r *runner) warnGrants() {
	if _, ok := r.ex.Dialect().(adapter.Granter); ok {
		return
	}
	if list := r.plannedWith(func(n *graph.Node) bool { return execute.GrantsOf(n) != nil }); list != "" {
		r.p.printf(Warn, "warning: grants have no effect on %s, which has no roles to grant to (as with dbt-duckdb, they are ignored): %s; they apply on a PostgreSQL target",
			databaseName(r.ex.Type()), list)
	}
}

// plannedWith names the planned models, seeds and snapshots for which has
// is true, as `model "a", seed "b"`, the first ten and how many more;
// "" when there is none.
func (r *runner) plannedWith(has func(*graph.Node) bool) string {
	g := r.p.Graph()
	var names []string
	for _, id := range r.plan.IDs() {
		n := g.Node(id)
		if (n.Kind == graph.Model || n.Kind == graph.Seed || n.Kind == graph.Snapshot) && has(n) {
			names = append(names, fmt.Sprintf("%s %q", n.Kind, n.DisplayName()))
		}
	}
	return nameList(names)
}

// nameList joins the first ten of names with commas, and says how many
// more there are; "" when there is none.
func nameList(names []string) string {
	if len(names) == 0 {
		return ""
	}
	const most = 10
	list := strings.Join(names[:min(len(names), most)], ", ")
	if len(names) > most {
		list += fmt.Sprintf(" and %d more", len(names)-most)
	}
	return list
}

func databaseName(typ string) string {
	if typ == "duckdb" {
		return "DuckDB"
	}
	return typ
}

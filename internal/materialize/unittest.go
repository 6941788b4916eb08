package materialize

import (
	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/ansi"
	"github.com/kiln-build/kiln/compiler/graph"
)

// UnitTest is UnitTestSQL in standard SQL (adapter/ansi): the compiler
// writes it as the unit test's compiled code before any database is
// known.
func UnitTest(u *graph.UnitTestInfo, inputs map[graph.ID][]adapter.Column) string {
	return UnitTestSQL(ansi.Dialect{}, u, inputs)
}

// UnitTestSQL returns the query of a unit test's actual output with
// dialect d: the model's SQL with its given inputs and ephemeral parents as
// leading CTEs. When inputs holds the columns of an input's real relation,
// the given rows are cast to those types and the columns they leave out
// are NULL of their type, so the model sees the shape it sees in
// production; otherwise the rows are used as written.
func UnitTestSQL(d adapter.Dialect, u *graph.UnitTestInfo, inputs map[graph.ID][]adapter.Column) string {
	var ctes []string
	for _, g := range u.Given {
		ctes = append(ctes, g.CTE+" as (\n"+d.GivenRows(g.Rows, inputs[g.Node])+"\n)")
	}
	for _, e := range u.Ephemerals {
		ctes = append(ctes, e.Name+" as (\n"+Body(e.SQL)+"\n)")
	}
	return d.WithCTEs(Body(u.ModelSQL), ctes)
}

// InjectCTEs adds the common table expressions ctes ("name as (...)") to
// the query sql: into its leading WITH clause (after RECURSIVE) if it has
// one, else as a new WITH clause in front of it, after leading comments.
// The compiler inlines ephemeral models with it.
func InjectCTEs(sql string, ctes []string) string { return ansi.WithCTEs(sql, ctes) }

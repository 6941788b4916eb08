package execute

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/load"
	"github.com/kiln-build/kiln/internal/run"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// placedLoader is an adapter connection that can load an input file into
// an existing table in place (PostgreSQL, DuckDB), a PlaceFunc deciding
// once the input's columns are known.
type placedLoader interface {
	LoadFileInto(ctx context.Context, spec load.Spec, rel adapter.Relation, place load.PlaceFunc) (load.Result, error)
}

// placeSeed decides how seed n reloads its existing table, of kind, on a
// connection that can load in place, in the seed's transaction: have are
// the table's columns, want the CSV's (names and types, in order).
//
// When no view reads the table, or this run rebuilds every view that
// does, the table is moved aside and built anew (load.Replace), as on
// DuckDB. Otherwise the views, which PostgreSQL binds to the table
// itself, would stay bound to the table moved aside, which the run's
// commit could then not drop: the table is kept and its rows replaced in
// place (load.InPlace), as dbt's seed materialization does for an
// existing seed (reset_csv_table: truncate, then insert), so the views
// stay valid and show the new rows. The journal keeps a copy of the rows
// (Journal.PrepareRows over every row): a run that fails or is killed
// puts them back into the same table. This holds with --full-refresh
// too: kiln never drops the user's views (dbt's --full-refresh drops the
// table with CASCADE, and its views with it).
//
// A seed whose full_refresh config is false (KeepsSeedTable) keeps its
// table even with --full-refresh, and on any database: loaded in place,
// as dbt's reset_csv_table without a full refresh; its columns must be
// the CSV's (else a *run.NodeError at its file), its grants config is
// applied to the table kept, whose rows and privileges the journal keeps
// (keepTable).
//
// A table kept in place must keep its columns, and its grants (a
// rollback puts back the rows, not the privileges): when the CSV's
// columns, or the grants config, differ from the table's, the seed fails
// with a *run.NodeError at its file, with a hint, and its transaction
// rolls back.
func (e *Executor) placeSeed(ctx context.Context, conn adapter.Conn, n *graph.Node, kind string, have, want []adapter.Column) (load.Placement, error) {
	var kept []string
	if vb, ok := conn.(adapter.ViewBinder); ok {
		deps, err := e.dependentViews(ctx, vb, n.Relation)
		if err != nil {
			return load.Replace, err
		}
		for _, v := range deps {
			if !e.rebuilds(v) {
				kept = append(kept, e.d.QuoteRelation(v))
			}
		}
	}
	keep := KeepsSeedTable(n)
	if len(kept) == 0 && !keep {
		return load.Replace, e.opts.Journal.Prepare(ctx, conn, e.d, n.Relation, kind)
	}
	if len(kept) == 0 {
		// full_refresh: false: dbt's reset_csv_table without a full
		// refresh truncates the table and inserts the rows, which fails
		// when the columns changed; kiln says so before it changes
		// anything. The grants config is applied to the table kept
		// (applyGrants), the journal keeping its privileges.
		if !sameColumns(have, want) {
			return load.Replace, &run.NodeError{Pos: n.Pos,
				Msg:  fmt.Sprintf("seed %q: the columns of %s changed (%s) and its full_refresh: false keeps its table, whose columns stay", n.Name, n.Path, columnChanges(have, want)),
				Hint: "dbt's seed without a full refresh truncates the table and inserts the rows, which fails here too; set full_refresh: true (or remove full_refresh: false and run with --full-refresh) for one run to recreate the table with the new columns"}
		}
		return load.InPlace, e.keepTable(ctx, conn, n, false, nil)
	}
	change := ""
	if !sameColumns(have, want) {
		change = fmt.Sprintf("the columns of %s changed (%s)", n.Path, columnChanges(have, want))
	} else if g, err := e.grantsChange(ctx, conn, n); err != nil {
		return load.Replace, err
	} else if g != "" {
		change = fmt.Sprintf("its grants config changes its table's privileges (%s)", g)
	}
	if change != "" {
		return load.Replace, &run.NodeError{Pos: n.Pos,
			Msg: fmt.Sprintf("seed %q: %s and %s that this run does not rebuild %s its table: %s",
				n.Name, change, views(len(kept)), reads(len(kept)), strings.Join(kept, ", ")),
			Hint: fmt.Sprintf("PostgreSQL binds a view to its table, so kiln reloads such a seed in place, which keeps the table's columns and privileges; kiln does not drop your views (dbt seed --full-refresh drops them, with CASCADE): rebuild them in the same run (kiln build --select %s+), or drop them first", n.Name)}
	}
	return load.InPlace, e.opts.Journal.PrepareRows(ctx, conn, e.d, n.Relation, "true")
}

// KeepsSeedTable reports whether seed n keeps its existing table when it
// is reloaded: its full_refresh config is false, which, as dbt's
// should_full_refresh, wins over --full-refresh; dbt's seed then
// truncates the table and inserts the rows (reset_csv_table) rather than
// drop and recreate it. Without it, or with full_refresh: true, kiln
// builds the seed's table anew at every load (dbt's full refresh),
// except on PostgreSQL when views outside the run read it (placeSeed).
func KeepsSeedTable(n *graph.Node) bool {
	v, ok := n.Config.Extra["full_refresh"].(bool)
	return n.Kind == graph.Seed && ok && !v
}

// grantsChange returns what applying n's grants config to its table, kept
// in place, would grant and revoke ("" for nothing: no grants config, no
// roles, or the privileges are those already).
func (e *Executor) grantsChange(ctx context.Context, conn adapter.Conn, n *graph.Node) (string, error) {
	g, want, ok := e.granted(n)
	if !ok {
		return "", nil
	}
	have, err := showGrants(ctx, conn, g, n.Relation)
	if err != nil {
		return "", err
	}
	return describeGrants(diffGrants(want, have), diffGrants(have, want)), nil
}

// ReadBoundViews reads, in one catalog query at the run's start (after
// SetPlanned and SetUpToDate), the views that read each relation this
// run may replace or reload, on a database that binds views to the
// relations they read (adapter.ViewBinder: PostgreSQL): the existing
// relations of the planned table and view models and seeds that are not
// up to date. boundViews and placeSeed then look there rather than
// query the catalog once each. It does nothing elsewhere; on an error the
// nodes query the catalog themselves, as without it.
func (e *Executor) ReadBoundViews(ctx context.Context) error {
	vb, ok := e.conns[0].(adapter.ViewBinder)
	if !ok {
		return nil
	}
	var rels []adapter.Relation
	for id := range e.planned {
		n := e.g.Node(id)
		if n == nil || e.opts.UpToDate[id] || n.Relation.IsZero() || e.cat.Kind(n.Relation) == "" {
			continue
		}
		if n.Kind == graph.Seed || n.Kind == graph.Model && n.Incremental == nil &&
			(n.Config.Materialized == graph.Table || n.Config.Materialized == graph.View) {
			rels = append(rels, n.Relation)
		}
	}
	if len(rels) == 0 {
		return nil
	}
	sort.Slice(rels, func(i, j int) bool {
		return rels[i].Schema < rels[j].Schema || rels[i].Schema == rels[j].Schema && rels[i].Name < rels[j].Name
	})
	bound, err := vb.DependentViewsOf(ctx, rels)
	if err != nil {
		return err
	}
	e.boundViews = bound
	return nil
}

// dependentViews returns the views that read rel: as ReadBoundViews read
// them at the run's start when it read rel's, else from the catalog now.
func (e *Executor) dependentViews(ctx context.Context, vb adapter.ViewBinder, rel adapter.Relation) ([]adapter.Relation, error) {
	if deps, ok := e.boundViews[adapter.Relation{Schema: rel.Schema, Name: rel.Name}]; ok {
		return deps, nil
	}
	return vb.DependentViews(ctx, rel)
}

// views is "a view" or "views", reads "reads" or "read", for n views.
func views(n int) string {
	if n == 1 {
		return "a view"
	}
	return "views"
}

func reads(n int) string {
	if n == 1 {
		return "reads"
	}
	return "read"
}

// sameColumns reports whether a and b are the same columns, names and
// types, in the same order.
func sameColumns(a, b []adapter.Column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || !seedSameType(a[i].Type, b[i].Type) {
			return false
		}
	}
	return true
}

// seedSameType reports whether a table's column of type have takes the rows
// of a column of type want as they are: the same type, or text and
// character varying without a length (PostgreSQL's unbounded character
// types, which convert to each other on insert: a seed's table made
// when kiln named a dbt seed's text columns varchar keeps them).
func seedSameType(have, want string) bool {
	if have == want {
		return true
	}
	unbounded := func(t string) bool { return t == "text" || t == "character varying" }
	return unbounded(have) && unbounded(want)
}

// columnChanges describes how columns want differ from have, in want's
// order then have's: `"note" is new, "price" is text (was double
// precision), "old" is gone`; "the order of the columns" when only that
// differs.
func columnChanges(have, want []adapter.Column) string {
	was := make(map[string]string, len(have))
	for _, c := range have {
		was[c.Name] = c.Type
	}
	now := make(map[string]bool, len(want))
	var out []string
	for _, c := range want {
		now[c.Name] = true
		switch t, ok := was[c.Name]; {
		case !ok:
			out = append(out, fmt.Sprintf("%q is new", c.Name))
		case !seedSameType(t, c.Type):
			out = append(out, fmt.Sprintf("%q is %s (was %s)", c.Name, c.Type, t))
		}
	}
	for _, c := range have {
		if !now[c.Name] {
			out = append(out, fmt.Sprintf("%q is gone", c.Name))
		}
	}
	if len(out) == 0 {
		return "the order of the columns"
	}
	return strings.Join(out, ", ")
}

// rebuilds reports whether this run builds relation rel anew: rel is the
// relation of a planned table or view model that is not up to date
// (SetPlanned), which moves its previous version aside.
func (e *Executor) rebuilds(rel adapter.Relation) bool {
	for id := range e.planned {
		n := e.g.Node(id)
		if n == nil || e.opts.UpToDate[id] || n.Kind != graph.Model || n.Incremental != nil ||
			(n.Config.Materialized != graph.Table && n.Config.Materialized != graph.View) {
			continue
		}
		if (sqlq.Relation{Schema: n.Relation.Schema, Name: n.Relation.Name}) == (sqlq.Relation{Schema: rel.Schema, Name: rel.Name}) {
			return true
		}
	}
	return false
}

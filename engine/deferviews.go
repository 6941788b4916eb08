package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/run"
)

// A view built with --defer whose SQL reads a deferred relation names the
// state's database by its catalog ("prod"."main"."orders", as
// dbt-duckdb's does). Once the state is not attached (a run without
// --defer, kiln show, a BI tool opening the file), DuckDB refuses it with
// Catalog "prod" does not exist. So that kiln can say why, a
// build records those views in <database>.deferred_views.json, beside
// the database, and forgets a view when a build makes it again without
// naming the state.

// DeferredViewsPath returns the file that records the views of the
// database at dbPath that name a --defer state's catalog:
// dbPath + ".deferred_views.json"; "" for an in-memory database.
func DeferredViewsPath(dbPath string) string { return besideDB(dbPath, ".deferred_views.json") }

// deferredView is a view built with --defer that names the state's
// catalog.
type deferredView struct {
	View    string `json:"view"`    // schema.name
	Node    string `json:"node"`    // the node's name, for kiln build -s
	State   string `json:"state"`   // --state, as given
	Catalog string `json:"catalog"` // the catalog its SQL names
}

// readDeferredViews returns the views the file at path records; none
// when it does not exist or does not read.
func readDeferredViews(path string) []deferredView {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var list []deferredView
	if json.Unmarshal(b, &list) != nil {
		return nil
	}
	return list
}

// recordDeferredViews updates the record of the views that name a
// --defer state's catalog after run results: a view built now names it
// when this run deferred to a state attached under its own name and the
// view's compiled SQL names that catalog; every other view built now is
// forgotten. It returns the views built now that name it. A rolled back
// run changes nothing. The record is best effort: a failure to write it
// only loses the hint.
func (p *Project) recordDeferredViews(results []run.Result, rolledBack bool) []deferredView {
	path := DeferredViewsPath(p.DBPath)
	if path == "" || p.OnServer() || rolledBack {
		return nil
	}
	catalog := ""
	if len(p.attach) == 1 {
		catalog = p.attach[0].Alias
	}
	built := map[string]bool{}
	var named []deferredView
	g := p.Graph()
	for _, res := range results {
		n := g.Node(res.ID)
		if n == nil || res.Status != run.Success || n.Config.Materialized != graph.View || n.Relation.IsZero() {
			continue
		}
		view := n.Relation.Schema + "." + n.Relation.Name
		built[strings.ToLower(view)] = true
		if catalog != "" && namesCatalog(n.CompiledCode, catalog) {
			named = append(named, deferredView{View: view, Node: n.Name, State: p.deferState, Catalog: catalog})
		}
	}
	if len(built) == 0 {
		return nil
	}
	old := readDeferredViews(path)
	list := named
	for _, v := range old {
		if !built[strings.ToLower(v.View)] {
			list = append(list, v)
		}
	}
	if len(list) == 0 {
		if len(old) > 0 {
			_ = os.Remove(path)
		}
		return nil
	}
	sort.Slice(list, func(i, j int) bool { return list[i].View < list[j].View })
	if b, err := json.MarshalIndent(list, "", "  "); err == nil {
		_ = artifact.WriteFileAtomic(path, append(b, '\n'), 0o644)
	}
	return named
}

// warnDeferredViews prints, at the end of a build with --defer, the views
// built now that name the state's catalog (see recordDeferredViews).
func (p *Project) warnDeferredViews(named []deferredView) {
	if len(named) == 0 {
		return
	}
	names := make([]string, len(named))
	for i, v := range named {
		names[i] = v.Node
	}
	v := named[0]
	p.printf(Warn, "warning: %d view(s) built with --defer read the state %s through its catalog %q: %s; "+
		"without it attached (a run without --defer, kiln show, a BI tool) DuckDB refuses them with Catalog \"%s\" does not exist: "+
		"rebuild them without --defer (kiln build -s %s), or pass --defer --state %s again",
		len(named), v.State, v.Catalog, strings.Join(names, ", "), v.Catalog, strings.Join(names, " "), v.State)
}

// missingCatalog matches DuckDB's error reading a catalog that is not
// attached.
var missingCatalog = regexp.MustCompile(`Catalog (?:with name )?"?([^"\s!]+)"? does not exist`)

// CatalogHint returns kiln's hint for msg, the database's error reading
// a relation, when it is DuckDB's Catalog "X" does not exist (or its
// older "Catalog with name X does not exist"):
// the views recorded as built with --defer against a state and reading it
// through catalog X, and how to build them again; else, that a view read
// names X, as a view built with --defer names its state's catalog. It
// returns "" for other errors.
func (p *Project) CatalogHint(msg string) string {
	m := missingCatalog.FindStringSubmatch(msg)
	if m == nil || p.OnServer() {
		return ""
	}
	catalog := m[1]
	var views, nodes []string
	state := ""
	for _, v := range readDeferredViews(DeferredViewsPath(p.DBPath)) {
		if strings.EqualFold(v.Catalog, catalog) {
			views = append(views, v.View)
			nodes = append(nodes, v.Node)
			state = v.State
		}
	}
	if len(views) == 0 {
		return fmt.Sprintf("no database named %s is attached: a view read here names it, as a view built with --defer names its state's database (kiln's and dbt-duckdb's do); "+
			"rebuild that view without --defer (kiln build -s <view>), or pass --defer --state DIR again", catalog)
	}
	return fmt.Sprintf("the view(s) %s were built with --defer against %s and read it through catalog %s, which is not attached now: "+
		"rebuild them without --defer (kiln build -s %s), or pass --defer --state %s again",
		strings.Join(views, ", "), state, catalog, strings.Join(nodes, " "), state)
}

// withCatalogHint gives err, a *run.NodeError without a hint, the hint of
// CatalogHint; other errors are returned as they are.
func (p *Project) withCatalogHint(err error) error {
	var ne *run.NodeError
	if errors.As(err, &ne) && ne.Hint == "" {
		ne.Hint = p.CatalogHint(ne.Msg)
	}
	return err
}

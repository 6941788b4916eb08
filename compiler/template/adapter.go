package template

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// Dispatch configures adapter.dispatch as dbt does
// (https://docs.getdbt.com/reference/dbt-jinja-functions/dispatch): the
// adapter's type gives the first prefix searched ("duckdb__name"; dbt-duckdb
// and dbt-postgres declare no parent adapter), then "default__name".
// SearchOrder is dispatch: of dbt_project.yml, the packages searched for
// each macro namespace; a namespace it does not name is searched in the
// root project first, then in the namespace (dbt's default). RootPackage is
// the project's name (its macros are those of package ""); Packages are the
// names of the installed packages, those with no macros included.
type Dispatch struct {
	AdapterType string
	RootPackage string
	SearchOrder map[string][]string
	Packages    []string
}

// SetDispatch installs the dispatch configuration; call it before the
// first Render.
func (e *Engine) SetDispatch(d Dispatch) { e.dispatch = d }

// DB is the database a template reaches at run time through run_query,
// statement and the adapter object (dbt's execute phase). At compile
// time there is none: the adapter's database methods return nothing, as
// dbt's do while it parses.
type DB interface {
	// Query runs sql and returns its column names, their database types
	// and its rows.
	Query(sql string) (cols, types []string, rows [][]any, err error)
	// Exec runs statements.
	Exec(sql string) error
	// Columns returns the columns of a relation (nil when it does not
	// exist): names and database types.
	Columns(database, schema, identifier string) (names, types []string, err error)
	// Kind returns "table", "view" or "" when the relation does not exist.
	Kind(database, schema, identifier string) (string, error)
	// Relations lists the relations of schema whose names match the SQL
	// LIKE pattern, with their kind.
	Relations(database, schema, like string) ([]Relation, []string, error)
	// Quote quotes an identifier.
	Quote(name string) string
}

// adapterObj is dbt's adapter object as templates see it.
type adapterObj struct {
	e *Engine
	c *Context
	// node is the package of the node being rendered ("" for the
	// project's), where dispatch without a namespace looks first.
	node string
}

// Attr implements jinja.Getter.
func (a *adapterObj) Attr(name string) (any, bool) {
	switch name {
	case "dispatch":
		return jinja.Func(a.dispatchFn), true
	case "type":
		typ := a.e.adapterType()
		return jinja.Func(func(*jinja.Call) (any, error) { return typ, nil }), true
	case "quote":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			if len(c.Args) != 1 {
				return nil, fmt.Errorf("adapter.quote() takes one identifier")
			}
			return `"` + strings.ReplaceAll(jinja.Str(c.Args[0]), `"`, `""`) + `"`, nil
		}), true
	case "quote_as_configured", "quote_seed_column":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			if len(c.Args) < 1 {
				return nil, fmt.Errorf("adapter.%s() takes an identifier", name)
			}
			s := jinja.Str(c.Args[0])
			if len(c.Args) > 1 && jinja.Truth(c.Args[1]) || name == "quote_seed_column" && (len(c.Args) < 2 || c.Args[1] == nil) {
				return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`, nil
			}
			return s, nil
		}), true
	case "get_columns_in_relation":
		return jinja.Func(a.getColumns), true
	case "get_relation":
		return jinja.Func(a.getRelation), true
	case "drop_relation":
		return jinja.Func(a.dropRelation), true
	case "get_relations_by_pattern":
		return nil, false
	case "list_schemas":
		return jinja.Func(a.listSchemas), true
	case "list_relations_without_caching":
		return jinja.Func(a.listRelations), true
	case "execute":
		return jinja.Func(a.execute), true
	case "check_schema_exists":
		return jinja.Func(func(c *jinja.Call) (any, error) { return true, nil }), true
	}
	return nil, false
}

func (e *Engine) adapterType() string {
	if e.dispatch.AdapterType == "" {
		return "duckdb"
	}
	return e.dispatch.AdapterType
}

// dispatchFn is adapter.dispatch(macro_name, macro_namespace=None): the
// first of <type>__name and default__name found in the packages of the
// namespace's search order (dbt's BaseDatabaseWrapper._get_search_packages):
// dispatch:'s search_order when it names the namespace; else the root
// project then the namespace, when the namespace is the root project, dbt
// or an installed package; else (no namespace, or one not installed) the
// name as an unqualified name resolves (dbt's search package None: the
// node's package, the root project, dbt's).
func (a *adapterObj) dispatchFn(c *jinja.Call) (any, error) {
	var name, ns any
	if len(c.Args) > 0 {
		name = c.Args[0]
	}
	if len(c.Args) > 1 {
		ns = c.Args[1]
	}
	if v, ok := c.Kwarg("macro_name"); ok {
		name = v
	}
	if v, ok := c.Kwarg("macro_namespace"); ok {
		ns = v
	}
	if v, ok := c.Kwarg("packages"); ok && v != nil {
		return nil, fmt.Errorf("adapter.dispatch(packages=...) was removed in dbt 0.20; use macro_namespace and dispatch: in dbt_project.yml")
	}
	macro, ok := name.(string)
	if !ok || macro == "" {
		return nil, fmt.Errorf("adapter.dispatch() takes a macro name as a string")
	}
	if strings.Contains(macro, ".") {
		return nil, fmt.Errorf("adapter.dispatch(%q): the macro name has a dot; pass the namespace as macro_namespace", macro)
	}
	if _, isStr := ns.(string); ns != nil && !isStr {
		return nil, fmt.Errorf("adapter.dispatch(%q): macro_namespace is %s; it should be none or a string", macro, jinja.AType(ns))
	}
	return a.e.resolveDispatch(a.node, macro, ns)
}

// resolveDispatch is what adapter.dispatch(macro, ns) resolves to in a
// node of package node (dispatchFn); ns is nil or a string.
func (e *Engine) resolveDispatch(node, macro string, ns any) (any, error) {
	namespace, _ := ns.(string)
	d := e.dispatch
	prefixes := []string{e.adapterType(), "default"}
	search, known := e.searchPackages(namespace)
	if ns == nil || !known {
		for _, p := range prefixes {
			if v, ok := e.resolver.Resolve(p+"__"+macro, node); ok {
				return v, nil
			}
		}
		if ns != nil {
			return nil, fmt.Errorf("adapter.dispatch: no package %q is installed (macro %q), and no macro %s__%s or default__%s is defined", namespace, macro, prefixes[0], macro, macro)
		}
		return nil, fmt.Errorf("adapter.dispatch: no macro %s__%s or default__%s is defined", prefixes[0], macro, macro)
	}
	for _, pkg := range search {
		key := pkg
		if pkg == d.RootPackage {
			key = ""
		}
		for _, p := range prefixes {
			if m, ok := e.index.InPackage(key, p+"__"+macro); ok {
				return m, nil
			}
		}
	}
	names := slices.Clone(search)
	for i, p := range names {
		if p == "" {
			names[i] = "the project"
		}
	}
	return nil, fmt.Errorf("adapter.dispatch: no macro %s__%s or default__%s in %s", prefixes[0], macro, macro, strings.Join(names, ", "))
}

// searchPackages returns the packages adapter.dispatch searches, in order,
// for macro namespace ns (dbt's _get_search_packages): dispatch:'s
// search_order for ns when it has one; else the root project, then ns,
// when ns is the root project, dbt or an installed package. known is false
// for any other namespace (none included), which dbt resolves as a name
// the calling code uses.
func (e *Engine) searchPackages(ns string) (search []string, known bool) {
	d := e.dispatch
	if ns == "" {
		return nil, false
	}
	if s := d.SearchOrder[ns]; len(s) > 0 {
		return s, true
	}
	_, hasMacros := e.index.pkgs[ns]
	if !hasMacros && ns != InternalPackage && ns != d.RootPackage && !slices.Contains(d.Packages, ns) {
		return nil, false
	}
	if ns == d.RootPackage {
		return []string{ns}, true
	}
	return []string{d.RootPackage, ns}, true
}

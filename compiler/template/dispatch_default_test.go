package template

import (
	"strings"
	"testing"
)

// dispatchEngine is an engine with package pkg (which dispatches label in
// its namespace and in none), package bare (installed, with no macros)
// and the project's overrides, for the adapter typ, without dispatch: or
// with search.
func dispatchEngine(t *testing.T, typ string, search map[string][]string) *Engine {
	t.Helper()
	e, l := NewEngine([]Source{
		{Path: "<builtin>/dbt.sql", Text: "{% macro default__type_string() %}varchar{% endmacro %}{% macro type_string() %}{{ return(adapter.dispatch('type_string', 'dbt')()) }}{% endmacro %}"},
		{Path: "dbt_packages/pkg/macros/m.sql", Package: "pkg", Text: `{% macro label(x) %}{{ return(adapter.dispatch('label', 'pkg')(x)) }}{% endmacro %}
{% macro duckdb__label(x) %}pkg-duckdb:{{ x }}{% endmacro %}
{% macro postgres__label(x) %}pkg-postgres:{{ x }}{% endmacro %}
{% macro default__label(x) %}pkg-default:{{ x }}{% endmacro %}
{% macro plain() %}{{ return(adapter.dispatch('plain')()) }}{% endmacro %}
{% macro default__plain() %}pkg-plain{% endmacro %}
{% macro default__only_pkg() %}pkg-only{% endmacro %}`},
		{Path: "macros/over.sql", Text: `{% macro default__label(x) %}root-default:{{ x }}{% endmacro %}
{% macro postgres__label(x) %}root-postgres:{{ x }}{% endmacro %}
{% macro default__type_string() %}root-text{% endmacro %}
{% macro default__mine() %}root-mine{% endmacro %}`},
	})
	if l != nil {
		t.Fatal(l)
	}
	e.SetDispatch(Dispatch{AdapterType: typ, RootPackage: "proj", SearchOrder: search, Packages: []string{"pkg", "bare"}})
	return e
}

// Without dispatch: for a namespace, adapter.dispatch searches the root
// project, then the namespace, each for <type>__name then default__name
// (dbt's _get_search_packages and _get_adapter_macro_prefixes): the
// project's default__label beats the package's duckdb__label on DuckDB,
// the project's postgres__label wins on PostgreSQL; the dbt namespace and
// the project's own namespace are searched so too; dispatch: still wins
// when it names the namespace.
func TestDispatchRootProjectFirst(t *testing.T) {
	src := "{{ pkg.label(1) }}|{{ dbt.type_string() }}|{{ adapter.dispatch('mine', 'proj')() }}|{{ adapter.dispatch('only_pkg', 'pkg')() }}"
	for _, c := range []struct {
		typ    string
		search map[string][]string
		want   string
	}{
		{"duckdb", nil, "root-default:1|root-text|root-mine|pkg-only"},
		{"postgres", nil, "root-postgres:1|root-text|root-mine|pkg-only"},
		{"duckdb", map[string][]string{"pkg": {"pkg", "proj"}, "dbt": {"dbt"}}, "pkg-duckdb:1|varchar|root-mine|pkg-only"},
		{"postgres", map[string][]string{"pkg": {"pkg"}}, "pkg-postgres:1|root-text|root-mine|pkg-only"},
	} {
		out, l := dispatchEngine(t, c.typ, c.search).Render("models/m.sql", src, &Context{})
		if l != nil || out != c.want {
			t.Errorf("%s %v: got %q %v, want %q", c.typ, c.search, out, l, c.want)
		}
	}
}

// With no namespace, or one that is not installed, adapter.dispatch finds
// the name as an unqualified name resolves (dbt searches package None:
// the node's package, the project, dbt's), whatever package the calling
// macro is in; an installed package with no macros is searched after the
// project; a namespace that is not a string is an error, as in dbt.
func TestDispatchOtherNamespaces(t *testing.T) {
	e := dispatchEngine(t, "duckdb", nil)
	out, l := e.Render("models/m.sql", "{{ adapter.dispatch('mine', 'not_installed')() }}|{{ adapter.dispatch('mine', 'bare')() }}", &Context{})
	if l != nil || out != "root-mine|root-mine" {
		t.Fatalf("got %q %v", out, l)
	}
	if out, l := e.RenderIn("pkg", "dbt_packages/pkg/models/p.sql", "{{ plain() }}", &Context{}); l != nil || out != "pkg-plain" {
		t.Fatalf("dispatch without a namespace from the package's node: got %q %v", out, l)
	}
	for src, want := range map[string]string{
		"{{ pkg.plain() }}":                                 "no macro duckdb__plain or default__plain is defined",
		"{{ adapter.dispatch('nope', 'bare')() }}":          "no macro duckdb__nope or default__nope in proj, bare",
		"{{ adapter.dispatch('nope', 'not_installed')() }}": `no package "not_installed" is installed (macro "nope")`,
		"{{ adapter.dispatch('nope', 3)() }}":               "macro_namespace is an int; it should be none or a string",
	} {
		_, l := e.Render("models/m.sql", src, &Context{})
		if len(l) != 1 || !strings.Contains(l[0].Msg, want) {
			t.Errorf("%s: %v, want %q", src, l, want)
		}
	}
}

package template

import (
	"strings"
	"testing"
)

// TestProjectRefOverride: a project macro named ref or source is what
// {{ ref() }} and {{ source() }} call (on the fast path's templates too,
// in models and in other macros), builtins.ref and builtins.source are
// the context's, whose calls are the ones recorded; a package's macro
// named ref is what its own nodes' ref calls, as dbt's macro namespace
// resolves it (the node's package, then the project), and nothing else's.
func TestProjectRefOverride(t *testing.T) {
	e, l := NewEngine([]Source{
		{Path: "macros/ref.sql", Text: "{% macro ref(name) %}{% if name == 'old' %}{% do return(builtins.ref('new')) %}{% endif %}{% do return(builtins.ref(name)) %}{% endmacro %}"},
		{Path: "macros/source.sql", Text: "{% macro source(s, tb) %}{% do return(builtins.source(s, tb ~ '_v2')) %}{% endmacro %}"},
		{Path: "macros/use.sql", Text: "{% macro use() %}{{ ref('old') }}{% endmacro %}"},
		{Path: "dbt_packages/p/macros/ref.sql", Package: "p", Text: "{% macro ref(name) %}PKG{% endmacro %}{% macro pref() %}{{ ref('old') }}{% endmacro %}"},
	})
	if l != nil {
		t.Fatal(l)
	}
	ctx, seen := ctxWith(map[string]string{"new": `"main"."new"`, "a": `"main"."a"`})
	for _, c := range []struct{ src, want string }{
		{"select * from {{ ref('old') }}", `select * from "main"."new"`}, // fast-path shape
		{"select * from {{ ref('a') }} join {{ source('raw', 'erp') }}", `select * from "main"."a" join "raw"."erp_v2"`},
		{"{%- set r = ref('old') -%}{{ r }}", `"main"."new"`},
		{"{{ use() }}", `"main"."new"`},
		{"{{ builtins.ref('new') }}", `"main"."new"`},
		{"{{ builtins.config(materialized='view') }}x", "x"},
	} {
		out, l := e.Render("models/m.sql", c.src, ctx)
		if l != nil {
			t.Fatalf("%s: %v", c.src, l)
		}
		if out != c.want {
			t.Errorf("%s: got %q, want %q", c.src, out, c.want)
		}
	}
	got := strings.Join(*seen, "\n")
	if strings.Contains(got, "ref old") || !strings.Contains(got, "ref new at models/m.sql:1:18") || !strings.Contains(got, "source raw.erp_v2") || !strings.Contains(got, "config map[materialized:view]") {
		t.Errorf("recorded calls:\n%s", got)
	}
	// A node of package p calls p's own ref; a node of package q, the
	// project's; a project's node calling p's macro, the project's.
	for _, c := range []struct{ pkg, src, want string }{
		{"p", "{{ ref('old') }}", "PKG"},
		{"q", "{{ ref('old') }}", `"main"."new"`},
		{"", "{{ p.pref() }}", `"main"."new"`},
		{"p", "{{ pref() }}", "PKG"},
	} {
		out, l := e.RenderIn(c.pkg, "models/m.sql", c.src, ctx)
		if l != nil || out != c.want {
			t.Errorf("%s in package %q: got %q, %v; want %q", c.src, c.pkg, out, l, c.want)
		}
	}
	// Without the project's macro, p's ref applies to p's nodes only.
	e, l = NewEngine([]Source{{Path: "dbt_packages/p/macros/ref.sql", Package: "p", Text: "{% macro ref(name) %}PKG{% endmacro %}{% macro pref() %}{{ ref('a') }}{% endmacro %}"}})
	if l != nil {
		t.Fatal(l)
	}
	for _, c := range []struct{ pkg, src, want string }{
		{"p", "{{ ref('a') }}", "PKG"},
		{"", "{{ ref('a') }}", `"main"."a"`},
		{"", "{{ p.pref() }}", `"main"."a"`},
	} {
		out, l := e.RenderIn(c.pkg, "models/m.sql", c.src, ctx)
		if l != nil || out != c.want {
			t.Errorf("without the project's ref, %s in package %q: got %q, %v; want %q", c.src, c.pkg, out, l, c.want)
		}
	}
}

// TestConfigMacroNotSupported: a project macro named config is an error
// at its position, never silently ignored.
func TestConfigMacroNotSupported(t *testing.T) {
	_, l := NewEngine([]Source{{Path: "macros/config.sql", Text: "\n{% macro config() %}{% endmacro %}"}})
	if l == nil || !strings.Contains(l.Error(), "macros/config.sql:2:") || !strings.Contains(l.Error(), "a macro named config overrides dbt's config: not supported yet") {
		t.Fatalf("got %v", l)
	}
}

// TestPackageConfigMacroNotSupported: a package's macro named config,
// which dbt would call in the package's own nodes, is refused at its
// position as the project's is, never silently ignored.
func TestPackageConfigMacroNotSupported(t *testing.T) {
	_, l := NewEngine([]Source{
		{Path: "macros/m.sql", Text: "{% macro m() %}{% endmacro %}"},
		{Path: "dbt_packages/p/macros/config.sql", Text: "\n\n{% macro config() %}{% endmacro %}", Package: "p"},
	})
	if l == nil || !strings.Contains(l.Error(), "dbt_packages/p/macros/config.sql:3:") || !strings.Contains(l.Error(), "a macro named config overrides dbt's config: not supported yet") {
		t.Fatalf("got %v", l)
	}
}

package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// macroNamespaceProject writes a dbt project (shop) with a local package
// (upm) where both define label() and default__lbl(), for the cases where
// dbt's resolution of an unqualified macro name (dbt-core's
// MacroNamespace: the package of the node being rendered, then the root
// project, then dbt's) differs from a lookup in the calling macro's
// package. extra files are added or replace those.
func macroNamespaceProject(t *testing.T, extra map[string]string) string {
	t.Helper()
	files := map[string]string{
		"dbt_project.yml": "name: shop\nprofile: shop\nmodels:\n  shop:\n    +materialized: table\n",
		"profiles.yml":    "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: shop.duckdb\n",
		"packages.yml":    "packages:\n  - local: pkgs/upm\n",
		"macros/m.sql": `{% macro label() %}root{% endmacro %}
{% macro default__lbl() %}root{% endmacro %}
{% macro root_wrap() %}{{ label() }}{% endmacro %}
`,
		"pkgs/upm/dbt_project.yml": "name: upm\nprofile: shop\nmodels:\n  upm:\n    +materialized: table\n",
		"pkgs/upm/macros/m.sql": `{% macro label() %}pkg{% endmacro %}
{% macro default__lbl() %}pkg{% endmacro %}
{% macro describe() %}{{ label() }}{% endmacro %}
{% macro dispatched() %}{{ return(adapter.dispatch('lbl')()) }}{% endmacro %}
{% macro op() %}{% do run_query("create or replace table main.op_out as select '" ~ label() ~ "' as v") %}{% endmacro %}
`,
		"models/from_root.sql":         "select '{{ upm.describe() }}' as described, '{{ upm.dispatched() }}' as dispatched, '{{ root_wrap() }}' as wrapped\n",
		"pkgs/upm/models/from_pkg.sql": "select '{{ describe() }}' as described, '{{ dispatched() }}' as dispatched, '{{ root_wrap() }}' as wrapped\n",
	}
	for k, v := range extra {
		files[k] = v
	}
	dir := writeProject(t, files)
	mustKiln(t, 0, dir, "deps")
	return dir
}

// TestMacroNamespaceIsTheNodes: an unqualified macro name resolves in the
// package of the node being rendered, whatever the package of the macro
// that names it, as dbt-core's MacroNamespaceBuilder (search_package: the
// node's package) and MacroGenerator (every macro rendered with the
// node's context) do: upm's describe() called from the project's model
// finds the project's label (kiln found upm's), the project's root_wrap()
// called from upm's model finds upm's label (kiln found the project's),
// and so does adapter.dispatch without a namespace; run-operation
// upm.op resolves in upm, run-operation op (no package named) in the
// project.
func TestMacroNamespaceIsTheNodes(t *testing.T) {
	dir := macroNamespaceProject(t, nil)
	mustKiln(t, 0, dir, "build")
	db := filepath.Join(dir, "shop.duckdb")
	for q, want := range map[string]string{
		"select described || ',' || dispatched || ',' || wrapped from main.from_root": "root,root,root",
		"select described || ',' || dispatched || ',' || wrapped from main.from_pkg":  "pkg,pkg,pkg",
	} {
		if got := queryDB(t, db, q); got != want {
			t.Errorf("%s = %s, want %s", q, got, want)
		}
	}
	mustKiln(t, 0, dir, "run-operation", "upm.op")
	if got := queryDB(t, db, "select v from main.op_out"); got != "pkg" {
		t.Errorf("run-operation upm.op wrote %s, want pkg (dbt's search package is the one named)", got)
	}
	mustKiln(t, 0, dir, "run-operation", "op")
	if got := queryDB(t, db, "select v from main.op_out"); got != "root" {
		t.Errorf("run-operation op wrote %s, want root (no package named: the project's first)", got)
	}
}

// TestMacroNamespaceSiblingCall: a package macro that calls a macro of
// its own package by its bare name works for the package's nodes but
// not for the project's, where dbt fails with "'only_pkg' is undefined"
// (dbt-core issue 569: call it as upm.only_pkg); kiln refuses the
// project at the call, with that hint, and builds nothing.
func TestMacroNamespaceSiblingCall(t *testing.T) {
	dir := macroNamespaceProject(t, map[string]string{
		"pkgs/upm/macros/s.sql":      "{% macro only_pkg() %}p{% endmacro %}\n{% macro uses_sibling() %}{{ only_pkg() }}{% endmacro %}\n",
		"pkgs/upm/models/ok_pkg.sql": "select '{{ uses_sibling() }}' as v\n",
	})
	mustKiln(t, 0, dir, "build", "-s", "ok_pkg")
	if got := queryDB(t, filepath.Join(dir, "shop.duckdb"), "select v from main.ok_pkg"); got != "p" {
		t.Errorf("ok_pkg = %s, want p", got)
	}
	writeTree(t, dir, map[string]string{"models/bad.sql": "select '{{ upm.uses_sibling() }}' as v\n"})
	out := mustKiln(t, 2, dir, "build")
	for _, want := range []string{`dbt_packages/upm/macros/s.sql:2:30:`, `"only_pkg" is not a function or macro`, `call it as upm.only_pkg`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

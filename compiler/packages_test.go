package compiler

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/project"
)

// An installed package's macros are callable through its namespace, its
// generic tests are its own macros (a project's macro of the same name
// does not replace them), dispatch: of the project decides which
// implementation a package's dispatching macro takes, and dbt's
// cross-database macros are there in both forms.
func TestPackageMacrosAndTests(t *testing.T) {
	m := compileDBT(t, map[string]string{
		"dbt_project.yml":                  "name: shop\nprofile: shop\ndispatch:\n  - macro_namespace: pkg\n    search_order: [shop, pkg]\n",
		"packages.yml":                     "packages:\n  - local: ../pkg\n",
		"dbt_packages/pkg/dbt_project.yml": "name: pkg\n",
		"dbt_packages/pkg/macros/m.sql": `{% macro cents(col) %}{{ return(adapter.dispatch('cents', 'pkg')(col)) }}{% endmacro %}
{% macro default__cents(col) %}{{ col }} * 100{% endmacro %}
{% test positive(model, column_name) %}select * from {{ model }} where {{ column_name }} <= 0{% endtest %}`,
		"macros/over.sql":   "{% macro default__cents(col) %}cast({{ col }} * 100 as integer){% endmacro %}\n{% test positive(model, column_name) %}select 'project' from {{ model }}{% endtest %}",
		"models/orders.sql": "select {{ pkg.cents('amount') }} as cents, {{ dbt.date_trunc('month', 'd') }} as m, {{ date_trunc('day', 'd') }} as d, {{ dbt.type_string() }} as t from raw",
		"models/schema.yml": "version: 2\nmodels:\n  - name: orders\n    columns:\n      - name: cents\n        data_tests: [pkg.positive]\n",
	})
	var model, test string
	for _, n := range m.Graph.Nodes() {
		switch {
		case n.Name == "orders":
			model = n.CompiledCode
		case strings.HasPrefix(n.Name, "pkg_positive"):
			test = n.CompiledCode
		}
	}
	if want := "select cast(amount * 100 as integer) as cents, date_trunc('month', d) as m, date_trunc('day', d) as d, TEXT as t from raw"; model != want {
		t.Errorf("model:\n got %q\nwant %q", model, want)
	}
	if want := `select * from "jaffle_shop"."main"."orders" where cents <= 0`; test != want {
		t.Errorf("test:\n got %q\nwant %q", test, want)
	}
}

// A package's macro named config, which dbt calls instead of its config
// in that package's nodes, is refused at its position as the project's
// is: kiln would ignore it there.
func TestPackageConfigMacroRefused(t *testing.T) {
	fsys := fstest.MapFS{}
	for k, v := range map[string]string{
		"dbt_project.yml":                    "name: shop\nprofile: shop\n",
		"packages.yml":                       "packages:\n  - local: ../pkg\n",
		"dbt_packages/pkg/dbt_project.yml":   "name: pkg\n",
		"dbt_packages/pkg/macros/config.sql": "{# keeps the table #}\n{% macro config() %}{% endmacro %}\n",
		"dbt_packages/pkg/models/p.sql":      "{{ config(materialized='table') }}\nselect 1 as id\n",
		"models/orders.sql":                  "select 1 as id\n",
	} {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	target := func(project.TargetRequest) (*project.Target, diag.List) {
		return project.DefaultTarget("jaffle_shop.duckdb"), nil
	}
	p, l := project.LoadWith(fsys, project.Options{Target: target})
	if l.HasErrors() {
		t.Fatal(l)
	}
	_, l = Compile(p, Options{ProjectDir: "/proj"})
	if want := "dbt_packages/pkg/macros/config.sql:2:4: a macro named config overrides dbt's config: not supported yet"; !l.HasErrors() || !strings.Contains(l.Error(), want) {
		t.Errorf("diagnostics:\n%v\nwant %s", l, want)
	}
}

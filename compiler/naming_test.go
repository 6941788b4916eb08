package compiler

import (
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/graph"
)

// customSchemaOnly is the generate_schema_name most dbt projects write:
// the custom schema as written, else the target's.
const customSchemaOnly = `{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
`

// nodeOf finds node id, or the test of that name (test.<project>.<name>,
// whose id has a hash).
func nodeOf(m *Manifest, id string) *graph.Node {
	if n := m.Graph.Node(graph.ID(id)); n != nil {
		return n
	}
	for _, n := range m.Graph.Nodes() {
		if strings.HasPrefix(string(n.ID), id+".") {
			return n
		}
	}
	return nil
}

func relOf(t *testing.T, m *Manifest, id string) string {
	t.Helper()
	n := nodeOf(m, id)
	if n == nil {
		t.Fatalf("no node %s", id)
	}
	if n.Relation.IsZero() {
		return n.Named.String()
	}
	return n.Relation.String()
}

// A dbt project's own generate_schema_name, generate_alias_name and
// generate_database_name name its models, seeds, snapshots and tests'
// audit tables, rendered with the custom value (none when unset) and the
// node; the root project's name is its macros' namespace.
func TestProjectNamingMacros(t *testing.T) {
	files := map[string]string{
		"dbt_project.yml": "name: mist\nmodels:\n  mist:\n    cfg:\n      +schema: custom\nseeds:\n  mist:\n    +schema: raw\n",
		"macros/gsn.sql":  customSchemaOnly,
		"macros/gan.sql": `{% macro generate_alias_name(custom_alias_name=none, node=none) -%}
  {%- if custom_alias_name -%}{{ custom_alias_name | trim }}{%- elif node.resource_type == 'model' -%}{{ mist.prefix() }}{{ node.name }}{%- else -%}{{ node.name }}{%- endif -%}
{%- endmacro %}
{% macro prefix() %}x_{% endmacro %}`,
		"models/cfg/m_schema.sql": "select 1 as id",
		"models/a.sql":            "select 1 as id",
		"models/b.sql":            "{{ config(alias='bee', schema='marts') }} select * from {{ ref('a') }}",
		"seeds/s.csv":             "id\n1\n",
		"models/c.sql":            "select '{{ mist.prefix() }}' as p",
		"models/a.yml":            "version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        data_tests:\n          - not_null: {config: {store_failures: true}}\n",
	}
	m := compileDBT(t, files)
	for id, want := range map[string]string{
		"model.mist.m_schema": `"jaffle_shop"."custom"."x_m_schema"`,
		"model.mist.a":        `"jaffle_shop"."main"."x_a"`,
		"model.mist.b":        `"jaffle_shop"."marts"."bee"`,
		"seed.mist.s":         `"jaffle_shop"."raw"."s"`,
		// dbt's tests have the custom schema dbt_test__audit.
		"test.mist.not_null_a_id": `"jaffle_shop"."dbt_test__audit"."not_null_a_id"`,
	} {
		if got := relOf(t, m, id); got != want {
			t.Errorf("%s: %s, want %s", id, got, want)
		}
	}
	if got := m.Graph.Node("model.mist.c").CompiledCode; !strings.Contains(got, "'x_'") {
		t.Errorf("mist.prefix(): %s", got)
	}
	if got := m.Graph.Node("model.mist.b").CompiledCode; !strings.Contains(got, `"main"."x_a"`) {
		t.Errorf("b's ref: %s", got)
	}
}

// Without an override, a dbt project's tests keep their failing rows in
// <target schema>_dbt_test__audit, dbt's default; a kiln project's in
// audit, as before.
func TestAuditSchemaDefaults(t *testing.T) {
	files := map[string]string{
		"models/a.sql": "select 1 as id",
		"models/a.yml": "version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        data_tests:\n          - not_null: {config: {store_failures: true}}\n          - unique: {config: {store_failures: true, schema: checks}}\n",
	}
	files["dbt_project.yml"] = "name: p\n"
	m := compileDBT(t, files)
	if got := nodeOf(m, "test.p.not_null_a_id").AuditRelation().String(); got != `"jaffle_shop"."main_dbt_test__audit"."not_null_a_id"` {
		t.Errorf("dbt: %s", got)
	}
	if got := nodeOf(m, "test.p.unique_a_id").AuditRelation().String(); got != `"jaffle_shop"."main_checks"."unique_a_id"` {
		t.Errorf("dbt with schema: %s", got)
	}
	if got := nodeOf(m, "test.p.not_null_a_id").CompiledCode; !strings.Contains(got, "select *") {
		t.Errorf("not_null with store_failures keeps the rows whole: %s", got)
	}
	delete(files, "dbt_project.yml")
	files["project.yml"] = "name: p\n"
	m = compileDBT(t, files)
	if got := nodeOf(m, "test.p.not_null_a_id").AuditRelation().String(); got != `"audit"."not_null_a_id"` {
		t.Errorf("kiln: %s", got)
	}
}

// dbt's generate_schema_name dispatches: a project's default__ or
// <adapter>__generate_schema_name replaces dbt's default, and may call
// generate_schema_name_for_env.
func TestNamingDispatchAndForEnv(t *testing.T) {
	m := compileDBT(t, map[string]string{
		"dbt_project.yml": "name: p\nmodels:\n  p:\n    +schema: marts\n",
		"macros/n.sql": `{% macro duckdb__generate_schema_name(custom_schema_name, node) -%}
{{ generate_schema_name_for_env(custom_schema_name, node) }}_{{ node.config.materialized }}
{%- endmacro %}`,
		"models/a.sql": "select 1 as id",
	})
	if got := relOf(t, m, "model.p.a"); got != `"jaffle_shop"."main_view"."a"` {
		t.Errorf("dispatch: %s", got)
	}
}

// A package's own generate_schema_name names its own nodes (dbt-core >=
// 1.6); the root project's names the others.
func TestPackageNamingMacro(t *testing.T) {
	m := compileDBT(t, map[string]string{
		"dbt_project.yml":                    "name: root\n",
		"macros/gsn.sql":                     "{% macro generate_schema_name(custom_schema_name, node) %}rootschema{% endmacro %}",
		"models/r.sql":                       "select 1 as id",
		"dbt_packages/pkg/dbt_project.yml":   "name: pkg\n",
		"dbt_packages/pkg/macros/gsn.sql":    "{% macro generate_schema_name(custom_schema_name, node) %}pkgschema_{{ node.package_name }}{% endmacro %}",
		"dbt_packages/pkg/models/p.sql":      "select 1 as id",
		"dbt_packages/other/dbt_project.yml": "name: other\n",
		"dbt_packages/other/models/o.sql":    "select 1 as id",
	})
	for id, want := range map[string]string{
		"model.root.r":  `"jaffle_shop"."rootschema"."r"`,
		"model.pkg.p":   `"jaffle_shop"."pkgschema_pkg"."p"`,
		"model.other.o": `"jaffle_shop"."rootschema"."o"`,
	} {
		if got := relOf(t, m, id); got != want {
			t.Errorf("%s: %s, want %s", id, got, want)
		}
	}
}

// A naming macro that fails, gives nothing, or names another database is
// an error at the macro.
func TestNamingMacroErrors(t *testing.T) {
	for _, tc := range []struct{ macro, want string }{
		{"{% macro generate_schema_name(custom_schema_name, node) %}\n{{ exceptions.raise_compiler_error('no schema for ' ~ node.name) }}\n{% endmacro %}", "macros/n.sql:2:"},
		{"{% macro generate_schema_name(custom_schema_name, node) %}{% endmacro %}", "macros/n.sql:1:4: generate_schema_name gives no schema for model \"a\""},
		{"{% macro generate_database_name(custom_database_name, node) %}elsewhere{% endmacro %}", "generate_database_name gives database \"elsewhere\""},
	} {
		_, l := compileDBTDiags(t, map[string]string{
			"dbt_project.yml": "name: p\n",
			"macros/n.sql":    tc.macro,
			"models/a.sql":    "select 1 as id",
		})
		if !l.HasErrors() || !strings.Contains(l.Error(), tc.want) {
			t.Errorf("%q: %v, want %s", tc.macro, l, tc.want)
		}
	}
}

// A naming macro that fails for every node is reported once, at the
// macro, naming how many nodes it failed for and the first three; not
// once per node with the same message.
func TestNamingMacroErrorOnce(t *testing.T) {
	files := map[string]string{
		"dbt_project.yml": "name: p\n",
		"macros/n.sql":    "{% macro generate_schema_name(custom_schema_name, node) %}\n{{ exceptions.raise_compiler_error('no schemas here') }}\n{% endmacro %}",
		"seeds/s.csv":     "id\n1\n",
	}
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		files["models/"+name+".sql"] = "select 1 as id"
	}
	_, l := compileDBTDiags(t, files)
	errs := l.Errors()
	if len(errs) != 1 {
		t.Fatalf("%d errors, want 1:\n%v", len(errs), errs)
	}
	want := `macros/n.sql:2:4: generate_schema_name failed for 6 nodes (model "a", model "b", model "c" and 3 more): no schemas here (in macro "generate_schema_name" called at macros/n.sql); fix the macro`
	if got := errs.Error(); !strings.HasPrefix(got, want) {
		t.Errorf("got %s\nwant %s", got, want)
	}

	// A message that names the node: still once, with the first node's
	// message.
	files["macros/n.sql"] = "{% macro generate_alias_name(custom_alias_name, node) %}\n{{ exceptions.raise_compiler_error('no alias for ' ~ node.name) }}\n{% endmacro %}"
	_, l = compileDBTDiags(t, files)
	errs = l.Errors()
	if len(errs) != 1 || !strings.Contains(errs.Error(), `generate_alias_name failed for 6 nodes (model "a", model "b", model "c" and 3 more), each with its own message; for model "a" (models/a.sql): no alias for a (in macro`) {
		t.Errorf("%v", errs)
	}

	// A macro that gives nothing, for two nodes: once, both named.
	delete(files, "models/c.sql")
	delete(files, "models/d.sql")
	delete(files, "models/e.sql")
	delete(files, "seeds/s.csv")
	files["macros/n.sql"] = "{% macro generate_schema_name(custom_schema_name, node) %}{% endmacro %}"
	_, l = compileDBTDiags(t, files)
	errs = l.Errors()
	if len(errs) != 1 || !strings.Contains(errs.Error(), `macros/n.sql:1:4: generate_schema_name gives no schema for 2 nodes (model "a", model "b")`) {
		t.Errorf("%v", errs)
	}
}

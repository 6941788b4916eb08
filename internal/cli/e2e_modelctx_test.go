package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// modelCtxProject writes a dbt project whose model reads dbt's model,
// schema and database in its SQL and in a post-hook, whose generic test
// reads its config with config.get, and whose on-run-start and on-run-end
// hooks record schema, database and selected_resources.
func modelCtxProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"dbt_project.yml": `name: shop
profile: shop
models:
  shop:
    +materialized: table
    +my_team: finance
    marts:
      +schema: sales
      +post-hook: "create table {{ schema }}.hook_log as select '{{ model.unique_id }}' as uid, '{{ model.config.materialized }}' as mat, '{{ schema }}' as sch, '{{ database }}' as db, '{{ model.compiled_code is defined }}' as has_code"
on-run-start:
  - "create or replace table main.run_start as select '{{ schema }}' as sch, '{{ selected_resources | join(',') }}' as sel"
on-run-end:
  - "create or replace table main.run_end as select '{{ schema }}' as sch, '{{ database }}' as db, '{{ selected_resources | join(',') }}' as sel"
`,
		"profiles.yml": `shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: shop.duckdb
`,
		"models/p.sql": "select 1 as id\n",
		"models/e.sql": "{{ config(materialized='ephemeral', schema='eph') }}\nselect 2 as id, '{{ schema }}' as sch, '{{ model.alias }}' as alias\n",
		"models/f.sql": "select sch || '|' || alias as s from {{ ref('e') }}\n",
		"models/marts/m.sql": `{{ config(tags=['daily']) }}
select '{{ model.unique_id }}' as uid, '{{ model.name }}' as name, '{{ model.config.materialized }}' as mat,
  '{{ model.config["my_team"] }}' as team, '{{ model.config.get("my_team") }}' as team2, '{{ schema }}' as sch,
  '{{ model.schema }}' as msch, '{{ model.resource_type }}' as rt, '{{ model.package_name }}' as pkg,
  '{{ model.fqn | join(".") }}' as fqn, '{{ model.original_file_path }}' as ofp, '{{ model.path }}' as path,
  '{{ model.tags | join(",") }}' as tags, '{{ model.description }}' as descr,
  '{{ model.depends_on.nodes | join(",") }}' as deps, '{{ model.compiled_code is defined }}' as has_code,
  '{{ model.alias }}' as alias, '{{ database }}' as db, '{{ model.columns.id.description }}' as coldesc,
  '{{ model.meta.owner }}' as owner, id
from {{ ref('p') }}
`,
		"models/marts/props.yml": `version: 2
models:
  - name: m
    description: "The m model"
    meta: {owner: ann}
    columns:
      - name: id
        description: "the id"
        data_tests:
          - at_most:
              config:
                my_limit: 5
`,
		"tests/generic/at_most.sql": `{% test at_most(model, column_name) %}
{{ config(my_check_owner='qa') }}
select * from {{ model }} where {{ column_name }} > {{ config.get('my_limit', 0) }} or '{{ config.get('my_check_owner') }}' <> 'qa'
  or '{{ config.get('severity') }}' <> 'ERROR'
{% endtest %}
`,
	}
	for name, body := range files {
		writeFile(t, filepath.Join(dir, name), body)
	}
	return dir
}

// TestModelContextVariables builds a project whose model reads dbt's
// model (its manifest entry: unique_id, config with the project's own
// keys, fqn, path, description, columns, meta, depends_on), schema and
// database in its SQL and post-hook, and checks the built tables hold
// them: schema is the node's (main_sales with +schema: sales), not the
// target's; the post-hook sees compiled_code, the SQL does not, as in
// dbt. The generic test reads its config (the YAML's over its config()
// call, dbt's default severity), and on-run-start/on-run-end read the
// target's schema and selected_resources.
func TestModelContextVariables(t *testing.T) {
	dir := modelCtxProject(t)
	out := mustKiln(t, 0, dir, "build")
	if !strings.Contains(out, "PASS=4") {
		t.Errorf("want 4 nodes passing (p, f, m and its test):\n%s", out)
	}
	db := filepath.Join(dir, "shop.duckdb")
	got := queryDB(t, db, `select concat_ws('|', uid, name, mat, team, team2, sch, msch, rt, pkg, fqn, ofp, path, tags, descr, deps, has_code, alias, db, coldesc, owner) from main_sales.m`)
	want := "model.shop.m|m|table|finance|finance|main_sales|main_sales|model|shop|shop.marts.m|models/marts/m.sql|marts/m.sql|daily|The m model|model.shop.p|False|m|shop|the id|ann"
	if got != want {
		t.Errorf("model in SQL:\n got %s\nwant %s", got, want)
	}
	if got := queryDB(t, db, `select concat_ws('|', uid, mat, sch, db, has_code) from main_sales.hook_log`); got != "model.shop.m|table|main_sales|shop|True" {
		t.Errorf("model in the post-hook: got %s, want model.shop.m|table|main_sales|shop|True", got)
	}
	// selected_resources: the selected models (the ephemeral one
	// included), seeds, snapshots and tests, sorted.
	if got := queryDB(t, db, `select sch || '|' || sel from main.run_start`); !strings.HasPrefix(got, "main|model.shop.e,model.shop.f,model.shop.m,model.shop.p,test.shop.at_most_m_id") {
		t.Errorf("on-run-start: got %s", got)
	}
	if got := queryDB(t, db, `select sch || '|' || db || '|' || sel from main.run_end`); !strings.HasPrefix(got, "main|shop|model.shop.e,model.shop.f,model.shop.m,model.shop.p,test.shop.at_most_m_id") {
		t.Errorf("on-run-end: got %s", got)
	}
	// An ephemeral model's schema is the one dbt's generate_schema_name
	// gives it, though it builds no relation.
	if got := queryDB(t, db, `select s from main.f`); got != "main_eph|e" {
		t.Errorf("schema and model.alias in an ephemeral model: got %s, want main_eph|e", got)
	}
	mustKiln(t, 0, dir, "build", "-s", "p")
	if got := queryDB(t, db, `select sel from main.run_end`); got != "model.shop.p" {
		t.Errorf("on-run-end after -s p: selected_resources %s, want model.shop.p", got)
	}
}

// TestConfigGetInOnRunHook: config.get in on-run-end is an error that
// says it is not supported yet, at the hook's position (dbt reads the
// hook's own operation node there).
func TestConfigGetInOnRunHook(t *testing.T) {
	dir := modelCtxProject(t)
	writeFile(t, filepath.Join(dir, "dbt_project.yml"), `name: shop
profile: shop
on-run-end:
  - "select '{{ config.get('x', 'd') }}'"
`)
	code, out, errOut := kiln(t, dir, "build")
	if code == 0 || !strings.Contains(out+errOut, "config.get() is not supported yet here") || !strings.Contains(out+errOut, "dbt_project.yml:4:") {
		t.Errorf("exit %d, want an error at dbt_project.yml:4 saying config.get is not supported yet:\n%s%s", code, out, errOut)
	}
}

// TestRunOperationContext: in run-operation, schema and database are the
// target's and config.get gives its default (a macro has no config), as
// in dbt.
func TestRunOperationContext(t *testing.T) {
	dir := modelCtxProject(t)
	writeFile(t, filepath.Join(dir, "macros/where.sql"), "{% macro where() %}{% do log('where: ' ~ schema ~ '|' ~ database ~ '|' ~ config.get('x', 'd'), info=True) %}{% endmacro %}\n")
	mustKiln(t, 0, dir, "build")
	out := mustKiln(t, 0, dir, "run-operation", "where")
	if !strings.Contains(out, "where: main|shop|d") {
		t.Errorf("want where: main|shop|d in the output:\n%s", out)
	}
}

package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// namingProject writes a dbt project (named mist) that overrides
// generate_schema_name (the custom schema as written) and
// generate_alias_name (x_ before a model's name, through the root
// project's namespace mist.), with profiles.yml's output profile.
func namingProject(t *testing.T, profile string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"profiles.yml": profile,
		"dbt_project.yml": `name: mist
profile: mist
models:
  mist:
    cfg:
      +schema: custom
`,
		"macros/gsn.sql": `{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
`,
		"macros/gan.sql": `{% macro generate_alias_name(custom_alias_name=none, node=none) -%}
  {%- if custom_alias_name -%}{{ custom_alias_name | trim }}
  {%- elif node.resource_type == 'model' -%}{{ mist.prefix() }}{{ node.name }}
  {%- else -%}{{ node.name }}{%- endif -%}
{%- endmacro %}
{% macro prefix() %}x_{% endmacro %}
`,
		"models/cfg/m_schema.sql": "select 1 as id\n",
		"models/a.sql":            "{{ config(materialized='table') }}\nselect 1 as id, 'one' as label union all select null, 'none'\n",
		"models/a.yml": `version: 2
models:
  - name: a
    columns:
      - name: id
        data_tests:
          - not_null: {config: {store_failures: true, severity: warn}}
`,
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("DBT_PROFILES_DIR", "")
	t.Setenv("DBT_TARGET", "")
	return dir
}

// namingWant are the relations namingProject builds, as
// schema.name|kind, sorted, and the failing rows' table.
var namingWant = []string{"analytics.x_a|table", "custom.x_m_schema|view", "dbt_test__audit.not_null_a_id|table"}

// namingRelations lists the relations of the schemas namingProject may
// build in, with query (one row per relation: schema, name, type).
func namingRelations(t *testing.T, query func(string) []string) []string {
	t.Helper()
	rows := query(`select table_schema || '.' || table_name || '|' || case when table_type = 'VIEW' then 'view' else 'table' end
from information_schema.tables
where table_schema in ('analytics', 'custom', 'analytics_custom', 'dbt_test__audit', 'analytics_dbt_test__audit', 'audit')`)
	sort.Strings(rows)
	return rows
}

// checkNamingManifest checks manifest.json's schema and alias of the
// nodes of namingProject.
func checkNamingManifest(t *testing.T, dir string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "target", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Nodes map[string]struct {
			Schema string `json:"schema"`
			Alias  string `json:"alias"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for id, n := range m.Nodes {
		if strings.HasPrefix(id, "test.") {
			id = id[:strings.LastIndexByte(id, '.')] // its hash
		}
		got[id] = n.Schema + "." + n.Alias
	}
	for id, want := range map[string]string{
		"model.mist.m_schema":     "custom.x_m_schema",
		"model.mist.a":            "analytics.x_a",
		"test.mist.not_null_a_id": "dbt_test__audit.not_null_a_id",
	} {
		if got[id] != want {
			t.Errorf("manifest.json: %s is %q, want %q", id, got[id], want)
		}
	}
}

// A dbt project's own naming macros place its relations on DuckDB, as
// dbt-duckdb would: the custom schema as written, the alias the macro
// gives, and the not_null test's failing rows whole (select *) in the
// test's schema, dbt_test__audit passed through the project's
// generate_schema_name.
func TestProjectNamingMacrosOnDuckDB(t *testing.T) {
	dir := namingProject(t, `mist:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: target/mist.duckdb
      schema: analytics
`)
	mustKiln(t, 0, dir, "build")
	db := filepath.Join(dir, "target", "mist.duckdb")
	got := namingRelations(t, func(q string) []string {
		var out []string
		for _, r := range strings.Split(queryDB(t, db, "select string_agg(r, ',') from ("+q+") as t(r)"), ",") {
			out = append(out, r)
		}
		return out
	})
	if strings.Join(got, " ") != strings.Join(namingWant, " ") {
		t.Errorf("relations %v, want %v", got, namingWant)
	}
	if cols := queryDB(t, db, "select count(*) from information_schema.columns where table_schema = 'dbt_test__audit' and table_name = 'not_null_a_id'"); cols != "2" {
		t.Errorf("the failing rows have %s columns, want 2 (select *)", cols)
	}
	if n := queryDB(t, db, "select count(*) from dbt_test__audit.not_null_a_id where label = 'none'"); n != "1" {
		t.Errorf("failing rows: %s, want 1", n)
	}
	checkNamingManifest(t, dir)
}

// TestProjectNamingMacrosOnPostgres is TestProjectNamingMacrosOnDuckDB on
// PostgreSQL, as dbt-postgres would build it.
func TestProjectNamingMacrosOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := namingProject(t, `mist:
  target: ci
  outputs:
    ci:
      type: postgres
      host: `+d.host+`
      port: `+d.port+`
      user: `+d.user+`
      pass: ""
      database: `+d.db+`
      schema: analytics
      threads: 2
`)
	mustKiln(t, 0, dir, "build")
	got := namingRelations(t, func(q string) []string { return d.query(t, q) })
	if strings.Join(got, " ") != strings.Join(namingWant, " ") {
		t.Errorf("relations %v, want %v", got, namingWant)
	}
	if n := d.query(t, "select count(*) from dbt_test__audit.not_null_a_id where label = 'none'"); len(n) != 1 || n[0] != "1" {
		t.Errorf("failing rows: %v, want 1 (select *, label included)", n)
	}
	checkNamingManifest(t, dir)
}

package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// refOverrideProject writes a dbt project whose macros/ref.sql and
// macros/source.sql override dbt's ref and source, as dbt's builtins
// documentation shows: ref('old_orders') resolves to new_orders (with
// dbt's own ref reached as builtins.ref, keyword version included) and
// source('raw', t) to raw's t_v2. It uses ref in a model, in a macro, in
// a singular test, in a generic test's argument, in a snapshot and in an
// on-run-end hook. extra files are added or
// replace those.
func refOverrideProject(t *testing.T, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"dbt_project.yml": `name: shop
profile: shop
models:
  shop:
    +materialized: table
on-run-start:
  - "create or replace table main.raw_orders as select 10 as id"
  - "create or replace table main.raw_orders_v2 as select 20 as id"
on-run-end:
  - "create or replace table main.hook_out as select v from {{ ref('old_orders') }}"
`,
		"profiles.yml": `shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: shop.duckdb
`,
		"macros/ref.sql": `{% macro ref() %}
{%- set version = kwargs.get('version') or kwargs.get('v') -%}
{%- set name = varargs[-1] -%}
{%- if name == 'old_orders' -%}{% set name = 'new_orders' %}{%- endif -%}
{%- if varargs | length == 2 -%}
  {% do return(builtins.ref(varargs[0], name, version=version)) %}
{%- endif -%}
{% do return(builtins.ref(name, version=version)) %}
{% endmacro %}
`,
		"macros/source.sql": `{% macro source(source_name, table_name) %}
{% do return(builtins.source(source_name, table_name ~ '_v2')) %}
{% endmacro %}
`,
		"macros/pick.sql":       "{% macro pick() %}{{ ref('shop', 'old_orders') }}{% endmacro %}\n",
		"models/old_orders.sql": "select 1 as id, 'old' as v\n",
		"models/new_orders.sql": "select 2 as id, 'new' as v\n",
		"models/report.sql": `select id, v from {{ ref('old_orders') }}
union all select id, 'src' from {{ source('raw', 'raw_orders') }}
`,
		"models/via_macro.sql": "select v from {{ pick() }}\n",
		"models/sources.yml": `version: 2
sources:
  - name: raw
    schema: main
    tables:
      - name: raw_orders
      - name: raw_orders_v2
models:
  - name: new_orders
    columns:
      - name: id
        data_tests:
          - relationships:
              arguments: {to: "ref('old_orders')", field: id}
`,
		"tests/only_new.sql": "select * from {{ ref('old_orders') }} where v <> 'new'\n",
		"snapshots/snap.sql": `{% snapshot snap %}
{{ config(target_schema='main', unique_key='id', strategy='check', check_cols='all') }}
select * from {{ ref('old_orders') }}
{% endsnapshot %}
`,
	}
	for k, v := range extra {
		files[k] = v
	}
	for name, body := range files {
		writeFile(t, filepath.Join(dir, name), body)
	}
	return dir
}

// TestProjectRefOverride builds a project that overrides ref and source
// with macros of its own: every ref and source call (model, macro, test,
// snapshot, hook) goes through them, as in dbt, and the nodes depend on
// what the macros resolve through builtins.ref and builtins.source. kiln
// used to call its own ref and source and ignore the macros: report
// held 'old' and the raw_orders row, and only_new failed.
func TestProjectRefOverride(t *testing.T) {
	dir := refOverrideProject(t, nil)
	out := mustKiln(t, 0, dir, "build")
	if !strings.Contains(out, "PASS=7 ") || !strings.Contains(out, "test      relationships_new_orders_id") {
		t.Errorf("want the four models, the snapshot and two tests to pass:\n%s", out)
	}
	db := filepath.Join(dir, "shop.duckdb")
	if got := queryDB(t, db, "select string_agg(id || ':' || v, ',' order by id) from report"); got != "2:new,20:src" {
		t.Errorf("report = %s, want 2:new,20:src (through the project's ref and source)", got)
	}
	if got := queryDB(t, db, "select v from via_macro"); got != "new" {
		t.Errorf("via_macro = %s, want new (ref in a macro)", got)
	}
	if got := queryDB(t, db, "select v from snap"); got != "new" {
		t.Errorf("snap = %s, want new (ref in a snapshot)", got)
	}
	if got := queryDB(t, db, "select v from hook_out"); got != "new" {
		t.Errorf("hook_out = %s, want new (ref in an on-run-end hook)", got)
	}

	b, err := os.ReadFile(filepath.Join(dir, "target", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Nodes map[string]struct {
			DependsOn struct {
				Nodes  []string `json:"nodes"`
				Macros []string `json:"macros"`
			} `json:"depends_on"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	deps := m.Nodes["model.shop.report"].DependsOn
	if got := strings.Join(deps.Nodes, ","); got != "model.shop.new_orders,source.shop.raw.raw_orders_v2" {
		t.Errorf("report depends on %s, want model.shop.new_orders,source.shop.raw.raw_orders_v2", got)
	}
	if got := strings.Join(deps.Macros, ","); got != "macro.shop.ref,macro.shop.source" {
		t.Errorf("report's macros are %s, want macro.shop.ref,macro.shop.source", got)
	}

	// The cache of the parse follows the macro: another redirection
	// builds from another model.
	writeFile(t, filepath.Join(dir, "macros", "ref.sql"), "{% macro ref(a, b=none) %}{% do return(builtins.ref('old_orders')) %}{% endmacro %}\n")
	mustKiln(t, 0, dir, "run")
	if got := queryDB(t, db, "select string_agg(id || ':' || v, ',' order by id) from report"); got != "1:old,20:src" {
		t.Errorf("after the macro changed, report = %s, want 1:old,20:src", got)
	}
}

// TestProjectRefOverrideErrors: a ref the override resolves to no model
// is an error at the builtins.ref call with the model's call that led to
// it; a project macro named config is an error at the macro.
func TestProjectRefOverrideErrors(t *testing.T) {
	dir := refOverrideProject(t, map[string]string{"models/bad.sql": "select 1 as x\nfrom {{ ref('nope') }}\n"})
	out := mustKiln(t, 2, dir, "build")
	if !strings.Contains(out, `macros/ref.sql:8:14: unknown model "nope" in ref()`) || !strings.Contains(out, "called at models/bad.sql:2:9") {
		t.Errorf("want the unknown ref at the macro's builtins.ref call and the model's call:\n%s", out)
	}

	dir = refOverrideProject(t, map[string]string{"macros/config.sql": "{% macro config() %}{% endmacro %}\n"})
	out = mustKiln(t, 2, dir, "build")
	if !strings.Contains(out, "macros/config.sql:1:") || !strings.Contains(out, "a macro named config overrides dbt's config: not supported yet") {
		t.Errorf("want the config macro refused at its position:\n%s", out)
	}
}

// TestPackageRefOverride: as dbt's macro namespace resolves ref, a
// package's own macro named ref is what its models' ref calls (pm reads
// old_orders), while the project's is what a project's model calls, also
// through the package's macro (via_pkg reads new_orders).
func TestPackageRefOverride(t *testing.T) {
	dir := refOverrideProject(t, map[string]string{
		"packages.yml": "packages:\n  - local: pkgs/upm\n",
		"pkgs/upm/dbt_project.yml": `name: upm
profile: shop
models:
  upm:
    +materialized: table
`,
		"pkgs/upm/macros/ref.sql": `{% macro ref(name) %}{% do return(builtins.ref('shop', 'old_orders')) %}{% endmacro %}
{% macro pref() %}{{ ref('new_orders') }}{% endmacro %}
`,
		"pkgs/upm/models/pm.sql": "select v from {{ ref('new_orders') }}\n",
		"models/via_pkg.sql":     "select v from {{ upm.pref() }}\n",
	})
	mustKiln(t, 0, dir, "deps")
	mustKiln(t, 0, dir, "build")
	db := filepath.Join(dir, "shop.duckdb")
	if got := queryDB(t, db, "select v from pm"); got != "old" {
		t.Errorf("pm = %s, want old (the package's ref in the package's model)", got)
	}
	if got := queryDB(t, db, "select v from via_pkg"); got != "new" {
		t.Errorf("via_pkg = %s, want new (the project's ref in a project's model, through the package's macro)", got)
	}
}

// TestPackageRefOverrideInGenericTests: the generic tests of a package's
// property file are the package's nodes, as in dbt: their macro and
// their arguments call the package's ref, as its models do (kiln called
// the project's there: only_old read new_orders and failed, and the
// relationships test compared pm's ids with new_orders').
func TestPackageRefOverrideInGenericTests(t *testing.T) {
	dir := refOverrideProject(t, map[string]string{
		"packages.yml": "packages:\n  - local: pkgs/upm\n",
		"pkgs/upm/dbt_project.yml": `name: upm
profile: shop
models:
  upm:
    +materialized: table
`,
		"pkgs/upm/macros/ref.sql":   "{% macro ref(name) %}{% do return(builtins.ref('shop', 'old_orders')) %}{% endmacro %}\n",
		"pkgs/upm/macros/tests.sql": "{% test only_old(model) %}select * from {{ ref('new_orders') }} where v <> 'old'{% endtest %}\n",
		"pkgs/upm/models/pm.sql":    "select id, v from {{ ref('new_orders') }}\n",
		"pkgs/upm/models/schema.yml": `version: 2
models:
  - name: pm
    data_tests:
      - only_old
    columns:
      - name: id
        data_tests:
          - relationships:
              arguments: {to: "ref('new_orders')", field: id}
`,
	})
	mustKiln(t, 0, dir, "deps")
	out := mustKiln(t, 0, dir, "build")
	if !strings.Contains(out, "PASS=10 ") || !strings.Contains(out, "test      only_old_pm_") {
		t.Errorf("want every node to pass, pm's two tests included:\n%s", out)
	}
	compiled := map[string]string{}
	filepath.WalkDir(filepath.Join(dir, "target", "compiled", "upm"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			compiled[filepath.Base(p)] = string(b)
		}
		return nil
	})
	for name, sql := range compiled {
		if strings.Contains(sql, "new_orders") {
			t.Errorf("%s reads new_orders, want old_orders (the package's ref):\n%s", name, sql)
		}
	}
	if len(compiled) < 3 {
		t.Errorf("compiled files of upm: %v, want pm and its two tests", compiled)
	}
}

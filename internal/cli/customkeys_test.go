package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// customKeysProject writes a dbt project whose models carry config keys
// of its own in the three places dbt reads configs: dbt_project.yml
// (+my_team on the project, +my_tier on the marts folder), a property
// file's config: and a model's config() call, and a macro that reads them
// with config.get. extra files are added or replace those.
func customKeysProject(t *testing.T, extra map[string]string) string {
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
      +my_tier: platinum
`,
		"profiles.yml": `shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: shop.duckdb
`,
		"macros/show.sql": "{% macro show(key) %}{{ config.get(key, 'none') }}{% endmacro %}\n",
		"models/marts/a.sql": `{{ config(my_owner='ann', my_team='ops') }}
select '{{ show("my_team") }}' as team, '{{ show("my_tier") }}' as tier, '{{ show("my_owner") }}' as owner,
  '{{ config.get("unique_key", "id") }}' as unique_key
`,
		"models/marts/b.sql": `select '{{ show("my_team") }}' as team, '{{ show("my_tier") }}' as tier, '{{ show("my_owner") }}' as owner
`,
		"models/marts/props.yml": `version: 2
models:
  - name: a
    config:
      my_team: props
      my_tier: gold
    data_tests: [no_rows_over]
  - name: b
    data_tests: [no_rows_over]
`,
		"tests/generic/no_rows_over.sql": `{% test no_rows_over(model) %}
{{ config(my_check_owner='qa') }}
select * from {{ model }} where 1 = 0
{% endtest %}
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

// TestCustomConfigKeys builds a project with keys of its own in
// dbt_project.yml, a property file and config(): dbt accepts them (1.10
// with a deprecation warning) and keeps them in the node's config, where
// config.get reads them, the in-file config() over the property file over
// the project file's folders, and not in meta.
func TestCustomConfigKeys(t *testing.T) {
	dir := customKeysProject(t, nil)
	out := mustKiln(t, 0, dir, "build")

	// One warning per key and place, at its position, with the hint to
	// move it under meta: the project file's keys are not repeated for
	// each model they apply to.
	for _, want := range []string{
		`dbt_project.yml:6:5: warning: config "my_team" is not one kiln knows: kept in the node's config as a key of the project's own (dbt 1.10 deprecates such keys outside meta); write "+meta: {my_team: ...}"`,
		`dbt_project.yml:8:7: warning: config "my_tier" is not one kiln knows`,
		`models/marts/a.sql:1:11: warning: config "my_owner" is not one kiln knows`,
		`models/marts/a.sql:1:27: warning: config "my_team" is not one kiln knows`,
		`models/marts/props.yml:5:7: warning: config "my_team" is not one kiln knows: kept in the node's config as a key of the project's own (dbt 1.10 deprecates such keys outside meta); move it under meta: (meta: {my_team: ...}; config(meta={'my_team': ...}) in SQL) and read it with config.meta_get('my_team')`,
		`models/marts/props.yml:6:7: warning: config "my_tier" is not one kiln knows`,
		// The generic test's macro is rendered for each of its two
		// tests: one warning.
		`warning: config "my_check_owner" is not one kiln knows`,
	} {
		if strings.Count(out, want) != 1 {
			t.Errorf("want once in the output: %s\noutput:\n%s", want, out)
		}
	}
	if n := strings.Count(out, `warning: config "my_`); n != 7 {
		t.Errorf("%d warnings on keys of the project's own, want 7:\n%s", n, out)
	}

	db := filepath.Join(dir, "shop.duckdb")
	if got := queryDB(t, db, "select team || ',' || tier || ',' || owner || ',' || unique_key from a"); got != "ops,gold,ann,None" {
		t.Errorf("a: config.get gave %s, want ops,gold,ann,None (config() over the property file over dbt_project.yml; unique_key is a field of dbt's config: None, whatever the default)", got)
	}
	if got := queryDB(t, db, "select team || ',' || tier || ',' || owner from b"); got != "finance,platinum,none" {
		t.Errorf("b: config.get gave %s, want finance,platinum,none (dbt_project.yml's folders; the default for a key not set)", got)
	}

	var m struct {
		Nodes map[string]struct {
			ResourceType string         `json:"resource_type"`
			Config       map[string]any `json:"config"`
			Meta         map[string]any `json:"meta"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "manifest.json")), &m); err != nil {
		t.Fatal(err)
	}
	tests := 0
	for id, n := range m.Nodes {
		if n.ResourceType == "test" {
			tests++
			if n.Config["my_check_owner"] != "qa" {
				t.Errorf("%s: config.my_check_owner = %v, want qa (its macro's config() call)", id, n.Config["my_check_owner"])
			}
		}
	}
	if tests != 2 {
		t.Errorf("%d tests in manifest.json, want 2", tests)
	}
	for id, want := range map[string]map[string]any{
		"model.shop.a": {"my_team": "ops", "my_tier": "gold", "my_owner": "ann"},
		"model.shop.b": {"my_team": "finance", "my_tier": "platinum", "my_owner": nil},
	} {
		n, ok := m.Nodes[id]
		if !ok {
			t.Fatalf("manifest.json has no %s", id)
		}
		for k, v := range want {
			if got, has := n.Config[k]; got != v || (v == nil) == has {
				t.Errorf("%s: config.%s = %v (present %v), want %v", id, k, got, has, v)
			}
			if _, in := n.Meta[k]; in {
				t.Errorf("%s: %s is in meta; dbt keeps a key of the project's own in config only", id, k)
			}
		}
	}
}

// TestConfigKeyNearMiss refuses, in each of the three places, a key one
// or two edits from a config kiln knows, with the key it is near: dbt
// would keep it as a key of the project's own and build the model as if
// it were not written (a view instead of a table), which kiln never does
// silently.
func TestConfigKeyNearMiss(t *testing.T) {
	dir := customKeysProject(t, map[string]string{
		"dbt_project.yml": `name: shop
profile: shop
models:
  shop:
    +uniqe_key: id
    marts:
      incremental_stratgy: merge
`,
		"models/marts/props.yml": `version: 2
models:
  - name: a
    config:
      materialzed: table
`,
		"models/marts/b.sql": "{{ config(Materialized='table') }}\nselect 1 as id\n",
	})
	code, out, errOut := kiln(t, dir, "build")
	if code == 0 {
		t.Fatalf("kiln build passed, want the near misses refused:\n%s%s", out, errOut)
	}
	for _, want := range []string{
		`dbt_project.yml:5:5: unknown config "+uniqe_key"; did you mean "+unique_key"?`,
		`dbt_project.yml:7:7: unknown config "incremental_stratgy"; did you mean "+incremental_strategy"?`,
		`models/marts/props.yml:5:7: unknown config "materialzed"; did you mean "materialized"?`,
		`models/marts/b.sql:1:11: unknown config "Materialized"; did you mean "materialized"?`,
	} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("want in the output: %s\noutput:\n%s%s", want, out, errOut)
		}
	}
}

// TestConfigGetFinal reads configs with config.meta_get (meta first,
// then the top level) and config.require, and refuses a ref that a
// template reaches only once its config is final: kiln, as dbt, orders
// a model by the refs of its first rendering.
func TestConfigGetFinal(t *testing.T) {
	dir := customKeysProject(t, map[string]string{
		"dbt_project.yml": `name: shop
profile: shop
models:
  shop:
    +materialized: table
    +my_team: finance
    marts:
      +my_tier: platinum
      +post-hook: "create or replace table hook_{{ this.name }} as select '{{ config.get('my_team') }}' as team"
`,
		"models/marts/c.sql": `{{ config(meta={'my_team': 'in_meta'}) }}
select '{{ config.meta_get("my_team") }}' as from_meta, '{{ config.meta_get("my_tier", "x") }}' as from_top,
  '{{ config.require("my_team") }}' as required
`,
	})
	mustKiln(t, 0, dir, "build")
	if got := queryDB(t, filepath.Join(dir, "shop.duckdb"), "select from_meta || ',' || from_top || ',' || required from c"); got != "in_meta,platinum,finance" {
		t.Errorf("c: got %s, want in_meta,platinum,finance", got)
	}
	// Hooks read the node's config too.
	for model, want := range map[string]string{"a": "ops", "b": "finance"} {
		if got := queryDB(t, filepath.Join(dir, "shop.duckdb"), "select team from hook_"+model); got != want {
			t.Errorf("post-hook of %s: config.get('my_team') = %s, want %s", model, got, want)
		}
	}

	dir = customKeysProject(t, map[string]string{
		"models/marts/c.sql": `{% if config.get('my_flag') %}select * from {{ ref('b') }}{% else %}select 1 as id{% endif %}
{{ config(my_flag=true) }}
`,
		"models/marts/d.sql": "select '{{ config.require(\"my_missing\") }}' as x, '{{ config.require(\"my_later\") }}' as y\n{{ config(my_later='set after the read') }}\n",
	})
	code, out, errOut := kiln(t, dir, "build")
	if code == 0 {
		t.Fatalf("kiln build passed, want the late ref and the missing config refused:\n%s%s", out, errOut)
	}
	for _, want := range []string{
		`models/marts/c.sql:1:48: model "c" reads ref('b') only once its config is final (config.get), so kiln cannot order it after it; add a line "-- depends_on: {{ ref('b') }}" to models/marts/c.sql, as dbt asks`,
		`models/marts/d.sql:1:12: the node does not set the config "my_missing", which config.require() requires`,
	} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("want in the output: %s\noutput:\n%s%s", want, out, errOut)
		}
	}
	// A config() call after the read counts, as in dbt.
	if strings.Contains(out+errOut, "my_later") {
		t.Errorf("config.require of a key that a later config() call sets is an error:\n%s%s", out, errOut)
	}
}

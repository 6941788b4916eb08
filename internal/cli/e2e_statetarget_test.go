package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stateTargetProject writes a dbt project with two targets, dev and prod
// (other schemas, other DuckDB files): a view stg calling the macro
// cents, a table marts/fct (custom schema marts, its relation's
// description persisted) whose SQL renders target.name, and an exposure
// on fct.
func stateTargetProject(t *testing.T) string {
	t.Helper()
	dir := writeProject(t, map[string]string{
		"profiles.yml": `shop:
  target: dev
  outputs:
    dev: {type: duckdb, path: dev.duckdb, schema: dev_x}
    prod: {type: duckdb, path: prod.duckdb, schema: prod_x}
`,
		"dbt_project.yml": `name: shop
profile: shop
models:
  shop:
    marts:
      +schema: marts
      +persist_docs: {relation: true}
`,
		"macros/cents.sql": "{% macro cents(x) %}({{ x }} * 100){% endmacro %}\n",
		"models/stg.sql":   "select 1 as id, {{ cents('2.5') }} as amount\n",
		"models/marts/fct.sql": "{{ config(materialized='table') }}\nselect * from {{ ref('stg') }}\n" +
			"{% if target.name == 'dev' %}limit 10{% endif %}\n",
		"models/marts/fct.yml": `models:
  - name: fct
    description: the facts
exposures:
  - name: board
    type: dashboard
    owner: {name: finance}
    depends_on: [ref('fct')]
`,
	})
	t.Setenv("DBT_PROFILES_DIR", "")
	t.Setenv("DBT_TARGET", "")
	return dir
}

// TestStateModifiedAcrossTargets: against the manifest of a prod build,
// a dev project with the same files is unmodified, as in dbt, which
// compares the configured database, schema and alias (not what
// generate_schema_name makes of them for a target) and the files'
// checksums (not the compiled SQL, which names the target's relations);
// its unchanged exposure is old, not new. Then each of dbt's
// sub-selectors selects what its edit changes: modified.macros a macro's
// callers, modified.persisted_descriptions a persisted description,
// modified.relation a schema config, and modified.configs not the latter.
func TestStateModifiedAcrossTargets(t *testing.T) {
	dir := stateTargetProject(t)
	mustKiln(t, 0, dir, "build", "--target", "prod")
	state := filepath.Join(t.TempDir(), "prod")
	copyTree(t, filepath.Join(dir, "target"), state)

	for _, target := range []string{"dev", "prod"} {
		for _, sel := range []string{"state:modified", "state:new"} {
			if got := lsIDs(t, dir, "-s", sel, "--state", state, "--target", target); len(got) != 0 {
				t.Errorf("--target %s: %s against prod's manifest = %v, want none", target, sel, got)
			}
		}
		if got := lsIDs(t, dir, "-s", "state:old,resource_type:exposure", "--state", state, "--target", target); strings.Join(got, " ") != "exposure.shop.board" {
			t.Errorf("--target %s: the unchanged exposure is %v, want state:old", target, got)
		}
	}

	edit := func(file, old, new string) { t.Helper(); replaceOnce(t, dir, file, old, new) }
	expect := func(sel string, want ...string) {
		t.Helper()
		got := lsIDs(t, dir, "-s", sel, "--state", state, "--target", "dev")
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s = %v, want %v", sel, got, want)
		}
	}

	edit("macros/cents.sql", "* 100", "* 1000")
	expect("state:modified.macros", "model.shop.stg")
	expect("state:modified", "model.shop.stg")
	expect("state:modified.body")
	edit("macros/cents.sql", "* 1000", "* 100")

	edit("models/marts/fct.yml", "the facts", "the fact table")
	expect("state:modified.persisted_descriptions", "model.shop.fct")
	expect("state:modified.configs")
	edit("models/marts/fct.yml", "the fact table", "the facts")

	edit("dbt_project.yml", "+schema: marts", "+schema: mart")
	expect("state:modified.relation", "model.shop.fct")
	expect("state:modified", "model.shop.fct")
	expect("state:modified.configs")
	edit("dbt_project.yml", "+schema: mart", "+schema: marts")

	edit("models/marts/fct.yml", "owner: {name: finance}", "owner: {name: sales}")
	expect("state:modified", "exposure.shop.board")
}

// TestStateModifiedMacrosIndirect: state:modified.macros against another
// target's manifest selects the callers of a macro changed two calls
// away: a macro of a local package reached through adapter.dispatch
// (its default__ implementation edited), and a macro called by the macro
// a model calls, as dbt, which records each macro's calls (dispatch
// resolved at parse time) and compares them recursively (dbt-core's
// recursively_check_macros_modified). Unchanged: nothing selected.
func TestStateModifiedMacrosIndirect(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"profiles.yml": `shop:
  target: dev
  outputs:
    dev: {type: duckdb, path: dev.duckdb, schema: dev_x}
    prod: {type: duckdb, path: prod.duckdb, schema: prod_x}
`,
		"dbt_project.yml":       "name: shop\nprofile: shop\n",
		"packages.yml":          "packages:\n  - local: money\n",
		"money/dbt_project.yml": "name: money\n",
		"money/macros/cents.sql": "{% macro cents_to_dollars(x) %}{{ return(adapter.dispatch('cents_to_dollars', 'money')(x)) }}{% endmacro %}\n" +
			"{% macro default__cents_to_dollars(x) %}({{ x }} / 100){% endmacro %}\n",
		"macros/outer.sql":  "{% macro outer(x) %}{{ inner(x) }}{% endmacro %}\n{% macro inner(x) %}({{ x }} + 1){% endmacro %}\n",
		"models/orders.sql": "select {{ money.cents_to_dollars('250') }} as amount\n",
		"models/other.sql":  "select {{ outer('1') }} as n\n",
		"models/plain.sql":  "select 1 as id\n",
	})
	t.Setenv("DBT_PROFILES_DIR", "")
	t.Setenv("DBT_TARGET", "")
	mustKiln(t, 0, dir, "deps")
	mustKiln(t, 0, dir, "build", "--target", "prod")
	state := filepath.Join(t.TempDir(), "prod")
	copyTree(t, filepath.Join(dir, "target"), state)
	expect := func(sel string, want ...string) {
		t.Helper()
		got := lsIDs(t, dir, "-s", sel, "--state", state, "--target", "dev")
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s = %v, want %v", sel, got, want)
		}
	}
	expect("state:modified.macros")
	expect("state:modified")
	edit := func(file, old, new string) { t.Helper(); replaceOnce(t, dir, file, old, new) }
	edit("money/macros/cents.sql", "/ 100", "/ 1000")
	expect("state:modified.macros", "model.shop.orders")
	expect("state:modified", "model.shop.orders")
	edit("money/macros/cents.sql", "/ 1000", "/ 100")
	edit("macros/outer.sql", "+ 1", "+ 2")
	expect("state:modified.macros", "model.shop.other")
}

// replaceOnce replaces the first old in the project file (a slash path
// under dir) with new; the file must hold old.
func replaceOnce(t *testing.T, dir, file, old, new string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(file))
	data := readFile(t, p)
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s holds no %q", file, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// varJinjaProject is a dbt project on a DuckDB file (target dev, schema
// main) whose vars hold Jinja.
func varJinjaProject(t *testing.T, extra map[string]string) string {
	t.Helper()
	files := map[string]string{
		"dbt_project.yml": `name: vj
profile: vj
vars:
  tname_var: "{{ target.name }}_x"
  env_var_var: "{{ env_var('VJ_REGION', 'eu') }}"
  start_date: "{{ '2020' ~ '-01-01' }}"
  nested: "{{ var('tname_var') }}/{{ var('n') + 1 }}"
  n: 3
  in_macro: "{{ target.schema }}"
models:
  vj:
    +schema: "{{ var('sch', 'none') }}"
    +post-hook: "create or replace table {{ this.schema }}.hook_log as select '{{ var('tname_var') }}' as h"
on-run-end:
  - "create or replace table main.run_end as select '{{ var('cli_var') }}' as e"
`,
		"profiles.yml": `vj:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: vj.duckdb
`,
		"macros/m.sql": "{% macro read_var() %}{{ return(var('in_macro')) }}{% endmacro %}\n",
		"models/m.sql": `select '{{ var("tname_var") }}' as a, '{{ var("env_var_var") }}' as b, '{{ var("start_date") }}' as c,
  '{{ var("cli_var", "none") }}' as d, '{{ var("nested") }}' as e, {{ var("n") * 2 }} as f, '{{ read_var() }}' as g,
  '{{ var("unset", "{{ not rendered }}") }}' as h
`,
	}
	for k, v := range extra {
		files[k] = v
	}
	return writeProject(t, files)
}

// TestVarJinjaRenders: a var whose value is a string holding Jinja is
// rendered when var() reads it, with the reading node's context, as
// dbt's Var.get_rendered_var does (dbt-core core/dbt/context/base.py):
// project vars and --vars, in a model, a macro, a post-hook, on-run-end
// and a dbt_project.yml config (+schema, which reads the --vars only, as
// in dbt); a var reading another var; a number as it is; var()'s default
// is not rendered. The built tables hold the rendered values.
func TestVarJinjaRenders(t *testing.T) {
	t.Setenv("VJ_REGION", "us")
	dir := varJinjaProject(t, nil)
	mustKiln(t, 0, dir, "build", "--vars", `{cli_var: "{{ target.name }}", sch: "{{ target.name }}_s"}`)
	db := filepath.Join(dir, "vj.duckdb")
	got := queryDB(t, db, `select concat_ws('|', a, b, c, d, e, f, g, h) from main_dev_s.m`)
	if want := "dev_x|us|2020-01-01|dev|dev_x/4|6|main|{{ not rendered }}"; got != want {
		t.Errorf("model m:\n got %s\nwant %s", got, want)
	}
	if got := queryDB(t, db, `select h from main_dev_s.hook_log`); got != "dev_x" {
		t.Errorf("post-hook: got %s, want dev_x", got)
	}
	if got := queryDB(t, db, `select e from main.run_end`); got != "dev" {
		t.Errorf("on-run-end: got %s, want dev", got)
	}
}

// TestVarJinjaRawInProperties: in a property file, var() gives the value
// as written, as dbt's schema YAML context does (ConfiguredVar, dbt-core
// core/dbt/context/configured.py, returns it unrendered).
func TestVarJinjaRawInProperties(t *testing.T) {
	dir := varJinjaProject(t, map[string]string{
		"models/p.yml": "models:\n  - name: m\n    config:\n      tags: [\"{{ var('tname_var') }}\"]\n",
	})
	out := mustKiln(t, 0, dir, "ls", "-s", "m", "--output", "json", "--vars", "{cli_var: a}")
	if !strings.Contains(out, `"tags":["{{ target.name }}_x"]`) {
		t.Errorf("want the var's value as written in the tags:\n%s", out)
	}
}

// TestVarRendersItself: a var whose value reads itself, through another
// var, is an error at the var() call that names the chain (dbt has no
// guard: Python's recursion limit stops it).
func TestVarRendersItself(t *testing.T) {
	dir := varJinjaProject(t, map[string]string{
		"models/loop.sql": "select '{{ var(\"loop_a\") }}' as s\n",
	})
	p := filepath.Join(dir, "dbt_project.yml")
	src, _ := os.ReadFile(p)
	writeFile(t, p, strings.Replace(string(src), "vars:\n", "vars:\n  loop_a: \"{{ var('loop_b') }}\"\n  loop_b: \"x{{ var('loop_a') }}\"\n", 1))
	code, out, errOut := kiln(t, dir, "compile", "-s", "loop")
	want := `models/loop.sql:1:12: var "loop_a" renders itself: loop_a -> loop_b -> loop_a`
	if code != ExitCannotStart || !strings.Contains(errOut, want) {
		t.Errorf("exit %d, want %d and %q:\n%s%s", code, ExitCannotStart, want, out, errOut)
	}
}

// TestSecretEnvVarRefused: env_var() of a DBT_ENV_SECRET_ variable in a
// model or in dbt_project.yml is dbt's SecretEnvVarLocationError ("Secret
// env vars are allowed only in profiles.yml or packages.yml. Found '...'
// referenced elsewhere.", dbt-core core/dbt/exceptions.py) at the call,
// and the secret reaches no artifact, compiled file or database.
func TestSecretEnvVarRefused(t *testing.T) {
	t.Setenv("DBT_ENV_SECRET_X", "s3cr3t-value")
	dir := varJinjaProject(t, map[string]string{
		"models/s.sql": "select '{{ env_var(\"DBT_ENV_SECRET_X\") }}' as s\n",
	})
	code, out, errOut := kiln(t, dir, "build", "--vars", "{cli_var: a}")
	want := `models/s.sql:1:12: secret env vars are allowed only in profiles.yml or packages.yml; found "DBT_ENV_SECRET_X" referenced elsewhere`
	if code != ExitCannotStart || !strings.Contains(errOut, want) {
		t.Errorf("exit %d, want %d and %q:\n%s%s", code, ExitCannotStart, want, out, errOut)
	}
	if strings.Contains(out+errOut, "s3cr3t-value") {
		t.Errorf("the secret is in the output:\n%s%s", out, errOut)
	}
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(b), "s3cr3t-value") {
			t.Errorf("the secret is in %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// In dbt_project.yml (a config value, and a var's value) too.
	writeFile(t, filepath.Join(dir, "models/s.sql"), "select '{{ var(\"sv\") }}' as s\n")
	p := filepath.Join(dir, "dbt_project.yml")
	src, _ := os.ReadFile(p)
	writeFile(t, p, strings.Replace(string(src), "vars:\n", "vars:\n  sv: \"{{ env_var('DBT_ENV_SECRET_X') }}\"\n", 1))
	code, out, errOut = kiln(t, dir, "compile", "-s", "s", "--vars", "{cli_var: a}")
	if code != ExitCannotStart || !strings.Contains(errOut, `models/s.sql:1:12: var "sv": its value "{{ env_var('DBT_ENV_SECRET_X') }}" does not render: secret env vars are allowed only in profiles.yml or packages.yml`) {
		t.Errorf("a var reading a secret: exit %d:\n%s%s", code, out, errOut)
	}
	writeFile(t, p, strings.Replace(string(src), "+schema: \"{{ var('sch', 'none') }}\"", "+schema: \"{{ env_var('DBT_ENV_SECRET_X') }}\"", 1))
	code, out, errOut = kiln(t, dir, "compile", "-s", "m", "--vars", "{cli_var: a}")
	if code != ExitCannotStart || !strings.Contains(errOut, `dbt_project.yml:12:18: secret env vars are allowed only in profiles.yml or packages.yml`) || strings.Contains(out+errOut, "s3cr3t-value") {
		t.Errorf("+schema reading a secret: exit %d:\n%s%s", code, out, errOut)
	}
}

// TestSecretScrubbed: a DBT_ENV_SECRET_ variable read in profiles.yml is
// allowed, and its value is replaced by ***** in what kiln prints, as
// dbt scrubs its logs (scrub_secrets): here the error of a DuckDB path
// whose folder does not exist.
func TestSecretScrubbed(t *testing.T) {
	t.Setenv("DBT_ENV_SECRET_DIR", "s3cr3t-dir")
	dir := varJinjaProject(t, map[string]string{
		"profiles.yml": `vj:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "missing/{{ env_var('DBT_ENV_SECRET_DIR') }}/vj.duckdb"
`,
	})
	code, out, errOut := kiln(t, dir, "build", "--vars", "{cli_var: a}")
	if code != ExitCannotStart || strings.Contains(out+errOut, "s3cr3t-dir") || !strings.Contains(errOut, "missing/*****") {
		t.Errorf("exit %d, want %d, the path's secret shown as *****:\n%s%s", code, ExitCannotStart, out, errOut)
	}
}

package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// volatileProject writes a project whose models read the clock, a table
// kiln does not build (directly, and through a source), the catalog, a
// CTE named like a table, a three-part ref and a hand-written three-part
// name; a singular test reads current_date. db is the database's name
// (a DuckDB file's stem, a PostgreSQL database), extra the project file's
// target.
func volatileProject(t *testing.T, db, extra string, hooks ...string) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("project.yml", "name: vol\nmodel-paths: [models]\ntest-paths: [tests]\n"+extra+`
on-run-start:
  - "create schema if not exists ext"
  - "create table if not exists ext.t as select 1 as x"
  - "create table if not exists ext.audit as select 0 as x where false"
`+strings.Join(hooks, ""))
	write("models/src.yml", "sources:\n  - name: ext\n    schema: ext\n    tables: [{name: t}]\n")
	write("models/ts.sql", "select now() as built_at\n")
	write("models/hard.sql", "select count(*) as n from ext.t\n")
	write("models/cnt.sql", "select count(*) as n from {{ source('ext', 't') }}\n")
	write("models/info.sql", "select count(*) as n from information_schema.tables where table_schema = 'ext'\n")
	write("models/base.sql", "select 1 as a\n")
	write("models/base3.sql", fmt.Sprintf("{{ config(database=%q) }}\nselect 2 as a\n", db))
	write("models/pure.sql", "select a from {{ ref('base') }}\n")
	write("models/pure3.sql", "select a from {{ ref('base3') }}\n")
	write("models/after_ts.sql", "select built_at from {{ ref('ts') }}\n")
	write("models/cte.sql", "with t as (select 1 as x) select x, a from t join {{ ref('base') }} on true\n")
	write("models/hand3.sql", fmt.Sprintf("-- depends_on: {{ ref('pure') }}\nselect count(*) as n from %s.ext.t\n", db))
	write("models/inc_clock.sql", "{{ config(materialized='incremental', unique_key='a') }}\nselect a from {{ ref('base') }}\n{% if is_incremental() %} where current_date > date '2000-01-01' and false {% endif %}\n")
	write("models/inc_append.sql", "{{ config(materialized='incremental', incremental_strategy='append') }}\nselect a from {{ ref('base') }}\n")
	write("models/inc_nokey.sql", "{{ config(materialized='incremental') }}\nselect a from {{ ref('base') }}\n")
	write("models/inc_merge_nokey.sql", "{{ config(materialized='incremental', incremental_strategy='merge') }}\nselect a from {{ ref('base') }}\n")
	write("models/after_append.sql", "select count(*) as n from {{ ref('inc_append') }}\n")
	write("models/inc_keyed.sql", "{{ config(materialized='incremental', incremental_strategy='merge', unique_key='a') }}\nselect a from {{ ref('base') }}\n")
	// A counter carried over from the last run ({{ this }}), and predicates
	// that keep a key's rows from being deleted: dbt's every-build run
	// changes both tables on unchanged input (trial B, session 15).
	write("models/inc_self.sql", "{{ config(materialized='incremental', incremental_strategy='merge', unique_key='a') }}\nselect b.a, {% if is_incremental() %}coalesce((select max(n) from {{ this }}), 0) + 1{% else %}1{% endif %} as n from {{ ref('base') }} b\n")
	write("models/inc_pred.sql", "{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='a', incremental_predicates=['a > 100']) }}\nselect a from {{ ref('base') }}\n")
	write("models/atrun.sql", "{% if execute %}select 1 as a{% else %}select 2 as a{% endif %}\n")
	write("models/audited.sql", "{{ config(post_hook='insert into ext.audit values (1)') }}\nselect a from {{ ref('base') }}\n")
	write("tests/calc.sql", "{{ config(fail_calc='count(*) * (case when random() < 2 then 0 else 1 end)') }}\nselect a from {{ ref('pure') }} where a < 0\n")
	write("tests/today.sql", "select a from {{ ref('pure') }} where current_date < date '2000-01-01'\n")
	return dir
}

// lineStatuses returns the status word of each node's line of a build's
// output ("model ts" -> "OK").
func lineStatuses(out string) map[string]string {
	re := regexp.MustCompile(`(?m)^\s*\d+/\d+ (\S+)\s+\S+\s+(model|test)\s+(?:\w+\.)?(\S+)`)
	got := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		got[m[2]+" "+m[3]] = m[1]
	}
	return got
}

// checkVolatile builds twice with a row added to ext.t between (by
// insert, or by an on-run-start hook of the project) and checks what the
// second build ran and what it left (query returns one value); rows is
// the count of ext.t after the second build; nokey is the strategy of
// inc_nokey (no incremental_strategy, no unique_key) as the log names it:
// dbt-duckdb's default, delete+insert, or dbt-postgres's, append.
func checkVolatile(t *testing.T, dir string, insert func(), query func(string) string, rows, nokey string) {
	t.Helper()
	if code, out, errOut := kiln(t, dir, "build"); code != 0 {
		t.Fatalf("first build exit %d\n%s\n%s", code, out, errOut)
	}
	cache := filepath.Join(dir, "target", "kiln_reads.json")
	if _, err := os.Stat(cache); err == nil {
		t.Errorf("a build from nothing analysed the queries (%s): it has nothing to skip", cache)
	}
	before := query("select cast(built_at as varchar) from ts")
	childBefore := query("select cast(built_at as varchar) from after_ts")
	insert()
	code, out, errOut := kiln(t, dir, "build")
	if code != 0 {
		t.Fatalf("second build exit %d\n%s\n%s", code, out, errOut)
	}
	got := lineStatuses(out + errOut)
	want := map[string]string{
		"model ts": "OK", "model after_ts": "OK", "model hard": "OK", "model cnt": "OK", "model info": "OK",
		"model hand3": "OK", "test today": "PASS",
		"model inc_clock": "OK", "model atrun": "OK", "model audited": "OK", "test calc": "PASS",
		"model base": "UP-TO-DATE", "model base3": "UP-TO-DATE", "model pure": "UP-TO-DATE",
		"model pure3": "UP-TO-DATE", "model cte": "UP-TO-DATE",
		"model inc_append": "OK", "model inc_nokey": "OK", "model inc_merge_nokey": "OK", "model after_append": "OK",
		"model inc_keyed": "UP-TO-DATE", "model inc_self": "OK", "model inc_pred": "OK",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("second build: %s is %q, want %q\n%s%s", k, got[k], w, out, errOut)
		}
	}
	for q, w := range map[string]string{
		"select n from hard": rows, "select n from cnt": rows, "select n from hand3": rows,
		"select count(*) from ext.audit":  "2",
		"select count(*) from inc_append": "2", "select count(*) from inc_nokey": "2", "select count(*) from inc_merge_nokey": "2",
		"select n from after_append": "2", "select count(*) from inc_keyed": "1",
		"select max(n) from inc_self": "2", "select count(*) from inc_pred": "2",
	} {
		if v := query(q); v != w {
			t.Errorf("%s = %s, want %s", q, v, w)
		}
	}
	if after := query("select cast(built_at as varchar) from ts"); after == before {
		t.Errorf("ts.built_at = %s after both builds: not rebuilt", after)
	}
	if after := query("select cast(built_at as varchar) from after_ts"); after == childBefore {
		t.Errorf("after_ts.built_at = %s after both builds: the child of ts did not follow it", after)
	}
	log, err := os.ReadFile(filepath.Join(dir, "target", "kiln.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"model ts runs every build: calls now()", "model hard runs every build: reads ext.t, not a ref or source",
		"model info runs every build: reads information_schema.tables, not a ref or source", "test today runs every build: calls current_date()",
		"model inc_clock runs every build: calls current_date()", "model atrun runs every build: renders with the database at run time",
		"model audited runs every build: has hooks", "test calc runs every build: calls random()",
		"model inc_append runs every build: incremental_strategy append adds its rows again at every run",
		"model inc_nokey runs every build: incremental_strategy " + nokey + " adds its rows again at every run",
		"model inc_merge_nokey runs every build: incremental_strategy merge without unique_key adds its rows again at every run",
		"model inc_self runs every build: reads its own table (this) when incremental: each run builds on the last one's rows",
		"model inc_pred runs every build: incremental_predicates keep rows of the same keys from being replaced, so its rows can be added again at every run"} {
		if !strings.Contains(string(log), w) {
			t.Errorf("kiln.log does not say %q", w)
		}
	}
	if _, err := os.Stat(cache); err != nil {
		t.Errorf("the second build kept no parse findings: %v", err)
	}
	// The third build reads the findings from the cache: the same nodes run.
	code, out3, errOut3 := kiln(t, dir, "build")
	if code != 0 {
		t.Fatalf("third build exit %d\n%s\n%s", code, out3, errOut3)
	}
	got3 := lineStatuses(out3 + errOut3)
	for k, w := range want {
		if got3[k] != w {
			t.Errorf("third build: %s is %q, want %q\n%s%s", k, got3[k], w, out3, errOut3)
		}
	}
	// The fourth build reads the findings from the cache, not the parser:
	// a finding planted in it (every query calls kiln_planted()) is what
	// it judges by.
	b, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	planted := regexp.MustCompile(`"funcs":\[`).ReplaceAll(b, []byte(`"funcs":["kiln_planted",`))
	planted = regexp.MustCompile(`\{\}`).ReplaceAll(planted, []byte(`{"funcs":["kiln_planted"]}`))
	if err := os.WriteFile(cache, planted, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out4, errOut4 := kiln(t, dir, "build")
	if code != 0 {
		t.Fatalf("fourth build exit %d\n%s\n%s", code, out4, errOut4)
	}
	if got4 := lineStatuses(out4 + errOut4); got4["model base"] != "OK" || got4["model pure"] != "OK" {
		t.Errorf("fourth build, cache planted with kiln_planted(): base is %q, pure %q, want OK (the cache was not read)\n%s%s", got4["model base"], got4["model pure"], out4, errOut4)
	}
	if log, _ := os.ReadFile(filepath.Join(dir, "target", "kiln.log")); !strings.Contains(string(log), "model base runs every build: calls kiln_planted()") {
		t.Errorf("kiln.log does not say base calls the planted kiln_planted()")
	}
	if strings.Contains(out+errOut, "runs every build") {
		t.Errorf("the console names the nodes that run every build (kiln.log's debug level does):\n%s%s", out, errOut)
	}
}

// TestVolatileModelsRunEveryBuild: a model that calls now(), reads a
// table kiln does not build (directly, by a hand-written three-part name
// or in information_schema), a test that reads current_date, and their
// children run in every build, on DuckDB, as in dbt, where every model
// runs; a model that reads only refs (a CTE named like a table, a ref of
// another database part) stays UP-TO-DATE. It failed before: ts kept its
// first built_at and hard its first count.
func TestVolatileModelsRunEveryBuild(t *testing.T) {
	// The row is added by kiln (on-run-start, to a table no node builds,
	// in every build: 2 rows after the first, 3 after the second): a
	// write by another process would make every node run (the seal).
	dir := volatileProject(t, "vol", "database-path: target/vol.duckdb\n", "  - \"insert into ext.t values (2)\"\n")
	path := filepath.Join(dir, "target", "vol.duckdb")
	query := func(q string) string {
		rows := duckQuery(t, path, q)
		if len(rows) != 1 {
			t.Fatalf("%s: %v", q, rows)
		}
		return rows[0]
	}
	checkVolatile(t, dir, func() {}, query, "3", "delete+insert without unique_key")
}

// TestVolatileModelsRunEveryBuildPostgres is TestVolatileModelsRunEveryBuild
// on a PostgreSQL server (pg_query's parse tree, pg_proc's volatility).
func TestVolatileModelsRunEveryBuildPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := volatileProject(t, d.db, fmt.Sprintf(`target:
  type: postgres
  host: %s
  port: %s
  user: %s
  dbname: %s
  schema: public
  sslmode: disable
`, d.host, d.port, d.user, d.db))
	query := func(q string) string {
		rows := d.query(t, q)
		if len(rows) != 1 {
			t.Fatalf("%s: %v", q, rows)
		}
		return rows[0]
	}
	checkVolatile(t, dir, func() { d.query(t, "insert into ext.t values (2)") }, query, "2", "append")
}

package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sealProject writes the trial's project: a seed events(id, updated_at)
// of 3 rows, a table t over it with unique and not_null tests on id, an
// incremental fct (unique_key id, filtered on max(updated_at)), and the
// macros shrink (deletes fct's rows of id >= 2) and spoil (adds a
// duplicate and a NULL id to t). extra is the project file's target.
func sealProject(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"project.yml":       "name: sealp\nmodel-paths: [models]\nseed-paths: [seeds]\nmacro-paths: [macros]\n" + extra,
		"seeds/events.csv":  "id,updated_at\n1,2024-01-01\n2,2024-01-02\n3,2024-01-03\n",
		"models/t.sql":      "{{ config(materialized='table') }}\nselect * from {{ ref('events') }}\n",
		"models/schema.yml": "models:\n  - name: t\n    columns:\n      - name: id\n        data_tests: [unique, not_null]\n",
		// fct does not read {{ this }}: a model that does runs every build.
		"models/fct.sql": "{{ config(materialized='incremental', unique_key='id') }}\nselect * from {{ ref('events') }}\n",
		"macros/ops.sql": "{% macro shrink() %}{% do run_query('delete from fct where id >= 2') %}{% endmacro %}\n" +
			"{% macro spoil() %}{% do run_query(\"insert into t values (1, date '2024-01-05'), (null, date '2024-01-06')\") %}{% endmacro %}\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// checkSeal runs the trial's steps; query returns one value, outside is
// what a build says when it finds fct's relation changed, hookNote what
// the build after one whose post_hook wrote t says ("" nothing).
func checkSeal(t *testing.T, dir string, query func(string) string, outside, hookNote string) {
	t.Helper()
	build := func(what string, want int) map[string]string {
		t.Helper()
		code, out, errOut := kiln(t, dir, "build")
		if code != want {
			t.Fatalf("%s: build exit %d, want %d\n%s\n%s", what, code, want, out, errOut)
		}
		got := lineStatuses(out + errOut)
		got["output"] = out + errOut
		return got
	}
	expect := func(what string, got map[string]string, want map[string]string) {
		t.Helper()
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %s is %q, want %q\n%s", what, k, got[k], w, got["output"])
			}
		}
	}
	build("first build", 0)
	// Commands that only read leave the seal as it was.
	mustKiln(t, 0, dir, "runs")
	mustKiln(t, 0, dir, "show", "-s", "t")
	mustKiln(t, 0, dir, "ls")
	mustKiln(t, 0, dir, "clean") // keeps the database, and its seal
	got := build("no-change build", 0)
	expect("no-change build", got, map[string]string{"model t": "UP-TO-DATE", "model fct": "UP-TO-DATE"})
	if strings.Contains(got["output"], "outside kiln") {
		t.Errorf("no-change build says the database changed outside kiln:\n%s", got["output"])
	}

	// F1: rows deleted by a run-operation come back, as in dbt.
	mustKiln(t, 0, dir, "run-operation", "shrink")
	if n := query("select count(*) from fct"); n != "1" {
		t.Fatalf("after shrink, fct has %s rows, want 1", n)
	}
	got = build("build after shrink", 0)
	expect("build after shrink", got, map[string]string{"model fct": "OK", "model t": "UP-TO-DATE"})
	if !strings.Contains(got["output"], outside) {
		t.Errorf("build after shrink does not say %q:\n%s", outside, got["output"])
	}
	if n := query("select count(*) from fct"); n != "3" {
		t.Errorf("after the build, fct has %s rows, want 3 (dbt: 3)", n)
	}
	// That build ran every node: it sealed the database again.
	got = build("no-change build after shrink", 0)
	expect("no-change build after shrink", got, map[string]string{"model t": "UP-TO-DATE", "model fct": "UP-TO-DATE", "test unique_t_id": "UP-TO-DATE"})

	// A duplicate and a NULL id inserted into t: kiln test fails, and the
	// build runs t again (its rows are events' again) and its tests.
	mustKiln(t, 0, dir, "run-operation", "spoil")
	mustKiln(t, 1, dir, "test")
	got = build("build after spoil", 0)
	expect("build after spoil", got, map[string]string{"model t": "OK", "test unique_t_id": "PASS", "test not_null_t_id": "PASS"})
	if n := query("select count(*) from t"); n != "3" {
		t.Errorf("after the build, t has %s rows, want 3", n)
	}

	// A post_hook of another model that writes t: the build that runs it
	// seals all but t, and the next build runs t.
	if err := os.WriteFile(filepath.Join(dir, "models", "hooker.sql"),
		[]byte("{{ config(post_hook=\"insert into t values (9, date '2024-02-01')\") }}\nselect 1 as x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	build("build with hooker", 0)
	log, err := os.ReadFile(filepath.Join(dir, "target", "kiln.log"))
	if err != nil {
		t.Fatal(err)
	}
	if w := "post-hook of model hooker writes t, the relation of model t"; !strings.Contains(string(log), w) {
		t.Errorf("kiln.log does not say %q", w)
	}
	got = build("build after hooker", 0)
	expect("build after hooker", got, map[string]string{"model t": "OK", "test unique_t_id": "PASS", "model fct": "UP-TO-DATE"})
	if hookNote != "" && !strings.Contains(got["output"], hookNote) {
		t.Errorf("build after hooker does not say %q:\n%s", hookNote, got["output"])
	}
	if err := os.Remove(filepath.Join(dir, "models", "hooker.sql")); err != nil {
		t.Fatal(err)
	}
	build("build without hooker", 0) // t runs (hooker wrote it again), and the build seals
}

// TestSealDuckDB: a DuckDB database written outside kiln's builds makes
// the next build run the nodes written, and says why, where it kept fct's
// one row and showed t's tests UP-TO-DATE (the trial's F1): kiln
// run-operation's delete, insert, and a post-hook's insert, which name
// the relation they write, the nodes of that relation (sealwritten.go);
// another process's write, every node. Commands that only read (runs,
// show, ls) and kiln clean keep the no-change build UP-TO-DATE.
func TestSealDuckDB(t *testing.T) {
	dir := sealProject(t, "database-path: target/s.duckdb\n")
	path := filepath.Join(dir, "target", "s.duckdb")
	query := func(q string) string {
		rows := duckQuery(t, path, q)
		if len(rows) != 1 {
			t.Fatalf("%s: %v", q, rows)
		}
		return rows[0]
	}
	checkSeal(t, dir, query, "main.fct (by the run-operation shrink at ",
		"main.t (by the post-hook of model hooker of the build at ")
	// Another process's write (here: this test's own connection).
	duckQuery(t, path, "insert into t values (7, date '2024-03-01')")
	code, out, errOut := kiln(t, dir, "build")
	if got := lineStatuses(out + errOut); code != 0 || got["model fct"] != "OK" || got["model t"] != "OK" {
		t.Errorf("build after another process's insert: exit %d, fct %q, t %q, want OK\n%s%s", code, got["model fct"], got["model t"], out, errOut)
	}
}

// TestSealPostgres is TestSealDuckDB on a PostgreSQL server: a relation
// whose statistics' counters (or oid, relfilenode, catalog row) changed
// since the last build's seal runs again, with its children and tests.
func TestSealPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := sealProject(t, fmt.Sprintf(`target:
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
	checkSeal(t, dir, query, "changed outside kiln since the last build at ", "")
	// Another session's delete (psql -c): its counters are flushed when
	// it disconnects.
	d.query(t, "delete from fct where id = 3")
	code, out, errOut := kiln(t, dir, "build")
	got := lineStatuses(out + errOut)
	if code != 0 || got["model fct"] != "OK" || got["model t"] != "UP-TO-DATE" {
		t.Errorf("build after another session's delete: exit %d, fct %q, t %q, want OK and UP-TO-DATE\n%s%s", code, got["model fct"], got["model t"], out, errOut)
	}
	if n := query("select count(*) from fct"); n != "3" {
		t.Errorf("after the build, fct has %s rows, want 3", n)
	}
	// A test built alone whose parent's table changed runs on it.
	d.query(t, "insert into t values (1, date '2024-04-01')")
	code, out, errOut = kiln(t, dir, "build", "-s", "test_type:generic")
	if got := lineStatuses(out + errOut); code != 1 || got["test unique_t_id"] != "FAIL" {
		t.Errorf("build -s of t's tests after another session's insert into t: exit %d, unique_t_id %q, want 1 and FAIL\n%s%s", code, got["test unique_t_id"], out, errOut)
	}
}

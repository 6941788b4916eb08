package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hookProject is sealProject (seed events, table t with its tests,
// incremental fct) with a child of t, t_child (t's count of rows), and
// extra's target and hooks.
func hookProject(t *testing.T, extra string) string {
	t.Helper()
	dir := sealProject(t, extra)
	if err := os.WriteFile(filepath.Join(dir, "models", "t_child.sql"),
		[]byte("{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('t') }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// buildStatuses builds in dir, wants exit 0, and returns each node's
// status and the output ("output").
func buildStatuses(t *testing.T, dir, what string) map[string]string {
	t.Helper()
	code, out, errOut := kiln(t, dir, "build")
	if code != 0 {
		t.Fatalf("%s: build exit %d\n%s\n%s", what, code, out, errOut)
	}
	got := lineStatuses(out + errOut)
	got["output"] = out + errOut
	return got
}

// wantStatuses checks the statuses of got (buildStatuses) against want.
func wantStatuses(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s is %q, want %q\n%s", what, k, got[k], w, got["output"])
		}
	}
}

// TestHookWriteRerunsItsNodeOnly: an on-run-end hook that inserts a row
// into t (when SEALHOOK_POKE is set) seals the database all the same,
// with t recorded as written outside its build: the next build runs t,
// its tests and its child t_child, from events' rows again (3, not 4),
// and finds events and fct up to date (it ran every node before: the run
// did not seal); the build after it finds every node up to date.
func TestHookWriteRerunsItsNodeOnly(t *testing.T) {
	dir := hookProject(t, "database-path: target/s.duckdb\non-run-end:\n  - \"{% if env_var('SEALHOOK_POKE', '') %}insert into t values (9, date '2024-02-01'){% endif %}\"\n")
	path := filepath.Join(dir, "target", "s.duckdb")
	one := func(q string) string {
		rows := duckQuery(t, path, q)
		if len(rows) != 1 {
			t.Fatalf("%s: %v", q, rows)
		}
		return rows[0]
	}
	buildStatuses(t, dir, "first build")
	t.Setenv("SEALHOOK_POKE", "1")
	got := buildStatuses(t, dir, "build with the hook's insert")
	wantStatuses(t, "build with the hook's insert", got, map[string]string{"model t": "UP-TO-DATE", "model fct": "UP-TO-DATE"})
	if n := one("select count(*) from t"); n != "4" {
		t.Fatalf("after the on-run-end hook, t has %s rows, want 4", n)
	}
	t.Setenv("SEALHOOK_POKE", "")
	got = buildStatuses(t, dir, "build after the hook")
	wantStatuses(t, "build after the hook", got, map[string]string{"model t": "OK", "test unique_t_id": "PASS", "test not_null_t_id": "PASS",
		"model t_child": "OK", "model fct": "UP-TO-DATE"})
	if w := "main.t (by the on-run-end hook of the build at "; !strings.Contains(got["output"], w) || !strings.Contains(got["output"], "was written outside its node's build: its node runs, and the nodes downstream") {
		t.Errorf("build after the hook does not say that %q was written outside its build:\n%s", w, got["output"])
	}
	if strings.Contains(got["output"], "every node runs") {
		t.Errorf("build after the hook runs every node:\n%s", got["output"])
	}
	if n := one("select count(*) from t"); n != "3" {
		t.Errorf("after the build, t has %s rows, want 3 (events' rows)", n)
	}
	if n := one("select n from t_child"); n != "3" {
		t.Errorf("after the build, t_child counts %s rows of t, want 3", n)
	}
	got = buildStatuses(t, dir, "no-change build")
	wantStatuses(t, "no-change build", got, map[string]string{"model t": "UP-TO-DATE", "model t_child": "UP-TO-DATE", "model fct": "UP-TO-DATE", "test unique_t_id": "UP-TO-DATE"})
}

// TestHookWriteKilnCannotNameRerunsAll: a post-hook whose statement may
// write any relation (a call) leaves the database unsealed, as before:
// the next build runs every node and says why.
func TestHookWriteKilnCannotNameRerunsAll(t *testing.T) {
	dir := hookProject(t, "database-path: target/s.duckdb\n")
	buildStatuses(t, dir, "first build")
	if err := os.WriteFile(filepath.Join(dir, "models", "hooker.sql"),
		[]byte("{{ config(post_hook=\"call pragma_version()\") }}\nselect 1 as x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	buildStatuses(t, dir, "build with hooker")
	got := buildStatuses(t, dir, "build after hooker")
	wantStatuses(t, "build after hooker", got, map[string]string{"model t": "OK", "model t_child": "OK", "model fct": "OK", "model hooker": "OK"})
	if w := "post-hook of model hooker runs a statement that may write any relation: every node runs"; !strings.Contains(got["output"], w) {
		t.Errorf("build after hooker does not say %q:\n%s", w, got["output"])
	}
}

// TestOperationWriteRerunsItsNodeOnly: kiln run-operation shrink (deletes
// fct's rows of id >= 2) seals the DuckDB database again, with fct
// recorded as written: the next build runs fct only (its 3 rows are
// back), t and t_child stay up to date; an operation that may write any
// relation (execute of a prepared insert) leaves it unsealed: every node
// runs.
func TestOperationWriteRerunsItsNodeOnly(t *testing.T) {
	dir := hookProject(t, "database-path: target/s.duckdb\n")
	path := filepath.Join(dir, "target", "s.duckdb")
	if err := os.WriteFile(filepath.Join(dir, "macros", "any.sql"),
		[]byte("{% macro anything() %}{% do run_query(\"prepare p as insert into t values (5, date '2024-01-05')\") %}{% do run_query('execute p') %}{% endmacro %}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	buildStatuses(t, dir, "first build")
	mustKiln(t, 0, dir, "run-operation", "shrink")
	if rows := duckQuery(t, path, "select count(*) from fct"); len(rows) != 1 || rows[0] != "1" {
		t.Fatalf("after shrink, fct has %v rows, want 1", rows)
	}
	got := buildStatuses(t, dir, "build after shrink")
	wantStatuses(t, "build after shrink", got, map[string]string{"model fct": "OK", "model t": "UP-TO-DATE", "model t_child": "UP-TO-DATE", "test unique_t_id": "UP-TO-DATE"})
	if w := "main.fct (by the run-operation shrink at "; !strings.Contains(got["output"], w) {
		t.Errorf("build after shrink does not say %q:\n%s", w, got["output"])
	}
	if rows := duckQuery(t, path, "select count(*) from fct"); len(rows) != 1 || rows[0] != "3" {
		t.Errorf("after the build, fct has %v rows, want 3", rows)
	}
	got = buildStatuses(t, dir, "no-change build")
	wantStatuses(t, "no-change build", got, map[string]string{"model fct": "UP-TO-DATE", "model t": "UP-TO-DATE"})

	mustKiln(t, 0, dir, "run-operation", "anything")
	got = buildStatuses(t, dir, "build after anything")
	wantStatuses(t, "build after anything", got, map[string]string{"model fct": "OK", "model t": "OK", "model t_child": "OK"})
	if !strings.Contains(got["output"], "every node runs") {
		t.Errorf("build after an operation that may write anything does not run every node:\n%s", got["output"])
	}
}

// TestOnRunEndWritePostgres: on PostgreSQL, an on-run-end hook that
// inserts into t at every build no longer keeps the database from ever
// being sealed (every build ran every node): the second build runs t,
// its tests and t_child, and finds fct up to date.
func TestOnRunEndWritePostgres(t *testing.T) {
	d := newPGDB(t)
	dir := hookProject(t, fmt.Sprintf(`on-run-end:
  - "insert into t values (9, date '2024-02-01')"
target:
  type: postgres
  host: %s
  port: %s
  user: %s
  dbname: %s
  schema: public
  sslmode: disable
`, d.host, d.port, d.user, d.db))
	buildStatuses(t, dir, "first build")
	got := buildStatuses(t, dir, "second build")
	wantStatuses(t, "second build", got, map[string]string{"model t": "OK", "test unique_t_id": "PASS", "model t_child": "OK", "model fct": "UP-TO-DATE"})
	if w := "public.t (by the on-run-end hook of the build at "; !strings.Contains(got["output"], w) {
		t.Errorf("second build does not say %q:\n%s", w, got["output"])
	}
	if rows := d.query(t, "select n from t_child"); len(rows) != 1 || rows[0] != "3" {
		t.Errorf("t_child counts %v rows of t, want 3 (built before on-run-end)", rows)
	}
}

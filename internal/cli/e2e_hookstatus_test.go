package cli

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestOnRunEndStatusesAgreeWithRunResults: on-run-end's results give each
// node the status run_results.json gives it, dbt's values: a second build
// with nothing changed finds the model and its test up to date (no-op),
// and a failing model's test is skipped, in both.
func TestOnRunEndStatusesAgreeWithRunResults(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml": `name: hooks
on-run-end:
  - "create or replace table main.hook_statuses as select * from (values ('-', '-'){% for r in results %}, ('{{ r.node.unique_id }}', '{{ r.status }}'){% endfor %}) t(id, status)"
`,
		"models/m.sql":   "{{ config(materialized='table') }}\nselect 1 as id\n",
		"models/bad.sql": "{{ config(materialized='table') }}\nselect {{ var('bad', 1) }} as id\n",
		"models/m.yml": `models:
  - name: m
    columns:
      - name: id
        data_tests: [not_null]
  - name: bad
    columns:
      - name: id
        data_tests: [not_null]
`,
	})
	db := filepath.Join(dir, "target", "kiln.duckdb")
	compare := func(when string, want map[string]string) {
		t.Helper()
		rr := statuses(t, dir)
		rows := strings.Split(queryDB(t, db, "select string_agg(id || '=' || status, '\n' order by id) from main.hook_statuses where id <> '-'"), "\n")
		var fromRR []string
		for id, s := range rr {
			fromRR = append(fromRR, id+"="+s)
		}
		sort.Strings(fromRR)
		if strings.Join(rows, "\n") != strings.Join(fromRR, "\n") {
			t.Errorf("%s: on-run-end's results:\n%s\nrun_results.json:\n%s", when, strings.Join(rows, "\n"), strings.Join(fromRR, "\n"))
		}
		for prefix, s := range want {
			found := false
			for id, got := range rr {
				if strings.HasPrefix(id, prefix) {
					found = true
					if got != s {
						t.Errorf("%s: %s is %s, want %s", when, id, got, s)
					}
				}
			}
			if !found {
				t.Errorf("%s: no result for %s", when, prefix)
			}
		}
	}
	mustKiln(t, 0, dir, "build")
	compare("first build", map[string]string{"model.hooks.m": "success", "test.hooks.not_null_m_id": "pass"})
	mustKiln(t, 0, dir, "build")
	compare("second build", map[string]string{"model.hooks.m": "no-op", "test.hooks.not_null_m_id": "no-op"})
	mustKiln(t, 1, dir, "build", "--vars", "{bad: 'no_such_column'}")
	compare("a failed build", map[string]string{"model.hooks.bad": "error", "test.hooks.not_null_bad_id": "skipped", "model.hooks.m": "no-op"})
}

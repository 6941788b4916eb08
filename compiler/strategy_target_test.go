package compiler

import (
	"fmt"
	"strings"
	"testing"
)

// TestInsertOverwritePerTarget: incremental_strategy insert_overwrite is
// refused at file:line:col naming the target's database and dbt adapter
// (the trial's finding 6: PostgreSQL's refusal spoke of DuckDB), and an
// unknown strategy's hint names the target's dbt adapter.
func TestInsertOverwritePerTarget(t *testing.T) {
	for typ, want := range map[string][2]string{
		"duckdb":   {"not supported on DuckDB (nor by dbt-duckdb)", "dbt-duckdb's strategies are"},
		"postgres": {"not supported on PostgreSQL (nor by dbt-postgres)", "dbt-postgres's strategies are"},
	} {
		_, l := compileOn(t, typ, map[string]string{
			"project.yml":   "name: p\n",
			"models/io.sql": "{{ config(materialized='incremental', incremental_strategy='insert_overwrite') }}\nselect 1 as id",
			"models/ba.sql": "{{ config(materialized='incremental', incremental_strategy='bogus') }}\nselect 1 as id",
		})
		got := fmt.Sprint(l)
		if !strings.Contains(got, `models/io.sql:1:60: incremental_strategy "insert_overwrite" is `+want[0]) {
			t.Errorf("on %s, insert_overwrite:\n%s\nwant %q at models/io.sql:1:60", typ, got, want[0])
		}
		if !strings.Contains(got, want[1]) {
			t.Errorf("on %s, an unknown strategy:\n%s\nwant the hint %q", typ, got, want[1])
		}
		if typ == "postgres" && strings.Contains(got, "DuckDB") {
			t.Errorf("on PostgreSQL, a message speaks of DuckDB:\n%s", got)
		}
	}
}

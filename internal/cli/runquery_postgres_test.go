package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunQuerySeveralStatementsOnPostgres: run_query of "insert ...;
// update ..." in an operation runs both statements on PostgreSQL, as
// dbt-postgres runs it through psycopg2 (kiln failed: "cannot insert
// multiple commands into a prepared statement"), and a model's run_query
// of several statements reads the last one's rows.
func TestRunQuerySeveralStatementsOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := t.TempDir()
	for name, body := range map[string]string{
		"project.yml": fmt.Sprintf("name: multi\nmodel-paths: [models]\nmacro-paths: [macros]\n"+
			"target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  schema: analytics\n  threads: 1\n", d.host, d.port, d.user, d.db),
		"macros/ops.sql": "{% macro fill() %}\n{% do run_query('create schema if not exists analytics') %}\n{% do run_query('create table if not exists analytics.counts (id int, n int)') %}\n" +
			"{% do run_query('insert into analytics.counts values (1, 1); update analytics.counts set n = n + 10 where id = 1') %}\n{% endmacro %}\n",
		"models/last.sql": "{% set t = run_query('select 1 as a; select n from analytics.counts') if execute else none %}\n" +
			"select '{{ t.columns[0].name ~ ':' ~ t.rows[0][0] if execute else 0 }}'::text as got\n",
	} {
		writeFile(t, filepath.Join(dir, name), body)
	}
	mustKiln(t, 0, dir, "run-operation", "fill")
	if got := d.query(t, "select id, n from analytics.counts"); strings.Join(got, ";") != "1|11" {
		t.Errorf("after insert; update: %v, want [1|11]", got)
	}
	mustKiln(t, 0, dir, "build")
	if got := d.query(t, "select got from analytics.last"); strings.Join(got, ";") != "n:11" {
		t.Errorf("the model read %v, want the last statement's column and value, n:11", got)
	}
}

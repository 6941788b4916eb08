package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestGlobalMacrosOnPostgres: dbt's global-project macros kiln writes
// for PostgreSQL too: date_spine (postgres__date_spine, on
// generate_series), get_columns_in_query, format_column of
// get_columns_in_relation, and create_schema, get_create_table_as_sql
// (a temporary table named by its identifier alone) and
// drop_relation_if_exists in an operation.
func TestGlobalMacrosOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := t.TempDir()
	for name, body := range map[string]string{
		"project.yml": fmt.Sprintf("name: glob\nmodel-paths: [models]\nmacro-paths: [macros]\n"+
			"target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  schema: analytics\n  threads: 1\n", d.host, d.port, d.user, d.db),
		"models/spine.sql":  "{{ config(materialized='table') }}\nwith s as (\n{{ dbt.date_spine('day', \"cast('2024-02-27' as date)\", \"cast('2024-03-02' as date)\") }}\n)\nselect * from s\n",
		"models/months.sql": "{{ config(materialized='table') }}\n{{ date_spine('month', \"cast('2024-01-31' as date)\", \"cast('2024-04-01' as date)\") }}\n",
		"models/cols.sql": "{{ config(materialized='table') }}\n{% set cols = dbt.get_columns_in_relation(ref('spine')) %}\n" +
			"select '{{ get_columns_in_query('select 1 as a, 2 as \"B\"') | join(',') }}' as names, '{{ (format_column(cols[0]).formatted if cols else '') }}' as formatted\n",
		"macros/ops.sql": "{% macro setup_things() %}\n{% do create_schema(api.Relation.create(schema='extra')) %}\n" +
			"{% do run_query(get_create_table_as_sql(false, api.Relation.create(schema='extra', identifier='made'), 'select 42 as answer')) %}\n" +
			"{% do run_query(get_create_table_as_sql(true, api.Relation.create(schema='extra', identifier='tmp_made'), 'select 7 as answer')) %}\n" +
			"{{ log('temp answer ' ~ run_query('select answer from tmp_made').rows[0][0], info=true) }}\n" +
			"{% do drop_relation_if_exists(load_relation(api.Relation.create(schema='extra', identifier='made'))) %}\n{% endmacro %}\n",
	} {
		writeFile(t, filepath.Join(dir, name), body)
	}
	mustKiln(t, 0, dir, "build")
	for q, want := range map[string]string{
		"select to_char(date_day, 'YYYY-MM-DD HH24:MI') from analytics.spine order by 1": "2024-02-27 00:00\n2024-02-28 00:00\n2024-02-29 00:00\n2024-03-01 00:00",
		"select to_char(date_month, 'YYYY-MM-DD') from analytics.months order by 1":      "2024-01-31\n2024-02-29\n2024-03-31",
		"select names, formatted from analytics.cols":                                    "a,B|date_day timestamp without time zone",
	} {
		if got := strings.Join(d.query(t, q), "\n"); got != want {
			t.Errorf("%s:\n%s\nwant\n%s", q, got, want)
		}
	}
	out := mustKiln(t, 0, dir, "run-operation", "setup_things")
	if !strings.Contains(out, "temp answer 7") {
		t.Errorf("run-operation: %s", out)
	}
	if got := d.query(t, "select count(*) from information_schema.schemata where schema_name = 'extra'"); len(got) != 1 || got[0] != "1" {
		t.Errorf("schema extra: %v", got)
	}
	if got := d.query(t, "select count(*) from information_schema.tables where table_schema = 'extra'"); len(got) != 1 || got[0] != "0" {
		t.Errorf("extra.made was not dropped: %v", got)
	}
}

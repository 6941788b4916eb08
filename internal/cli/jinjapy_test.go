package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestStatementResponseAndPrintTable: on a real DuckDB file, a
// statement's load_result(...)['response'] is dbt-duckdb's AdapterResponse
// (str() "OK", _message "OK", code and rows_affected None, repr in a
// list as the dataclass's), and run_query(...).print_table() prints
// agate's table where print() prints, in run-operation and in a model.
func TestStatementResponseAndPrintTable(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "project.yml"), "name: pt\nmodel-paths: [models]\nmacro-paths: [macros]\n")
	writeFile(t, filepath.Join(dir, "macros", "ops.sql"), `{% macro resp() %}
{% call statement('s', fetch_result=True) %}select 1 as one{% endcall %}
{% set r = load_result('s')['response'] %}
{{ return(r ~ '|' ~ r._message ~ '|' ~ r.code ~ '|' ~ r.rows_affected ~ '|' ~ (r.rows_affected is none) ~ '|' ~ [r]) }}
{% endmacro %}
{% macro pt() %}{% do run_query("select 1 as one, 'a' as two union all select 2000, null order by 1").print_table() %}{% endmacro %}
`)
	writeFile(t, filepath.Join(dir, "models", "m.sql"), "{% if execute %}{% do run_query('select 42 as answer').print_table() %}{% endif %}\nselect 1 as x\n")
	// dbt-adapters' AdapterResponse(_message='OK') as dbt-duckdb returns it.
	out := mustKiln(t, 0, dir, "run-operation", "resp")
	if want := "OK|OK|None|None|True|[AdapterResponse(_message='OK', code=None, rows_affected=None, query_id=None)]"; !strings.Contains(out, want) {
		t.Errorf("run-operation resp: want %s in\n%s", want, out)
	}
	out = mustKiln(t, 0, dir, "run-operation", "pt")
	if want := "|   one | two |\n| ----- | --- |\n|     1 | a   |\n| 2,000 |     |\n"; !strings.Contains(out, want) {
		t.Errorf("run-operation pt: want the table\n%s\nin\n%s", want, out)
	}
	out = mustKiln(t, 0, dir, "build")
	if want := "| answer |\n| ------ |\n|     42 |\n"; !strings.Contains(out, want) {
		t.Errorf("build: want the table\n%s\nin\n%s", want, out)
	}
}

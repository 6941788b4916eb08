package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestColumnTypesOfDbtMacrosOnPostgres: the types dbt's cross-database
// macros give on dbt-postgres. api.Column.translate_type('string') is
// TEXT (dbt-adapters' Column.TYPE_LABELS = {"STRING": "TEXT"}), so a
// cast with it runs; dbt.type_string() is translate_type("string"), a
// text column; dbt.type_float() is float (double precision);
// dbt.datediff(..., 'day') is dbt-postgres's date subtraction, an integer.
// The same model builds on DuckDB with the same values.
func TestColumnTypesOfDbtMacrosOnPostgres(t *testing.T) {
	sql := `{{ config(materialized='table') }}
select cast('x' as {{ dbt.type_string() }}) as s,
  cast('y' as {{ api.Column.translate_type('string') }}) as s2,
  cast(1 as {{ api.Column.translate_type('integer') }}) as i,
  {{ dbt.datediff("cast('2024-01-01' as date)", "cast('2024-03-01 10:00' as timestamp)", 'day') }} as dd,
  cast(1.5 as {{ dbt.type_float() }}) as f,
  '{{ dbt.type_string() }}|{{ api.Column.translate_type("String") }}|{{ api.Column.translate_type("varchar") }}|{{ api.Column.create("c", "string").dtype }}' as spelled
`
	build := func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, "models", "types.sql"), []byte(sql), 0o644); err != nil {
			t.Fatal(err)
		}
		mustKiln(t, 0, dir, "build", "--select", "types")
	}
	d := newPGDB(t)
	pg := smallProject(t, fmt.Sprintf("target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n", d.host, d.port, d.user, d.db))
	build(pg)
	got := d.query(t, "select column_name, data_type from information_schema.columns where table_name = 'types' order by ordinal_position")
	want := []string{"s|text", "s2|text", "i|integer", "dd|integer", "f|double precision", "spelled|text"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("PostgreSQL column types: got %v, want %v", got, want)
	}
	const values = "x|y|1|60|1.5|TEXT|TEXT|varchar|TEXT"
	if got := d.query(t, "select s, s2, i, dd, f, spelled from types"); len(got) != 1 || got[0] != values {
		t.Errorf("PostgreSQL values: got %v, want %s", got, values)
	}
	duck := smallProject(t, "database-path: target/small.duckdb\n")
	build(duck)
	if got := queryDB(t, filepath.Join(duck, "target", "small.duckdb"), "select s || '|' || s2 || '|' || i || '|' || dd || '|' || f || '|' || spelled from types"); got != values {
		t.Errorf("DuckDB values: got %s, want %s", got, values)
	}
}

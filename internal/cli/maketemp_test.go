package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMakeTempRelationOnDuckDB: on DuckDB make_temp_relation is
// dbt-duckdb's duckdb__make_temp_relation (macros/adapters.sql): the
// identifier with the suffix and py_current_timestring() (%Y%m%d%H%M%S%f)
// appended, its schema and database None (printed None, "is none" true,
// as dbt's Path holds them), so that it names a temporary table; a part
// set to None by incorporate or left out of api.Relation.create is None
// too (kiln gave "").
func TestMakeTempRelationOnDuckDB(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"dbt_project.yml": "name: shop\nprofile: shop\n",
		"profiles.yml":    "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: shop.duckdb\n",
		"models/tmp_names.sql": `{{ config(materialized='table') }}
{%- set tmp = make_temp_relation(this) -%}
{%- set r = this.incorporate(path={'schema': none}) -%}
{%- if execute -%}{%- do run_query('create temporary table ' ~ tmp ~ ' as select 41 as v') -%}{%- endif %}
select '{{ tmp.identifier }}' as ident, '{{ tmp | replace('"', '') }}' as rendered,
  '{{ tmp.schema is none }} {{ tmp.database is none }} {{ tmp.schema }} {{ r.schema is none }} {{ api.Relation.create(identifier='x').database is none }}' as nones
`,
	})
	mustKiln(t, 0, dir, "build")
	got := queryDB(t, filepath.Join(dir, "shop.duckdb"), "select ident || '|' || rendered || '|' || nones from main.tmp_names")
	f := strings.Split(got, "|")
	if len(f) != 3 || !regexp.MustCompile(`^tmp_names__dbt_tmp[0-9]{20}$`).MatchString(f[0]) || f[1] != f[0] {
		t.Errorf("make_temp_relation(this) = %s, want the identifier tmp_names__dbt_tmp<%%Y%%m%%d%%H%%M%%S%%f>, alone", got)
	}
	if len(f) == 3 && f[2] != "True True None True True" {
		t.Errorf("None parts: %q, want %q", f[2], "True True None True True")
	}
}

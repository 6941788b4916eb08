package cli

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestMakeTempRelationOnPostgres: on PostgreSQL make_temp_relation is
// dbt-postgres's postgres__make_temp_relation (macros/adapters.sql): the
// identifier with the suffix and the time (HHMMSS and microseconds)
// appended, cut to fit 63 characters, with no schema nor database, so
// that the server accepts it as a temporary table's name (a temporary
// table cannot be created in the model's schema).
func TestMakeTempRelationOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := smallProject(t, fmt.Sprintf("target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  schema: analytics\n  sslmode: disable\n", d.host, d.port, d.user, d.db))
	writeProjectFile(t, dir, "models/tmp_names.sql", `{{ config(materialized='table') }}
{%- set tmp = make_temp_relation(this) -%}
{%- set other = make_temp_relation(this, '__x') -%}
{%- set long = make_temp_relation(api.Relation.create(schema='analytics', identifier='t' * 70)) -%}
{%- if execute -%}{%- do run_query('create temporary table ' ~ tmp ~ ' as select 41 as v') -%}{%- endif %}
select '{{ tmp.identifier }}' as ident, '{{ not tmp.schema and not tmp.database }}' as no_schema,
  '{{ tmp | replace('"', '') }}' as rendered, '{{ other.identifier }}' as other,
  '{{ long.identifier }}' as long_ident
`)
	code, out, errOut := kiln(t, dir, "build", "-s", "tmp_names")
	if code != 0 {
		t.Fatalf("build exit %d\n%s\n%s", code, out, errOut)
	}
	got := d.query(t, "select ident, no_schema, rendered, other, long_ident from analytics.tmp_names")
	if len(got) != 1 {
		t.Fatalf("tmp_names holds %v", got)
	}
	f := strings.Split(got[0], "|")
	if !regexp.MustCompile(`^tmp_names__dbt_tmp[0-9]{12}$`).MatchString(f[0]) || f[1] != "True" || f[2] != f[0] {
		t.Errorf("make_temp_relation(this) = %v, want the identifier tmp_names__dbt_tmp<HHMMSS><microseconds> without schema", f[:3])
	}
	if !regexp.MustCompile(`^tmp_names__x[0-9]{12}$`).MatchString(f[3]) {
		t.Errorf("make_temp_relation(this, '__x') = %s", f[3])
	}
	if !regexp.MustCompile(`^t{42}__dbt_tmp[0-9]{12}$`).MatchString(f[4]) {
		t.Errorf("a 70-character identifier gives %s (%d characters), want 42 t, the suffix and the time: 63", f[4], len(f[4]))
	}
}

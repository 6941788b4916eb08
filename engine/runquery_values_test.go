package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/run"
)

// run_query's rows hold what dbt's agate table does with Python's
// drivers: exact integers beyond 64 bits (UBIGINT, hash(), HUGEINT),
// uuid.UUID printing its canonical form, Decimal keeping its scale, an
// aware datetime printing its offset, a midnight TIMESTAMP as a datetime,
// a DATE as a date, an INTERVAL as a timedelta.
func TestRunQueryValuesAsPython(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"project.yml": "name: rq\n",
		"models/vals.sql": `{%- if execute -%}
{%- set r = run_query("select 18446744073709551615::UBIGINT, hash('kiln'), '123e4567-e89b-12d3-a456-426614174000'::UUID, 170141183460469231731687303715884105727::HUGEINT, 1.50::DECIMAL(3,2), timestamptz '2024-01-01 00:00:00+00', interval 2 days, timestamp '2024-01-01 00:00:00', date '2024-01-01'").rows[0] -%}
select '{{ r | join("|") }}' as v, '{{ r[0] + 1 }}|{{ r[0] > 9223372036854775807 }}|{{ r[4] + 1 }}|{{ (r[5] - r[6]) }}|{{ r[7] - r[8] if false else r[2].hex }}' as w, '{{ r[1] }}' as h
{%- else -%}
select 1 as v
{%- endif -%}
`,
	})
	p, err := Load(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := p.Select(Selection{Kinds: RunKinds})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(context.Background(), p.Plan(ids), RunOptions{Command: "run", Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Results {
		if r.Status != run.Success {
			t.Fatalf("%s: %s %s", r.ID, r.Status, r.Message)
		}
	}
	db, err := p.OpenDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, rows, err := db.conn.QueryRows(context.Background(), "select v, w, h = hash('kiln')::varchar, h from main.vals")
	if err != nil {
		t.Fatal(err)
	}
	want := "18446744073709551615|" + rows[0][3].(string) + "|123e4567-e89b-12d3-a456-426614174000|170141183460469231731687303715884105727|1.50|2024-01-01 00:00:00+00:00|2 days, 0:00:00|2024-01-01 00:00:00|2024-01-01"
	if rows[0][0] != want {
		t.Errorf("run_query values\n got  %v\n want %v", rows[0][0], want)
	}
	if w := "18446744073709551616|True|2.50|2023-12-30 00:00:00+00:00|123e4567e89b12d3a456426614174000"; rows[0][1] != w {
		t.Errorf("arithmetic\n got  %v\n want %v", rows[0][1], w)
	}
	if rows[0][2] != true || strings.HasPrefix(rows[0][3].(string), "-") {
		t.Errorf("hash('kiln') = %v, want DuckDB's unsigned value", rows[0][3])
	}
}

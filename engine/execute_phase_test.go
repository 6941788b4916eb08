package engine

import (
	"context"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/run"
)

// A model whose template reads execute renders again when it runs, after
// its parents are built: run_query and the adapter's database methods
// see the parent's table (dbt's execute phase), and the model is built
// from that second rendering.
func TestExecutePhase(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"project.yml":     "name: ex\n",
		"models/wide.sql": "select * from (values (1, 'x', 10), (2, 'y', 20), (3, 'z', 30)) t(a, b, c)\n",
		"models/picks.sql": `{%- set cols = adapter.get_columns_in_relation(ref('wide')) -%}
{%- if execute -%}
{%- set n = run_query('select max(c) from ' ~ ref('wide')).columns[0].values()[0] -%}
select {% for c in cols if c.name != 'b' %}{{ c.name }}, {% endfor %}{{ n }} as top from {{ ref('wide') }}
{%- else -%}
select 1 as parse_time
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
	res, err := p.Run(context.Background(), p.Plan(ids), RunOptions{Command: "run", Threads: 2})
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
	cols, err := db.conn.Columns(context.Background(), adapter.Relation{Schema: "main", Name: "picks"})
	if err != nil || len(cols) != 3 || cols[0].Name != "a" || cols[1].Name != "c" || cols[2].Name != "top" {
		t.Fatalf("picks has %v (%v), want a, c, top", cols, err)
	}
	n, err := db.conn.QueryInt(context.Background(), "select sum(top) + sum(a) from main.picks")
	if err != nil || n != 3*30+6 {
		t.Fatalf("sum = %d (%v), want 96", n, err)
	}
}

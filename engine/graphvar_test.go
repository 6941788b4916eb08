package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/kiln-build/kiln/internal/run"
)

// dbt's graph context variable at execute time: a macro iterating
// graph.nodes finds the models that read a model, with their config,
// depends_on and columns, as manifest.json has them; the model reading
// graph renders again when it runs, with the whole graph.
func TestGraphVariable(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"project.yml":  "name: gx\n",
		"models/a.sql": "select 1 as id\n",
		"models/b.sql": "{{ config(materialized='table', tags=['daily']) }}\nselect * from {{ ref('a') }}\n",
		"models/c.sql": "select id + 1 as id from {{ ref('a') }}\n",
		// Reads graph, not execute: graph alone makes it render at run time.
		"models/count_nodes.sql": "select {{ graph.nodes | length }} as n\n",
		"models/x.yml": `version: 2
sources:
  - name: raw
    tables: [{name: t}]
models:
  - name: b
    columns:
      - name: id
        description: the key
`,
		"macros/graph_tools.sql": `{% macro models_reading(name) %}
  {%- set out = [] -%}
  {%- for node in graph.nodes.values() | sort(attribute='name') -%}
    {%- if node.resource_type == 'model' and ('model.gx.' ~ name) in node.depends_on.nodes -%}
      {%- do out.append(node.name) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(out) }}
{% endmacro %}
`,
		"models/report.sql": `{%- set readers = models_reading('a') -%}
{%- set b = graph.nodes['model.gx.b'] if execute else none -%}
select {{ readers | length }} as readers, '{{ readers | join(",") }}' as names,
  {{ graph.nodes.values() | selectattr('resource_type', 'equalto', 'model') | list | length }} as models,
  {{ graph.sources | length }} as sources,
  '{{ b.config.materialized if b else "" }}' as b_materialized,
  '{{ b.tags | join(",") if b else "" }}' as b_tags,
  '{{ b.columns.id.description if b else "" }}' as b_id
`,
	})
	p, err := Load(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if n := p.Graph().Node("model.gx.count_nodes"); !n.RenderAtRun || n.CompiledCode != "select 0 as n\n" {
		t.Fatalf("count_nodes: render at run %v, compiled %q (graph is empty while compiling)", n.RenderAtRun, n.CompiledCode)
	}
	if n := p.Graph().Node("model.gx.report"); !n.RenderAtRun {
		t.Fatal("a model reading graph does not render again at run time")
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
	_, rows, err := db.conn.QueryRows(context.Background(), "select * from main.report")
	if err != nil || len(rows) != 1 {
		t.Fatalf("report: %v %v", rows, err)
	}
	if n, err := db.conn.QueryInt(context.Background(), "select n from main.count_nodes"); err != nil || n != 5 {
		t.Errorf("count_nodes has %d (%v), want the 5 models", n, err)
	}
	if got, want := fmt.Sprint(rows[0]), "[2 b,c 5 1 table daily the key]"; got != want {
		t.Errorf("report is %s, want %s", got, want)
	}
}

package compiler

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// compileFiles compiles a kiln project of files and returns its manifest
// (nil on errors) and its diagnostics, one a line.
func compileFiles(t *testing.T, files map[string]string) (*Manifest, string) {
	t.Helper()
	fsys := fstest.MapFS{}
	for k, v := range files {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	p, l := project.Load(fsys)
	if l.HasErrors() {
		t.Fatal(l)
	}
	m, l := Compile(p, Options{})
	var lines []string
	for _, d := range l {
		lines = append(lines, d.Error())
	}
	if l.HasErrors() {
		m = nil
	}
	return m, strings.Join(lines, "\n")
}

// A foreign_key's to: ref() resolves to the referenced model's relation,
// which becomes a parent of the model (dbt 1.9); the older expression is
// split into its relation and columns; a key that references its own
// model adds no edge.
func TestForeignKeyResolved(t *testing.T) {
	m, diags := compileFiles(t, map[string]string{
		"project.yml":          "name: p\nmodel-paths: [models]\nmodels:\n  p:\n    +materialized: table\n    +contract: {enforced: true}\n",
		"models/customers.sql": "{{ config(schema='crm') }} select 1 as id",
		"models/orders.sql":    "select 1 as id, 1 as customer_id, 1 as parent_id",
		"models/schema.yml": `models:
  - name: customers
    columns: [{name: id, data_type: integer, constraints: [{type: primary_key}]}]
  - name: orders
    constraints:
      - {type: foreign_key, columns: [parent_id], expression: "orders (id)"}
    columns:
      - {name: id, data_type: integer}
      - name: customer_id
        data_type: integer
        constraints: [{type: foreign_key, to: "ref('customers')", to_columns: [id]}]
      - {name: parent_id, data_type: integer}
`,
	})
	if m == nil {
		t.Fatal(diags)
	}
	o := m.Graph.Node("model.p.orders")
	if got := m.Graph.Parents(o.ID); len(got) != 1 || got[0] != "model.p.customers" {
		t.Errorf("orders' parents: %v", got)
	}
	k := o.Columns[1].Constraints[0]
	if k.To != `"crm"."customers"` || k.ToNode != "model.p.customers" || strings.Join(k.ToColumns, ",") != "id" || k.Pos.Line != 9 {
		t.Errorf("to: ref(): %+v", k)
	}
	k = o.Constraints[0]
	if k.To != "orders" || k.ToNode != "" || strings.Join(k.ToColumns, ",") != "id" || strings.Join(k.Columns, ",") != "parent_id" {
		t.Errorf("expression: %+v", k)
	}
	if o.Kind != graph.Model {
		t.Fatal(o.Kind)
	}
}

// A foreign_key that cannot be resolved is an error at its position.
func TestForeignKeyErrors(t *testing.T) {
	_, diags := compileFiles(t, map[string]string{
		"project.yml":    "name: p\nmodel-paths: [models]\nmodels:\n  p:\n    +materialized: table\n    +contract: {enforced: true}\n",
		"models/eph.sql": "{{ config(materialized='ephemeral') }} select 1 as id",
		"models/a.sql":   "select 1 as id, 1 as b, 1 as c, 1 as d, 1 as e, 1 as f, 1 as g",
		"models/schema.yml": `models:
  - name: a
    constraints:
      - {type: foreign_key, columns: [b, c], to: ref('a'), to_columns: [id]}
    columns:
      - {name: id, data_type: integer}
      - {name: b, data_type: integer, constraints: [{type: foreign_key, to: ref('a')}]}
      - {name: c, data_type: integer, constraints: [{type: foreign_key, to: ref('a'), to_columns: [id], expression: "a (id)"}]}
      - {name: d, data_type: integer, constraints: [{type: foreign_key}]}
      - {name: e, data_type: integer, constraints: [{type: foreign_key, to: ref('missing'), to_columns: [id]}]}
      - {name: f, data_type: integer, constraints: [{type: foreign_key, expression: "a id"}, {type: unique, to: ref('a')}]}
      - {name: g, data_type: integer, constraints: [{type: foreign_key, to: ref('eph'), to_columns: [id]}]}
`,
	})
	for _, want := range []string{
		`models/schema.yml:2:5: model "a"'s foreign_key has 2 columns and references 1`,
		`models/schema.yml:7:9: a foreign_key constraint has to: but no to_columns:`,
		`models/schema.yml:8:9: a foreign_key constraint has both to: and expression:`,
		`models/schema.yml:9:9: a foreign_key constraint says nothing of what it references`,
		`models/schema.yml:10:9: unknown model "missing" in ref()`,
		`models/schema.yml:11:9: a foreign_key's expression "a id" is not a relation and its columns`,
		`models/schema.yml:11:9: a unique constraint has to: or to_columns:`,
		`models/schema.yml:12:9: model "a"'s foreign_key references ephemeral model "eph", which has no table`,
	} {
		if !strings.Contains(diags, want) {
			t.Errorf("the diagnostics lack %q:\n%s", want, diags)
		}
	}
}

// A to_columns entry that the referenced model lacks is an error at that
// entry, in a block list as in a flow list, not at the list's first.
func TestForeignKeyMissingToColumnAtEntry(t *testing.T) {
	_, diags := compileFiles(t, map[string]string{
		"project.yml":  "name: p\nmodel-paths: [models]\nmodels:\n  p:\n    +materialized: table\n    +contract: {enforced: true}\n",
		"models/c.sql": "select 1 as id, 'x' as name",
		"models/o.sql": "select 1 as id, 'x' as cname",
		"models/schema.yml": `models:
  - name: c
    columns:
      - {name: id, data_type: integer}
      - {name: name, data_type: varchar}
  - name: o
    constraints:
      - type: foreign_key
        columns: [id, cname]
        to: ref('c')
        to_columns:
          - id
          - nme
      - {type: foreign_key, columns: [id, cname], to: ref('c'), to_columns: [id, naem]}
    columns:
      - {name: id, data_type: integer}
      - {name: cname, data_type: varchar}
`,
	})
	for _, want := range []string{
		`models/schema.yml:13:13: foreign_key of o (id, cname): c has no column nme (to_columns)`,
		`models/schema.yml:14:82: foreign_key of o (id, cname): c has no column naem (to_columns)`,
	} {
		if !strings.Contains(diags, want) {
			t.Errorf("the diagnostics lack %q:\n%s", want, diags)
		}
	}
}

// Constraints on an incremental model are applied (it is created with
// them); on a microbatch model they are not supported yet.
func TestIncrementalConstraintsCompile(t *testing.T) {
	schema := "models:\n  - name: m\n    config: {contract: {enforced: true}}\n    columns: [{name: id, data_type: integer, constraints: [{type: primary_key}]}, {name: ts, data_type: timestamp}]\n"
	files := map[string]string{
		"project.yml":  "name: p\nmodel-paths: [models]\n",
		"models/m.sql": "{{ config(materialized='incremental', unique_key='id') }} select 1 as id, timestamp '2024-01-01' as ts",
		"models/m.yml": schema,
	}
	if m, diags := compileFiles(t, files); m == nil || diags != "" {
		t.Errorf("an incremental model with constraints: %s", diags)
	}
	files["models/m.sql"] = "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='day', begin='2024-01-01') }} select 1 as id, timestamp '2024-01-01' as ts"
	if _, diags := compileFiles(t, files); !strings.Contains(diags, "constraints on a microbatch model are not supported yet") {
		t.Errorf("a microbatch model with constraints: %s", diags)
	}
}

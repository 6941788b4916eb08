package engine_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/run"
)

// A seed that a model's foreign key references, loaded again alone with
// a key the model's rows still use, fails and stays as it was (the check
// runs in the seed's transaction), as a declared key would refuse the
// change; loaded with the model, the model fails instead.
func TestForeignKeyToASeed(t *testing.T) {
	m := newMini(t, map[string]string{
		"seeds/wines.csv":   "id,name\n1,Pomerol\n2,Chablis\n",
		"models/orders.sql": "{{ config(materialized='table') }}\nselect cast(10 as integer) as id, cast(2 as integer) as wine_id",
		"models/orders.yml": `models:
  - name: orders
    config: {contract: {enforced: true}}
    columns:
      - {name: id, data_type: integer}
      - name: wine_id
        data_type: integer
        constraints: [{type: foreign_key, to: ref('wines'), to_columns: [id]}]
`,
	})
	m.write("project.yml", "name: mini\nmodel-paths: [models]\nseed-paths: [seeds]\ndatabase-path: target/mini.duckdb\n")
	wantOK(t, m.build(buildOpts{}))
	m.write("seeds/wines.csv", "id,name\n1,Pomerol\n3,Sancerre\n")
	res := m.build(buildOpts{selectArgs: []string{"wines"}})
	r := result(t, res, "wines")
	if r.Status != run.Error || !strings.Contains(r.Message, `seed "wines" would leave 1 row of model "orders" (not built in this run) without the key its foreign_key (wine_id) references`) ||
		!strings.Contains(r.Message, "(such as wine_id = 2)") {
		t.Errorf("the seed alone: %s %q", r.Status, r.Message)
	}
	if got := m.rows("select id from main.wines order by id"); !reflect.DeepEqual(got, [][]any{{int64(1)}, {int64(2)}}) {
		t.Errorf("the seed after its refused load: %v", got)
	}
	res = m.build(buildOpts{selectArgs: []string{"wines+"}})
	if r := result(t, res, "orders"); r.Status != run.Error || !strings.Contains(r.Message, `model "orders" breaks its foreign_key (wine_id)`) {
		t.Errorf("the seed with its child: orders %s %q", r.Status, r.Message)
	}
	if r := result(t, res, "wines"); r.Status != run.Success || !res.RolledBack {
		t.Errorf("the seed with its child: wines %s, rolled back %v", r.Status, res.RolledBack)
	}
}

package cli

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
)

// TestManifestNodesHaveDocs: every entry of manifest.json's nodes (model,
// seed, snapshot, singular and generic test; kiln compiles no analyses)
// has dbt's docs object, {"show": true, "node_color": null} by default, and the node's
// docs.show and docs.node_color configs when set (from dbt_project.yml
// or config()), as dbt's manifest writes them.
func TestManifestNodesHaveDocs(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"dbt_project.yml": "name: shop\nprofile: shop\nseeds:\n  shop:\n    +docs:\n      node_color: \"#cd7f32\"\n",
		"profiles.yml":    "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: shop.duckdb\n      schema: main\n",
		"models/hidden.sql": "{{ config(docs={'show': false, 'node_color': 'purple'}) }}\n" +
			"select id from {{ ref('s') }}\n",
		"models/plain.sql":        "select 1 as id\n",
		"models/plain.yml":        "version: 2\nmodels:\n  - name: plain\n    columns:\n      - name: id\n        data_tests: [not_null]\n",
		"seeds/s.csv":             "id\n1\n",
		"snapshots/snap.sql":      "{% snapshot snap %}\n{{ config(unique_key='id', strategy='check', check_cols='all', target_schema='snaps') }}\nselect * from {{ ref('plain') }}\n{% endsnapshot %}\n",
		"tests/plain_ok.sql":      "select * from {{ ref('plain') }} where id < 0\n",
		"macros/placeholder.sql":  "{% macro placeholder() %}1{% endmacro %}\n",
		"models/hidden_props.yml": "version: 2\nmodels:\n  - name: hidden\n    description: kept out of the docs\n",
	} {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), body)
	}
	mustKiln(t, 0, dir, "compile")
	var m struct {
		Nodes map[string]map[string]any `json:"nodes"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "manifest.json")), &m); err != nil {
		t.Fatal(err)
	}
	dflt := map[string]any{"show": true, "node_color": nil}
	want := map[string]map[string]any{
		"model.shop.hidden":  {"show": false, "node_color": "purple"},
		"model.shop.plain":   dflt,
		"seed.shop.s":        {"show": true, "node_color": "#cd7f32"},
		"snapshot.shop.snap": dflt,
		"test.shop.plain_ok": dflt,
	}
	kinds := map[string]bool{}
	for id, n := range m.Nodes {
		kinds[n["resource_type"].(string)] = true
		w, ok := want[id]
		if !ok {
			w = dflt
		}
		got, has := n["docs"]
		if !has {
			t.Errorf("%s has no docs", id)
			continue
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s: docs %v, want %v", id, got, w)
		}
	}
	for _, k := range []string{"model", "seed", "snapshot", "test"} {
		if !kinds[k] {
			t.Errorf("manifest.json has no %s (nodes: %d)", k, len(m.Nodes))
		}
	}
}

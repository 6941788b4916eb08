package artifact

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/tools/txtar"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/internal/testenv/schematest"
)

// semanticProject compiles testdata/semantic.txtar as a dbt project built
// into shop.duckdb.
func semanticProject(t *testing.T) *compiler.Manifest {
	t.Helper()
	ar, err := txtar.ParseFile("testdata/semantic.txtar")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, f := range ar.Files {
		fsys[f.Name] = &fstest.MapFile{Data: f.Data}
	}
	target := func(project.TargetRequest) (*project.Target, diag.List) {
		return project.DefaultTarget("shop.duckdb"), nil
	}
	p, l := project.LoadWith(fsys, project.Options{Target: target})
	if l.HasErrors() {
		t.Fatal(l.Errors())
	}
	m, l := compiler.Compile(p, compiler.Options{ProjectDir: "/proj", LookupEnv: func(string) (string, bool) { return "", false }})
	if l.HasErrors() {
		t.Fatal(l)
	}
	return m
}

// The JSON of one manifest entry, with the keys that vary between kiln
// versions left out, as it must read.
func wantJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad expectation: %v", what, err)
	}
	if !reflect.DeepEqual(got, w) {
		g, _ := json.MarshalIndent(got, "", "  ")
		t.Errorf("%s is\n%s\nwant\n%s", what, g, want)
	}
}

// Exposures, groups, access, semantic models, metrics and saved queries
// reach manifest.json with dbt 1.10's shapes and their real dependencies.
func TestManifestSemanticLayer(t *testing.T) {
	dir := t.TempDir()
	if err := WriteManifest(dir, semanticProject(t), testMeta()); err != nil {
		t.Fatal(err)
	}
	v := readJSON(t, filepath.Join(dir, "manifest.json"))

	wantJSON(t, "the exposure", obj(t, v, "exposures")["exposure.shop.weekly_orders"], `{
		"name": "weekly_orders", "resource_type": "exposure", "package_name": "shop",
		"path": "models/marts/schema.yml", "original_file_path": "models/marts/schema.yml",
		"unique_id": "exposure.shop.weekly_orders", "fqn": ["shop", "marts", "weekly_orders"],
		"type": "dashboard", "owner": {"email": "ana@shop.example", "name": "Ana"},
		"description": "the weekly dashboard", "label": "Orders by the week", "maturity": "high",
		"meta": {}, "tags": ["weekly"], "config": {"enabled": true, "tags": ["weekly"], "meta": {}},
		"unrendered_config": {}, "url": "https://bi.shop.example/dashboards/1",
		"depends_on": {"macros": [], "nodes": ["model.shop.orders", "source.shop.raw.payments", "metric.shop.revenue"]},
		"refs": [{"name": "orders", "package": null, "version": null}],
		"sources": [["raw", "payments"]], "metrics": [["revenue"]]}`)
	if got := obj(t, v, "parent_map")["exposure.shop.weekly_orders"]; !reflect.DeepEqual(got, []any{"model.shop.orders", "source.shop.raw.payments"}) {
		t.Errorf("the exposure's parents are %v", got)
	}
	if got := obj(t, v, "child_map")["model.shop.orders"]; !reflect.DeepEqual(got, []any{"exposure.shop.weekly_orders", "model.shop.finance_report"}) {
		t.Errorf("orders' children are %v", got)
	}
	if _, inNodes := obj(t, v, "nodes")["exposure.shop.weekly_orders"]; inNodes {
		t.Error("the exposure is among the nodes")
	}

	wantJSON(t, "the group", obj(t, v, "groups")["group.shop.finance"], `{
		"name": "finance", "resource_type": "group", "package_name": "shop", "path": "models/marts/schema.yml",
		"original_file_path": "models/marts/schema.yml", "unique_id": "group.shop.finance",
		"owner": {"email": "finance@shop.example", "name": "Finance"},
		"description": "the finance team's models", "config": {"meta": {}}}`)
	wantJSON(t, "group_map", v["group_map"], `{"finance": ["model.shop.finance_report", "model.shop.orders", "model.shop.stg_orders"]}`)
	for id, access := range map[string]string{"model.shop.orders": "public", "model.shop.stg_orders": "private", "model.shop.finance_report": "protected"} {
		n := obj(t, obj(t, v, "nodes"), id)
		if n["access"] != access || n["group"] != "finance" {
			t.Errorf("%s has access %v and group %v, want %s and finance", id, n["access"], n["group"], access)
		}
	}

	sm := obj(t, obj(t, v, "semantic_models"), "semantic_model.shop.orders_sm")
	wantJSON(t, "the semantic model's dependencies", map[string]any{"depends_on": sm["depends_on"], "refs": sm["refs"], "node_relation": sm["node_relation"], "model": sm["model"]}, `{
		"depends_on": {"macros": [], "nodes": ["model.shop.orders"]},
		"refs": [{"name": "orders", "package": null, "version": null}],
		"node_relation": {"alias": "orders", "schema_name": "main", "database": "shop", "relation_name": "\"shop\".\"main\".\"orders\""},
		"model": "ref('orders')"}`)
	wantJSON(t, "the semantic model's measures", sm["measures"], `[{"name": "order_total", "agg": "sum", "expr": "amount"}]`)
	if sm["description"] != "orders as the semantic layer sees them" || sm["resource_type"] != "semantic_model" {
		t.Errorf("the semantic model is %v", sm)
	}

	metrics := obj(t, v, "metrics")
	rev := obj(t, metrics, "metric.shop.revenue")
	wantJSON(t, "revenue's type_params and depends_on", map[string]any{"type": rev["type"], "type_params": rev["type_params"], "depends_on": rev["depends_on"], "label": rev["label"]}, `{
		"type": "simple", "label": "Revenue",
		"type_params": {
			"measure": {"name": "order_total", "filter": null, "alias": null, "join_to_timespine": false, "fill_nulls_with": null},
			"input_measures": [{"name": "order_total", "filter": null, "alias": null, "join_to_timespine": false, "fill_nulls_with": null}]},
		"depends_on": {"macros": [], "nodes": ["semantic_model.shop.orders_sm"]}}`)
	growth := obj(t, metrics, "metric.shop.revenue_growth")
	wantJSON(t, "revenue_growth's depends_on and metrics", map[string]any{"depends_on": growth["depends_on"], "metrics": growth["metrics"]}, `{
		"depends_on": {"macros": [], "nodes": ["metric.shop.revenue"]}, "metrics": [["revenue"]]}`)

	sq := obj(t, obj(t, v, "saved_queries"), "saved_query.shop.revenue_by_day")
	wantJSON(t, "the saved query", map[string]any{"depends_on": sq["depends_on"], "query_params": sq["query_params"], "exports": sq["exports"]}, `{
		"depends_on": {"macros": [], "nodes": ["metric.shop.revenue"]},
		"query_params": {"metrics": ["revenue"], "group_by": ["TimeDimension('order_id__ordered_at', 'day')"]},
		"exports": []}`)

	src := obj(t, obj(t, v, "sources"), "source.shop.raw.payments")
	wantJSON(t, "the source's freshness", map[string]any{"freshness": src["freshness"], "loaded_at_field": src["loaded_at_field"]}, `{
		"loaded_at_field": "loaded_at",
		"freshness": {"warn_after": {"count": 12, "period": "hour"}, "error_after": {"count": 1, "period": "day"}, "filter": null}}`)

	// Every entry keeps to dbt's schema.
	for kind, section := range map[string]string{"exposure": "exposures", "group": "groups", "metric": "metrics", "semantic_model": "semantic_models", "saved_query": "saved_queries"} {
		for id, e := range obj(t, v, section) {
			schematest.CheckKeys(t, id, kind, e.(map[string]any))
		}
	}
	for id, e := range obj(t, v, "sources") {
		schematest.CheckKeys(t, id, "source", e.(map[string]any))
	}
}

// A source without freshness writes dbt's empty thresholds.
func TestManifestSourceWithoutFreshness(t *testing.T) {
	dir := t.TempDir()
	if err := WriteManifest(dir, shop(t, nil), testMeta()); err != nil {
		t.Fatal(err)
	}
	src := obj(t, obj(t, readJSON(t, filepath.Join(dir, "manifest.json")), "sources"), "source.shop.raw.orders")
	wantJSON(t, "freshness", map[string]any{"freshness": src["freshness"], "loaded_at_field": src["loaded_at_field"]}, `{
		"loaded_at_field": null,
		"freshness": {"warn_after": {"count": null, "period": null}, "error_after": {"count": null, "period": null}, "filter": null}}`)
	if b, _ := json.Marshal(src); strings.Contains(string(b), `"freshness":null`) {
		t.Error("freshness is null")
	}
}

package artifact

import (
	"reflect"
	"testing"
)

// The graph context variable holds manifest.json's entries, with whole
// numbers as int.
func TestFlatGraph(t *testing.T) {
	g := FlatGraph(semanticProject(t))
	for _, k := range []string{"nodes", "sources", "exposures", "metrics", "groups", "semantic_models", "saved_queries", "unit_tests"} {
		if _, ok := g[k].(map[string]any); !ok {
			t.Errorf("graph.%s is %T", k, g[k])
		}
	}
	nodes := g["nodes"].(map[string]any)
	orders, _ := nodes["model.shop.orders"].(map[string]any)
	if orders["resource_type"] != "model" || orders["name"] != "orders" || orders["package_name"] != "shop" || orders["access"] != "public" {
		t.Errorf("graph.nodes['model.shop.orders'] is %v", orders)
	}
	if deps := orders["depends_on"].(map[string]any)["nodes"]; !reflect.DeepEqual(deps, []any{"model.shop.stg_orders"}) {
		t.Errorf("orders depends on %v", deps)
	}
	if cfg := orders["config"].(map[string]any); cfg["materialized"] != "view" || cfg["group"] != "finance" {
		t.Errorf("orders' config is %v", cfg)
	}
	src := g["sources"].(map[string]any)["source.shop.raw.payments"].(map[string]any)
	if n := src["freshness"].(map[string]any)["warn_after"].(map[string]any)["count"]; n != 12 {
		t.Errorf("freshness count is %#v, want int 12", n)
	}
	if e := g["exposures"].(map[string]any)["exposure.shop.weekly_orders"].(map[string]any); e["type"] != "dashboard" {
		t.Errorf("the exposure is %v", e)
	}
	if len(nodes) != 3 {
		t.Errorf("graph.nodes has %d entries, want the 3 models", len(nodes))
	}
}

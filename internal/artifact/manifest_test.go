package artifact

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/graph"
)

func TestManifestTopLevel(t *testing.T) {
	dir := t.TempDir()
	m := shop(t, nil)
	if err := WriteManifest(dir, m, testMeta()); err != nil {
		t.Fatal(err)
	}
	v := readJSON(t, filepath.Join(dir, "manifest.json"))
	kv := readJSON(t, filepath.Join(dir, KilnManifestFile))

	// Every key dbt's manifest v12 requires; kiln's in kiln_manifest.json.
	for _, k := range []string{"metadata", "nodes", "sources", "macros", "docs", "exposures", "metrics", "groups",
		"selectors", "disabled", "parent_map", "child_map", "group_map", "saved_queries", "semantic_models",
		"unit_tests"} {
		if _, ok := v[k]; !ok {
			t.Errorf("missing top-level key %q", k)
		}
	}
	eq(t, "exposures", v["exposures"], map[string]any{})
	eq(t, "metadata", v["metadata"], map[string]any{
		"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
		"generated_at":       "2025-01-31T02:00:00.123456Z",
		"invocation_id":      "5f0c8a4e-0000-4000-8000-000000000001",
		"project_name":       "shop",
		"adapter_type":       "duckdb",
	})
	eq(t, "kiln metadata", kv["metadata"], map[string]any{
		"kiln_version":  "0.1.0-test",
		"generated_at":  "2025-01-31T02:00:00.123456Z",
		"invocation_id": "5f0c8a4e-0000-4000-8000-000000000001",
	})
	eq(t, "kiln.inputs", obj(t, kv, "kiln", "inputs"), testInputs)
	for _, k := range []string{"exports", "kiln"} {
		if _, ok := v[k]; ok {
			t.Errorf("manifest.json has kiln's key %q", k)
		}
	}

	// Models, seeds and tests are under nodes; sources and exports apart.
	var nodes, sources, exports []string
	for _, n := range m.Graph.Nodes() {
		switch n.Kind {
		case graph.Source:
			sources = append(sources, string(n.ID))
		case graph.Export:
			exports = append(exports, string(n.ID))
		default:
			nodes = append(nodes, string(n.ID))
		}
	}
	for name, want := range map[string][]string{"nodes": nodes, "sources": sources, "exports": exports} {
		in := v
		if name == "exports" {
			in = kv
		}
		got := keysOf(obj(t, in, name))
		sort.Strings(got)
		sort.Strings(want)
		eq(t, name+" keys", got, want)
	}
	if len(nodes) != 10 || len(sources) != 2 || len(exports) != 1 {
		t.Errorf("got %d nodes, %d sources, %d exports; want 10, 2, 1", len(nodes), len(sources), len(exports))
	}
}

func TestManifestParentChildMaps(t *testing.T) {
	dir := t.TempDir()
	m := shop(t, nil)
	if err := WriteManifest(dir, m, testMeta()); err != nil {
		t.Fatal(err)
	}
	v := readJSON(t, filepath.Join(dir, "manifest.json"))
	parents, children := obj(t, v, "parent_map"), obj(t, v, "child_map")
	if len(parents) != m.Graph.Len() || len(children) != m.Graph.Len() {
		t.Fatalf("parent_map has %d keys, child_map %d; want %d", len(parents), len(children), m.Graph.Len())
	}
	inverse := map[string][]any{}
	for _, n := range m.Graph.Nodes() {
		want := []string{}
		for _, p := range n.DependsOn {
			want = append(want, string(p))
		}
		eq(t, "parent_map["+string(n.ID)+"]", parents[string(n.ID)], want)
		inverse[string(n.ID)] = []any{}
	}
	for id, ps := range parents {
		for _, p := range ps.([]any) {
			inverse[p.(string)] = append(inverse[p.(string)], id)
		}
	}
	for id, cs := range inverse {
		sort.Slice(cs, func(i, j int) bool { return cs[i].(string) < cs[j].(string) })
		eq(t, "child_map["+id+"]", children[id], cs)
	}
	eq(t, "parent_map of revenue", parents["model.shop.revenue"],
		[]string{"model.shop.stg_customers", "model.shop.stg_orders", "seed.shop.countries"})
	eq(t, "child_map of orders", children["source.shop.raw.orders"],
		[]string{"model.shop.stg_orders", "test.shop.source_not_null_raw_orders_id.f232a64478"})
}

func TestManifestModel(t *testing.T) {
	dir := t.TempDir()
	m := shop(t, nil)
	if err := WriteManifest(dir, m, testMeta()); err != nil {
		t.Fatal(err)
	}
	v := readJSON(t, filepath.Join(dir, "manifest.json"))

	stg := obj(t, v, "nodes", "model.shop.stg_orders")
	file := string(m.Project.Files["models/staging/stg_orders.sql"])
	for k, want := range map[string]any{
		"unique_id":          "model.shop.stg_orders",
		"resource_type":      "model",
		"name":               "stg_orders",
		"package_name":       "shop",
		"path":               "staging/stg_orders.sql",
		"original_file_path": "models/staging/stg_orders.sql",
		"fqn":                []string{"shop", "staging", "stg_orders"},
		"alias":              "stg_orders",
		"schema":             "staging",
		"database":           nil,
		"checksum":           map[string]any{"name": "sha256", "checksum": sha(file)},
		"tags":               []string{"stg"},
		"depends_on":         map[string]any{"nodes": []string{"source.shop.raw.orders"}, "macros": []string{"macro.shop.cents"}},
		"refs":               []any{},
		"sources":            [][]string{{"raw", "orders"}},
		"raw_code":           file,
		"compiled":           true,
		"language":           "sql",
		"relation_name":      `"staging"."stg_orders"`,
		"compiled_code":      "select id, customer_id, (amount * 100) as amount_cents\nfrom \"raw\".\"orders\"\n",
	} {
		eq(t, "stg_orders."+k, stg[k], want)
	}
	if file == "" {
		t.Fatal("project file not found")
	}
	eq(t, "stg_orders.config", stg["config"], map[string]any{
		"enabled": true, "materialized": "view", "schema": "staging", "alias": nil, "tags": []string{"stg"}, "meta": map[string]any{},
		"pre-hook": []any{}, "post-hook": []any{}, // dbt's: every model has its (empty) lists of hooks
	})

	rev := obj(t, v, "nodes", "model.shop.revenue")
	eq(t, "revenue.refs", rev["refs"], []map[string]any{
		{"name": "stg_orders", "package": nil, "version": nil},
		{"name": "stg_customers", "package": nil, "version": nil},
		{"name": "countries", "package": nil, "version": nil},
	})
	eq(t, "revenue.config.contract", obj(t, rev, "config")["contract"], map[string]any{"enforced": true})
	eq(t, "revenue.meta", rev["meta"], map[string]any{"owner": "finance"})
	eq(t, "revenue.columns.revenue", obj(t, rev, "columns", "revenue"), map[string]any{
		"name": "revenue", "description": "in euros", "meta": map[string]any{}, "data_type": "double",
		"constraints": []any{}, "quote": nil, "tags": []any{},
	})
	// Columns keep their declaration order: revenue, then id.
	data, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	block := data[bytes.Index(data, []byte(`"unique_id": "model.shop.revenue"`)):]
	if r, i := bytes.Index(block, []byte(`"revenue": {`)), bytes.Index(block, []byte(`"id": {`)); r < 0 || i < 0 || r > i {
		t.Errorf("columns of revenue are not in declaration order (revenue at %d, id at %d)", r, i)
	}

	cust := obj(t, v, "nodes", "model.shop.stg_customers")
	eq(t, "stg_customers.alias", cust["alias"], "customers")
	eq(t, "stg_customers.relation_name", cust["relation_name"], `"staging"."customers"`)

	// Disabled nodes are kept apart, with their config.
	dis := v["disabled"].(map[string]any)["model.shop.old_report"].([]any)
	if len(dis) != 1 {
		t.Fatalf("disabled old_report: %v", dis)
	}
	eq(t, "disabled.config.enabled", obj(t, dis[0], "config")["enabled"], false)
	if _, ok := obj(t, v, "nodes")["model.shop.old_report"]; ok {
		t.Error("disabled model is in nodes")
	}
}

func TestManifestSeedSourceExportMacro(t *testing.T) {
	dir := t.TempDir()
	m := shop(t, nil)
	if err := WriteManifest(dir, m, testMeta()); err != nil {
		t.Fatal(err)
	}
	v := readJSON(t, filepath.Join(dir, "manifest.json"))

	seed := obj(t, v, "nodes", "seed.shop.countries")
	eq(t, "seed.path", seed["path"], "countries.csv")
	eq(t, "seed.relation_name", seed["relation_name"], `"main"."countries"`)
	eq(t, "seed.checksum", seed["checksum"], map[string]any{"name": "sha256", "checksum": sha("country\nFR\n")})
	eq(t, "seed.depends_on", seed["depends_on"], map[string]any{"macros": []any{}})
	for _, k := range []string{"refs", "compiled_code", "language", "sources"} {
		if _, ok := seed[k]; ok {
			t.Errorf("seed has %q, which dbt's seed schema does not allow", k)
		}
	}

	src := obj(t, v, "sources", "source.shop.raw.orders")
	for k, want := range map[string]any{
		"unique_id": "source.shop.raw.orders", "resource_type": "source", "source_name": "raw", "name": "orders",
		"identifier": "orders", "schema": "raw", "loader": "excel", "description": "ERP orders",
		"source_description": "the monthly exports", "relation_name": `"raw"."orders"`,
		"path": "models/staging/sources.yml", "original_file_path": "models/staging/sources.yml",
		"fqn": []string{"shop", "staging", "raw", "orders"},
		"external": map[string]any{
			"location": "data/raw/orders.xlsx", "format": "xlsx", "sheet": "Sheet1",
			"column_types": map[string]any{"id": "INTEGER"},
		},
	} {
		eq(t, "source."+k, src[k], want)
	}
	eq(t, "source.columns.id.name", obj(t, src, "columns", "id")["name"], "id")
	eq(t, "customers.external.sheet", obj(t, v, "sources", "source.shop.raw.customers", "external")["sheet"], nil)

	exp := obj(t, readJSON(t, filepath.Join(dir, KilnManifestFile)), "exports", "export.shop.monthly")
	for k, want := range map[string]any{
		"resource_type": "export", "format": "xlsx", "path": "exports/monthly.xlsx",
		"original_file_path": "models/marts/schema.yml",
		"sheets": []map[string]any{
			{"name": "Revenue", "model": "model.shop.revenue", "order_by": "id"},
			{"name": "Customers", "model": "model.shop.stg_customers"},
		},
		"depends_on": map[string]any{"nodes": []string{"model.shop.revenue", "model.shop.stg_customers"}, "macros": []any{}},
	} {
		eq(t, "export."+k, exp[k], want)
	}

	macros := obj(t, v, "macros")
	cents := obj(t, macros, "macro.shop.cents")
	eq(t, "cents.original_file_path", cents["original_file_path"], "macros/cents.sql")
	eq(t, "cents.macro_sql", cents["macro_sql"], "{% macro cents(col) %}({{ col }} * 100){% endmacro %}")
	unique := obj(t, macros, "macro.dbt.test_unique") // dbt's own test, under dbt's package
	eq(t, "test_unique.package_name", unique["package_name"], "dbt")
	eq(t, "test_unique.original_file_path", unique["original_file_path"], "<builtin>/tests.sql")
	eq(t, "row_count.package_name", obj(t, macros, "macro.kiln.test_row_count")["package_name"], "kiln") // kiln's own
	if sql, _ := unique["macro_sql"].(string); !strings.HasPrefix(sql, "{% test unique(") || !strings.HasSuffix(sql, "{% endtest %}") {
		t.Errorf("test_unique.macro_sql = %q", sql)
	}
}

func TestManifestTests(t *testing.T) {
	dir := t.TempDir()
	m := shop(t, nil)
	if err := WriteManifest(dir, m, testMeta()); err != nil {
		t.Fatal(err)
	}
	v := readJSON(t, filepath.Join(dir, "manifest.json"))
	nodes := obj(t, v, "nodes")
	byName := map[string]map[string]any{}
	for _, n := range nodes {
		n := n.(map[string]any)
		if n["resource_type"] == "test" {
			byName[n["name"].(string)] = n
		}
	}

	u := byName["unique_revenue_id"]
	if u == nil {
		t.Fatalf("no unique test; tests: %v", byName)
	}
	for k, want := range map[string]any{
		"path":               "unique_revenue_id.sql",
		"original_file_path": "models/marts/schema.yml",
		"column_name":        "id",
		"attached_node":      "model.shop.revenue",
		"relation_name":      nil,
		"compiled":           true,
		"test_metadata": map[string]any{"name": "unique", "namespace": nil, "kwargs": map[string]any{
			"column_name": "id", "model": "{{ get_where_subquery(ref('revenue')) }}",
		}},
		"depends_on": map[string]any{"nodes": []string{"model.shop.revenue"}, "macros": []string{"macro.dbt.test_unique"}}, // dbt's parser renders no unique test
		"raw_code":   "{{ test_unique(**_dbt_generic_test_kwargs) }}",
	} {
		eq(t, "unique."+k, u[k], want)
	}
	eq(t, "unique.config.severity", obj(t, u, "config")["severity"], "error")
	eq(t, "unique.config.materialized", obj(t, u, "config")["materialized"], "test")
	id := u["unique_id"].(string)
	eq(t, "unique.checksum", u["checksum"], map[string]any{"name": "sha256", "checksum": m.Graph.Node(graph.ID(id)).Checksum})

	av := byName["accepted_values_revenue_revenue__False__1__2"]
	eq(t, "accepted_values.kwargs", obj(t, av, "test_metadata", "kwargs"), map[string]any{
		"values": []any{1, 2}, "quote": false, "column_name": "revenue", "model": "{{ get_where_subquery(ref('revenue')) }}",
	})
	eq(t, "accepted_values.config.severity", obj(t, av, "config")["severity"], "warn")

	rel := byName["relationships_revenue_id__id__ref_stg_customers_"]
	eq(t, "relationships.kwargs.to", obj(t, rel, "test_metadata", "kwargs")["to"], "ref('stg_customers')")
	eq(t, "relationships.kwargs.field", obj(t, rel, "test_metadata", "kwargs")["field"], "id")
	eq(t, "relationships.depends_on.nodes", obj(t, rel, "depends_on")["nodes"], []string{"model.shop.revenue", "model.shop.stg_customers"})

	src := byName["source_not_null_raw_orders_id"]
	eq(t, "source test kwargs.model", obj(t, src, "test_metadata", "kwargs")["model"], "{{ get_where_subquery(source('raw', 'orders')) }}")
	eq(t, "source test attached_node", src["attached_node"], "source.shop.raw.orders")

	sing := byName["assert_revenue_positive"]
	eq(t, "singular.path", sing["path"], "assert_revenue_positive.sql")
	eq(t, "singular.refs", sing["refs"], []map[string]any{{"name": "revenue", "package": nil, "version": nil}})
	for _, k := range []string{"test_metadata", "column_name", "attached_node"} {
		if _, ok := sing[k]; ok {
			t.Errorf("singular test has %q, which dbt's singular test schema does not allow", k)
		}
	}
}

// TestManifestDeterministic compiles the project twice and writes both
// with the same metadata: the files are byte-identical.
func TestManifestDeterministic(t *testing.T) {
	var files [2][]byte
	for i := range files {
		dir := t.TempDir()
		if err := WriteManifest(dir, shop(t, nil), testMeta()); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		files[i] = data
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatal("two writes of the same manifest differ")
	}
	if !bytes.HasPrefix(files[0], []byte("{\n  \"metadata\": {\n    \"dbt_schema_version\"")) || !bytes.HasSuffix(files[0], []byte("}\n")) {
		t.Errorf("manifest is not indented with two spaces: %.60q", files[0])
	}
}

// TestPlainValues checks that values a template engine hands over (here, a
// struct pointer standing for a gonja dict) are written as text instead of
// failing the write.
func TestPlainValues(t *testing.T) {
	type dict struct{ Pairs []string }
	m := shop(t, nil)
	n := m.Graph.Node("model.shop.revenue")
	saved := n.Config.Extra
	defer func() { n.Config.Extra = saved }()
	n.Config.Extra = map[string]any{"persist_docs": &dict{Pairs: []string{"a"}}, "weird": map[int]any{1: []int{2}}, "nil": (*dict)(nil)}
	dir := t.TempDir()
	if err := WriteManifest(dir, m, testMeta()); err != nil {
		t.Fatal(err)
	}
	cfg := obj(t, readJSON(t, filepath.Join(dir, "manifest.json")), "nodes", "model.shop.revenue", "config")
	eq(t, "persist_docs", cfg["persist_docs"], "&{[a]}")
	eq(t, "weird", cfg["weird"], map[string]any{"1": []int{2}})
	eq(t, "nil", cfg["nil"], nil)
}

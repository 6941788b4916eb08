package schematest

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// The property names dbt's JSON schemas allow for each kind of object,
// and those they require (https://schemas.getdbt.com/dbt/manifest/v12.json,
// https://schemas.getdbt.com/dbt/run-results/v6.json). Most objects there
// have additionalProperties: false, so strict readers (dbt-artifacts
// parsers, pydantic models generated from the schemas) reject other keys:
// nothing else may appear.
var (
	nodeCommon = "database schema name resource_type package_name path original_file_path unique_id fqn alias " +
		"checksum config tags description columns meta group docs patch_path build_path unrendered_config " +
		"created_at config_call_dict unrendered_config_call_dict relation_name raw_code doc_blocks depends_on"
	sqlNode = nodeCommon + " language refs sources metrics functions compiled_path compiled compiled_code " +
		"extra_ctes_injected extra_ctes _pre_injected_sql contract"
	allowedKeys = map[string]string{
		"seed":           nodeCommon + " root_path defer_relation",
		"model":          sqlNode + " access constraints version latest_version deprecation_date defer_relation primary_key time_spine",
		"snapshot":       sqlNode + " defer_relation",
		"singular":       sqlNode,
		"generic":        sqlNode + " column_name file_key_name attached_node test_metadata",
		"source":         "database schema name resource_type package_name path original_file_path unique_id fqn source_name source_description loader identifier quoting loaded_at_field loaded_at_query freshness external description columns meta source_meta tags config patch_path unrendered_config relation_name created_at unrendered_database unrendered_schema doc_blocks",
		"macro":          "name resource_type package_name path original_file_path unique_id macro_sql depends_on description meta docs config patch_path arguments created_at supported_languages",
		"doc":            "name resource_type package_name path original_file_path unique_id block_contents",
		"unit_test":      "model given expect name resource_type package_name path original_file_path unique_id fqn description overrides depends_on config checksum schema created_at versions version",
		"exposure":       "name resource_type package_name path original_file_path unique_id fqn type owner description label maturity meta tags config unrendered_config url depends_on refs sources metrics created_at",
		"group":          "name resource_type package_name path original_file_path unique_id owner description config",
		"metric":         "name resource_type package_name path original_file_path unique_id fqn description label type type_params filter metadata time_granularity meta tags config unrendered_config sources depends_on refs metrics created_at group",
		"semantic_model": "name resource_type package_name path original_file_path unique_id fqn model node_relation description label defaults entities measures dimensions metadata depends_on refs created_at config unrendered_config primary_entity group",
		"saved_query":    "name resource_type package_name path original_file_path unique_id fqn query_params exports description label metadata config unrendered_config group depends_on created_at refs tags",
		"manifestMeta":   "dbt_schema_version dbt_version generated_at invocation_id invocation_started_at env project_name project_id user_id send_anonymous_usage_stats adapter_type quoting run_started_at",
		"manifest":       "metadata nodes sources macros docs exposures metrics groups selectors disabled parent_map child_map group_map saved_queries semantic_models unit_tests",
		"result":         "status timing thread_id execution_time adapter_response message failures unique_id compiled compiled_code relation_name batch_results",
		"runResults":     "metadata results elapsed_time args",
		"runMeta":        "dbt_schema_version dbt_version generated_at invocation_id env",
	}
	nodeRequired = "database schema name resource_type package_name path original_file_path unique_id fqn alias checksum"
	requiredKeys = map[string]string{
		"seed":           nodeRequired,
		"model":          nodeRequired,
		"snapshot":       nodeRequired,
		"singular":       nodeRequired,
		"generic":        nodeRequired,
		"source":         "database schema name resource_type package_name path original_file_path unique_id fqn source_name source_description loader identifier",
		"macro":          "name resource_type package_name path original_file_path unique_id macro_sql",
		"doc":            "name resource_type package_name path original_file_path unique_id block_contents",
		"unit_test":      "model given expect name resource_type package_name path original_file_path unique_id fqn",
		"exposure":       "name resource_type package_name path original_file_path unique_id fqn type owner",
		"group":          "name resource_type package_name path original_file_path unique_id owner",
		"metric":         "name resource_type package_name path original_file_path unique_id fqn description label type type_params",
		"semantic_model": "name resource_type package_name path original_file_path unique_id fqn model",
		"saved_query":    "name resource_type package_name path original_file_path unique_id fqn query_params exports",
		"manifestMeta":   "dbt_schema_version",
		"manifest":       "metadata nodes sources macros docs exposures metrics groups selectors disabled parent_map child_map group_map saved_queries semantic_models unit_tests",
		"result":         "status timing thread_id execution_time adapter_response message failures unique_id compiled compiled_code relation_name",
		"runResults":     "metadata results elapsed_time",
		"runMeta":        "dbt_schema_version",
	}
)

// CheckKeys fails t when object v of the given kind (a key of the lists
// above: "model", "generic", "result", ...) has a key dbt's schema does
// not allow there, or lacks one it requires; what names v in the message.
func CheckKeys(t testing.TB, what, kind string, v map[string]any) {
	t.Helper()
	if _, ok := allowedKeys[kind]; !ok {
		t.Errorf("%s: kind %q is not in dbt's schemas", what, kind)
		return
	}
	allowed := map[string]bool{}
	for _, k := range strings.Fields(allowedKeys[kind]) {
		allowed[k] = true
	}
	var extra []string
	for k := range v {
		if !allowed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("%s (%s) has keys dbt's schema does not allow: %v", what, kind, extra)
	}
	for _, k := range strings.Fields(requiredKeys[kind]) {
		if _, ok := v[k]; !ok {
			t.Errorf("%s (%s) lacks required key %q", what, kind, k)
		}
	}
}

// nodeKind is the kind of a manifest node for CheckKeys: its
// resource_type, tests told apart ("singular", "generic").
func nodeKind(n map[string]any) string {
	kind, _ := n["resource_type"].(string)
	if kind == "test" {
		kind = "singular"
		if _, ok := n["test_metadata"]; ok {
			kind = "generic"
		}
	}
	return kind
}

// CheckManifest fails t unless data, a manifest.json, follows the schema
// at schemaPath (a hand-written part of dbt's v12) and has, in each of
// its objects (the manifest, its metadata, every node, disabled node,
// source, macro, doc, exposure, unit test, group, metric, semantic model
// and saved query), only keys dbt's v12 schema allows there and all it
// requires. It returns the kinds of object it saw.
func CheckManifest(t testing.TB, schemaPath string, data []byte) map[string]bool {
	t.Helper()
	Validate(t, schemaPath, data)
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	CheckKeys(t, "manifest", "manifest", v)
	meta, _ := v["metadata"].(map[string]any)
	CheckKeys(t, "metadata", "manifestMeta", meta)
	seen := map[string]bool{}
	section := func(name, kind string) {
		entries, _ := v[name].(map[string]any)
		for id, e := range entries {
			n, _ := e.(map[string]any)
			k := kind
			if k == "" {
				k = nodeKind(n)
			}
			seen[k] = true
			CheckKeys(t, name+" "+id, k, n)
		}
	}
	section("nodes", "")
	section("sources", "source")
	section("macros", "macro")
	section("docs", "doc")
	section("exposures", "exposure")
	section("unit_tests", "unit_test")
	section("groups", "group")
	section("metrics", "metric")
	section("semantic_models", "semantic_model")
	section("saved_queries", "saved_query")
	disabled, _ := v["disabled"].(map[string]any)
	for id, list := range disabled {
		items, _ := list.([]any)
		for _, e := range items {
			n, _ := e.(map[string]any)
			kind := nodeKind(n)
			seen["disabled "+kind] = true
			CheckKeys(t, "disabled "+id, kind, n)
		}
	}
	return seen
}

// CheckRunResults fails t unless data, a run_results.json, follows the
// schema at schemaPath (dbt's run results v6, hand-written) and has only
// the keys dbt's v6 allows in the artifact, its metadata and each result.
// It returns the results by unique_id.
func CheckRunResults(t testing.TB, schemaPath string, data []byte) map[string]map[string]any {
	t.Helper()
	Validate(t, schemaPath, data)
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("run_results.json: %v", err)
	}
	CheckKeys(t, "run results", "runResults", v)
	meta, _ := v["metadata"].(map[string]any)
	CheckKeys(t, "metadata", "runMeta", meta)
	out := map[string]map[string]any{}
	results, _ := v["results"].([]any)
	for _, r := range results {
		m, _ := r.(map[string]any)
		id, _ := m["unique_id"].(string)
		CheckKeys(t, "result "+id, "result", m)
		out[id] = m
	}
	return out
}

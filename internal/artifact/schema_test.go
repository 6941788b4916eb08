package artifact

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/testenv/schematest"
)

// The property names dbt's JSON schemas allow, and those they require
// (https://schemas.getdbt.com/dbt/manifest/v12.json,
// https://schemas.getdbt.com/dbt/run-results/v6.json). Most objects there
// have additionalProperties: false, so strict readers reject other keys;
// kiln's extensions are listed apart, and nothing else may appear.
var (
	nodeCommon = "database schema name resource_type package_name path original_file_path unique_id fqn alias " +
		"checksum config tags description columns meta group docs patch_path build_path unrendered_config " +
		"created_at config_call_dict unrendered_config_call_dict relation_name raw_code doc_blocks depends_on"
	sqlNode = nodeCommon + " language refs sources metrics functions compiled_path compiled compiled_code " +
		"extra_ctes_injected extra_ctes _pre_injected_sql contract"
	schemaKeys = map[string]string{
		"seed":           nodeCommon + " root_path defer_relation",
		"model":          sqlNode + " access constraints version latest_version deprecation_date defer_relation primary_key time_spine",
		"singular":       sqlNode,
		"generic":        sqlNode + " column_name file_key_name attached_node test_metadata",
		"source":         "database schema name resource_type package_name path original_file_path unique_id fqn source_name source_description loader identifier quoting loaded_at_field loaded_at_query freshness external description columns meta source_meta tags config patch_path unrendered_config relation_name created_at unrendered_database unrendered_schema doc_blocks",
		"macro":          "name resource_type package_name path original_file_path unique_id macro_sql depends_on description meta docs config patch_path arguments created_at supported_languages",
		"exposure":       "name resource_type package_name path original_file_path unique_id fqn type owner description label maturity meta tags config unrendered_config url depends_on refs sources metrics created_at",
		"group":          "name resource_type package_name path original_file_path unique_id owner description config",
		"metric":         "name resource_type package_name path original_file_path unique_id fqn description label type type_params filter metadata time_granularity meta tags config unrendered_config sources depends_on refs metrics created_at group",
		"semantic_model": "name resource_type package_name path original_file_path unique_id fqn model node_relation description label defaults entities measures dimensions metadata depends_on refs created_at config unrendered_config primary_entity group",
		"saved_query":    "name resource_type package_name path original_file_path unique_id fqn query_params exports description label metadata config unrendered_config group depends_on created_at refs tags",
		"manifestMeta":   "dbt_schema_version dbt_version generated_at invocation_id invocation_started_at env project_name project_id user_id send_anonymous_usage_stats adapter_type quoting run_started_at",
		"manifest":       "metadata nodes sources macros docs exposures metrics groups selectors disabled parent_map child_map group_map saved_queries semantic_models unit_tests",
		"result":         "status timing thread_id execution_time adapter_response message failures unique_id compiled compiled_code relation_name batch_results",
		"runResults":     "metadata results elapsed_time args",
		"runMeta":        "dbt_schema_version dbt_version generated_at invocation_id invocation_started_at env",
	}
	requiredKeys = map[string]string{
		"seed":           "database schema name resource_type package_name path original_file_path unique_id fqn alias checksum",
		"source":         "database schema name resource_type package_name path original_file_path unique_id fqn source_name source_description loader identifier",
		"macro":          "name resource_type package_name path original_file_path unique_id macro_sql",
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
	// kiln's documented additions.
	extensionKeys = map[string]string{
		"manifest":     "exports kiln",
		"manifestMeta": "kiln_version",
		"result":       "expected actual rows skipped_by attempts gates",
	}
)

func checkKeys(t *testing.T, what, kind string, v map[string]any) {
	t.Helper()
	allowed := map[string]bool{}
	for _, k := range strings.Fields(schemaKeys[kind] + " " + extensionKeys[kind]) {
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
		t.Errorf("%s has keys dbt's schema does not allow: %v", what, extra)
	}
	req := requiredKeys[kind]
	switch kind {
	case "model", "singular", "generic":
		req = requiredKeys["seed"]
	}
	for _, k := range strings.Fields(req) {
		if _, ok := v[k]; !ok {
			t.Errorf("%s lacks required key %q", what, k)
		}
	}
}

// readBytes returns the contents of the file at path.
func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestManifestFollowsDBTSchema holds manifest.json to the keys dbt's
// schema allows and requires, and to testdata/dbt-manifest-v12.schema.json
// (the part of dbt's v12 JSON schema tools read first: macros, hooks,
// depends_on, docs).
func TestManifestFollowsDBTSchema(t *testing.T) {
	dir := t.TempDir()
	if err := WriteManifest(dir, shop(t, nil), testMeta()); err != nil {
		t.Fatal(err)
	}
	schematest.Validate(t, filepath.Join("testdata", "dbt-manifest-v12.schema.json"), readBytes(t, filepath.Join(dir, "manifest.json")))
	v := readJSON(t, filepath.Join(dir, "manifest.json"))
	checkKeys(t, "manifest", "manifest", v)
	checkKeys(t, "metadata", "manifestMeta", obj(t, v, "metadata"))
	kinds := map[string]bool{}
	check := func(id string, n map[string]any) {
		kind := n["resource_type"].(string)
		if kind == "test" {
			kind = "singular"
			if _, ok := n["test_metadata"]; ok {
				kind = "generic"
			}
		}
		kinds[kind] = true
		checkKeys(t, id, kind, n)
	}
	for id, n := range obj(t, v, "nodes") {
		check(id, n.(map[string]any))
	}
	for id, list := range obj(t, v, "disabled") {
		for _, n := range list.([]any) {
			check("disabled "+id, n.(map[string]any))
		}
	}
	for id, n := range obj(t, v, "sources") {
		checkKeys(t, id, "source", n.(map[string]any))
	}
	for id, n := range obj(t, v, "macros") {
		checkKeys(t, id, "macro", n.(map[string]any))
	}
	for _, k := range []string{"seed", "model", "singular", "generic"} {
		if !kinds[k] {
			t.Errorf("the fixture has no %s node", k)
		}
	}
}

func TestRunResultsFollowDBTSchema(t *testing.T) {
	dir := t.TempDir()
	if err := WriteRunResults(dir, testResults(), testRunMeta(t)); err != nil {
		t.Fatal(err)
	}
	v := readJSON(t, filepath.Join(dir, "run_results.json"))
	checkKeys(t, "run results", "runResults", v)
	checkKeys(t, "metadata", "runMeta", obj(t, v, "metadata"))
	for i, r := range v["results"].([]any) {
		checkKeys(t, "result "+string(rune('0'+i)), "result", r.(map[string]any))
	}
}

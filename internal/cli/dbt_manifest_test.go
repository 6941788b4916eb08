package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/testenv/schematest"
)

// manifestSchema is the part of dbt's manifest v12 JSON schema that kiln's
// tests hold manifest.json to.
var manifestSchema = filepath.Join(repoRoot, "internal", "artifact", "testdata", "dbt-manifest-v12.schema.json")

// dbtManifest is the part of manifest.json these tests read.
type dbtManifest struct {
	Nodes  map[string]map[string]any `json:"nodes"`
	Macros map[string]map[string]any `json:"macros"`
}

// readManifest reads dir/target/manifest.json, checks it against
// manifestSchema, and checks that every macro a node depends on is listed
// under macros (a tool that follows depends_on.macros looks them up there).
func readManifest(t *testing.T, dir string) dbtManifest {
	t.Helper()
	data := readFile(t, filepath.Join(dir, "target", "manifest.json"))
	schematest.Validate(t, manifestSchema, data)
	var m dbtManifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for id, n := range m.Nodes {
		deps, _ := n["depends_on"].(map[string]any)
		macros, _ := deps["macros"].([]any)
		for _, mac := range macros {
			if _, ok := m.Macros[mac.(string)]; !ok {
				t.Errorf("%s depends on %s, which manifest.json's macros lack", id, mac)
			}
		}
	}
	return m
}

// macrosOf is node id's depends_on.macros.
func macrosOf(t *testing.T, m dbtManifest, id string) []string {
	t.Helper()
	n, ok := m.Nodes[id]
	if !ok {
		t.Fatalf("manifest.json has no node %s", id)
	}
	var out []string
	for _, v := range n["depends_on"].(map[string]any)["macros"].([]any) {
		out = append(out, v.(string))
	}
	return out
}

// TestManifestMacrosJaffleShop: jaffle_shop_duckdb's manifest.json, checked
// against dbt manifest v12's schema, gives its generic tests the
// depends_on.macros dbt writes for them (dbt's own test macro under dbt's
// package, then get_where_subquery but for not_null and unique, which
// dbt's parser does not render: kiln wrote macro.kiln.test_*) and refs
// (kiln wrote none),
// its models none (they call no macro), and lists dbt's test macros under
// their unique_ids; kiln ls --output json prints each node's whole config
// and depends_on as manifest.json has them (ls printed four keys of the
// config).
func TestManifestMacrosJaffleShop(t *testing.T) {
	dir := dbtProject(t, "jaffle_shop_duckdb")
	mustKiln(t, 0, dir, "compile")
	m := readManifest(t, dir)
	for id, want := range map[string][]string{
		"test.jaffle_shop.not_null_customers_customer_id.5c9bf9911d":                                                      {"macro.dbt.test_not_null"},
		"test.jaffle_shop.unique_orders_order_id.fed79b3a6e":                                                              {"macro.dbt.test_unique"},
		"test.jaffle_shop.relationships_orders_customer_id__customer_id__ref_customers_.c6ec7f58f2":                       {"macro.dbt.test_relationships", "macro.dbt.get_where_subquery"},
		"test.jaffle_shop.accepted_values_orders_status__placed__shipped__completed__return_pending__returned.be6b5b5ec3": {"macro.dbt.test_accepted_values", "macro.dbt.get_where_subquery"},
		"model.jaffle_shop.customers":  nil,
		"model.jaffle_shop.stg_orders": nil,
	} {
		if got := macrosOf(t, m, id); !reflect.DeepEqual(got, want) {
			t.Errorf("%s depends on macros %q, want dbt's %q", id, got, want)
		}
	}
	// A generic test's refs: its arguments', then its model's (dbt's
	// not_null and unique: the model's alone); kiln listed none.
	ref := func(name string) any { return map[string]any{"name": name, "package": nil, "version": nil} }
	for id, want := range map[string][]any{
		"test.jaffle_shop.relationships_orders_customer_id__customer_id__ref_customers_.c6ec7f58f2": {ref("customers"), ref("orders")},
		"test.jaffle_shop.not_null_customers_customer_id.5c9bf9911d":                                {ref("customers")},
	} {
		if got := m.Nodes[id]["refs"]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: refs %v, want dbt's %v", id, got, want)
		}
	}
	for _, id := range []string{"macro.dbt.test_not_null", "macro.dbt.test_unique", "macro.dbt.test_accepted_values", "macro.dbt.test_relationships", "macro.dbt.get_where_subquery"} {
		if got := m.Macros[id]["package_name"]; got != "dbt" {
			t.Errorf("%s: package_name %v, want dbt", id, got)
		}
	}
	if _, ok := m.Macros["macro.kiln.test_not_null"]; ok {
		t.Error("manifest.json lists macro.kiln.test_not_null; dbt's test is macro.dbt.test_not_null")
	}

	code, out, errOut := kiln(t, dir, "ls", "--output", "json")
	if code != 0 {
		t.Fatalf("kiln ls: exit %d\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, line := range lines {
		var ls map[string]any
		if err := json.Unmarshal([]byte(line), &ls); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		id := ls["unique_id"].(string)
		n, ok := m.Nodes[id]
		if !ok {
			t.Fatalf("ls lists %s, which manifest.json's nodes lack", id)
		}
		for _, k := range []string{"config", "depends_on"} {
			if !reflect.DeepEqual(ls[k], n[k]) {
				t.Errorf("%s: ls prints %s %v, manifest.json has %v", id, k, ls[k], n[k])
			}
		}
	}
	if len(lines) != 28 {
		t.Errorf("ls printed %d nodes, want 28", len(lines))
	}

	// --output-keys selects any key of the node's manifest.json entry, as
	// dbt ls selects any key of node.to_dict().
	code, out, errOut = kiln(t, dir, "ls", "--output", "json", "--select", "customers", "--resource-type", "model", "--output-keys", "unique_id,description,patch_path")
	if code != 0 {
		t.Fatalf("kiln ls --output-keys: exit %d\n%s", code, errOut)
	}
	want := `{"description":"This table has basic information about a customer, as well as some derived facts based on a customer's orders","patch_path":"jaffle_shop://models/schema.yml","unique_id":"model.jaffle_shop.customers"}`
	if strings.TrimSpace(out) != want {
		t.Errorf("kiln ls --output-keys unique_id,description,patch_path:\n%s\nwant\n%s", out, want)
	}
}

// macroDefinition matches the start of a macro, test or materialization
// definition in a macro file.
var macroDefinition = regexp.MustCompile(`\{%-?\s*(?:macro|test|materialization)\s+[A-Za-z_0-9]+`)

// TestManifestMacrosDBTUtils: dbt_utils' integration tests' manifest.json
// lists every macro of the dbt_utils package under macro.dbt_utils.<name>
// with its path in the package (kiln listed the project's and its own
// only), and records the macros each node's code calls as dbt does:
// test_star's dbt_utils.star (kiln wrote none), recency_time_excluded's
// dbt.current_timestamp, dbt.dateadd and dbt.date_trunc in the order they
// are called, a dbt_utils test's package macro then get_where_subquery
// (kiln wrote its own built-in of the same name, macro.kiln.*); not the
// macros those macros call (default__star).
func TestManifestMacrosDBTUtils(t *testing.T) {
	root := dbtProject(t, "dbt-utils")
	dir := filepath.Join(root, "integration_tests")
	profiles := filepath.Join(publicDBT(), "profiles")
	mustKiln(t, 0, dir, "deps", "--profiles-dir", profiles)
	mustKiln(t, 0, dir, "compile", "--profiles-dir", profiles)
	m := readManifest(t, dir)

	// Every macro the package defines, counted in its files.
	defined := 0
	err := filepath.WalkDir(filepath.Join(root, "macros"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".sql") {
			defined += len(macroDefinition.FindAll(readFile(t, p), -1))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	listed := 0
	for _, mac := range m.Macros {
		if mac["package_name"] == "dbt_utils" {
			listed++
		}
	}
	if defined == 0 || listed != defined {
		t.Errorf("manifest.json lists %d macros of dbt_utils, its files define %d", listed, defined)
	}
	star := m.Macros["macro.dbt_utils.star"]
	for k, want := range map[string]any{"name": "star", "package_name": "dbt_utils", "resource_type": "macro",
		"path": "macros/sql/star.sql", "original_file_path": "macros/sql/star.sql", "unique_id": "macro.dbt_utils.star"} {
		if star[k] != want {
			t.Errorf("macro.dbt_utils.star: %s = %v, want %v", k, star[k], want)
		}
	}
	if sql, _ := star["macro_sql"].(string); !strings.HasPrefix(sql, "{% macro star(") || !strings.HasSuffix(sql, "{% endmacro %}") {
		t.Errorf("macro.dbt_utils.star: macro_sql = %q", sql)
	}

	for id, want := range map[string][]string{
		"model.dbt_utils_integration_tests.test_star":             {"macro.dbt_utils.star"},
		"model.dbt_utils_integration_tests.recency_time_excluded": {"macro.dbt.current_timestamp", "macro.dbt.dateadd", "macro.dbt.date_trunc"},
		"model.dbt_utils_integration_tests.test_groupby":          {"macro.dbt.type_string", "macro.dbt.safe_cast", "macro.dbt_utils.group_by"},
	} {
		if got := macrosOf(t, m, id); !reflect.DeepEqual(got, want) {
			t.Errorf("%s depends on macros %q, want dbt's %q", id, got, want)
		}
	}
	tested := 0
	for id, n := range m.Nodes {
		tm, _ := n["test_metadata"].(map[string]any)
		if tm == nil || tm["namespace"] != "dbt_utils" {
			continue
		}
		tested++
		want := []string{"macro.dbt_utils.test_" + tm["name"].(string), "macro.dbt.get_where_subquery"}
		if got := macrosOf(t, m, id); !reflect.DeepEqual(got, want) {
			t.Errorf("%s depends on macros %q, want dbt's %q", id, got, want)
		}
	}
	if tested < 50 {
		t.Errorf("%d tests of dbt_utils' generic tests, want at least 50", tested)
	}
}

// TestManifestHooksAsDBT: manifest.json and kiln ls --output json write a
// node's hooks as dbt does, under pre-hook and post-hook, as lists of
// {"sql", "transaction", "index"} in the order they run (the project's
// +post-hook, a config's pre_hook with a hook outside the transaction),
// and every model's lists, empty when it has none; kiln wrote the keys
// and values as given (pre_hook: ["select 1", {...}], post-hook: a text).
// The build runs the hooks the manifest lists.
func TestManifestHooksAsDBT(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"project.yml":         "name: hk\nmodel-paths: [models]\non-run-start: [\"create table if not exists hook_log (v varchar)\"]\nmodels:\n  hk:\n    hooked:\n      +post-hook: \"insert into hook_log values ('post')\"\n",
		"models/h.sql":        "{{ config(pre_hook=[\"insert into hook_log values ('pre')\", {\"sql\": \"insert into hook_log values ('pre outside')\", \"transaction\": false}]) }}\nselect 1 as id\n",
		"models/hooked/g.sql": "select id from {{ ref('h') }}\n",
	} {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), body)
	}
	mustKiln(t, 0, dir, "compile")
	m := readManifest(t, dir)
	hook := func(sql string, tx bool) map[string]any {
		return map[string]any{"sql": sql, "transaction": tx, "index": nil}
	}
	for id, want := range map[string]map[string]any{
		"model.hk.h": {
			"pre-hook":  []any{hook("insert into hook_log values ('pre')", true), hook("insert into hook_log values ('pre outside')", false)},
			"post-hook": []any{},
		},
		"model.hk.g": {"pre-hook": []any{}, "post-hook": []any{hook("insert into hook_log values ('post')", true)}},
	} {
		cfg := m.Nodes[id]["config"].(map[string]any)
		for k, v := range want {
			if !reflect.DeepEqual(cfg[k], v) {
				t.Errorf("%s: config[%q] = %v, want %v", id, k, cfg[k], v)
			}
		}
		for _, k := range []string{"pre_hook", "post_hook"} {
			if _, ok := cfg[k]; ok {
				t.Errorf("%s: config has %q; dbt writes the hooks under pre-hook and post-hook only", id, k)
			}
		}
	}
	code, out, errOut := kiln(t, dir, "ls", "--output", "json", "--output-keys", "unique_id,config")
	if code != 0 {
		t.Fatalf("kiln ls: exit %d\n%s", code, errOut)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ls map[string]any
		if err := json.Unmarshal([]byte(line), &ls); err != nil {
			t.Fatal(err)
		}
		if id := ls["unique_id"].(string); !reflect.DeepEqual(ls["config"], m.Nodes[id]["config"]) {
			t.Errorf("%s: ls prints config %v, manifest.json has %v", id, ls["config"], m.Nodes[id]["config"])
		}
	}
	mustKiln(t, 0, dir, "build")
	if got := queryDB(t, filepath.Join(dir, "target", "kiln.duckdb"), "select string_agg(v, ',' order by v) from hook_log"); got != "post,pre,pre outside" {
		t.Errorf("hook_log = %s, want post,pre,pre outside", got)
	}
}

// TestManifestSelectorsAsDBT: manifest.json's selectors are selectors.yml's,
// by name, each definition normalised as dbt writes it (a selection string
// as a criterion with its method, fqn by default, and its graph
// operators; {METHOD: VALUE} as method and value; a union's items and an
// exclude's; a "method: selector" criterion replaced by the definition
// it names); kiln wrote {}.
func TestManifestSelectorsAsDBT(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"project.yml":            "name: sel\nmodel-paths: [models]\n",
		"models/stg_orders.sql":  "{{ config(tags=['nightly']) }}\nselect 1 as id\n",
		"models/marts/sales.sql": "select id from {{ ref('stg_orders') }}\n",
		"selectors.yml": `selectors:
  - name: nightly
    description: the nightly build
    definition: "tag:nightly+"
  - name: marts
    definition:
      union:
        - method: path
          value: models/marts
          children: true
        - "@stg_orders"
        - exclude:
            - tag: deprecated
  - name: again
    default: false
    definition:
      method: selector
      value: nightly
`,
	} {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), body)
	}
	mustKiln(t, 0, dir, "compile")
	var m struct {
		Selectors map[string]any `json:"selectors"`
	}
	data := readFile(t, filepath.Join(dir, "target", "manifest.json"))
	schematest.Validate(t, manifestSchema, data)
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	nightly := map[string]any{"method": "tag", "value": "nightly", "children": true}
	want := map[string]any{
		"nightly": map[string]any{"name": "nightly", "description": "the nightly build", "definition": nightly},
		"marts": map[string]any{"name": "marts", "definition": map[string]any{"union": []any{
			map[string]any{"method": "path", "value": "models/marts", "children": true},
			map[string]any{"method": "fqn", "value": "stg_orders", "childrens_parents": true},
			map[string]any{"exclude": []any{map[string]any{"method": "tag", "value": "deprecated"}}},
		}}},
		"again": map[string]any{"name": "again", "default": false, "definition": nightly},
	}
	if !reflect.DeepEqual(m.Selectors, want) {
		got, _ := json.MarshalIndent(m.Selectors, "", "  ")
		exp, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("manifest.json's selectors:\n%s\nwant dbt's:\n%s", got, exp)
	}
}

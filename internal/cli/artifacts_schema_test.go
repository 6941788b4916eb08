package cli

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/testenv/schematest"
)

// The parts of dbt's JSON schemas (manifest v12, run results v6) that
// kiln's tests hold its artifacts to.
var runResultsSchema = filepath.Join(repoRoot, "internal", "artifact", "testdata", "dbt-run-results-v6.schema.json")

// checkArtifacts holds dir/target's manifest.json and run_results.json to
// dbt's schemas (schematest.CheckManifest, CheckRunResults), and returns
// the kinds of manifest object seen, the results by unique_id, and
// kiln's figures read back by ReadRunResults (from
// kiln_run_results.json).
func checkArtifacts(t *testing.T, dir string) (map[string]bool, map[string]map[string]any, map[string]artifact.KilnResult) {
	t.Helper()
	kinds := schematest.CheckManifest(t, manifestSchema, readFile(t, filepath.Join(dir, "target", "manifest.json")))
	results := schematest.CheckRunResults(t, runResultsSchema, readFile(t, filepath.Join(dir, "target", "run_results.json")))
	rr, err := artifact.ReadRunResults(filepath.Join(dir, "target", "run_results.json"))
	if err != nil {
		t.Fatal(err)
	}
	kiln := map[string]artifact.KilnResult{}
	for _, r := range rr.Results {
		kiln[string(r.UniqueID)] = r.KilnResult
	}
	return kinds, results, kiln
}

func wantKinds(t *testing.T, kinds map[string]bool, want ...string) {
	t.Helper()
	for _, k := range want {
		if !kinds[k] {
			t.Errorf("manifest.json has no %s to check", k)
		}
	}
}

// rowsAffected is a result's adapter_response.rows_affected, or -1.
func rowsAffected(r map[string]any) float64 {
	ar, _ := r["adapter_response"].(map[string]any)
	if n, ok := ar["rows_affected"].(float64); ok {
		return n
	}
	return -1
}

// TestArtifactsFollowDBTSchemaJaffleShop: the manifest.json and
// run_results.json of a build of jaffle_shop_duckdb follow dbt's schemas
// (manifest v12, run results v6) in every object, as strict readers
// (additionalProperties: false) require: kiln wrote its own keys there
// (kiln_version, exports, kiln; a result's rows, attempts, expected,
// actual). A seed's rows are adapter_response's rows_affected, and kiln's
// figures are read back from kiln_run_results.json.
func TestArtifactsFollowDBTSchemaJaffleShop(t *testing.T) {
	dir := dbtProject(t, "jaffle_shop_duckdb")
	mustKiln(t, 0, dir, "build")
	kinds, results, kiln := checkArtifacts(t, dir)
	wantKinds(t, kinds, "model", "seed", "generic", "macro", "doc")
	seed := results["seed.jaffle_shop.raw_orders"]
	if got := rowsAffected(seed); got != 99 {
		t.Errorf("raw_orders: rows_affected %v, want 99", got)
	}
	if k := kiln["seed.jaffle_shop.raw_orders"]; k.Rows == nil || *k.Rows != 99 || k.Attempts != 1 {
		t.Errorf("raw_orders: kiln's figures %+v, want 99 rows after 1 attempt", k)
	}
	if k := kiln["test.jaffle_shop.unique_orders_order_id.fed79b3a6e"]; k.Expected == "" || k.Attempts != 1 {
		t.Errorf("unique_orders_order_id: kiln's figures %+v", k)
	}
	// docs blocks are keyed doc.<package>.<name>, as dbt's (kiln wrote
	// jaffle_shop.__overview__); dbt's built-in overview is there beside
	// the project's own (kiln left it out).
	var m struct {
		Docs map[string]struct {
			UniqueID string `json:"unique_id"`
		} `json:"docs"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "manifest.json")), &m); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"doc.jaffle_shop.__overview__", "doc.jaffle_shop.orders_status", "doc.dbt.__overview__"} {
		if m.Docs[id].UniqueID != id {
			t.Errorf("docs[%s]: %+v (docs: %v)", id, m.Docs[id], m.Docs)
		}
	}
}

// TestArtifactsFollowDBTSchemaBottleNeck: the same for the BottleNeck
// sample (sources from Excel files, snapshots, unit tests, exports, a
// test that warns): exports and input checksums go to
// kiln_manifest.json, not manifest.json.
func TestArtifactsFollowDBTSchemaBottleNeck(t *testing.T) {
	dir, _ := newProject(t)
	mustKiln(t, 0, dir, "build")
	kinds, results, _ := checkArtifacts(t, dir)
	wantKinds(t, kinds, "model", "seed", "snapshot", "generic", "source", "macro", "unit_test")
	statuses := map[string]bool{}
	for _, r := range results {
		statuses[r["status"].(string)] = true
	}
	if !statuses["warn"] || !statuses["pass"] || !statuses["success"] {
		t.Errorf("statuses %v: the sample warns on a test", statuses)
	}
	var k struct {
		Metadata map[string]any
		Exports  map[string]any
		Kiln     struct{ Inputs map[string]any }
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", artifact.KilnManifestFile)), &k); err != nil {
		t.Fatal(err)
	}
	if len(k.Exports) == 0 || len(k.Kiln.Inputs) == 0 || k.Metadata["kiln_version"] == nil {
		t.Errorf("kiln_manifest.json: %d exports, %d inputs, metadata %v", len(k.Exports), len(k.Kiln.Inputs), k.Metadata)
	}
}

// artifactKinds is a project with what the two projects above lack: a
// microbatch model, an exposure, a singular test, a disabled model and
// test, a docs block.
var artifactKinds = map[string]string{
	"project.yml":      "name: shop\n",
	"seeds/events.csv": "id,ts\n1,2024-01-01 05:00:00\n2,2024-01-02 06:00:00\n",
	"seeds/events.yml": "seeds:\n  - name: events\n    config: {event_time: ts}\n",
	"models/daily.sql": "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='d', batch_size='day', begin='2024-01-01') }}\n" +
		"select cast(date_trunc('day', ts) as timestamp) as d, count(*) as n from {{ ref('events') }} group by 1\n",
	"models/off.sql": "{{ config(enabled=false) }}\nselect 1 as x\n",
	"models/docs.md": "{% docs daily_doc %}Events per day.{% enddocs %}\n",
	"models/schema.yml": `models:
  - name: daily
    description: '{{ doc("daily_doc") }}'
    columns:
      - name: d
        data_tests:
          - not_null
          - unique:
              config: {enabled: false}
exposures:
  - name: dash
    type: dashboard
    owner: {name: Ops, email: ops@example.com}
    depends_on: [ref('daily')]
`,
	"tests/no_future.sql": "select * from {{ ref('daily') }} where d > timestamp '2100-01-01'\n",
	"tests/off_test.sql":  "{{ config(enabled=false) }}\nselect 1 as x where false\n",
	"macros/m.sql": "{% macro outer() %}{{ inner() }} {{ dbt.current_timestamp() }} {{ inner() }} {{ outer_not_a_macro }}{% endmacro %}\n" +
		"{% macro inner() %}{{ return(adapter.dispatch('pick')()) }}{% endmacro %}\n" +
		"{% macro default__pick() %}1{% endmacro %}\n",
}

// TestArtifactsFollowDBTSchemaKinds: the same for a microbatch model, an
// exposure, a singular test, disabled nodes and a docs block; a
// microbatch model's batch_results is dbt's {"successful": [[start,
// end], ...], "failed": [...]} (kiln wrote null), with dbt's times.
// disabled lists every disabled node, a generic test switched off in its
// properties included (kiln left it out), and docs has dbt's built-in
// overview, doc.dbt.__overview__, when the project writes none.
func TestArtifactsFollowDBTSchemaKinds(t *testing.T) {
	dir := writeProject(t, artifactKinds)
	mustKiln(t, 0, dir, "build", "--event-time-end", "2024-01-03")
	kinds, results, _ := checkArtifacts(t, dir)
	wantKinds(t, kinds, "model", "seed", "singular", "generic", "exposure", "doc", "macro", "disabled model", "disabled generic", "disabled singular")
	var man struct {
		Disabled map[string][]struct {
			UniqueID     string `json:"unique_id"`
			Name         string `json:"name"`
			ResourceType string `json:"resource_type"`
			Config       struct {
				Enabled bool `json:"enabled"`
			} `json:"config"`
			TestMetadata struct {
				Name   string         `json:"name"`
				Kwargs map[string]any `json:"kwargs"`
			} `json:"test_metadata"`
		} `json:"disabled"`
		Docs map[string]struct {
			UniqueID    string `json:"unique_id"`
			PackageName string `json:"package_name"`
		} `json:"docs"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "manifest.json")), &man); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for id, list := range man.Disabled {
		ids = append(ids, id)
		if len(list) != 1 || list[0].UniqueID != id || list[0].Config.Enabled {
			t.Errorf("disabled[%s]: %+v, want one entry of its unique_id, enabled false", id, list)
		}
	}
	sort.Strings(ids)
	if want := "model.shop.off test.shop.off_test test.shop.unique_daily_d.9c1fde20a3"; strings.Join(ids, " ") != want {
		t.Errorf("disabled: %v, want %s", ids, want)
	}
	if u := man.Disabled["test.shop.unique_daily_d.9c1fde20a3"]; len(u) == 1 && (u[0].TestMetadata.Name != "unique" || u[0].TestMetadata.Kwargs["column_name"] != "d") {
		t.Errorf("the disabled unique test: %+v", u[0])
	}
	if o := man.Docs["doc.dbt.__overview__"]; o.UniqueID != "doc.dbt.__overview__" || o.PackageName != "dbt" {
		t.Errorf("docs[doc.dbt.__overview__]: %+v", o)
	}
	got := results["model.shop.daily"]["batch_results"]
	want := map[string]any{
		"successful": []any{
			[]any{"2024-01-01T00:00:00+00:00", "2024-01-02T00:00:00+00:00"},
			[]any{"2024-01-02T00:00:00+00:00", "2024-01-03T00:00:00+00:00"},
		},
		"failed": []any{},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("daily's batch_results: %v, want %v", got, want)
	}
	// A macro's depends_on.macros are the macros it calls, as dbt's
	// (kiln wrote none): by name, by package, through adapter.dispatch.
	var m struct {
		Macros map[string]struct {
			DependsOn struct{ Macros []string } `json:"depends_on"`
		} `json:"macros"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "manifest.json")), &m); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string][]string{
		"macro.shop.outer":         {"macro.shop.inner", "macro.dbt.current_timestamp"},
		"macro.shop.inner":         {"macro.shop.default__pick"},
		"macro.shop.default__pick": {},
	} {
		if got := m.Macros[id].DependsOn.Macros; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: depends_on.macros %v, want %v", id, got, want)
		}
	}
	if got := results["seed.shop.events"]["batch_results"]; got != nil {
		t.Errorf("a seed's batch_results: %v, want null", got)
	}

	// A batch that fails: the model is rolled back, nothing of the run is
	// kept, and batch_results says which batch failed.
	writeTree(t, dir, map[string]string{"models/daily.sql": strings.Replace(artifactKinds["models/daily.sql"],
		"count(*) as n", "case when min(id) = 2 then error('batch 2 fails') else count(*) end as n", 1)})
	mustKiln(t, 1, dir, "build", "-s", "daily", "--event-time-end", "2024-01-03", "--full-refresh")
	_, results, _ = checkArtifacts(t, dir)
	got = results["model.shop.daily"]["batch_results"]
	want = map[string]any{
		"successful": []any{},
		"failed":     []any{[]any{"2024-01-02T00:00:00+00:00", "2024-01-03T00:00:00+00:00"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("daily's batch_results after a failed batch: %v, want %v", got, want)
	}
}

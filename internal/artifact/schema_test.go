package artifact

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-build/kiln/internal/testenv/schematest"
)

// The parts of dbt's JSON schemas kiln's tests hold its artifacts to.
var (
	manifestSchema   = filepath.Join("testdata", "dbt-manifest-v12.schema.json")
	runResultsSchema = filepath.Join("testdata", "dbt-run-results-v6.schema.json")
)

// readBytes returns the contents of the file at path.
func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestManifestFollowsDBTSchema holds manifest.json to the keys dbt's v12
// schema allows and requires in each object, and to
// testdata/dbt-manifest-v12.schema.json (the part of dbt's v12 JSON schema
// tools read first: macros, hooks, depends_on, docs): no kiln key (the
// metadata's kiln_version, the manifest's exports and kiln were there).
func TestManifestFollowsDBTSchema(t *testing.T) {
	dir := t.TempDir()
	if err := WriteManifest(dir, shop(t, nil), testMeta()); err != nil {
		t.Fatal(err)
	}
	kinds := schematest.CheckManifest(t, manifestSchema, readBytes(t, filepath.Join(dir, "manifest.json")))
	for _, k := range []string{"seed", "model", "singular", "generic", "source", "macro"} {
		if !kinds[k] {
			t.Errorf("the fixture has no %s", k)
		}
	}
}

// TestRunResultsFollowDBTSchema holds run_results.json to dbt's run
// results v6 (no kiln key in a result: expected, actual, rows, skipped_by,
// attempts were there), and finds kiln's figures in
// kiln_run_results.json and a model's rows in adapter_response.
func TestRunResultsFollowDBTSchema(t *testing.T) {
	dir := t.TempDir()
	if err := WriteRunResults(dir, testResults(), testRunMeta(t)); err != nil {
		t.Fatal(err)
	}
	results := schematest.CheckRunResults(t, runResultsSchema, readBytes(t, filepath.Join(dir, "run_results.json")))
	if len(results) != 4 {
		t.Fatalf("%d results", len(results))
	}
	kv := readJSON(t, filepath.Join(dir, KilnRunResultsFile))
	eq(t, "kiln_run_results.json", kv, map[string]any{
		"metadata": map[string]any{"invocation_id": "5f0c8a4e-0000-4000-8000-000000000001", "generated_at": "2025-01-31T02:00:05.000000Z"},
		"results": map[string]any{
			"model.shop.stg_orders":                    map[string]any{"rows": 825, "attempts": 1},
			"test.shop.unique_revenue_id.b0dde396a3":   map[string]any{"expected": "0 rows", "actual": "3 rows", "attempts": 1},
			"model.shop.revenue":                       map[string]any{"skipped_by": "test.shop.unique_revenue_id.b0dde396a3", "attempts": 0},
			"test.shop.not_null_revenue_id.93d39a66e3": map[string]any{"skipped_by": "model.shop.revenue", "attempts": 0},
		},
	})
}

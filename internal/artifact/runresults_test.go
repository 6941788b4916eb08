package artifact

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/internal/run"
)

func testResults() []run.Result {
	t0 := time.Date(2025, 1, 31, 2, 0, 1, 0, time.UTC)
	return []run.Result{
		{
			ID: "model.shop.stg_orders", Status: run.Success, Message: "OK", Thread: "Thread-1",
			Started: t0, Completed: t0.Add(1500 * time.Millisecond), Rows: 825, Attempts: 1,
			AdapterResponse: map[string]any{"_message": "OK", "rows_affected": 825},
			CompiledCode:    "select 1",
		},
		{
			ID: "test.shop.unique_revenue_id.b0dde396a3", Status: run.Fail, Message: "Got 3 results, configured to fail if != 0",
			Thread: "Thread-2", Started: t0.Add(2 * time.Second), Completed: t0.Add(2250 * time.Millisecond),
			Rows: -1, Failures: 3, Expected: "0 rows", Actual: "3 rows", Attempts: 1, CompiledCode: "select id from x",
		},
		{ID: "model.shop.revenue", Status: run.Skipped, SkippedBy: "test.shop.unique_revenue_id.b0dde396a3", Rows: -1},
		{ID: "test.shop.not_null_revenue_id.93d39a66e3", Status: run.Skipped, SkippedBy: "model.shop.revenue", Rows: -1},
	}
}

func testRunMeta(t *testing.T) RunMeta {
	return RunMeta{
		InvocationID: "5f0c8a4e-0000-4000-8000-000000000001",
		GeneratedAt:  time.Date(2025, 1, 31, 2, 0, 5, 0, time.UTC),
		Elapsed:      4250 * time.Millisecond,
		Args:         map[string]any{"which": "build", "select": []string{"tag:daily"}, "threads": 4, "fail_fast": false},
		Graph:        shop(t, nil).Graph,
	}
}

func TestWriteRunResults(t *testing.T) {
	dir := t.TempDir()
	if err := WriteRunResults(dir, testResults(), testRunMeta(t)); err != nil {
		t.Fatal(err)
	}
	v := readJSON(t, filepath.Join(dir, "run_results.json"))
	eq(t, "metadata", v["metadata"], map[string]any{
		"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
		"generated_at":       "2025-01-31T02:00:05.000000Z",
		"invocation_id":      "5f0c8a4e-0000-4000-8000-000000000001",
	})
	eq(t, "elapsed_time", v["elapsed_time"], 4.25)
	eq(t, "args", v["args"], map[string]any{"which": "build", "select": []string{"tag:daily"}, "threads": 4, "fail_fast": false})

	results := v["results"].([]any)
	if len(results) != 4 {
		t.Fatalf("%d results", len(results))
	}
	model := results[0].(map[string]any)
	eq(t, "model", model, map[string]any{
		"unique_id": "model.shop.stg_orders", "status": "success",
		"timing": []map[string]any{
			{"name": "compile", "started_at": "2025-01-31T02:00:01.000000Z", "completed_at": "2025-01-31T02:00:01.000000Z"},
			{"name": "execute", "started_at": "2025-01-31T02:00:01.000000Z", "completed_at": "2025-01-31T02:00:02.500000Z"},
		},
		"thread_id": "Thread-1", "execution_time": 1.5,
		"adapter_response": map[string]any{"_message": "OK", "rows_affected": 825},
		"message":          "OK", "failures": nil, "compiled": true, "compiled_code": "select 1",
		"relation_name": `"staging"."stg_orders"`, "batch_results": nil,
	})
	test := results[1].(map[string]any)
	for k, want := range map[string]any{
		"status": "fail", "failures": 3, "execution_time": 0.25,
		"relation_name": nil, "message": "Got 3 results, configured to fail if != 0",
	} {
		eq(t, "test."+k, test[k], want)
	}
	if _, ok := test["rows"]; ok {
		t.Error("a test result has rows")
	}
	skipped := results[2].(map[string]any)
	for k, want := range map[string]any{
		"status": "skipped", "timing": []any{}, "execution_time": 0, "failures": nil, "message": nil,
		"compiled": nil, "compiled_code": nil, "adapter_response": map[string]any{}, "thread_id": "",
		"relation_name": `"marts"."revenue"`,
	} {
		eq(t, "skipped."+k, skipped[k], want)
	}
	eq(t, "skipped test failures", results[3].(map[string]any)["failures"], nil)
}

func TestReadRunResults(t *testing.T) {
	dir := t.TempDir()
	meta := testRunMeta(t)
	if err := WriteRunResults(dir, testResults(), meta); err != nil {
		t.Fatal(err)
	}
	rr, err := ReadRunResults(filepath.Join(dir, "run_results.json"))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "status", rr.Status, map[string]run.Status{
		"model.shop.stg_orders":                    run.Success,
		"test.shop.unique_revenue_id.b0dde396a3":   run.Fail,
		"model.shop.revenue":                       run.Skipped,
		"test.shop.not_null_revenue_id.93d39a66e3": run.Skipped,
	})
	eq(t, "args", rr.Args, meta.Args)
	eq(t, "invocation_id", rr.Metadata.InvocationID, meta.InvocationID)
	if r := rr.Results[1]; r.Failures == nil || *r.Failures != 3 || r.Expected != "0 rows" || r.Attempts != 1 {
		t.Errorf("test result read back: %+v", r)
	}
	if r := rr.Results[0]; r.Rows == nil || *r.Rows != 825 || r.Attempts != 1 {
		t.Errorf("model result read back: %+v", r)
	}
	if r := rr.Results[2]; r.SkippedBy != "test.shop.unique_revenue_id.b0dde396a3" {
		t.Errorf("skipped result read back: %+v", r)
	}

	// Written twice, the same results give the same bytes.
	dir2 := t.TempDir()
	if err := WriteRunResults(dir2, testResults(), meta); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "run_results.json"))
	b, _ := os.ReadFile(filepath.Join(dir2, "run_results.json"))
	if !bytes.Equal(a, b) {
		t.Error("two writes of the same run results differ")
	}

	if err := WriteFileAtomic(filepath.Join(dir, "m.json"), []byte(`{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRunResults(filepath.Join(dir, "m.json")); err == nil || !strings.Contains(err.Error(), "not run results") {
		t.Errorf("a manifest read as run results: %v", err)
	}
}

// TestRunMetaDefaults: the command goes to args.which, and a zero
// GeneratedAt means now.
func TestRunMetaDefaults(t *testing.T) {
	dir := t.TempDir()
	before := time.Now().Add(-time.Second)
	if err := WriteRunResults(dir, nil, RunMeta{Command: "build", Args: map[string]any{"select": []string{"tag:daily"}}}); err != nil {
		t.Fatal(err)
	}
	rr, err := ReadRunResults(filepath.Join(dir, "run_results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if rr.Command() != "build" {
		t.Errorf("command %q, args %v", rr.Command(), rr.Args)
	}
	at, err := time.Parse(time.RFC3339, rr.Metadata.GeneratedAt)
	if err != nil || at.Before(before) {
		t.Errorf("generated_at %q: %v", rr.Metadata.GeneratedAt, err)
	}
	eq(t, "results", readJSON(t, filepath.Join(dir, "run_results.json"))["results"], []any{})
}

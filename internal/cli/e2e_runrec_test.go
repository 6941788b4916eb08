package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/artifact"
)

// shopFiles is a project of one CSV source, a model and the model's
// tests given (YAML under the model), with extra files over them.
func shopFiles(tests string, extra map[string]string) map[string]string {
	files := map[string]string{
		"project.yml":      "name: shop\ndatabase-path: target/bottleneck.duckdb\nvars:\n  month: \"2024-01\"\n",
		"data/sales.csv":   "id,amount\n1,5\n2,7\n",
		"models/sales.sql": "select * from {{ source('raw', 'sales') }}\n",
		"models/sources.yml": `version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: sales
        external:
          location: data/sales.csv
`,
		"models/schema.yml": "version: 2\nmodels:\n  - name: sales\n" + tests,
	}
	for k, v := range extra {
		files[k] = v
	}
	return files
}

// TestRefusedRunSaysRefused: a build that on-run-start refuses exits 1
// with a count line that says the run was refused and why (below it),
// with the failed hook counted as an error (as dbt counts it), not the
// count line of a clean run ("Done in ... ERROR=0"); the history records
// it as refused.
func TestRefusedRunSaysRefused(t *testing.T) {
	dir := writeProject(t, shopFiles("", map[string]string{
		"project.yml": "name: shop\ndatabase-path: target/bottleneck.duckdb\non-run-start:\n  - \"select error('the month is closed')\"\n",
	}))
	out := mustKiln(t, ExitFailure, dir, "build")
	want := "Refused in "
	i := strings.Index(out, want)
	if i < 0 || strings.Contains(out, "Done in") {
		t.Fatalf("the summary does not say the run was refused:\n%s", out)
	}
	line := out[i:]
	line = line[:strings.IndexByte(line, '\n')]
	for _, part := range []string{": on-run-start failed, so no node ran.", " PASS=0 WARN=0 ERROR=1 SKIP=2 TOTAL=3"} {
		if !strings.Contains(line, part) {
			t.Errorf("the summary line does not say %q:\n%s", part, line)
		}
	}
	// Why, under the hook's position, right after it (TestRefusalPrintedOnce).
	if !strings.Contains(out[i:], line+"\n\nERROR on-run-start (project.yml:4:6)\n  ") || !strings.Contains(out[i:], "the month is closed") {
		t.Errorf("the summary does not say why under the hook's position:\n%s", out[i:])
	}
	if _, status := lastRun(t, dir); status != "refused" {
		t.Errorf("the refused run is recorded as %s", status)
	}
}

// TestFailedRunAcceptsNoGate: in a build with --accept-deviations that
// fails (a not_null test) and is rolled back, the deviation the flag
// accepted (a volume_change) and the anomaly gate in its cold start are
// accepted nowhere: run_results.json's gates say "accepted": false, as
// the history's observations do, and no message says that the history
// learns from the run or that it is the new baseline.
func TestFailedRunAcceptsNoGate(t *testing.T) {
	tests := `    data_tests:
      - volume_change:
          max_increase_pct: 50
      - volume_anomalies:
          period: "{{ var('month') }}"
    columns:
      - name: amount
        data_tests:
          - not_null
`
	dir := writeProject(t, shopFiles(tests, nil))
	mustKiln(t, ExitOK, dir, "build")
	writeFile(t, filepath.Join(dir, "data", "sales.csv"), "id,amount\n1,5\n2,7\n3,8\n4,9\n5,\n")
	out := mustKiln(t, ExitFailure, dir, "build", "--accept-deviations", "--vars", "{month: '2024-02'}")
	if !strings.Contains(out, "rolled back") && !strings.Contains(out, "as they were before the run") {
		t.Fatalf("the failed build was not rolled back:\n%s", out)
	}
	summary := out[strings.Index(out, "Done in"):]
	for _, bad := range []string{"learns from it", "it is the new baseline", "values join the history"} {
		if strings.Contains(summary, bad) {
			t.Errorf("the summary of a rolled-back run says %q:\n%s", bad, summary)
		}
	}
	if !strings.Contains(summary, "accepted (--accept-deviations), but the run did not succeed: the history does not learn from it") {
		t.Errorf("the summary does not say the accepted deviation is not learnt:\n%s", summary)
	}
	rr, err := artifact.ReadRunResults(filepath.Join(dir, "target", "run_results.json"))
	if err != nil {
		t.Fatal(err)
	}
	gates, accepted := 0, 0
	for _, r := range rr.Results {
		for _, g := range r.Gates {
			gates++
			if g.Accepted {
				accepted++
				t.Errorf("run_results.json: %s's gate %s is accepted in a failed run", r.UniqueID, g.Label)
			}
		}
		msg := ""
		if r.Message != nil {
			msg = *r.Message
		}
		if strings.Contains(msg, "it is the new baseline") || strings.Contains(msg, "learns from it") {
			t.Errorf("run_results.json: %s says %q in a failed run", r.UniqueID, msg)
		}
	}
	if gates == 0 {
		t.Fatalf("run_results.json holds no gate: the test checks nothing")
	}
	id, _ := lastRun(t, dir)
	if n := rowsOf(t, dir, "select count(*) from kiln_history.observations where run_id = '"+id+"' and accepted"); n[0] != "0" {
		t.Errorf("the history accepts %s observations of the failed run", n[0])
	}
}

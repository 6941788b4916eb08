package cli

import (
	"strings"
	"testing"
)

// TestWarnErrorSaysWhy: with --warn-error, a test of severity warn that
// finds rows and a gate in its cold start fail, and what the run prints
// says plainly that the warning failed the run because of --warn-error:
// not the cold start's own "it warns and does not fail", and not the
// hint of a deviation (nothing deviated).
func TestWarnErrorSaysWhy(t *testing.T) {
	dir := t.TempDir()
	writeProjectFile(t, dir, "project.yml", "name: shop\nvars:\n  month: \"2024-01\"\n")
	writeProjectFile(t, dir, "data/sales.csv", "id,amount\n1,5\n2,\n")
	writeProjectFile(t, dir, "models/sales.sql", "select * from {{ source('raw', 'sales') }}\n")
	writeProjectFile(t, dir, "models/sources.yml", `version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: sales
        external:
          location: data/sales.csv
`)
	writeProjectFile(t, dir, "models/schema.yml", `version: 2
models:
  - name: sales
    data_tests:
      - volume_anomalies:
          period: "{{ var('month') }}"
    columns:
      - name: amount
        data_tests:
          - not_null:
              config:
                severity: warn
`)
	out := mustKiln(t, ExitOK, dir, "build")
	if !strings.Contains(out, "it warns and does not fail") || strings.Contains(out, "--warn-error") {
		t.Fatalf("without --warn-error the cold start warns and says so:\n%s", out)
	}
	out = mustKiln(t, ExitFailure, dir, "build", "--warn-error")
	for _, want := range []string{
		"expected no null amount in sales, found 1 row where amount is null\n  this warning failed the run because of --warn-error\n",
		"row count: cold start: 0 accepted months of the 6 the gate needs (6 more); it warns, and this warning failed the run because of --warn-error; 2 is the first value\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not say %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"does not fail", "a failure with --warn-error", "deviated from the run history"} {
		if strings.Contains(out, bad) {
			t.Errorf("the output says %q:\n%s", bad, out)
		}
	}
	rr := string(readFile(t, dir+"/target/run_results.json"))
	if !strings.Contains(rr, "found 1 row where amount is null; this warning failed the run because of --warn-error") {
		t.Errorf("run_results.json's message does not say why the test failed:\n%s", rr)
	}
}

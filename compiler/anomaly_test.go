package compiler

import (
	"strings"
	"testing"
)

// An anomaly test without a period in a project that declares two vars of
// type month is an error at the test, naming both vars where they are
// declared: the run's month would otherwise be the clock's, silently; with
// a period, with one month var, or with the test disabled, the project
// compiles.
func TestAnomalyMonthAmbiguous(t *testing.T) {
	files := func(varTypes, period string) map[string]string {
		return map[string]string{
			"project.yml":       "name: p\nvars:\n  month: \"2024-06\"\n  prev_month: \"2024-05\"\nvar-types:\n" + varTypes,
			"models/sales.sql":  "select 1 as id",
			"models/schema.yml": "models:\n  - name: sales\n    data_tests:\n      - volume_anomalies" + period + "\n",
		}
	}
	two := "  month: month\n  prev_month: {type: month}\n"
	m, diags := compileFiles(t, files(two, ""))
	want := `models/schema.yml:4:9: test "volume_anomalies" has no period, and the project declares 2 vars of type month: month (project.yml:6:10), prev_month (project.yml:7:15)`
	if m != nil || !strings.Contains(diags, want) || !strings.Contains(diags, `set the test's period (period: "{{ var('month') }}"), or keep one var of type month`) {
		t.Errorf("two month vars, no period:\n%s\nwant %s", diags, want)
	}
	if m, diags := compileFiles(t, files(two, ":\n          period: \"{{ var('prev_month') }}\"")); m == nil {
		t.Errorf("two month vars, a period: %s", diags)
	}
	if m, diags := compileFiles(t, files(two, ":\n          config: {enabled: false}")); m == nil {
		t.Errorf("two month vars, the test disabled: %s", diags)
	}
	if m, diags := compileFiles(t, files("  month: month\n  prev_month: string\n", "")); m == nil {
		t.Errorf("one month var: %s", diags)
	}
}

package cli

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/artifact"
)

// anomalyProject writes a project whose model sales reads data/sales.csv,
// with every anomaly test, the month of the data given by the var month.
func anomalyProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"project.yml":      "name: shop\ndatabase-path: target/bottleneck.duckdb\nvars:\n  month: \"2024-01\"\n",
		"models/sales.sql": "select * from {{ source('raw', 'sales') }}\n",
		"models/sources.yml": `version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: sales
        external:
          location: data/sales.csv
        data_tests:
          - input_freshness:
              period: "{{ var('month') }}"
`,
		"models/schema.yml": `version: 2
models:
  - name: sales
    data_tests:
      - volume_anomalies:
          period: "{{ var('month') }}"
      - metric_anomalies:
          expression: sum(amount)
          period: "{{ var('month') }}"
      - dimension_anomalies:
          dimensions: [family]
          period: "{{ var('month') }}"
      - schema_changes
      - volume_anomalies:
          name: volume_warn_only
          period: "{{ var('month') }}"
          baseline_key: warn
          config:
            severity: warn
    columns:
      - name: amount
        data_tests:
          - column_anomalies:
              column_anomalies: [null_percent, zero_percent]
              period: "{{ var('month') }}"
`,
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeSales writes n sales rows spread over families, drawn from seed;
// extra is an extra column's header, written empty, when not "".
func writeSales(t *testing.T, dir string, seed uint64, n int, families []string, extra string) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 19))
	var b strings.Builder
	b.WriteString("id,family,amount")
	if extra != "" {
		b.WriteString("," + extra)
	}
	b.WriteString("\n")
	for i := range n {
		fmt.Fprintf(&b, "%d,%s,%d", i, families[r.IntN(len(families))], 1+r.IntN(100))
		if extra != "" {
			b.WriteString(",x")
		}
		b.WriteString("\n")
	}
	p := filepath.Join(dir, "data", "sales.csv")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// gatesOf reads the status of the test named name (run_results.json)
// and its gates (kiln_run_results.json), as JSON objects.
func gatesOf(t *testing.T, dir, name string) (string, []map[string]any) {
	t.Helper()
	rr, err := artifact.ReadRunResults(filepath.Join(dir, "target", "run_results.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rr.Results {
		if strings.Contains(string(r.UniqueID), "."+name+".") {
			var gates []map[string]any
			if r.Gates != nil {
				data, _ := json.Marshal(r.Gates)
				if err := json.Unmarshal(data, &gates); err != nil {
					t.Fatal(err)
				}
			}
			return string(r.Status), gates
		}
	}
	t.Fatalf("no result of %s", name)
	return "", nil
}

func month(m int) string { return fmt.Sprintf("{month: '2024-%02d'}", m) }

// TestAnomalyGatesOverMonths builds a year of months: the cold start warns
// and says how many months it needs; a month with every row twice fails
// on the volume, the revenue and every family, with the band, the rules
// and the months they came from, and restores the tables; accepted with
// --accept-deviations it joins the history, so the next month at that
// level passes; a new column fails schema_changes; last month's file read
// again fails input_freshness; a gate of severity warn that flags a month
// warns and keeps the month out of its history.
func TestAnomalyGatesOverMonths(t *testing.T) {
	dir := anomalyProject(t)
	families := []string{"red", "white", "rose"}
	writeSales(t, dir, 1, 300, families, "")
	out := mustKiln(t, 0, dir, "build", "--vars", month(1))
	if !strings.Contains(out, "row count: cold start: 0 accepted months of the 6 the gate needs (6 more); it warns and does not fail; 300 is the first value") {
		t.Fatalf("the cold start does not say what it needs:\n%s", out)
	}
	if !strings.Contains(out, "PASS=4 WARN=5") {
		t.Errorf("the first month: want the five statistical gates to warn:\n%s", out)
	}
	for m := 2; m <= 8; m++ {
		writeSales(t, dir, uint64(m), 290+m*2, families, "")
		out = mustKiln(t, 0, dir, "build", "--vars", month(m))
	}
	if !strings.Contains(out, "PASS=9 WARN=0") {
		t.Fatalf("month 8, with 7 accepted months, should pass without warning:\n%s", out)
	}
	if status, gates := gatesOf(t, dir, "volume_anomalies_sales_"); status != "pass" || len(gates) != 1 || len(gates[0]["history"].([]any)) != 7 {
		t.Fatalf("month 8: %s %v", status, gates)
	}

	// Every row twice.
	writeSales(t, dir, 9, 600, families, "")
	code, stdout, stderr := kiln(t, dir, "build", "--vars", month(9))
	out = stdout + stderr
	if code != 1 {
		t.Fatalf("a month loaded twice exited %d:\n%s", code, out)
	}
	for _, want := range []string{
		"FAIL test volume_anomalies_sales_",
		"row count: 600 is outside the band ",
		"(expected 300, the median of the last 8 accepted months): robust score +",
		"from the expected value, +",
		"from 2024-08 (306), beyond ±25% and ±10",
		"spread: 1.4826 x the median absolute deviation of the logarithms of 8 months = ",
		"accepted months: 2024-01 300, 2024-02 294, ",
		"FAIL test metric_anomalies_sales_sum_amount_",
		"FAIL test dimension_anomalies_sales_family",
		"row count of family = 'rose': 215 is outside the band",
		"WARN test volume_warn_only",
		"a volume, metric or schema deviated from the run history",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the failure does not say %q:\n%s", want, out)
		}
	}
	if got := query(t, dir, "select count(*) from raw.sales"); got != "306" {
		t.Errorf("the failed run left raw.sales with %s rows, want the 306 of month 8", got)
	}
	_, gates := gatesOf(t, dir, "volume_anomalies_sales_")
	if g := gates[0]; g["verdict"] != "anomaly" || g["value"].(float64) != 600 || g["month"] != "2024-09" || g["accepted"] != false ||
		!(g["lower"].(float64) < 304 && g["upper"].(float64) < 600) {
		t.Errorf("run_results.json's gate: %v", g)
	}

	// Accepted: the month joins the history, and the next one follows it.
	out = mustKiln(t, 0, dir, "build", "--vars", month(9), "--accept-deviations")
	if !strings.Contains(out, "accepted (--accept-deviations): the history learns from it") {
		t.Errorf("the accepted month does not say so:\n%s", out)
	}
	writeSales(t, dir, 10, 610, families, "")
	out = mustKiln(t, 0, dir, "build", "--vars", month(10))
	if _, gates := gatesOf(t, dir, "volume_anomalies_sales_"); gates[0]["verdict"] != "pass" {
		t.Errorf("the month after an accepted change: %v\n%s", gates[0], out)
	}
	// The warn-only gate flagged month 9 without --accept-deviations at
	// first, then was accepted with it: month 9 is in its history once.
	_, gates = gatesOf(t, dir, "volume_warn_only")
	var months []string
	for _, p := range gates[0]["history"].([]any) {
		months = append(months, p.(map[string]any)["month"].(string))
	}
	if strings.Join(months, ",") != "2024-01,2024-02,2024-03,2024-04,2024-05,2024-06,2024-07,2024-08,2024-09" {
		t.Errorf("the warn-only gate's history: %v", months)
	}

	// A new column.
	writeSales(t, dir, 11, 605, families, "note")
	code, stdout, stderr = kiln(t, dir, "build", "--vars", month(11))
	if out = stdout + stderr; code != 1 || !strings.Contains(out, `added "note" VARCHAR since the last accepted run`) {
		t.Errorf("a new column: exit %d\n%s", code, out)
	}
	mustKiln(t, 0, dir, "build", "--vars", month(11), "--accept-deviations")

	// Month 12 is month 11's file again: the source is up to date, its
	// freshness test fails and the model is skipped.
	code, stdout, stderr = kiln(t, dir, "build", "--vars", month(12))
	if out = stdout + stderr; code != 1 || !strings.Contains(out, "data/sales.csv has the content of the file accepted for 2024-11") {
		t.Errorf("last month's file again: exit %d\n%s", code, out)
	}

	// The docs draw a chart per gate.
	mustKiln(t, 0, dir, "docs", "generate")
	html := string(readFile(t, filepath.Join(dir, "target", "docs", "index.html")))
	for _, want := range []string{"function gateChart(", `"gates":[{"label":"the file of raw.sales","month":"2024-12",`, `"verdict":"anomaly","accepted":false`} {
		if !strings.Contains(html, want) {
			t.Errorf("the docs lack %q", want)
		}
	}
}

// TestSchemaChangesRunMonth: schema_changes without a period records and
// reports the run's month, the value of the project's var of type month,
// not the month of the wall clock.
func TestSchemaChangesRunMonth(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"project.yml": "name: shop\ndatabase-path: target/shop.duckdb\nvars:\n  month: \"2020-08\"\n  extra: false\n" +
			"var-types:\n  month: {type: month}\n",
		"models/sales.sql":  "select 1 as id{% if var('extra') %}, 'x' as note{% endif %}, '{{ var('month') }}' as month\n",
		"models/schema.yml": "version: 2\nmodels:\n  - name: sales\n    data_tests:\n      - schema_changes\n",
	} {
		writeFile(t, filepath.Join(dir, name), text)
	}
	mustKiln(t, 0, dir, "build")
	if _, gates := gatesOf(t, dir, "schema_changes_sales_"); len(gates) != 1 || gates[0]["month"] != "2020-08" {
		t.Fatalf("the first run's gate: %v, want month 2020-08", gates)
	}
	code, stdout, stderr := kiln(t, dir, "build", "--vars", "{month: 2020-09, extra: true}")
	out := stdout + stderr
	if code != 1 || !strings.Contains(out, `added "note" VARCHAR since the last accepted run (run `) || !strings.Contains(out, ", month 2020-08)") {
		t.Errorf("a new column in 2020-09: exit %d\n%s", code, out)
	}
	if _, gates := gatesOf(t, dir, "schema_changes_sales_"); len(gates) != 1 || gates[0]["month"] != "2020-09" {
		t.Errorf("the second run's gate: %v, want month 2020-09", gates)
	}
	mustKiln(t, 0, dir, "build", "--vars", "{month: 2020-09, extra: true}", "--accept-deviations")
	rows := duckQuery(t, filepath.Join(dir, "target", "shop.duckdb"), "select month, accepted from kiln_history.observations order by month, accepted")
	if got := strings.Join(rows, ","); got != "24247|true,24248|false,24248|true" {
		t.Errorf("kiln_history.observations' months: %s, want 2020-08 (24247) accepted, then 2020-09 (24248) refused and accepted", got)
	}
}

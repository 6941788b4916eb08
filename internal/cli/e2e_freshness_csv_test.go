package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestInputFreshnessSaysCSVBytes: input_freshness compares a workbook by
// its cells but a CSV file by its bytes, which only README said: month
// 1's rows saved again with Windows line endings passed as a new export
// without a word. The gate now says it compared the file's bytes, and
// what that means (the same rows saved again count as new).
func TestInputFreshnessSaysCSVBytes(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"project.yml":          "name: shop\ndatabase-path: target/bottleneck.duckdb\nvars:\n  month: \"2024-01\"\n  raw_dir: data/m1\n",
		"models/erp_total.sql": "select sum(price) as total from {{ source('raw', 'erp') }}\n",
		"models/sources.yml": `version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: erp
        external:
          location: "{{ var('raw_dir') }}/erp.csv"
        data_tests:
          - input_freshness:
              period: "{{ var('month') }}"
`,
		"data/m1/erp.csv": "product_id,price\n1,10.5\n2,20.25\n",
		"data/m2/erp.csv": "product_id,price\r\n1,10.5\r\n2,20.25\r\n",
	})
	now := time.Now()
	touch(t, filepath.Join(dir, "data", "m1", "erp.csv"), now.Add(-3*time.Hour))
	touch(t, filepath.Join(dir, "data", "m2", "erp.csv"), now.Add(-time.Hour))
	mustKiln(t, ExitOK, dir, "build", "--vars", "{month: '2024-01', raw_dir: data/m1}")
	mustKiln(t, ExitOK, dir, "build", "--vars", "{month: '2024-02', raw_dir: data/m2}")
	status, gates := gatesOf(t, dir, "source_input_freshness_raw_erp_")
	explain := ""
	if len(gates) == 1 {
		explain = strings.Join(anyStrings(gates[0]["explain"]), " ")
	}
	want := "is a new file since the one accepted for 2024-01 by its bytes (a CSV or Parquet file is compared by its bytes, not its rows: the same rows saved again count as new)"
	if status != "pass" || !strings.Contains(explain, want) {
		t.Errorf("input_freshness: %s, %q\nwant pass and %q", status, explain, want)
	}
}

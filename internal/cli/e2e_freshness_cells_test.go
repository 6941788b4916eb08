package cli

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// cellsProject writes a project with two workbook sources read from the
// folder of the var raw_dir, each with input_freshness for the var month:
// erp, a monthly export, and liaison, a mapping declared with liaisonArgs
// (such as "may_repeat: true").
func cellsProject(t *testing.T, dir, liaisonArgs string) {
	t.Helper()
	files := map[string]string{
		"project.yml": "name: shop\ndatabase-path: target/bottleneck.duckdb\nvars:\n  month: \"2024-01\"\n  raw_dir: data/m1\n",
		"models/erp_total.sql": "select count(*) as products, sum(price) as total from {{ source('raw', 'erp') }}\n" +
			"join {{ source('raw', 'liaison') }} using (product_id)\n",
		"models/sources.yml": `version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: erp
        external:
          location: "{{ var('raw_dir') }}/erp.xlsx"
        data_tests:
          - input_freshness:
              period: "{{ var('month') }}"
      - name: liaison
        external:
          location: "{{ var('raw_dir') }}/liaison.xlsx"
        data_tests:
          - input_freshness:
              period: "{{ var('month') }}"
              ` + liaisonArgs + `
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
}

// writeBook writes a workbook at path whose first sheet holds rows, and
// sets its modification time to at.
func writeBook(t *testing.T, path string, rows [][]any, at time.Time) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	touch(t, path, at)
}

func touch(t *testing.T, path string, at time.Time) {
	t.Helper()
	if err := os.Chtimes(path, at, at); err != nil {
		t.Fatal(err)
	}
}

// resave writes to to the workbook from with what opening and saving it
// again changes and not its cells: docProps/core.xml's modified date, the
// zip's order of entries and its compression.
func resave(t *testing.T, from, to string, at time.Time) {
	t.Helper()
	zr, err := zip.OpenReader(from)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	modified := regexp.MustCompile(`<dcterms:modified[^>]*>[^<]*</dcterms:modified>`)
	core := false
	for _, f := range slices.Backward(zr.File) {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == "docProps/core.xml" {
			core = true
			data = modified.ReplaceAll(data, []byte(`<dcterms:modified xsi:type="dcterms:W3CDTF">2031-05-04T03:02:01Z</dcterms:modified>`))
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if !core {
		t.Fatalf("%s has no docProps/core.xml", from)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(buf.Bytes(), readFile(t, from)) {
		t.Fatal("the workbook saved again has the same bytes")
	}
	touch(t, to, at)
}

func copyBook(t *testing.T, from, to string, at time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, from, to)
	touch(t, to, at)
}

// fileGates returns month:accepted:run status of the input_freshness
// observations of the file named name, in the order of the runs.
func fileGates(t *testing.T, dir, name string) string {
	t.Helper()
	return query(t, dir, "select coalesce(string_agg(o.month || ':' || o.accepted || ':' || r.status, ',' order by r.started_at), '') "+
		"from kiln_history.observations o join kiln_history.runs r on r.run_id = o.run_id "+
		"where o.detail like '%\"path\":\"%"+name+"\",\"sha256\"%'")
}

var erpRows = [][]any{{"product_id", "price", "name"}, {1, 10.5, "Chablis"}, {2, 20.25, "Margaux"}, {3, 7.0, "Muscadet"}}
var liaisonRows = [][]any{{"product_id", "sku"}, {1, "13127-1"}, {2, "13128"}, {3, "13129"}}

// TestInputFreshnessComparesCells: input_freshness compares a workbook's
// cells, not its bytes. Month 1's ERP export opened and saved again (only
// docProps/core.xml's modified date, the zip's layout and compression
// differ) fails the gate as month 2's, and the history keeps month 1
// alone; the export with one cell changed passes. The liaison, a mapping
// that is the same file month after month, fails the gate without
// may_repeat and passes with it; the erp gate stays strict beside it.
func TestInputFreshnessComparesCells(t *testing.T) {
	dir := t.TempDir()
	cellsProject(t, dir, "may_repeat: true")
	now := time.Now()
	m1, m2 := filepath.Join(dir, "data", "m1"), filepath.Join(dir, "data", "m2")
	writeBook(t, filepath.Join(m1, "erp.xlsx"), erpRows, now.Add(-3*time.Hour))
	writeBook(t, filepath.Join(m1, "liaison.xlsx"), liaisonRows, now.Add(-3*time.Hour))
	mustKiln(t, 0, dir, "build", "--vars", "{month: '2024-01', raw_dir: data/m1}")
	if d := query(t, dir, "select detail from kiln_history.observations where detail like '%erp.xlsx%'"); !strings.Contains(d, `"cells":"kiln-cells-1:`) {
		t.Errorf("the recorded file has no cells digest: %s", d)
	}

	// Month 2: month 1's ERP export saved again, the same liaison.
	resave(t, filepath.Join(m1, "erp.xlsx"), filepath.Join(m2, "erp.xlsx"), now.Add(-time.Hour))
	copyBook(t, filepath.Join(m1, "liaison.xlsx"), filepath.Join(m2, "liaison.xlsx"), now.Add(-time.Hour))
	month2 := []string{"build", "--vars", "{month: '2024-02', raw_dir: data/m2}"}
	code, stdout, stderr := kiln(t, dir, month2...)
	out := stdout + stderr
	if code != 1 || !strings.Contains(out, "data/m2/erp.xlsx has the content of the file accepted for 2024-01") {
		t.Fatalf("month 1's ERP export saved again: exit %d, want 1 and the file named as month 1's:\n%s", code, out)
	}
	if !regexp.MustCompile(`PASS .*source_input_freshness_raw_liaison_`).MatchString(out) {
		t.Errorf("the liaison with may_repeat did not pass:\n%s", out)
	}
	if got := fileGates(t, dir, "erp.xlsx"); got != "24288:true:success,24289:false:error" {
		t.Errorf("the erp file gate's observations are %q, want month 1 accepted and month 2 refused, its run failed", got)
	}
	if got := query(t, dir, "select total from main.erp_total"); got != "37.75" {
		t.Errorf("erp_total is %s after the refused month, want month 1's 37.75", got)
	}

	// One cell changed: a new export.
	changed := slices.Clone(erpRows)
	changed[2] = []any{2, 21.25, "Margaux"}
	writeBook(t, filepath.Join(m2, "erp.xlsx"), changed, now.Add(-time.Hour))
	// Without may_repeat, the liaison of month 1 is not this month's.
	cellsProject(t, dir, "")
	code, stdout, stderr = kiln(t, dir, month2...)
	out = stdout + stderr
	if code != 1 || !strings.Contains(out, "data/m2/liaison.xlsx has the content of the file accepted for 2024-01") ||
		!regexp.MustCompile(`PASS .*source_input_freshness_raw_erp_`).MatchString(out) {
		t.Fatalf("the same liaison without may_repeat: exit %d, want 1, the liaison refused and the changed erp passed:\n%s", code, out)
	}
	cellsProject(t, dir, "may_repeat: true")
	out = mustKiln(t, 0, dir, month2...)
	// The failed runs' observations are kept, and not learnt from (their
	// run did not succeed).
	if got := fileGates(t, dir, "erp.xlsx"); got != "24288:true:success,24289:false:error,24289:false:error,24289:true:success" {
		t.Errorf("the erp file gate's observations are %q, want month 2: refused (saved again), not accepted (passed, in the run the liaison failed), accepted", got)
	}
	if got := fileGates(t, dir, "liaison.xlsx"); got != "24288:true:success,24289:false:error,24289:false:error,24289:true:success" {
		t.Errorf("the liaison file gate's observations are %q, want month 2: not accepted (passed with may_repeat, in a run that failed), refused (without), accepted (with)", got)
	}
	if got := query(t, dir, "select total from main.erp_total"); got != "38.75" {
		t.Errorf("erp_total is %s after month 2, want 38.75", got)
	}
	_, gates := gatesOf(t, dir, "source_input_freshness_raw_liaison_")
	if len(gates) != 1 || !strings.Contains(strings.Join(anyStrings(gates[0]["explain"]), " "), "has the content of the file accepted for 2024-01: may_repeat: true") {
		t.Errorf("the liaison's gate does not say it repeats month 1's file under may_repeat: %v", gates)
	}
}

func anyStrings(v any) []string {
	xs, _ := v.([]any)
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// TestInputFreshnessRecordsOfAnEarlierKiln: a history whose files were
// recorded without a cells digest (by a kiln that compared bytes) still
// works: a new month passes, and the last month's workbook saved again
// fails, its digest read from the file the history names; a file
// byte-identical to a recorded one fails as before.
func TestInputFreshnessRecordsOfAnEarlierKiln(t *testing.T) {
	dir := t.TempDir()
	cellsProject(t, dir, "")
	now := time.Now()
	m1, m2, m3 := filepath.Join(dir, "data", "m1"), filepath.Join(dir, "data", "m2"), filepath.Join(dir, "data", "m3")
	writeBook(t, filepath.Join(m1, "erp.xlsx"), erpRows, now.Add(-3*time.Hour))
	writeBook(t, filepath.Join(m1, "liaison.xlsx"), liaisonRows, now.Add(-3*time.Hour))
	mustKiln(t, 0, dir, "build", "--vars", "{month: '2024-01', raw_dir: data/m1}")
	forget := func() {
		t.Helper()
		queryRows(t, dir, `update kiln_history.observations set detail = regexp_replace(detail, ',"cells":"[^"]*"', '') where detail like '%"cells"%'`)
		if got := query(t, dir, `select count(*) from kiln_history.observations where detail like '%"cells"%'`); got != "0" {
			t.Fatalf("%s recorded files still have a cells digest", got)
		}
	}
	forget()

	// Month 2: month 1's ERP saved again, and month 1's liaison.
	resave(t, filepath.Join(m1, "erp.xlsx"), filepath.Join(m2, "erp.xlsx"), now.Add(-2*time.Hour))
	copyBook(t, filepath.Join(m1, "liaison.xlsx"), filepath.Join(m2, "liaison.xlsx"), now.Add(-2*time.Hour))
	code, stdout, stderr := kiln(t, dir, "build", "--vars", "{month: '2024-02', raw_dir: data/m2}")
	out := stdout + stderr
	if code != 1 || !strings.Contains(out, "data/m2/erp.xlsx has the content of the file accepted for 2024-01") ||
		!strings.Contains(out, "data/m2/liaison.xlsx has the content of the file accepted for 2024-01") {
		t.Fatalf("month 1's files again, recorded without digests: exit %d, want 1 and both refused:\n%s", code, out)
	}

	// Month 2's new exports pass against the records without digests.
	changed := slices.Clone(erpRows)
	changed[3] = []any{3, 7.5, "Muscadet"}
	writeBook(t, filepath.Join(m3, "erp.xlsx"), changed, now.Add(-time.Hour))
	writeBook(t, filepath.Join(m3, "liaison.xlsx"), append(slices.Clone(liaisonRows), []any{4, "13130"}), now.Add(-time.Hour))
	mustKiln(t, 0, dir, "build", "--vars", "{month: '2024-02', raw_dir: data/m3}")
	if got := fileGates(t, dir, "erp.xlsx"); got != "24288:true:success,24289:false:error,24289:true:success" {
		t.Errorf("the erp file gate's observations are %q, want month 2 refused then accepted", got)
	}
}

// TestInputFreshnessOlderRecordsOfAnEarlierKiln: in a history recorded
// without cells digests, a workbook of a month older than the last one,
// saved again, is compared by its cells too (its digest read from the
// file the history names, still there with the bytes recorded), not by
// its bytes: month 1's ERP saved again as month 3's fails, naming month
// 1, and month 3's new export passes. The digests read are recorded, so
// month 1's ERP saved again fails as month 4's after month 1's file is
// gone.
func TestInputFreshnessOlderRecordsOfAnEarlierKiln(t *testing.T) {
	dir := t.TempDir()
	cellsProject(t, dir, "may_repeat: true")
	now := time.Now()
	m1, m2, m3 := filepath.Join(dir, "data", "m1"), filepath.Join(dir, "data", "m2"), filepath.Join(dir, "data", "m3")
	writeBook(t, filepath.Join(m1, "erp.xlsx"), erpRows, now.Add(-4*time.Hour))
	writeBook(t, filepath.Join(m1, "liaison.xlsx"), liaisonRows, now.Add(-4*time.Hour))
	mustKiln(t, 0, dir, "build", "--vars", "{month: '2024-01', raw_dir: data/m1}")
	feb := slices.Clone(erpRows)
	feb[1] = []any{1, 11.5, "Chablis"}
	writeBook(t, filepath.Join(m2, "erp.xlsx"), feb, now.Add(-3*time.Hour))
	copyBook(t, filepath.Join(m1, "liaison.xlsx"), filepath.Join(m2, "liaison.xlsx"), now.Add(-3*time.Hour))
	mustKiln(t, 0, dir, "build", "--vars", "{month: '2024-02', raw_dir: data/m2}")
	queryRows(t, dir, `update kiln_history.observations set detail = regexp_replace(detail, ',"cells":"[^"]*"', '') where detail like '%"cells"%'`)
	if got := query(t, dir, `select count(*) from kiln_history.observations where detail like '%"cells"%'`); got != "0" {
		t.Fatalf("%s recorded files still have a cells digest", got)
	}

	resave(t, filepath.Join(m1, "erp.xlsx"), filepath.Join(m3, "erp.xlsx"), now.Add(-2*time.Hour))
	copyBook(t, filepath.Join(m1, "liaison.xlsx"), filepath.Join(m3, "liaison.xlsx"), now.Add(-2*time.Hour))
	code, stdout, stderr := kiln(t, dir, "build", "--vars", "{month: '2024-03', raw_dir: data/m3}")
	if out := stdout + stderr; code != 1 || !strings.Contains(out, "data/m3/erp.xlsx has the content of the file accepted for 2024-01") {
		t.Fatalf("month 1's ERP saved again as month 3's, recorded without digests: exit %d, want 1 and the erp refused:\n%s", code, out)
	}
	mar := slices.Clone(erpRows)
	mar[2] = []any{2, 19.0, "Margaux"}
	writeBook(t, filepath.Join(m3, "erp.xlsx"), mar, now.Add(-time.Hour))
	mustKiln(t, 0, dir, "build", "--vars", "{month: '2024-03', raw_dir: data/m3}")
	if got := fileGates(t, dir, "erp.xlsx"); got != "24288:true:success,24289:true:success,24290:false:error,24290:true:success" {
		t.Errorf("the erp file gate's observations are %q, want month 3 refused then accepted", got)
	}

	// The digests read are recorded with month 3's file: month 1's
	// workbook saved again as month 4's fails once month 1's file is gone.
	m4 := filepath.Join(dir, "data", "m4")
	resave(t, filepath.Join(m1, "erp.xlsx"), filepath.Join(m4, "erp.xlsx"), now.Add(-30*time.Minute))
	copyBook(t, filepath.Join(m1, "liaison.xlsx"), filepath.Join(m4, "liaison.xlsx"), now.Add(-30*time.Minute))
	if err := os.Remove(filepath.Join(m1, "erp.xlsx")); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = kiln(t, dir, "build", "--vars", "{month: '2024-04', raw_dir: data/m4}")
	if out := stdout + stderr; code != 1 || !strings.Contains(out, "data/m4/erp.xlsx has the content of the file accepted for 2024-01") {
		t.Fatalf("month 1's ERP saved again as month 4's, month 1's file gone: exit %d, want 1 and the erp refused:\n%s", code, out)
	}
}

// A misspelt may_repeat, or a value that is not a boolean, is an error at
// its position, before anything runs.
func TestInputFreshnessMayRepeatMisspelt(t *testing.T) {
	dir := t.TempDir()
	for args, want := range map[string]string{
		"may_repet: true":  `models/sources.yml:18:15: test "input_freshness" takes no argument "may_repet"; did you mean "may_repeat"?`,
		"may_repeat: 'no'": `models/sources.yml:18:27: test "input_freshness": may_repeat must be true or false, not "no"`,
	} {
		cellsProject(t, dir, args)
		code, stdout, stderr := kiln(t, dir, "build", "--vars", "{month: '2024-01', raw_dir: data/m1}")
		if out := stdout + stderr; code != 2 || !strings.Contains(out, want) {
			t.Errorf("%s: exit %d, want 2 and %q:\n%s", args, code, want, out)
		}
	}
}

package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestRefusalPrintedOnce: the error of an on-run-start hook that refuses
// the run (BottleNeck's history guard writes a paragraph) is printed once,
// in the summary under the hook's position, not also on the hook's
// progress line and in the closing outcome; kiln.log keeps it as an error
// message and run_results.json in each skipped node's message.
func TestRefusalPrintedOnce(t *testing.T) {
	const why = "month 2024-01 is already built from other files: pass correction true"
	dir := writeProject(t, shopFiles("", map[string]string{
		"project.yml": "name: shop\ndatabase-path: target/bottleneck.duckdb\non-run-start:\n  - \"select error('" + why + "')\"\n",
	}))
	out := mustKiln(t, ExitFailure, dir, "build")
	if n := strings.Count(out, why); n != 1 {
		t.Errorf("the refusal's error is printed %d times, want once:\n%s", n, out)
	}
	for _, want := range []string{
		"1 of 1 ERROR hook shop-on-run-start-0 in ",
		"the run is refused (the error is in the summary below)",
		"so no node ran. PASS=0 WARN=0 ERROR=1 SKIP=2 TOTAL=3\n\nERROR on-run-start (project.yml:4:6)\n  ",
		"error: on-run-start failed (its error is above). The run failed: no table or view had been replaced",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the refused build does not say %q:\n%s", want, out)
		}
	}
	summary := out[strings.Index(out, "Refused in "):]
	if !strings.Contains(summary, why) {
		t.Errorf("the summary does not hold the refusal's error:\n%s", summary)
	}

	var logged bool
	for _, line := range strings.Split(string(readFile(t, filepath.Join(dir, "target", "kiln.log"))), "\n") {
		var ev struct{ Level, Event, Message string }
		if line == "" || json.Unmarshal([]byte(line), &ev) != nil {
			continue
		}
		if ev.Level == "error" && ev.Event == "message" && strings.HasPrefix(ev.Message, "on-run-start failed: project.yml:4:6: ") && strings.Contains(ev.Message, why) {
			logged = true
		}
	}
	if !logged {
		t.Errorf("kiln.log has no error message with the refusal:\n%s", readFile(t, filepath.Join(dir, "target", "kiln.log")))
	}
	var rr struct {
		Results []struct{ Status, Message string }
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "run_results.json")), &rr); err != nil {
		t.Fatal(err)
	}
	if len(rr.Results) != 2 {
		t.Fatalf("run_results.json has %d results, want 2", len(rr.Results))
	}
	for _, r := range rr.Results {
		if r.Status != "skipped" || !strings.Contains(r.Message, "on-run-start failed: ") || !strings.Contains(r.Message, why) {
			t.Errorf("run_results.json: %s %q, want skipped with the refusal", r.Status, r.Message)
		}
	}

	// --quiet prints no summary: the error is printed there, once.
	out = mustKiln(t, ExitFailure, dir, "build", "--quiet")
	if n := strings.Count(out, why); n != 1 || !strings.Contains(out, "error: on-run-start failed, so no node ran: project.yml:4:6: ") {
		t.Errorf("--quiet prints the refusal's error %d times (want once, after \"error: on-run-start failed, so no node ran: \"):\n%s", n, out)
	}
}

// TestRunningLineAbsoluteRawDir: the Running line names a folder of
// input files given as an absolute path (--vars '{raw_dir: /abs/path}')
// as given, not relative to the project (../../tmp/...); a relative one
// stays relative to the project.
func TestRunningLineAbsoluteRawDir(t *testing.T) {
	raw := t.TempDir()
	writeFile(t, filepath.Join(raw, "sales.csv"), "id,amount\n1,5\n2,7\n")
	dir := writeProject(t, shopFiles("", map[string]string{
		"project.yml": "name: shop\ndatabase-path: target/bottleneck.duckdb\nvars:\n  raw_dir: data\n",
		"models/sources.yml": `version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: sales
        external:
          location: "{{ var('raw_dir') }}/sales.csv"
`,
	}))
	out := mustKiln(t, ExitOK, dir, "build", "--vars", "{raw_dir: '"+raw+"'}")
	if want := ", reading " + raw + "\n"; !strings.Contains(out, want) {
		t.Errorf("the Running line does not name %s as given:\n%s", raw, out)
	}
	out = mustKiln(t, ExitOK, dir, "build")
	if !strings.Contains(out, ", reading data\n") {
		t.Errorf("the Running line does not name data relative to the project:\n%s", out)
	}
}

// TestRelationshipsFieldPosition: a relationships test whose field: names
// no column of its to: model reports DuckDB's binder error at the
// field's value in the YAML (line 9, column 22), not at the test's line.
func TestRelationshipsFieldPosition(t *testing.T) {
	dir := writeProject(t, shopFiles(`    columns:
      - name: id
        data_tests:
          - relationships:
              to: ref('ids')
              field: idd
`, map[string]string{"models/ids.sql": "select 1 as id union all select 2\n"}))
	out := mustKiln(t, ExitFailure, dir, "build")
	want := "ERROR test relationships_sales_id__idd__ref_ids_ (models/schema.yml:9:22)\n  binder error: Referenced column \"idd\" not found"
	if !strings.Contains(out, want) {
		t.Errorf("the wrong field is not reported at its value (want %q):\n%s", want, out)
	}
}

// TestTransactionStatusLists: kiln transaction status without an ID (a
// user who lost it) lists the open flow transaction: its id, when it
// started, its runs with their selection, and the relations and exports
// pending its commit; none open, it says so; --help says it.
func TestTransactionStatusLists(t *testing.T) {
	dir := writeProject(t, shopFiles("", map[string]string{
		"models/exports.yml": "version: 2\nexports:\n  - name: sales_csv\n    format: csv\n    path: exports/sales.csv\n    model: sales\n",
	}))
	if out := mustKiln(t, ExitOK, dir, "transaction", "status"); out != "no flow transaction is open\n" {
		t.Errorf("with none open, status says %q", out)
	}
	mustKiln(t, ExitOK, dir, "build", "--select", "+sales", "--transaction", "flow/exec-7")
	mustKiln(t, ExitOK, dir, "build", "--select", "sales_csv", "--transaction", "flow/exec-7")
	_, out, errOut := kiln(t, dir, "transaction", "status")
	started := query(t, dir, `select strftime(min(started_at), '%Y-%m-%d %H:%M:%S') from kiln_history.runs where txn = 'flow/exec-7'`)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := []string{
		"flow/exec-7  open, started " + started + " UTC",
		"  2 runs:",
		"build --select +sales  (success, 2 nodes)",
		"build --select sales_csv  (success, 1 node)",
		"  2 relations pending its commit: main.sales, raw.sales",
		"  1 export pending its commit: target/exports/sales.csv",
		"  kiln transaction commit flow/exec-7 publishes them; kiln transaction rollback flow/exec-7 undoes them",
	}
	if len(lines) != len(want) {
		t.Fatalf("status lists %d lines, want %d (stderr %q):\n%s", len(lines), len(want), errOut, out)
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d is %q, want it to hold %q:\n%s", i+1, lines[i], w, out)
		}
	}
	if out := mustKiln(t, ExitOK, dir, "transaction", "status", "flow/exec-7"); out != "open\n" {
		t.Errorf("status flow/exec-7 says %q", out)
	}
	mustKiln(t, ExitOK, dir, "transaction", "commit", "flow/exec-7")
	if out := mustKiln(t, ExitOK, dir, "transaction", "status"); out != "no flow transaction is open\n" {
		t.Errorf("after the commit, status says %q", out)
	}
	if out := mustKiln(t, ExitOK, dir, "transaction", "--help"); !strings.Contains(out, "Without an ID (lost), it lists the open flow transactions") || !strings.Contains(out, "list the open ones") {
		t.Errorf("kiln transaction --help does not say that status lists the open transactions:\n%s", out)
	}
}

// TestMisspeltFromBeforeRef: FROM misspelt before a ref() (which renders
// a quoted relation, where DuckDB stops with a bare "syntax error at or
// near") gets a hint naming the misspelt word at the model's
// file:line:col; a misspelt SELECT keeps its own.
func TestMisspeltFromBeforeRef(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml":  "name: shop\n",
		"models/a.sql": "select 1 as id\n",
		"models/b.sql": "select *\n  form {{ ref('a') }}\n",
		"models/c.sql": "selct * form {{ ref('a') }}\n",
	})
	out := mustKiln(t, ExitFailure, dir, "build")
	for _, want := range []string{
		"ERROR model b (models/b.sql:2:8)",
		`hint: "form" at models/b.sql:2:3: did you mean "FROM"?`,
		`hint: "selct" at models/c.sql:1:1: did you mean "SELECT"?`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the build does not say %q:\n%s", want, out)
		}
	}
}

// TestYAMLKeyWithoutColon: a key written without its colon in a
// properties file is reported at its own line and column, with the fix,
// also when it is the first key of its mapping (yaml.v3 then names the
// next line, "mapping values are not allowed in this context").
func TestYAMLKeyWithoutColon(t *testing.T) {
	for _, c := range []struct{ yml, want string }{
		{"version: 2\nmodels:\n  - description \"the orders\"\n    name: a\n",
			"models/schema.yml:3:5: invalid YAML: could not find expected ':'; a key needs \": \" after it (with a space), else YAML reads the line as text: write description: \"the orders\""},
		{"version: 2\nmodels:\n  - name: a\n    description \"the orders\"\n    columns: []\n",
			"models/schema.yml:4:5: invalid YAML: could not find expected ':'; a key needs \": \" after it (with a space), else YAML reads the line as text: write description: \"the orders\""},
	} {
		dir := writeProject(t, map[string]string{
			"project.yml":       "name: shop\n",
			"models/a.sql":      "select 1 as id\n",
			"models/schema.yml": c.yml,
		})
		if out := mustKiln(t, ExitCannotStart, dir, "ls"); !strings.Contains(out, c.want) {
			t.Errorf("%q: kiln ls does not say\n%s\nbut:\n%s", c.yml, c.want, out)
		}
	}
}

// TestCSVExportBOM: a CSV export with config encoding: utf-8-sig starts
// with UTF-8's byte order mark (EF BB BF), which Excel on Windows needs
// to read accented names as UTF-8, followed by the same bytes as without
// it; the default writes none. Another encoding, or one on a workbook,
// is an error at its value.
func TestCSVExportBOM(t *testing.T) {
	exports := func(cfg string) map[string]string {
		return shopFiles("", map[string]string{
			"data/sales.csv":     "id,amount,name\n1,5,Côtes du Rhône\n2,7,Rosé\n",
			"models/exports.yml": "version: 2\nexports:\n  - name: plain_csv\n    model: sales\n    order_by: id\n  - name: excel_csv\n    model: sales\n    order_by: id\n    config: {encoding: " + cfg + "}\n",
		})
	}
	dir := writeProject(t, exports("utf-8-sig"))
	mustKiln(t, ExitOK, dir, "build")
	plain := readFile(t, filepath.Join(dir, "target", "exports", "plain_csv.csv"))
	excel := readFile(t, filepath.Join(dir, "target", "exports", "excel_csv.csv"))
	want := "id,amount,name\n1,5,C\xc3\xb4tes du Rh\xc3\xb4ne\n2,7,Ros\xc3\xa9\n"
	if string(plain) != want {
		t.Errorf("the default export's bytes are %q, want %q", plain, want)
	}
	if string(excel) != "\xef\xbb\xbf"+want {
		t.Errorf("encoding: utf-8-sig wrote %q, want the byte order mark and %q", excel, want)
	}

	bad := writeProject(t, exports("latin-1"))
	if out := mustKiln(t, ExitCannotStart, bad, "build"); !strings.Contains(out, `models/exports.yml:9:24: export "excel_csv": encoding latin-1 is not supported yet: an export is written in UTF-8`) ||
		!strings.Contains(out, "write encoding: utf-8-sig") {
		t.Errorf("encoding: latin-1 on an export is not refused at its value:\n%s", out)
	}
	book := writeProject(t, shopFiles("", map[string]string{
		"models/exports.yml": "version: 2\nexports:\n  - name: book\n    sheets: [{model: sales}]\n    path: exports/book.xlsx\n    config: {encoding: utf-8-sig}\n",
	}))
	if out := mustKiln(t, ExitCannotStart, book, "build"); !strings.Contains(out, `models/exports.yml:6:24: export "book": encoding applies to CSV exports`) {
		t.Errorf("encoding on a workbook export is not refused at its value:\n%s", out)
	}
}

// TestBottleNeckCSVExportsHaveBOM: BottleNeck's CSV exports, which the
// sales team opens in Excel, start with the byte order mark, and the
// accented wine names follow in UTF-8.
func TestBottleNeckCSVExportsHaveBOM(t *testing.T) {
	dir, _ := newProject(t)
	mustKiln(t, ExitOK, dir, "build")
	for _, f := range []string{"revenue_by_product.csv", "premium_wines.csv", "ordinary_wines.csv"} {
		data := readFile(t, filepath.Join(dir, "target", "exports", f))
		if !strings.HasPrefix(string(data), "\xef\xbb\xbfproduct_id,") {
			t.Errorf("%s starts with %q, want the byte order mark and the header", f, data[:min(len(data), 20)])
		}
	}
	if data := string(readFile(t, filepath.Join(dir, "target", "exports", "revenue_by_product.csv"))); !strings.Contains(data, "\xc3\xa9") || strings.Count(data, "\xef\xbb\xbf") != 1 {
		t.Errorf("revenue_by_product.csv holds no é in UTF-8, or more than one byte order mark")
	}
}

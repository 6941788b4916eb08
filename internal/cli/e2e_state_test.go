package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kiln-build/kiln/internal/sample"
)

// statuses returns the status of each node of the last run, by name.
func statuses(t *testing.T, dir string) map[string]string {
	t.Helper()
	var rr struct {
		Results []struct {
			UniqueID string `json:"unique_id"`
			Status   string `json:"status"`
		} `json:"results"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "run_results.json")), &rr); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rr.Results {
		out[r.UniqueID] = r.Status
	}
	return out
}

// ran returns the sorted unique_ids of the nodes that did run (not no-op).
func ran(st map[string]string) []string {
	var out []string
	for id, s := range st {
		if s != "no-op" {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func lsIDs(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	out := mustKiln(t, 0, dir, append([]string{"ls", "--output", "json", "--output-keys", "unique_id"}, args...)...)
	var ids []string
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		ids = append(ids, m["unique_id"])
	}
	sort.Strings(ids)
	return ids
}

// A second build with nothing changed runs nothing but the tests that
// warned; after editing one model, exactly that model and what is
// downstream of it run; after changing one input file, exactly what it
// feeds runs, which is what state:modified+ selects against the previous
// manifest.
func TestUpToDateAndStateModified(t *testing.T) {
	dir, _ := newProject(t)
	mustKiln(t, 0, dir, "build")
	state := filepath.Join(t.TempDir(), "state")
	copyTree(t, filepath.Join(dir, "target"), state)

	mustKiln(t, 0, dir, "build")
	if got := ran(statuses(t, dir)); len(got) != 1 || !strings.Contains(got[0], "accepted_range_stg_erp_price") {
		t.Fatalf("a build with nothing changed ran %v, want only the warning test", got)
	}

	// Edit one model: it and its descendants run, per the graph.
	model := filepath.Join(dir, "models", "marts", "wine_zscores.sql")
	if err := os.WriteFile(model, append(readFile(t, model), []byte("\n-- edited\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	want := lsIDs(t, dir, "-s", "state:modified+", "--state", state)
	wantFromGraph := lsIDs(t, dir, "-s", "wine_zscores+")
	if strings.Join(want, " ") != strings.Join(wantFromGraph, " ") {
		t.Fatalf("state:modified+ after editing wine_zscores:\n%v\nwant wine_zscores+:\n%v", want, wantFromGraph)
	}
	mustKiln(t, 0, dir, "build")
	got := ran(statuses(t, dir))
	expectRan(t, got, want, "after editing wine_zscores")

	// Change one export file (the ERP): exactly what it feeds runs.
	copyTree(t, filepath.Join(dir, "target"), state)
	erp := filepath.Join(dir, "data", "sample", sample.DefaultMonth, "erp.xlsx")
	wb, err := excelize.OpenFile(erp)
	if err != nil {
		t.Fatal(err)
	}
	if err := wb.SetCellValue("Sheet1", "D2", 99); err != nil { // a new stock quantity
		t.Fatal(err)
	}
	if err := wb.Save(); err != nil {
		t.Fatal(err)
	}
	wb.Close()
	want = lsIDs(t, dir, "-s", "state:modified+", "--state", state)
	wantFromGraph = lsIDs(t, dir, "-s", "source:raw.erp+")
	if strings.Join(want, " ") != strings.Join(wantFromGraph, " ") {
		t.Fatalf("state:modified+ after changing erp.xlsx:\n%v\nwant source:raw.erp+:\n%v", want, wantFromGraph)
	}
	mustKiln(t, 0, dir, "build")
	expectRan(t, ran(statuses(t, dir)), want, "after changing erp.xlsx")

	// --full-refresh runs everything.
	mustKiln(t, 0, dir, "build", "--full-refresh")
	if got := ran(statuses(t, dir)); len(got) != len(statuses(t, dir)) {
		t.Fatalf("--full-refresh left %d nodes up to date", len(statuses(t, dir))-len(got))
	}
}

// expectRan checks that the nodes that ran are exactly want, leaving out
// the ephemeral model (it never runs) and the warning test (it runs every
// time).
func expectRan(t *testing.T, got, want []string, when string) {
	t.Helper()
	w := map[string]bool{}
	for _, id := range want {
		if !strings.HasPrefix(id, "model.bottleneck.price_stats") && !strings.Contains(id, "accepted_range_stg_erp_price") { // ephemeral; warns every time
			w[id] = true
		}
	}
	g := map[string]bool{}
	for _, id := range got {
		if !strings.Contains(id, "accepted_range_stg_erp_price") {
			g[id] = true
		}
	}
	for id := range w {
		if !g[id] {
			t.Errorf("%s: %s did not run", when, id)
		}
	}
	for id := range g {
		if !w[id] {
			t.Errorf("%s: %s ran but is not downstream of the change", when, id)
		}
	}
}

// kiln retry runs again what failed and what the rollback undid, with the
// failed run's options, and succeeds once the cause is fixed.
func TestRetryAfterAFailure(t *testing.T) {
	dir, _ := newProject(t)
	mustKiln(t, 0, dir, "build")
	if out := mustKiln(t, 0, dir, "retry"); !strings.Contains(out, "nothing to retry") {
		t.Fatalf("retry after a good run:\n%s", out)
	}
	model := filepath.Join(dir, "models", "marts", "kpi_summary.sql")
	good := readFile(t, model)
	if err := os.WriteFile(model, []byte(strings.Replace(string(good), "count(*) as products", "count(*) / 0 as products", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	mustKiln(t, 1, dir, "build", "--threads", "2")
	first := statuses(t, dir)
	if first["model.bottleneck.kpi_summary"] != "error" {
		t.Fatalf("kpi_summary: %s", first["model.bottleneck.kpi_summary"])
	}
	// Still broken: retry fails the same way.
	out := mustKiln(t, 1, dir, "retry")
	if !strings.Contains(out, "Retrying") || !strings.Contains(out, "with 2 threads") {
		t.Errorf("retry did not reuse the run's options:\n%s", out)
	}
	if err := os.WriteFile(model, good, 0o644); err != nil {
		t.Fatal(err)
	}
	mustKiln(t, 0, dir, "retry")
	after := statuses(t, dir)
	for id, st := range after {
		if st == "error" || st == "fail" || st == "skipped" {
			t.Errorf("%s is %s after the retry", id, st)
		}
	}
	// The fixed model is the one of the last good build, which the rollback
	// had restored: it is up to date, and so is everything after it.
	if after["model.bottleneck.kpi_summary"] != "no-op" || after["export.bottleneck.monthly_report"] != "no-op" {
		t.Errorf("retry: kpi_summary %s, monthly_report %s", after["model.bottleneck.kpi_summary"], after["export.bottleneck.monthly_report"])
	}
	// Nothing is left to do: a full build finds every node up to date.
	mustKiln(t, 0, dir, "build")
	if got := ran(statuses(t, dir)); len(got) != 1 {
		t.Errorf("after the retry a build still ran %v", got)
	}
}

// docs generate takes the selection flags: the catalog lists the selected
// nodes only, as dbt's does.
func TestDocsGenerateSelect(t *testing.T) {
	dir, _ := newProject(t)
	mustKiln(t, 0, dir, "build")
	mustKiln(t, 0, dir, "docs", "generate", "-s", "tag:stage_d", "--resource-type", "model")
	var cat struct {
		Nodes   map[string]any `json:"nodes"`
		Sources map[string]any `json:"sources"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "catalog.json")), &cat); err != nil {
		t.Fatal(err)
	}
	want := lsIDs(t, dir, "-s", "tag:stage_d", "--resource-type", "model")
	var got []string
	for id := range cat.Nodes {
		got = append(got, id)
	}
	sort.Strings(got)
	// The ephemeral model has no relation, so no catalog entry.
	var wantRel []string
	for _, id := range want {
		if id != "model.bottleneck.price_stats" {
			wantRel = append(wantRel, id)
		}
	}
	if strings.Join(got, " ") != strings.Join(wantRel, " ") || len(cat.Sources) != 0 {
		t.Fatalf("catalog nodes %v sources %d, want %v", got, len(cat.Sources), wantRel)
	}
}

// A month delivered in another folder modifies only the sources whose
// files differ: a source's file is compared by content, not location.
func TestStateModifiedFollowsContentNotFolder(t *testing.T) {
	dir, _ := newProject(t)
	mustKiln(t, 0, dir, "build")
	state := filepath.Join(t.TempDir(), "state")
	copyTree(t, filepath.Join(dir, "target"), state)

	copyTree(t, filepath.Join(dir, "data", "sample", sample.DefaultMonth), filepath.Join(dir, "data", "month2"))
	wb, err := excelize.OpenFile(filepath.Join(dir, "data", "month2", "web.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := wb.SetCellValue(wb.GetSheetName(0), "B2", "edited"); err != nil {
		t.Fatal(err)
	}
	if err := wb.Save(); err != nil {
		t.Fatal(err)
	}
	wb.Close()
	got := lsIDs(t, dir, "-s", "state:modified", "--resource-type", "source", "--state", state, "--vars", "{raw_dir: data/month2}")
	if strings.Join(got, " ") != "source.bottleneck.raw.web" {
		t.Fatalf("state:modified sources with the month in data/month2: %v, want only source.bottleneck.raw.web", got)
	}
	// A file that cannot be read is compared by location: modified.
	if err := os.Remove(filepath.Join(dir, "data", "month2", "erp.xlsx")); err != nil {
		t.Fatal(err)
	}
	got = lsIDs(t, dir, "-s", "state:modified", "--resource-type", "source", "--state", state, "--vars", "{raw_dir: data/month2}")
	if strings.Join(got, " ") != "source.bottleneck.raw.erp source.bottleneck.raw.web" {
		t.Fatalf("with erp.xlsx missing: %v, want raw.erp and raw.web", got)
	}
}

// A command that reads built tables without building them (kiln test)
// after a build with other --vars stops, says with which vars the tables
// were built and how to run it, and runs nothing; with the same vars it
// runs. (Testing another month's tables against this month's baselines
// failed at +1300% and suggested --accept-deviations.)
func TestTablesBuiltWithOtherVars(t *testing.T) {
	dir, _ := newProject(t)
	cfg := sample.DefaultConfig()
	cfg.Seed++
	if _, err := sample.Generate(filepath.Join(dir, "data", "other"), cfg); err != nil {
		t.Fatal(err)
	}
	mustKiln(t, 0, dir, "build", "--vars", "{raw_dir: data/other, month: '2020-08'}")
	before := string(readFile(t, filepath.Join(dir, "target", "run_results.json")))
	out := mustKiln(t, 2, dir, "test")
	for _, want := range []string{"the tables this run reads were built with other vars", `--vars '{"month":"2020-08","raw_dir":"data/other"}'`, "this run has none", "Nothing was run"} {
		if !strings.Contains(out, want) {
			t.Errorf("kiln test does not say %q:\n%s", want, out)
		}
	}
	if after := string(readFile(t, filepath.Join(dir, "target", "run_results.json"))); after != before {
		t.Error("the refused kiln test wrote run_results.json")
	}
	mustKiln(t, 0, dir, "test", "--vars", "{raw_dir: data/other, month: '2020-08'}")
	// A build of the whole project with other vars rebuilds what it
	// reads: no refusal. (A build with the default vars, the bundled
	// sample, is refused by the project's history_guard: the history holds
	// a month built from data/other, TestSampleRefusedOverRealMonths.)
	other := "{raw_dir: data/other, month: '2020-08', premium_z_score: 3}"
	mustKiln(t, 0, dir, "build", "--vars", other)
	mustKiln(t, 0, dir, "test", "--vars", other)
}

package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kiln-build/kiln/internal/testenv/browsertest"
)

// The docs' overview says which data the tables hold: the run that built
// them, the vars it ran with (month and raw_dir given by --vars, the
// others the project's defaults) and the input files it read with their
// SHA-256, so that a reader can tell January's docs from February's.
// After a later build with other vars that failed, the overview still
// gives the vars of the data, not the failed run's.
// Real builds of BottleNeck into a real DuckDB file, the page read in
// Chromium.
func TestDocsOverviewBuiltWithVars(t *testing.T) {
	dir, _ := newProject(t)
	mustKiln(t, ExitOK, dir, "build", "--vars", "{raw_dir: data/sample/2020-08, month: '2020-08'}")
	first := fmt.Sprint(queryRows(t, dir, "select run_id from kiln_history.runs")[0][0])
	mustKiln(t, ExitOK, dir, "docs", "generate")

	s := browsertest.Start(t, 1400, 900)
	page := "file://" + filepath.Join(dir, "target", "docs", "index.html")
	open := func(what string) {
		browsertest.Do(t, s, what, chromedp.Navigate(page+"#/"), chromedp.WaitVisible(chromedp.CSS("#built-with")))
	}
	text := func(sel string) string {
		return browsertest.Eval[string](t, s, fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(e => e.textContent).join(" | ")`, sel))
	}
	open("the overview after the build")
	if got := text("#built-with .built-run"); !strings.Contains(got, "The tables hold the data of run "+first[:8]+" (kiln build, finished ") {
		t.Errorf("the overview's run reads %q, want run %s", got, first[:8])
	}
	for sel, want := range map[string]string{
		`#built-with tr[data-var="month"]`:           "month2020-08--vars",
		`#built-with tr[data-var="raw_dir"]`:         "raw_dirdata/sample/2020-08--vars",
		`#built-with tr[data-var="premium_z_score"]`: "premium_z_score2project default",
	} {
		if got := text(sel); got != want {
			t.Errorf("%s reads %q, want %q", sel, got, want)
		}
	}
	sum := sha256.Sum256(readFile(t, filepath.Join(dir, "data", "sample", "2020-08", "erp.xlsx")))
	erp := text(`#built-with tr[data-input="source.bottleneck.raw.erp"]`)
	if want := "raw.erpdata/sample/2020-08/erp.xlsxsha256 " + hex.EncodeToString(sum[:])[:12]; !strings.HasPrefix(erp, want) {
		t.Errorf("the ERP input reads %q, want it to start with %q", erp, want)
	}

	// A build with another premium_z_score whose test fails: rolled back,
	// the tables hold the first build's data still.
	if err := os.WriteFile(filepath.Join(dir, "tests", "always_fails.sql"), []byte("select * from {{ ref('int_products') }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	failed := mustKiln(t, ExitFailure, dir, "build", "--vars", "{raw_dir: data/sample/2020-08, month: '2020-08', premium_z_score: 3}")
	mustKiln(t, ExitOK, dir, "docs", "generate")
	open("the overview after the rolled-back build")
	if got := text("#built-with .built-run"); !strings.Contains(got, "run "+first[:8]) {
		t.Errorf("after a rolled-back build the overview's run reads %q, want the first build's, %s", got, first[:8])
	}
	if got := text(`#built-with tr[data-var="premium_z_score"]`); got != "premium_z_score2project default" {
		t.Errorf("after a rolled-back build premium_z_score reads %q, want the data's 2 (project default), not the failed run's 3", got)
	}
	// The input files shown, if any, are those the data was built from
	// (kiln_manifest.json's, when the run that wrote it is that run).
	if got := text(`#built-with tr[data-input="source.bottleneck.raw.erp"]`); got != "" && got != erp {
		t.Errorf("after a rolled-back build the ERP input reads %q, want the first build's %q or none\n%s", got, erp, failed)
	}
	if p := s.Problems(); len(p) > 0 {
		t.Errorf("the page reported problems: %v", p)
	}
}

package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/testenv/browsertest"
)

// A model's page, after a build that rebuilt it and was rolled back, says
// as "last build" the build whose data the table holds (the earlier one,
// with its run id), and shows the rolled-back attempt apart; it used to
// give the rolled-back attempt's time as the last build. Real builds of
// BottleNeck into a real DuckDB file, the page read in Chromium.
func TestDocsLastBuildAfterRollback(t *testing.T) {
	dir, _ := newProject(t)
	mustKiln(t, ExitOK, dir, "build")
	first := fmt.Sprint(queryRows(t, dir, "select run_id from kiln_history.runs")[0][0])
	// The second build rebuilds int_products (its file changed), then a
	// test fails: the run is rolled back.
	p := filepath.Join(dir, "models", "intermediate", "int_products.sql")
	if err := os.WriteFile(p, append(readFile(t, p), "-- changed\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tests", "always_fails.sql"), []byte("select * from {{ ref('int_products') }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustKiln(t, ExitFailure, dir, "build")
	rr, err := artifact.ReadRunResults(filepath.Join(dir, "target", artifact.RunResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	var attempt string
	for _, r := range rr.Results {
		if r.UniqueID == "model.bottleneck.int_products" && r.Message != nil && strings.HasPrefix(*r.Message, "rolled back") {
			for _, x := range r.Timing {
				if x.Name == "execute" {
					attempt = x.CompletedAt
				}
			}
		}
	}
	if attempt == "" || rr.Metadata.InvocationID == first {
		t.Fatalf("the second build did not rebuild int_products and roll it back: %+v", rr.Metadata)
	}
	mustKiln(t, ExitOK, dir, "docs", "generate")

	s := browsertest.Start(t, 1400, 900)
	url := "file://" + filepath.Join(dir, "target", "docs", "index.html") + "#/node/model.bottleneck.int_products"
	browsertest.Do(t, s, "open int_products", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("table.meta")))
	row := func(label string) string {
		return browsertest.Eval[string](t, s, fmt.Sprintf(`(Array.from(document.querySelectorAll('table.meta tr')).find(tr => tr.querySelector('th').textContent === %q) || {textContent: ""}).textContent`, label))
	}
	last := row("last build")
	if !strings.Contains(last, first[:8]) || strings.Contains(last, attempt) {
		t.Errorf("last build reads %q, want the first build (run %s), not the rolled-back attempt at %s", last, first[:8], attempt)
	}
	if rb := row("rolled-back build"); !strings.Contains(rb, attempt) || !strings.Contains(rb, "rolled back") {
		t.Errorf("rolled-back build reads %q, want the attempt at %s", rb, attempt)
	}
	if p := s.Problems(); len(p) > 0 {
		t.Errorf("the page reported problems: %v", p)
	}
}

package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/sample"
)

// TestBackfillKeepsThePresentUpToDate: a backfill builds its working
// tables under the backfill_* schemas, and leaves the up-to-date state of
// the main schemas' tables as the latest month left it (the state is kept
// by node and relation). After 2020-06 and 2020-08 (gap: true: 2020-07
// is missing), then the backfill of
// 2020-07, a partial build of the marts and their children with 2020-08's
// vars reads staging and intermediate without building them and is not
// refused as reading tables built with other vars (the backfill's); the
// build of 2020-08 again finds the sources, staging, intermediate and
// marts tables up to date, and runs monthly_indicators (the backfill
// wrote 2020-07's row: its gates compare with it), its gates and the
// exports, which keep 2020-08's figures.
func TestBackfillKeepsThePresentUpToDate(t *testing.T) {
	dir, _ := newProject(t)
	months, err := sample.GenerateMonths(filepath.Join(dir, "data", "sample"), sample.DefaultConfig(), []string{"2020-06", "2020-07", "2020-08"})
	if err != nil {
		t.Fatal(err)
	}
	vars := func(month, extra string) string {
		return fmt.Sprintf("{raw_dir: data/sample/%s, month: '%s'%s}", month, month, extra)
	}
	mustKiln(t, 0, dir, "build", "--vars", vars("2020-06", ""))
	mustKiln(t, 0, dir, "build", "--vars", vars("2020-08", ", gap: true"))
	mustKiln(t, 0, dir, "build", "--vars", vars("2020-07", ", backfill: true"))

	code, out, errOut := kiln(t, dir, "build", "-s", "path:models/marts+", "--vars", vars("2020-08", ", gap: true"))
	if code != 0 || strings.Contains(errOut, "built with other vars") {
		t.Errorf("the partial build of 2020-08's marts after the backfill exited %d, want 0:\n%s%s", code, out, errOut)
	}
	mustKiln(t, 0, dir, "build", "--vars", vars("2020-07", ", backfill: true"))
	out = mustKiln(t, 0, dir, "build", "--vars", vars("2020-08", ", gap: true"))
	for _, rel := range []string{"source    raw.erp", "source    raw.web", "model     staging.stg_erp", "model     staging.stg_web",
		"model     intermediate.int_products", "model     marts.kpi_summary", "model     marts.revenue_by_product"} {
		if !strings.Contains(out, "UP-TO-DATE  0.00s  "+rel+"\n") {
			t.Errorf("the build of 2020-08 after the backfill runs %s again:\n%s", rel, out)
		}
	}
	if !strings.Contains(out, "model     history.monthly_indicators") || strings.Contains(out, "UP-TO-DATE  0.00s  model     history.monthly_indicators") {
		t.Errorf("the build of 2020-08 after the backfill does not run monthly_indicators, whose table the backfill changed:\n%s", out)
	}
	checkHistory(t, dir, months, []string{"2020-06", "2020-07", "2020-08"})
	aug := months[2].Expected
	want := fmt.Sprintf("%d|%s", aug.Joined, aug.TotalRevenue())
	if got := rowsOf(t, dir, `select products, cast(total_revenue as varchar) from marts.kpi_summary`); len(got) != 1 || got[0] != want {
		t.Errorf("marts.kpi_summary holds %v, want %s", got, want)
	}
	if n := csvRows(t, filepath.Join(dir, "target", "exports", "revenue_by_product.csv")); n != aug.Joined {
		t.Errorf("revenue_by_product.csv has %d rows, want %d", n, aug.Joined)
	}
}

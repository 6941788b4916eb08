package cli

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestUnchangedExportConfirmed: finding B2 of the new-user trial, on
// months made from the real exports. 2020-11's ERP export is the file
// accepted for 2020-10 (a quiet month), with November's own web export:
// input_freshness refuses it as not delivered, with --accept-deviations
// too, and the history stays as it was; unchanged_ok naming an unknown
// source is refused before any node runs; unchanged_ok: raw.erp builds
// 2020-11 for this run only, says which accepted month the file is, and
// the run's vars record it (kiln_history.runs.vars).
func TestUnchangedExportConfirmed(t *testing.T) {
	raw := realRaw(t)
	dir, _ := newProject(t)
	folders := realMonths(t, dir, raw, 9, 11)
	// November with October's ERP file, byte for byte.
	copyFile(t, filepath.Join(folders[10], "erp.xlsx"), filepath.Join(folders[11], "erp.xlsx"))
	build := func(want int, folder, month, extra string, flags ...string) string {
		t.Helper()
		args := append([]string{"build", "--vars", fmt.Sprintf("{raw_dir: %q, month: %q%s}", folder, month, extra)}, flags...)
		return mustKiln(t, want, dir, args...)
	}
	months := func() []string {
		t.Helper()
		return rowsOf(t, dir, `select strftime(month, '%Y-%m') from history.monthly_indicators order by month`)
	}
	build(0, folders[9], "2020-09", "")
	build(0, folders[10], "2020-10", "")
	for _, flags := range [][]string{nil, {"--accept-deviations"}} {
		if out := build(1, folders[11], "2020-11", "", flags...); !strings.Contains(out, "erp.xlsx has the content of the file accepted for 2020-10") {
			t.Errorf("October's ERP file as 2020-11 (%v) is not refused as not delivered:\n%s", flags, out)
		}
	}
	if out := build(1, folders[11], "2020-11", ", unchanged_ok: raw.erpp"); !strings.Contains(out, "unchanged_ok names raw.erpp, which is not a monthly export of this project. Nothing was run") {
		t.Errorf("an unknown source in unchanged_ok is not refused:\n%s", out)
	}
	if got := months(); !slices.Equal(got, []string{"2020-09", "2020-10"}) {
		t.Fatalf("the refused runs left the history with %v", got)
	}
	out := build(0, folders[11], "2020-11", ", unchanged_ok: raw.erp")
	if !strings.Contains(out, "unchanged_ok: raw.erp: erp.xlsx under raw_dir "+folders[11]+" has the content of the file accepted for 2020-10; this run accepts it as 2020-11's export") {
		t.Errorf("the run with unchanged_ok: raw.erp does not say what it accepts:\n%s", out)
	}
	if got := months(); !slices.Equal(got, []string{"2020-09", "2020-10", "2020-11"}) {
		t.Errorf("after unchanged_ok: raw.erp the history holds %v", got)
	}
	if got := query(t, dir, `select vars from kiln_history.runs order by started_at desc limit 1`); !strings.Contains(got, `"unchanged_ok":"raw.erp"`) && !strings.Contains(got, `"unchanged_ok": "raw.erp"`) {
		t.Errorf("the run's vars do not record unchanged_ok: %s", got)
	}
}

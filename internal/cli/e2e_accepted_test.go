package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/artifact"
)

// acceptedQuery lists a run's observations: the gate's node, its series'
// segment and month, and whether the gate accepted it into its history.
const acceptedQuery = `select o.unique_id, o.series, coalesce(o.segment, ''), o.accepted
        from kiln_history.observations o where o.run_id = '%s' order by all`

// lastRun returns the id and status of the history's latest run.
func lastRun(t *testing.T, dir string) (id, status string) {
	t.Helper()
	rows := queryRows(t, dir, `select run_id, status from kiln_history.runs order by started_at desc, run_id desc limit 1`)
	if len(rows) != 1 {
		t.Fatalf("the history holds no run")
	}
	return fmt.Sprint(rows[0][0]), fmt.Sprint(rows[0][1])
}

// gateHistories reads the run's gates (kiln_run_results.json): by node
// and series' label (and segment), the months of the accepted history it
// learnt from.
func gateHistories(t *testing.T, dir string) map[string][]string {
	t.Helper()
	rr, err := artifact.ReadRunResults(filepath.Join(dir, "target", "run_results.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range rr.Results {
		for _, g := range r.Gates {
			var months []string
			for _, h := range g.History {
				months = append(months, h.Month)
			}
			out[string(r.UniqueID)+" "+g.Label+" "+g.Segment] = months
		}
	}
	return out
}

// TestFailedRunAcceptsNothing: a month of the real exports that fails
// the deviation gates (a fifth of the web products dropped) is recorded
// with none of its observations accepted, not even those of the checks
// that passed in it; the next month's gates learn from the good month
// only.
func TestFailedRunAcceptsNothing(t *testing.T) {
	if _, err := os.Stat(filepath.Join(realExports, "web.xlsx")); err != nil {
		t.Skipf("the real exports are not at %s", realExports)
	}
	dir, _ := newProject(t)
	real, _ := filepath.Abs(realExports)
	// June loses a fifth of its web products; July loses one. Each month's
	// ERP differs from the others' by a cell (input_freshness).
	bad, july := filepath.Join(dir, "data", "2024-06"), filepath.Join(dir, "data", "2024-07")
	dropWebProducts(t, real, bad, 5, 0)
	stampWorkbooks(t, bad, 6)
	dropWebProducts(t, real, july, 1000, 0)
	stampWorkbooks(t, july, 7)
	build := func(want int, raw, month string) {
		// July follows the failed June: gap: true (the history's latest is May).
		gap := map[bool]string{true: ", gap: true"}[month == "2024-07"]
		mustKiln(t, want, dir, "build", "--vars", fmt.Sprintf("{raw_dir: %q, month: '%s'%s}", raw, month, gap))
	}
	build(0, real, "2024-05")
	good, status := lastRun(t, dir)
	if status != "success" {
		t.Fatalf("the good month's run is %s", status)
	}
	if n := rowsOf(t, dir, fmt.Sprintf(`select count(*) from kiln_history.observations where run_id = '%s' and accepted`, good)); n[0] == "0" {
		t.Fatalf("the good month accepted no observation")
	}

	build(1, bad, "2024-06")
	failed, status := lastRun(t, dir)
	if status != "error" {
		t.Fatalf("the bad month's run is %s, want error", status)
	}
	obs := rowsOf(t, dir, fmt.Sprintf(acceptedQuery, failed))
	if len(obs) == 0 {
		t.Fatalf("the failed run recorded no observation")
	}
	var accepted []string
	for _, o := range obs {
		if strings.HasSuffix(o, "|true") {
			accepted = append(accepted, o)
		}
	}
	if len(accepted) > 0 {
		t.Errorf("the failed run's observations are accepted:\n%s\n(of %d)", strings.Join(accepted, "\n"), len(obs))
	}

	build(0, july, "2024-07")
	histories := gateHistories(t, dir)
	learnt := 0
	for gate, months := range histories {
		switch strings.Join(months, ",") {
		case "2024-05":
			learnt++
		case "":
		default:
			t.Errorf("%s learns from %v, want 2024-05 only (the failed 2024-06 is no accepted month)", gate, months)
		}
	}
	if learnt == 0 {
		t.Errorf("no gate of 2024-07 learnt from 2024-05: %v", histories)
	}
	t.Logf("2024-07: %d of %d gates learn from 2024-05 only", learnt, len(histories))
}

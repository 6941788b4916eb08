package cli

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestBuiltMonthRefusesOtherFiles: findings C1 and B1 of the new-user
// trial, on months made from the real exports. The history holds
// 2020-09..2020-12; January's files built as 2020-12 (a wrong month var)
// are refused before any node runs, naming the month, the run that built
// it and when, the files that differ and correction: true, and the
// history, the snapshot, the marts and the exports stay byte for byte as
// they were; as the older 2020-11 they are refused too (plain: an older
// month; backfill: true: other files). December's own files run again
// need no correction. Once January was filed as 2020-12 (run A, with
// correction: true) and December corrected back with its own files (run
// B), run A's files are no month's: January's files build 2021-01
// (input_freshness compares with each month's last accepted run only).
// correction: true with the month's own files says it has no effect.
func TestBuiltMonthRefusesOtherFiles(t *testing.T) {
	raw := realRaw(t)
	dir, _ := newProject(t)
	folders := realMonths(t, dir, raw, 9, 13)
	month := func(m int) string { return fmt.Sprintf("%04d-%02d", 2020+(m-1)/12, (m-1)%12+1) }
	build := func(want int, folder, month string, extra string) string {
		t.Helper()
		return mustKiln(t, want, dir, "build", "--vars", fmt.Sprintf("{raw_dir: %q, month: %q%s}", folder, month, extra))
	}
	lastRun := func() string {
		t.Helper()
		return query(t, dir, `select run_id from kiln_history.runs order by started_at desc limit 1`)[:8]
	}
	novRow := func() string {
		t.Helper()
		return query(t, dir, `select cast(total_revenue as varchar) || ' ' || web_products from history.monthly_indicators where month = date '2020-12-01'`)
	}
	var builtDec, nov string
	for m := 9; m <= 12; m++ {
		build(0, folders[m], month(m), "")
		if m == 12 {
			builtDec, nov = lastRun(), novRow()
		}
	}
	before := bottleneckState(t, dir)

	// C1: January's files under 2020-12.
	out := build(1, folders[13], "2020-12", "")
	for _, want := range []string{
		`month 2020-12 is already in "history"."monthly_indicators" in target/bottleneck.duckdb, built by run ` + builtDec + ` of `,
		"erp.xlsx, liaison.xlsx, web.xlsx under raw_dir " + folders[13] + " differ from the files it accepted (data/m12/erp.xlsx, data/m12/liaison.xlsx, data/m12/web.xlsx)",
		"Nothing was run: check the month var",
		"pass correction: true in --vars to replace the month's figures with them",
		"a workbook saved again with the same cells differs too",
		"no node ran: on-run-start failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("January's files as 2020-12 do not say %q:\n%s", want, out)
		}
	}
	if got := bottleneckState(t, dir); !slices.Equal(got, before) {
		t.Error("the refused run changed the history, the snapshot, the marts or the exports")
	}
	if got := novRow(); got != nov {
		t.Errorf("2020-12 is %s after the refused run, want %s", got, nov)
	}

	// An older month held (2020-11) with January's files: refused as a
	// plain run (it would become the present) and, as a backfill, as
	// other files than those it was built with.
	if out := build(1, folders[13], "2020-11", ""); !strings.Contains(out, "month 2020-11 is older than the latest month") {
		t.Errorf("January's files as 2020-11 (plain) are not refused as an older month:\n%s", out)
	}
	if out := build(1, folders[13], "2020-11", ", backfill: true"); !strings.Contains(out, "month 2020-11 is already in ") || !strings.Contains(out, "pass correction: true") {
		t.Errorf("January's files as 2020-11 (backfill) are not refused as other files:\n%s", out)
	}
	if got := bottleneckState(t, dir); !slices.Equal(got, before) {
		t.Error("a refused run of 2020-11 changed the history, the snapshot, the marts or the exports")
	}

	// December's own files run again: allowed without correction.
	if out := build(0, folders[12], "2020-12", ""); strings.Contains(out, "on-run-start failed") {
		t.Errorf("December run again with its files was refused:\n%s", out)
	}

	// Run A: January filed as 2020-12 (correction: true, as a run before
	// the guard existed would have).
	build(0, folders[13], "2020-12", ", correction: true")
	runA, jan := lastRun(), novRow()
	if jan == nov {
		t.Fatalf("January's files give December's figures (%s): the test checks nothing", nov)
	}
	// Run B: December's files again, refused as other files than run A's,
	// then corrected.
	out = build(1, folders[12], "2020-12", "")
	if !strings.Contains(out, "built by run "+runA+" of ") || !strings.Contains(out, "differ from the files it accepted (data/m13/") {
		t.Errorf("December's files after run A do not name run A and its files:\n%s", out)
	}
	build(0, folders[12], "2020-12", ", correction: true")
	if got := novRow(); got != nov {
		t.Errorf("2020-12 is %s after the correction, want December's %s", got, nov)
	}
	// B1: January's own files build January.
	out = build(0, folders[13], "2021-01", "")
	if strings.Contains(out, "has the content of the file accepted for 2020-12") {
		t.Errorf("January's files are refused as run A's:\n%s", out)
	}
	// correction: true with the files the month was built with says it
	// has no effect.
	if out := build(0, folders[13], "2021-01", ", correction: true"); !strings.Contains(out, "correction: true has no effect: the files under raw_dir "+folders[13]+" are those month 2021-01 was built with") {
		t.Errorf("correction: true with the month's own files does not say it has no effect:\n%s", out)
	}
	if got := rowsOf(t, dir, `select strftime(month, '%Y-%m') from history.monthly_indicators order by month`); !slices.Equal(got, []string{"2020-09", "2020-10", "2020-11", "2020-12", "2021-01"}) {
		t.Errorf("the history holds %v", got)
	}
	if got := query(t, dir, `select cast(total_revenue as varchar) || ' ' || web_products from history.monthly_indicators where month = date '2021-01-01'`); got != jan {
		t.Errorf("2021-01 is %s, want January's figures %s", got, jan)
	}
}

package cli

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestMonthAheadRefusedAndWithdrawn: finding K1 (and B1) of the new-user
// trial, on months made from the real exports. The history holds 2020-09
// and 2020-10; November's files built as 2021-01 (a month var typed
// ahead) are refused before any node runs, naming the missing months
// 2020-11 and 2020-12 and gap: true, and the history, the snapshot, the
// marts and the exports stay byte for byte as they were. With gap: true
// the run files them as 2021-01. kiln run-operation withdraw_month takes
// 2021-01 back: its row moves to history.withdrawn_months (kept, with its
// reason), the history's latest month is 2020-10 again, and November's
// files then build 2020-11 as the next month (neither refused as older
// than 2021-01 nor as 2021-01's files by input_freshness), with the same
// figures, and every gate of that run learns from 2020-09 and 2020-10
// only.
func TestMonthAheadRefusedAndWithdrawn(t *testing.T) {
	raw := realRaw(t)
	dir, _ := newProject(t)
	folders := realMonths(t, dir, raw, 9, 11)
	build := func(want int, folder, month, extra string) string {
		t.Helper()
		return mustKiln(t, want, dir, "build", "--vars", fmt.Sprintf("{raw_dir: %q, month: %q%s}", folder, month, extra))
	}
	months := func() []string {
		t.Helper()
		return rowsOf(t, dir, `select strftime(month, '%Y-%m') || ' ' || cast(total_revenue as varchar) || ' ' || web_products from history.monthly_indicators order by month`)
	}
	build(0, folders[9], "2020-09", "")
	build(0, folders[10], "2020-10", "")
	held := months()
	before := bottleneckState(t, dir)

	// K1: November's files typed ahead as 2021-01.
	out := build(1, folders[11], "2021-01", "")
	for _, want := range []string{
		`month 2021-01 is more than one month after 2020-10, the latest month of "history"."monthly_indicators" in target/bottleneck.duckdb: the history has no 2020-11, 2020-12.`,
		"Nothing was run: check the month var (the next month is 2020-11",
		"pass gap: true in --vars",
		"no node ran: on-run-start failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("November's files as 2021-01 do not say %q:\n%s", want, out)
		}
	}
	if got := bottleneckState(t, dir); !slices.Equal(got, before) {
		t.Error("the refused run changed the history, the snapshot, the marts or the exports")
	}

	// The operator says so: filed as 2021-01.
	out = build(0, folders[11], "2021-01", ", gap: true")
	if !strings.Contains(out, "gap: true: 2021-01 follows 2020-10, the latest month of \"history\".\"monthly_indicators\"; the history skips 2020-11, 2020-12") {
		t.Errorf("the run with gap: true does not say which months it skips:\n%s", out)
	}
	got := months()
	if len(got) != 3 || !strings.HasPrefix(got[2], "2021-01 ") || !slices.Equal(got[:2], held) {
		t.Fatalf("after gap: true the history holds %v, want %v and 2021-01", got, held)
	}
	wrong := strings.TrimPrefix(got[2], "2021-01 ")

	// Withdraw it.
	out = mustKiln(t, 0, dir, "run-operation", "withdraw_month", "--args", "{month: 2021-01, reason: November filed as January}")
	if !strings.Contains(out, "withdrew month 2021-01") || !strings.Contains(out, "The latest month of the history is 2020-10") {
		t.Errorf("withdraw_month does not say what it did:\n%s", out)
	}
	if got := months(); !slices.Equal(got, held) {
		t.Errorf("after the withdrawal the history holds %v, want %v", got, held)
	}
	if got := rowsOf(t, dir, `select strftime(month, '%Y-%m') || ' ' || cast(total_revenue as varchar) || ' ' || web_products || ' ' || reason || ' ' || (withdrawn_at is not null) from history.withdrawn_months`); !slices.Equal(got, []string{"2021-01 " + wrong + " November filed as January true"}) {
		t.Errorf("history.withdrawn_months holds %v", got)
	}
	if out := mustKiln(t, 1, dir, "run-operation", "withdraw_month", "--args", "{month: 2020-12}"); !strings.Contains(out, "month 2020-12 is not in \"history\".\"monthly_indicators\", which holds 2020-09, 2020-10") {
		t.Errorf("withdrawing a month not held does not say so:\n%s", out)
	}

	// November's files build 2020-11 as the next month, with the figures
	// they gave as 2021-01, and its gates learn from 2020-09 and 2020-10.
	build(0, folders[11], "2020-11", "")
	if got := months(); len(got) != 3 || got[2] != "2020-11 "+wrong || !slices.Equal(got[:2], held) {
		t.Errorf("after 2020-11 the history holds %v, want %v and 2020-11 %s", got, held, wrong)
	}
	learnt := 0
	for gate, ms := range gateHistories(t, dir) {
		if slices.Contains(ms, "2021-01") || slices.Contains(ms, "2020-11") {
			t.Errorf("gate %s of 2020-11 learnt from %v", gate, ms)
		}
		if slices.Equal(ms, []string{"2020-09", "2020-10"}) {
			learnt++
		}
	}
	if learnt == 0 {
		t.Errorf("no gate of 2020-11 learnt from 2020-09 and 2020-10: %v", gateHistories(t, dir))
	}
}

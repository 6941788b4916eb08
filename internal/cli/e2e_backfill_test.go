package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/sample"
)

// presentState is what a backfill must leave as the latest month left it:
// the snapshot's rows, the rows of every table of the marts, staging,
// intermediate and raw schemas, the failing rows kept in audit, and the
// bytes of each export.
func presentState(t *testing.T, dir string) []string {
	t.Helper()
	out := rowsOf(t, dir, `select * from history.erp_price_history order by product_id, dbt_valid_from`)
	tables := rowsOf(t, dir, `select table_schema || '.' || table_name from information_schema.tables
where table_schema in ('raw', 'staging', 'intermediate', 'marts', 'audit') order by 1`)
	if len(tables) < 15 {
		t.Fatalf("the present holds the tables %v: the test checks nothing", tables)
	}
	for _, rel := range tables {
		out = append(out, "table "+rel)
		out = append(out, rowsOf(t, dir, `select * from `+rel+` order by all`)...)
	}
	exports := filepath.Join(dir, "target", "exports")
	entries, err := os.ReadDir(exports)
	if err != nil || len(entries) != 4 {
		t.Fatalf("exports: %v %v", entries, err)
	}
	for _, e := range entries {
		out = append(out, e.Name()+"\x00"+string(readFile(t, filepath.Join(exports, e.Name()))))
	}
	return out
}

// TestBackfillLeavesThePresent builds 2020-06 and 2020-08 (2020-07
// missed), then runs the older months again: a plain run of 2020-06 is
// refused (exit 1, nothing changed, naming backfill: true); with
// backfill: true, 2020-06 is corrected from other exports and the missed
// 2020-07 is filled in. Each backfill writes its month's row of
// history.monthly_indicators only (the rows equal the figures computed in
// Go from the months' cells), says so in one line, builds its working
// tables under backfill_*, and leaves the snapshot (rows and current
// versions: 2020-08's), the marts, staging, intermediate, raw and audit
// tables and the bytes of the four exports as 2020-08 left them.
// backfill: true for the latest month or a newer one is refused. The
// next month, 2020-09, then builds on 2020-08's versions and publishes its
// figures.
func TestBackfillLeavesThePresent(t *testing.T) {
	dir, _ := newProject(t)
	months, err := sample.GenerateMonths(filepath.Join(dir, "data", "sample"), sample.DefaultConfig(), []string{"2020-06", "2020-07", "2020-08", "2020-09"})
	if err != nil {
		t.Fatal(err)
	}
	june, july, aug, sept := months[0], months[1], months[2], months[3]
	build := func(want int, raw, month, extra string) string {
		t.Helper()
		return mustKiln(t, want, dir, "build", "--vars", fmt.Sprintf("{raw_dir: %s, month: '%s'%s}", raw, month, extra))
	}
	build(0, "data/sample/2020-06", "2020-06", "")
	build(0, "data/sample/2020-08", "2020-08", ", gap: true") // 2020-07 is missed
	checkHistory(t, dir, []sample.Month{june, aug}, []string{"2020-06", "2020-08"})
	checkSnapshot(t, dir, []sample.Month{june, aug})
	present := presentState(t, dir)
	unchanged := func(what string) {
		t.Helper()
		if got := presentState(t, dir); !slices.Equal(got, present) {
			for i := range min(len(got), len(present)) {
				if got[i] != present[i] {
					t.Errorf("%s changed the present: first difference at %d:\n got %.200q\nwant %.200q", what, i, got[i], present[i])
					return
				}
			}
			t.Errorf("%s changed the present: %d rows, want %d", what, len(got), len(present))
		}
	}

	// A plain run of an older month the history holds: refused.
	out := build(1, "data/sample/2020-07", "2020-06", "")
	for _, want := range []string{
		`month 2020-06 is older than the latest month of "history"."monthly_indicators" in target/bottleneck.duckdb, 2020-08. Nothing was run`,
		"To correct 2020-06's row of the history, pass backfill: true in --vars",
		"no node ran: on-run-start failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the plain run of 2020-06 does not say %q:\n%s", want, out)
		}
	}
	unchanged("the refused run of 2020-06")
	checkHistory(t, dir, []sample.Month{june, aug}, []string{"2020-06", "2020-08"})

	// 2020-06 corrected (here from 2020-07's files), then the missed
	// 2020-07: each writes its row only and leaves the present.
	for _, run := range []struct {
		raw, month string
		history    []sample.Month
		names      []string
	}{
		{"data/sample/2020-07", "2020-06", []sample.Month{july, aug}, []string{"2020-06", "2020-08"}},
		{"data/sample/2020-07", "2020-07", []sample.Month{july, july, aug}, []string{"2020-06", "2020-07", "2020-08"}},
	} {
		out := build(0, run.raw, run.month, ", backfill: true")
		line := "backfill of " + run.month + ` (older than 2020-08, the latest month of "history"."monthly_indicators"): this run writes ` + run.month +
			"'s row of the history, its working tables under the backfill_* schemas; it takes no snapshot and writes no export, so the snapshot, the marts and the exports keep 2020-08's figures.\n"
		if strings.Count(out, line) != 1 {
			t.Errorf("the backfill of %s does not say once %q:\n%s", run.month, line, out)
		}
		for _, not := range []string{" snapshot  ", " export    ", "erp_rows_vs_last_run", "joined_products_vs_last_run"} {
			if strings.Contains(out, not) {
				t.Errorf("the backfill of %s runs %q:\n%s", run.month, not, out)
			}
		}
		if !strings.Contains(out, "PASS        0") || !strings.Contains(out, "total_revenue_over_history") {
			t.Errorf("the backfill of %s does not run the history's gates:\n%s", run.month, out)
		}
		checkHistory(t, dir, run.history, run.names)
		checkSnapshot(t, dir, []sample.Month{june, aug})
		unchanged("the backfill of " + run.month)
		// Its working tables hold the backfilled month's figures.
		want := fmt.Sprintf("%d|%s", july.Expected.Joined, july.Expected.TotalRevenue())
		if got := rowsOf(t, dir, `select products, cast(total_revenue as varchar) from backfill_marts.kpi_summary`); len(got) != 1 || got[0] != want {
			t.Errorf("backfill_marts.kpi_summary after the backfill of %s holds %v, want %s", run.month, got, want)
		}
	}

	// backfill: true for a month that is not older than the latest.
	for _, month := range []string{"2020-08", "2020-09"} {
		out := build(1, "data/sample/2020-08", month, ", backfill: true")
		want := "backfill: true runs a month older than the latest month of the history, but " + month + " is not older than 2020-08"
		if !strings.Contains(out, want) || !strings.Contains(out, "Run "+month+" without backfill: true") {
			t.Errorf("backfill: true for %s does not say %q:\n%s", month, want, out)
		}
		unchanged("backfill: true for " + month)
	}

	// The next month takes its versions after 2020-08's and publishes
	// its figures.
	build(0, "data/sample/2020-09", "2020-09", "")
	checkHistory(t, dir, []sample.Month{july, july, aug, sept}, []string{"2020-06", "2020-07", "2020-08", "2020-09"})
	checkSnapshot(t, dir, []sample.Month{june, aug, sept})
	want := fmt.Sprintf("%d|%s", sept.Expected.Joined, sept.Expected.TotalRevenue())
	if got := rowsOf(t, dir, `select products, cast(total_revenue as varchar) from marts.kpi_summary`); len(got) != 1 || got[0] != want {
		t.Errorf("marts.kpi_summary after 2020-09 holds %v, want %s", got, want)
	}
	if n := csvRows(t, filepath.Join(dir, "target", "exports", "revenue_by_product.csv")); n != sept.Expected.Joined {
		t.Errorf("revenue_by_product.csv after 2020-09 has %d rows, want %d", n, sept.Expected.Joined)
	}
}

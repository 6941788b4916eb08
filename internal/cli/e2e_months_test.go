package cli

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/sample"
)

// rowsOf runs q on the project's database and returns its rows, each row's
// values as text joined by "|".
func rowsOf(t *testing.T, dir, q string) []string {
	t.Helper()
	rows := queryRows(t, dir, q)
	out := make([]string, len(rows))
	for i, r := range rows {
		parts := make([]string, len(r))
		for j, v := range r {
			parts[j] = fmt.Sprint(v)
		}
		out[i] = strings.Join(parts, "|")
	}
	return out
}

// historyQuery reads history.monthly_indicators in the order of
// indicatorRow, mean_price last.
const historyQuery = `select strftime(month, '%Y-%m'), erp_products, outofstock_products, web_products, joined_products,
    unmatched_liaisons, cast(total_revenue as varchar), premium_count, ordinary_count, mean_price
from history.monthly_indicators order by month`

// indicatorRow is a month's row of history.monthly_indicators as computed
// in Go from the month's generated cells (sample.Month), without the mean
// price, which checkHistory compares within 0.0001.
func indicatorRow(m sample.Month) string {
	e := m.Expected
	out := 0
	for _, p := range m.ERP {
		if p.Status == "outofstock" {
			out++
		}
	}
	return fmt.Sprintf("%s|%d|%d|%d|%d|%d|%s|%d|%d", m.Name, e.ERPProducts, out, e.WebProducts, e.Joined,
		e.LiaisonUnmatched, e.TotalRevenue(), e.PremiumCount, e.OrdinaryCount)
}

// checkHistory checks that the history holds exactly the rows of want
// (name: the month of the row, the month whose figures it holds).
func checkHistory(t *testing.T, dir string, want []sample.Month, names []string) {
	t.Helper()
	got := rowsOf(t, dir, historyQuery)
	if len(got) != len(want) {
		t.Fatalf("the history has %d months, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i, m := range want {
		row := indicatorRow(m)
		row = names[i] + row[strings.Index(row, "|"):]
		cut := strings.LastIndex(got[i], "|")
		if got[i][:cut] != row {
			t.Errorf("history row %d:\n got %s\nwant %s", i, got[i][:cut], row)
		}
		mean, err := strconv.ParseFloat(got[i][cut+1:], 64)
		if err != nil || math.Abs(mean-m.Expected.PriceMean) > 0.0001 {
			t.Errorf("history row %d: mean_price %s, want %.4f", i, got[i][cut+1:], m.Expected.PriceMean)
		}
	}
}

// erpVersion is one version of a product in the ERP snapshot.
type erpVersion struct {
	price      int64 // cents
	status     string
	firstMonth string
}

// wantVersions is the reference history of the ERP snapshot after the
// months were built in order, written independently of kiln: a product
// gets a version in the first month that shows it and in each month whose
// price or stock status differs from its last version's; a version is
// current when its product is in the last month.
func wantVersions(months []sample.Month) (map[string][]erpVersion, map[string]bool) {
	vs := map[string][]erpVersion{}
	for _, m := range months {
		for id, p := range m.ERP {
			l := vs[id]
			if len(l) == 0 || l[len(l)-1].price != p.PriceCents || l[len(l)-1].status != p.Status {
				vs[id] = append(l, erpVersion{p.PriceCents, p.Status, m.Name})
			}
		}
	}
	current := map[string]bool{}
	for id := range months[len(months)-1].ERP {
		current[id] = true
	}
	return vs, current
}

// checkSnapshot compares history.erp_price_history with wantVersions:
// each product's versions in order, which one is current, and that the
// versions of a product follow each other without gap or overlap.
func checkSnapshot(t *testing.T, dir string, months []sample.Month) {
	t.Helper()
	want, current := wantVersions(months)
	rows := rowsOf(t, dir, `select product_id, cast(price * 100 as bigint), stock_status, first_month, dbt_valid_to is null,
    coalesce(dbt_valid_to = lead(dbt_valid_from) over (partition by product_id order by dbt_valid_from), dbt_valid_to is null or lead(dbt_valid_from) over (partition by product_id order by dbt_valid_from) is null)
from history.erp_price_history order by product_id, dbt_valid_from`)
	got := map[string][]erpVersion{}
	for _, r := range rows {
		f := strings.Split(r, "|")
		price, _ := strconv.ParseInt(f[1], 10, 64)
		got[f[0]] = append(got[f[0]], erpVersion{price, f[2], f[3]})
		last := len(got[f[0]]) == len(want[f[0]])
		if isCurrent := f[4] == "true"; isCurrent != (last && current[f[0]]) {
			t.Errorf("product %s: version %v current = %v", f[0], got[f[0]], isCurrent)
		}
		if f[5] != "true" {
			t.Errorf("product %s: a version does not end where the next starts: %s", f[0], r)
		}
	}
	if len(got) != len(want) {
		t.Errorf("the snapshot has %d products, want %d", len(got), len(want))
	}
	changed := 0
	for id, w := range want {
		if !slices.Equal(got[id], w) {
			t.Errorf("product %s: versions %v, want %v", id, got[id], w)
		}
		changed += len(w) - 1
	}
	if len(months) > 1 && changed == 0 {
		t.Error("no product changed between the months: the test checks nothing")
	}
}

// TestBottleNeckOverMonths builds the three bundled months in order on one
// DuckDB file: after each, the history of monthly indicators holds one row
// per month built, equal to each month's figures computed in Go from its
// cells, and the ERP snapshot holds a version per product and per change
// of price or stock status, exactly. Then an older month run again (a
// backfill) replaces its row only, and a month whose web export lost a
// fifth of its products fails the deviation gates against the history and
// leaves the history and the snapshot as they were.
func TestBottleNeckOverMonths(t *testing.T) {
	dir, _ := newProject(t)
	months, err := sample.GenerateMonths(filepath.Join(dir, "data", "sample"), sample.DefaultConfig(), sample.DefaultMonths)
	if err != nil {
		t.Fatal(err)
	}
	build := func(want int, raw, month string, extra ...string) string {
		return mustKiln(t, want, dir, "build", "--vars", fmt.Sprintf("{raw_dir: %s, month: '%s'%s}", raw, month, strings.Join(extra, "")))
	}
	for i, m := range months {
		out := build(0, "data/sample/"+m.Name, m.Name)
		for _, gate := range []string{"PASS        ", "joined_products_over_history", "total_revenue_over_history"} {
			if !strings.Contains(out, gate) {
				t.Fatalf("%s: the build does not show %q:\n%s", m.Name, gate, out)
			}
		}
		names := sample.DefaultMonths[:i+1]
		checkHistory(t, dir, months[:i+1], names)
		checkSnapshot(t, dir, months[:i+1])
	}
	// The default build is the last month: its row again, nothing else.
	mustKiln(t, 0, dir, "build")
	checkHistory(t, dir, months, sample.DefaultMonths)
	checkSnapshot(t, dir, months)

	// 2020-07 run again on corrected exports (here 2020-06's files), a
	// backfill: its row takes their figures; the other months keep
	// theirs, and the snapshot keeps 2020-08's versions.
	build(0, "data/sample/2020-06", "2020-07", ", backfill: true")
	checkHistory(t, dir, []sample.Month{months[0], months[0], months[2]}, sample.DefaultMonths)
	checkSnapshot(t, dir, months)

	// A month whose web export lost a fifth of its products fails the
	// gates against the months before it, and changes nothing.
	build(0, "data/sample/2020-07", "2020-07", ", backfill: true")
	checkSnapshot(t, dir, months)
	history := rowsOf(t, dir, historyQuery)
	snapshot := rowsOf(t, dir, `select * from history.erp_price_history order by product_id, dbt_valid_from`)
	dropped := dropWebProducts(t, filepath.Join(dir, "data", "sample", "2020-08"), filepath.Join(dir, "data", "bad"), 5, 0)
	stderr := build(1, "data/bad", "2020-09")
	for _, want := range []string{"FAIL test web_products_over_history", "FAIL test joined_products_over_history",
		"were restored; the tables, views and exports are as they were before the run"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the bad month (%d web products dropped): stderr does not mention %q:\n%s", dropped, want, stderr)
		}
	}
	// The evidence: the month, its value, the median of the 3 months
	// before it and the change in percent.
	web := months[2].Expected.WebProducts - dropped
	change := strconv.FormatFloat(math.Round(1000*float64(web-50)/50)/10, 'f', -1, 64)
	want := fmt.Sprintf("2020-09|%d|50|3|%s", web, change)
	if got := rowsOf(t, dir, `select month, value, median_of_earlier_months, earlier_months, change_pct from audit.web_products_over_history`); len(got) != 1 || got[0] != want {
		t.Errorf("audit.web_products_over_history holds %v, want %s", got, want)
	}
	if got := rowsOf(t, dir, historyQuery); !slices.Equal(got, history) {
		t.Errorf("the failed month changed the history:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(history, "\n"))
	}
	if got := rowsOf(t, dir, `select * from history.erp_price_history order by product_id, dbt_valid_from`); !slices.Equal(got, snapshot) {
		t.Errorf("the failed month changed the snapshot")
	}
	checkHistory(t, dir, months, sample.DefaultMonths)
}

// TestBottleNeckMonthInKestra: the exported flow fills the month var with
// the month before the Schedule's date, or a manual run's input as it is
// (a string input, without default, that refuses what kiln refuses); kiln
// refuses a month var that is no month.
func TestBottleNeckMonthInKestra(t *testing.T) {
	dir, _ := newProject(t)
	out := mustKiln(t, 0, dir, "export", "kestra")
	for _, want := range []string{
		`"month": {{ (inputs.month ?? ((trigger.date ?? execution.startDate) | dateAdd(-1, "MONTHS", format="yyyy-MM", timeZone="Europe/Paris"))) | toJson }}`,
		"  - id: month\n    type: STRING\n", "    required: false\n    validator: ^\\d{4}-(0[1-9]|1[0-2])$\n",
		"    recoverMissedSchedules: LAST\n",
		`docs generate --vars "$KILN_VARS" && cp `,
		// A corrected export of a built month is a manual execution with
		// correction: true (history_guard).
		"  - id: correction\n    type: BOOLEAN\n", `"correction": {{ inputs.correction | toJson }}`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the flow lacks %q:\n%s", want, out)
		}
	}
	stderr := mustKiln(t, 2, dir, "build", "--vars", "{month: '2020-8'}")
	if !strings.Contains(stderr, `var month is "2020-8", which is not a month: write YYYY-MM, such as 2026-01`) {
		t.Errorf("a bad month:\n%s", stderr)
	}
}

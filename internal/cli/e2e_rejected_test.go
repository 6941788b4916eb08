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

// pct is month_over_history's change in percent from base, rounded to
// one decimal, as the audit table gives it.
func pct(v, base float64) string {
	return strconv.FormatFloat(math.Round(1000*(v-base)/base)/10, 'f', -1, 64)
}

// Finding C5 of the new-user trial: a month whose deviation gates fail,
// built with --no-rollback (exit 1), keeps its row in
// history.monthly_indicators, and the gates of every later month took it
// for a reference. Months 2020-06 to 2020-08 are built, then their history
// table is put back as a kiln without the accepted column left it (their
// rows must keep and read as accepted). 2020-09 with a fifth of its web
// products dropped, under --no-rollback, fails its gates against the three
// months before it and keeps its row marked accepted = false, saying so.
// 2020-10 with the same drop, a plain build, is compared with 2020-06 to
// 2020-08 only: the audit row gives the median of their web products
// (computed in Go from their cells), 3 earlier months and 2020-08 as the
// previous month; with 2020-09 counted it would pass against it. 2020-09
// run again with its corrected files (a plain build) replaces the rejected
// row, accepted, and 2020-10 then builds: the history holds the five
// months' figures, all accepted. kiln runs marks the run that kept a
// rejected month ("error, kept"). 2020-10 rejected again under
// --no-rollback is accepted by kiln test of its gates with
// --accept-deviations.
func TestRejectedMonthIsNoReference(t *testing.T) {
	dir, _ := newProject(t)
	names := []string{"2020-06", "2020-07", "2020-08", "2020-09", "2020-10"}
	months, err := sample.GenerateMonths(filepath.Join(dir, "data", "sample"), sample.DefaultConfig(), names)
	if err != nil {
		t.Fatal(err)
	}
	build := func(want int, raw, month string, flags ...string) string {
		t.Helper()
		return mustKiln(t, want, dir, append([]string{"build", "--vars", fmt.Sprintf("{raw_dir: %s, month: '%s'}", raw, month)}, flags...)...)
	}
	for _, m := range months[:3] {
		build(0, "data/sample/"+m.Name, m.Name)
	}
	checkHistory(t, dir, months[:3], names[:3])
	// The history as a kiln without the accepted column left it.
	queryRows(t, dir, `alter table history.monthly_indicators drop column if exists accepted`)

	accepted := func() []string {
		return rowsOf(t, dir, `select strftime(month, '%Y-%m'), web_products, coalesce(cast(accepted as varchar), 'null') from history.monthly_indicators order by month`)
	}
	var web []float64
	for _, m := range months {
		web = append(web, float64(m.Expected.WebProducts))
	}
	reference := slices.Clone(web[:3])
	slices.Sort(reference)
	median := reference[1]
	audit := `select month, value, median_of_earlier_months, earlier_months, change_pct, strftime(previous_month, '%Y-%m'), previous_value
from audit.web_products_over_history`

	// 2020-09 rejected, kept by --no-rollback, marked.
	dropped9 := dropWebProducts(t, filepath.Join(dir, "data", "sample", "2020-09"), filepath.Join(dir, "data", "bad09"), 5, 0)
	out := build(1, "data/bad09", "2020-09", "--no-rollback")
	for _, want := range []string{"FAIL test web_products_over_history",
		`--no-rollback keeps month 2020-09's row of "history"."monthly_indicators", marked rejected (accepted = false) as the run failed (`,
		"no deviation gate compares a later month with it and the history guard does not count it; a successful run of 2020-09 replaces it."} {
		if !strings.Contains(out, want) {
			t.Errorf("the rejected 2020-09 does not say %q:\n%s", want, out)
		}
	}
	v9 := web[3] - float64(dropped9)
	want := fmt.Sprintf("2020-09|%v|%v|3|%s|2020-08|%v", v9, median, pct(v9, median), web[2])
	if got := rowsOf(t, dir, audit); len(got) != 1 || got[0] != want {
		t.Errorf("2020-09's gate: audit.web_products_over_history holds %v, want %s", got, want)
	}
	if runs := mustKiln(t, 0, dir, "runs", "-n", "1"); !strings.Contains(runs, " error, kept ") || !strings.Contains(runs, "kept: the run failed under --no-rollback") {
		t.Errorf("kiln runs does not mark the run that kept the rejected 2020-09:\n%s", runs)
	}

	// 2020-10, as low as 2020-09, is compared with 2020-06..2020-08 only.
	dropped10 := dropWebProducts(t, filepath.Join(dir, "data", "sample", "2020-10"), filepath.Join(dir, "data", "bad10"), 5, 0)
	// The history's latest accepted month is 2020-08: 2020-10 is a month
	// ahead of it (a re-run of the rejected 2020-09 typed as 2020-10 would
	// be one), refused without gap: true.
	if code, out, errOut := kiln(t, dir, "build", "--vars", "{raw_dir: data/bad10, month: '2020-10'}"); code != 1 || !strings.Contains(out+errOut, "gap: true") {
		t.Errorf("2020-10 after the rejected 2020-09 exited %d without naming gap: true:\n%s%s", code, out, errOut)
	}
	if code, _, _ := kiln(t, dir, "build", "--vars", "{raw_dir: data/bad10, month: '2020-10', gap: true}"); code != 1 {
		t.Errorf("2020-10, as low as the rejected 2020-09, exited %d, want 1 (its gates must not compare it with 2020-09)", code)
	}
	v10 := web[4] - float64(dropped10)
	want = fmt.Sprintf("2020-10|%v|%v|3|%s|2020-08|%v", v10, median, pct(v10, median), web[2])
	if got := rowsOf(t, dir, audit); len(got) != 1 || got[0] != want {
		t.Errorf("2020-10's gate: audit.web_products_over_history holds %v, want %s (the months before the rejected 2020-09)", got, want)
	}
	wantRows := []string{
		fmt.Sprintf("2020-06|%v|null", web[0]), fmt.Sprintf("2020-07|%v|null", web[1]), fmt.Sprintf("2020-08|%v|null", web[2]),
		fmt.Sprintf("2020-09|%v|false", v9),
	}
	if got := accepted(); !slices.Equal(got, wantRows) {
		t.Errorf("after the rejected 2020-09 and the failed 2020-10, the history holds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantRows, "\n"))
	}

	// 2020-09's corrected files replace its row, accepted; then 2020-10.
	build(0, "data/sample/2020-09", "2020-09")
	build(0, "data/sample/2020-10", "2020-10")
	checkHistory(t, dir, months, names)
	flags := func() string {
		return query(t, dir, `select string_agg(coalesce(cast(accepted as varchar), 'null'), ',' order by month) from history.monthly_indicators`)
	}
	if got := flags(); got != "null,null,null,true,true" {
		t.Errorf("the history's accepted column is %s, want null,null,null,true,true", got)
	}

	// 2020-10 rejected again under --no-rollback, then accepted by a test
	// of its gates with --accept-deviations: the kept row is marked
	// accepted.
	build(1, "data/bad10", "2020-10", "--no-rollback")
	if got := flags(); got != "null,null,null,true,false" {
		t.Errorf("after 2020-10 rejected, the history's accepted column is %s, want null,null,null,true,false", got)
	}
	out = mustKiln(t, 0, dir, "test", "-s", "monthly_indicators", "--accept-deviations", "--vars", "{raw_dir: data/bad10, month: '2020-10'}")
	if !strings.Contains(out, `month 2020-10's row of "history"."monthly_indicators", rejected by an earlier run, is accepted: its deviation gates passed in this run (`) {
		t.Errorf("the test of 2020-10's gates with --accept-deviations does not accept its row:\n%s", out)
	}
	if got := rowsOf(t, dir, `select web_products, accepted from history.monthly_indicators where month = date '2020-10-01'`); len(got) != 1 || got[0] != fmt.Sprintf("%v|true", v10) {
		t.Errorf("2020-10's row is %v, want %v|true", got, v10)
	}
}

package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBuiltMonthRefusesOtherFilesOnPostgres: finding C1 of the PostgreSQL
// trial. On a PostgreSQL target the history guard compares a month's
// files with those it was built with as on DuckDB (kiln hashes them on
// the client, against the records in the server's kiln_history): 2020-09
// built, then run again with 2020-10's files, is refused before any node
// runs and the history, the marts and the exports stay as they were;
// 2020-10's files then build 2020-10 (they were not recorded as
// 2020-09's, so they are not "not delivered"); correction: true replaces
// a month's figures with other files, as README says.
func TestBuiltMonthRefusesOtherFilesOnPostgres(t *testing.T) {
	raw := realRaw(t)
	d := newPGDB(t)
	dir, _ := newProject(t)
	postgresTarget(t, dir, d, 4)
	folders := realMonths(t, dir, raw, 9, 11)
	build := func(want int, folder, month, extra string) string {
		t.Helper()
		return mustKiln(t, want, dir, "build", "--vars", fmt.Sprintf("{raw_dir: %q, month: %q%s}", folder, month, extra))
	}
	state := func() []string {
		t.Helper()
		out := d.query(t, `select month, web_products, total_revenue, accepted from history.monthly_indicators order by month`)
		out = append(out, d.query(t, `select product_id, revenue from marts.revenue_by_product order by product_id`)...)
		entries, err := os.ReadDir(filepath.Join(dir, "target", "exports"))
		if err != nil || len(entries) != 4 {
			t.Fatalf("exports: %v %v", entries, err)
		}
		for _, e := range entries {
			out = append(out, e.Name()+"\x00"+string(readFile(t, filepath.Join(dir, "target", "exports", e.Name()))))
		}
		return out
	}
	revenue := func(month string) string {
		t.Helper()
		rows := d.query(t, "select total_revenue from history.monthly_indicators where month = date '"+month+"-01'")
		if len(rows) != 1 {
			t.Fatalf("history holds %v for %s", rows, month)
		}
		return rows[0]
	}

	build(0, folders[9], "2020-09", "")
	before, sep := state(), revenue("2020-09")

	out := build(1, folders[10], "2020-09", "")
	for _, want := range []string{
		`month 2020-09 is already in "history"."monthly_indicators" in postgres database ` + d.db,
		"erp.xlsx, liaison.xlsx, web.xlsx under raw_dir " + folders[10] + " differ from the files it accepted (data/m09/erp.xlsx, data/m09/liaison.xlsx, data/m09/web.xlsx)",
		"pass correction: true",
		"no node ran: on-run-start failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("2020-10's files as 2020-09 do not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "were not compared") {
		t.Errorf("the guard still says it did not compare the files:\n%s", out)
	}
	if got := state(); !slices.Equal(got, before) {
		t.Error("the refused run changed the history, the marts or the exports")
	}

	// 2020-10's own files are its export, not a repeat of 2020-09's.
	out = build(0, folders[10], "2020-10", "")
	if strings.Contains(out, "not delivered") {
		t.Errorf("2020-10's files are taken for an earlier month's:\n%s", out)
	}
	oct := revenue("2020-10")
	if revenue("2020-09") != sep || oct == sep {
		t.Errorf("history: 2020-09 %s (was %s), 2020-10 %s", revenue("2020-09"), sep, oct)
	}
	// The same files again need no correction.
	build(0, folders[10], "2020-10", "")

	// correction: true replaces the month's figures with the new files.
	build(1, folders[11], "2020-10", "")
	if got := revenue("2020-10"); got != oct {
		t.Fatalf("the refused 2020-10 changed its revenue: %s, was %s", got, oct)
	}
	build(0, folders[11], "2020-10", ", correction: true")
	if got := revenue("2020-10"); got == oct {
		t.Errorf("correction: true kept 2020-10's revenue %s", got)
	}
}

package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/internal/sample"
)

// TestMonthRequiredOutsideSample: on a fresh database, a build of other
// inputs than the bundled sample whose --vars give no month (the default
// month, 2020-08, is the sample's) is refused before any node runs, exit
// 1, naming the folder, the default month and what to pass, and leaves
// no table, history or export (trial A, C4: it filed a real month as
// 2020-08). With the month it builds that month; the sample needs none.
func TestMonthRequiredOutsideSample(t *testing.T) {
	dir, _ := newProject(t)
	real := filepath.Join(dir, "data", "real")
	if _, err := sample.Generate(real, sample.Config{Products: 300, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	out := mustKiln(t, 1, dir, "build", "--vars", "{raw_dir: data/real}")
	for _, want := range []string{
		"this run reads data/real, not the bundled sample, but --vars gives no month, and the month var, 2020-08, is the bundled sample's (project.yml's default). Nothing was run",
		"Pass the month the exports are for: --vars '{raw_dir: data/real, month: YYYY-MM}'",
		"no node ran: on-run-start failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the build without month does not say %q:\n%s", want, out)
		}
	}
	if got := query(t, dir, "select count(*) from information_schema.tables where table_schema in ('history', 'marts', 'staging')"); got != "0" {
		t.Errorf("the refused build left %s tables", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "target", "exports")); !os.IsNotExist(err) {
		t.Errorf("the refused build wrote exports: %v", err)
	}
	// The month named as the default is the user's: allowed.
	mustKiln(t, 0, dir, "build", "--vars", "{raw_dir: data/real, month: '2020-09'}")
	if got := rowsOf(t, dir, `select strftime(month, '%Y-%m') from history.monthly_indicators`); !slices.Equal(got, []string{"2020-09"}) {
		t.Errorf("history holds %v, want 2020-09", got)
	}
	// A compile or a test of those inputs files no month: not refused.
	mustKiln(t, 0, dir, "compile", "--vars", "{raw_dir: data/real}")
}

// setModTime sets the modification time of a month's three workbooks.
func setModTime(t *testing.T, folder string, at time.Time) {
	t.Helper()
	for _, f := range []string{"erp.xlsx", "web.xlsx", "liaison.xlsx"} {
		if err := os.Chtimes(filepath.Join(folder, f), at, at); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBackfillReadsOldFiles: a missed month's files were written back
// then, more than max_age_days (45) before the backfill that reads them.
// With backfill: true the input_freshness gates set no age limit (they
// still compare the files with the month before's: older ones fail, and
// with every other month's content), so the backfill builds without
// --accept-deviations, which would let every other deviation of the month
// through (trial A, M4).
func TestBackfillReadsOldFiles(t *testing.T) {
	dir, _ := newProject(t)
	now := time.Now()
	sept := filepath.Join(dir, "data", "2020-09")
	if _, err := sample.Generate(sept, sample.Config{Products: 300, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	setModTime(t, sept, now.Add(-100*24*time.Hour))
	// The first month, its files 100 days old: accepted as they are.
	mustKiln(t, 0, dir, "build", "--accept-deviations", "--vars", "{raw_dir: data/2020-09, month: '2020-09'}")
	nov := filepath.Join(dir, "data", "2020-11")
	dropWebProducts(t, sept, nov, 40, 2)
	stampWorkbooks(t, nov, 2)
	mustKiln(t, 0, dir, "build", "--vars", "{raw_dir: data/2020-11, month: '2020-11', gap: true}") // 2020-10 is missed

	oct := filepath.Join(dir, "data", "2020-10")
	dropWebProducts(t, sept, oct, 40, 1)
	stampWorkbooks(t, oct, 1)
	// Files older than September's: an older export, refused still.
	setModTime(t, oct, now.Add(-120*24*time.Hour))
	out := mustKiln(t, 1, dir, "build", "--vars", "{raw_dir: data/2020-10, month: '2020-10', backfill: true}")
	if !strings.Contains(out, "not after the file accepted for 2020-09") {
		t.Errorf("a backfill with files older than the month before's:\n%s", out)
	}
	// Files of the month, 60 days old: built.
	setModTime(t, oct, now.Add(-60*24*time.Hour))
	if out := mustKiln(t, 0, dir, "build", "--vars", "{raw_dir: data/2020-10, month: '2020-10', backfill: true}"); strings.Contains(out, "max_age_days") {
		t.Errorf("the backfill names max_age_days:\n%s", out)
	}
	if got := rowsOf(t, dir, `select strftime(month, '%Y-%m') from history.monthly_indicators order by month`); !slices.Equal(got, []string{"2020-09", "2020-10", "2020-11"}) {
		t.Errorf("after the backfill the history holds %v", got)
	}
}

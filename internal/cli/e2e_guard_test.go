package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/sample"
)

// bottleneckState is what a refused run must leave as it was: the history
// of monthly indicators, the snapshot, a mart and the bytes of each export.
func bottleneckState(t *testing.T, dir string) []string {
	t.Helper()
	out := rowsOf(t, dir, historyQuery)
	out = append(out, rowsOf(t, dir, `select * from history.erp_price_history order by product_id, dbt_valid_from`)...)
	out = append(out, rowsOf(t, dir, `select * from marts.revenue_by_product order by product_id`)...)
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

// TestSampleRefusedOverRealMonths: on a database whose history holds a
// month built from other inputs than the bundled sample, a build that
// reads the sample (a plain kiln build: a cron line that lost its --vars,
// or the sample named in --vars; kiln snapshot alone is refused as it
// reads tables built with other vars) is refused before any node runs, exit 1,
// naming the database, the month and its raw_dir and what to do, and the
// history, the snapshot, the marts and the exports stay byte for byte as
// they were. A month older than the history's latest that was never built
// is refused too, unless backfill: true, which builds it.
func TestSampleRefusedOverRealMonths(t *testing.T) {
	dir, _ := newProject(t)
	real := filepath.Join(dir, "data", "real")
	if _, err := sample.Generate(real, sample.Config{Products: 300, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	mustKiln(t, 0, dir, "build", "--vars", "{raw_dir: data/real, month: '2020-09'}")
	before := bottleneckState(t, dir)
	if len(before) < 300 {
		t.Fatalf("the real month left %d rows: the test checks nothing", len(before))
	}
	unchanged := func(what string) {
		t.Helper()
		if got := bottleneckState(t, dir); !slices.Equal(got, before) {
			t.Errorf("%s changed the history, the snapshot, the marts or the exports", what)
		}
	}
	for _, args := range [][]string{
		{"build"},
		{"build", "--vars", "{raw_dir: data/sample/2020-08, month: '2020-10'}"},
	} {
		out := mustKiln(t, 1, dir, args...)
		for _, want := range []string{
			"this run reads the bundled sample (raw_dir data/sample/2020-08) but the database target/bottleneck.duckdb holds a month built from other inputs: 2020-09 from data/real.",
			"Nothing was run", "--vars '{raw_dir: <folder of the month>, month: YYYY-MM}'", "into another database",
			"no node ran: on-run-start failed",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("kiln %s does not say %q:\n%s", strings.Join(args, " "), want, out)
			}
		}
		unchanged("kiln " + strings.Join(args, " "))
	}

	// A month before the latest that the history does not hold: refused
	// (a wrong month var), then built with backfill: true.
	old := filepath.Join(dir, "data", "real-07")
	dropWebProducts(t, real, old, 40, 1)
	stampWorkbooks(t, old, 1)
	out := mustKiln(t, 1, dir, "build", "--vars", "{raw_dir: data/real-07, month: '2020-07'}")
	for _, want := range []string{
		`month 2020-07 was never built and is older than the latest month of "history"."monthly_indicators" in target/bottleneck.duckdb, 2020-09`,
		"pass backfill: true in --vars",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the old month does not say %q:\n%s", want, out)
		}
	}
	unchanged("the old month")
	mustKiln(t, 0, dir, "build", "--vars", "{raw_dir: data/real-07, month: '2020-07', backfill: true}")
	if got := rowsOf(t, dir, `select strftime(month, '%Y-%m') from history.monthly_indicators order by month`); !slices.Equal(got, []string{"2020-07", "2020-09"}) {
		t.Errorf("after the backfill the history holds %v", got)
	}
	// The month run again: a backfill too (a plain run of it is refused,
	// as it would make 2020-07 the present).
	if got := bytes.Count([]byte(mustKiln(t, 0, dir, "build", "--vars", "{raw_dir: data/real-07, month: '2020-07', backfill: true}")), []byte("on-run-start failed")); got != 0 {
		t.Error("the month run again was refused")
	}
	mustKiln(t, 1, dir, "build", "--vars", "{raw_dir: data/real-07, month: '2020-07'}")
}

// TestSampleToldByItsBytes: the guard tells the bundled sample by what
// its workbooks are, not by how raw_dir spells their folder. The project's
// default raw_dir is a folder of other inputs (a real month, built by a
// plain kiln build, whose --vars name no raw_dir); then the sample is
// refused over that month however it is named: its folder as the
// default used to be, the same folder by an absolute path or a path
// through "..", a symlink to it, and a copy of its workbooks elsewhere.
// Each refusal exits 1 before any node runs, names the month and its
// folder, and leaves the history, the snapshot, the marts and the
// exports byte for byte as they were.
func TestSampleToldByItsBytes(t *testing.T) {
	dir, _ := newProject(t)
	real := filepath.Join(dir, "data", "real")
	if _, err := sample.Generate(real, sample.Config{Products: 300, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	pf := filepath.Join(dir, "project.yml")
	text := string(readFile(t, pf))
	for old, repl := range map[string]string{"  raw_dir: data/sample/2020-08\n": "  raw_dir: data/real\n", "  month: \"2020-08\"\n": "  month: \"2020-09\"\n"} {
		if !strings.Contains(text, old) {
			t.Fatalf("project.yml has no %q", old)
		}
		text = strings.Replace(text, old, repl, 1)
	}
	if err := os.WriteFile(pf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	// A passing guard is quiet: no line of the hook on the terminal, its
	// lines in kiln.log at level debug.
	if out := mustKiln(t, 0, dir, "build"); strings.Contains(out, "hook") {
		t.Errorf("a build whose guard passed prints its hook:\n%s", out)
	}
	if log := string(readFile(t, filepath.Join(dir, "target", "kiln.log"))); !strings.Contains(log, `"level":"debug","event":"message",`) ||
		!strings.Contains(log, `"message":"1 of 1 OK hook bottleneck-on-run-start-0 in `) {
		t.Errorf("kiln.log does not hold the hook's line at level debug:\n%s", log)
	}
	before := bottleneckState(t, dir)
	if len(before) < 300 {
		t.Fatalf("the real month left %d rows: the test checks nothing", len(before))
	}

	bundled := filepath.Join(dir, "data", "sample", "2020-08")
	link := filepath.Join(t.TempDir(), "month")
	if err := os.Symlink(bundled, link); err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "exports")
	for _, f := range []string{"erp.xlsx", "web.xlsx", "liaison.xlsx"} {
		copyFile(t, filepath.Join(bundled, f), filepath.Join(cp, f))
	}
	for _, raw := range []string{"data/sample/2020-08", bundled, "data/real/../sample/2020-08", link, cp} {
		out := mustKiln(t, 1, dir, "build", "--vars", "{raw_dir: '"+raw+"', month: '2020-10'}")
		for _, want := range []string{
			"this run reads the bundled sample (raw_dir " + raw,
			"holds a month built from other inputs: 2020-09 from data/real.",
			"Nothing was run", "no node ran: on-run-start failed",
			"Running 1 on-run-start hook\n1 of 1 ERROR hook bottleneck-on-run-start-0 in ", "ERROR on-run-start (project.yml:",
			"or build the sample into another database (database-path, or a target of its own)",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("raw_dir %s: the build does not say %q:\n%s", raw, want, out)
			}
		}
		if raw != "data/sample/2020-08" && !strings.Contains(out, ": the workbooks of data/sample/2020-08)") {
			t.Errorf("raw_dir %s: the refusal does not name the bundled folder:\n%s", raw, out)
		}
		if got := bottleneckState(t, dir); !slices.Equal(got, before) {
			t.Errorf("raw_dir %s: the refused build changed the history, the snapshot, the marts or the exports", raw)
		}
	}
	// The real month itself still builds.
	mustKiln(t, 0, dir, "build")
}

//go:build linux

package crashcheck

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// copyBase returns a kiln on a copy of the project built on the first
// month.
func copyBase(t *testing.T, w *world) Kiln {
	t.Helper()
	k := Kiln{Bin: w.bin, Dir: filepath.Join(t.TempDir(), "p")}
	if err := CopyTree(w.base, k.Dir); err != nil {
		t.Fatal(err)
	}
	return k
}

// The audit schema is not rolled back: after a failed run, a test with
// store_failures holds that run's failing rows (the evidence of why it
// failed), while every other table, the exports and the up-to-date state
// are as before the run (README, "What a run guarantees").
func TestRolledBackRunKeepsItsFailingRows(t *testing.T) {
	w := setup(t)
	const audit = "audit.accepted_range_stg_erp_price__0"
	if w.before.Audit[audit] == w.after.Audit[audit] || w.after.Audit[audit].Rows == 0 {
		t.Fatalf("the months do not differ in %s: %+v, %+v", audit, w.before.Audit[audit], w.after.Audit[audit])
	}
	k := copyBase(t, w)
	r := mustRun(t, k, 1, "", "build", m2Fails...)
	if !strings.Contains(r.Output, "but for the failing rows kept in the audit schema") {
		t.Errorf("the rollback's message does not mention the audit schema:\n%s", r.Output)
	}
	got, err := k.Snapshot(dbFile)
	if err != nil {
		t.Fatal(err)
	}
	if which, err := Which(got, w.before, w.after); err != nil || which != "before" {
		t.Fatalf("after the failed run: %s, %v", which, err)
	}
	if got.Audit[audit] != w.after.Audit[audit] {
		t.Errorf("%s holds %+v after the failed run, not its failing rows %+v", audit, got.Audit[audit], w.after.Audit[audit])
	}
}

// --no-rollback keeps the tables that succeeded before the failure, as
// dbt does, but publishes no export: the export folder only holds whole
// runs.
func TestNoRollbackKeepsWhatSucceeded(t *testing.T) {
	w := setup(t)
	k := copyBase(t, w)
	r := mustRun(t, k, 1, "", "build", append(m2Fails, "--no-rollback")...)
	if !strings.Contains(r.Output, "--no-rollback: the ") || !strings.Contains(r.Output, "built before the failure are kept; the exports are as they were") {
		t.Errorf("the message does not say what --no-rollback kept:\n%s", r.Output)
	}
	got, err := k.Snapshot(dbFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Leftovers) > 0 {
		t.Fatalf("leftovers: %v", got.Leftovers)
	}
	for _, table := range []string{"raw.erp", "raw.web", "raw.liaison", "staging.stg_erp"} {
		if got.Tables[table] != w.after.Tables[table] {
			t.Errorf("%s is not the second month's: %+v", table, got.Tables[table])
		}
	}
	if got.Tables["marts.revenue_by_product"] != w.before.Tables["marts.revenue_by_product"] {
		t.Errorf("marts.revenue_by_product, downstream of the failure, changed")
	}
	if d := diffMap("export", got.Exports, w.before.Exports); len(d) > 0 {
		t.Errorf("the exports changed: %v", d)
	}
}

// A second SIGINT or SIGTERM ends kiln at once, with 130 too; the next
// start finishes or undoes what it left.
func TestSecondInterrupt(t *testing.T) {
	w := setup(t)
	k := copyBase(t, w)
	p, err := k.Start(append([]string{"build"}, m2...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitCatching(p.PID()); err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		if err := p.Signal(sig); err != nil {
			t.Fatal(err)
		}
	}
	r, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if r.Code != 130 {
		t.Fatalf("exit %d after two signals, want 130\n%s", r.Code, r.Output)
	}
	mustKill(t, k, "run.recovered", "build", m2...)
	got, err := k.Snapshot(dbFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Which(got, w.before, w.after); err != nil {
		t.Fatalf("after the recovery: %v\n%s", err, r.Output)
	}
}

// Bad input (a seed that is not valid UTF-8, a workbook beyond a reading
// limit, a macro that calls itself forever) fails the command before or
// during the run and changes nothing: the tables, exports and up-to-date
// state stay those before it (issue 11, items 6, 7 and 10, with the
// loaders' and the template engine's own tests).
func TestBadInputChangesNothing(t *testing.T) {
	w := setup(t)
	for _, c := range []struct {
		name  string
		spoil func(dir string) error
		code  int
		says  string
	}{
		{"seed not UTF-8", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "seeds", "stock_statuses.csv"), []byte("stock_status,label,sellable\ninstock,En stock,true\noutofstock,\xe9puis\xe9,false\n"), 0o644)
		}, 2, "not valid UTF-8"},
		{"workbook beyond max_cells", func(dir string) error {
			p := filepath.Join(dir, "models", "staging", "_sources.yml")
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			spoiled := strings.Replace(string(b), "          sheet: Sheet1\n", "          sheet: Sheet1\n          max_cells: 100\n", 1)
			return os.WriteFile(p, []byte(spoiled), 0o644)
		}, 1, "max_cells"},
		{"macro calling itself", func(dir string) error {
			if err := os.WriteFile(filepath.Join(dir, "macros", "forever.sql"), []byte("{% macro forever(n) %}{{ forever(n) }}{% endmacro %}\n"), 0o644); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "models", "staging", "stg_forever.sql"), []byte("select {{ forever(1) }} as x\n"), 0o644)
		}, 2, "nest more than 200 deep"},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := copyBase(t, w)
			if err := c.spoil(k.Dir); err != nil {
				t.Fatal(err)
			}
			r := mustRun(t, k, c.code, "", "build", m2...)
			if !strings.Contains(r.Output, c.says) {
				t.Errorf("the error does not say %q:\n%s", c.says, r.Output)
			}
			got, err := k.Snapshot(dbFile)
			if err != nil {
				t.Fatal(err)
			}
			if which, err := Which(got, w.before, w.after); err != nil || which != "before" {
				t.Fatalf("after the failed command: %s %v", which, err)
			}
		})
	}
}

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestInputFreshnessIsNotADeviation: a month whose export is the previous
// month's file again fails input_freshness, and the run's closing line
// says the month's export was not delivered and to supply it, not to
// accept a deviation; --accept-deviations does not accept it either (the
// month would be recorded with another month's data): the build still
// fails, the table and the gate's history keep month 1 alone. A new
// export whose only fault is its old modification time is the case
// --accept-deviations is for: the line says so, and with the flag the
// month is accepted.
func TestInputFreshnessIsNotADeviation(t *testing.T) {
	dir := anomalyProject(t)
	families := []string{"red", "white", "rose"}
	writeSales(t, dir, 1, 300, families, "")
	mustKiln(t, 0, dir, "build", "--vars", month(1))
	fileGate := "select string_agg(month || ':' || accepted, ',' order by month, accepted) from kiln_history.observations where detail like '%sha256%'"

	// Month 2 with month 1's file.
	for _, args := range [][]string{{"build", "--vars", month(2)}, {"build", "--vars", month(2), "--accept-deviations"}} {
		code, stdout, stderr := kiln(t, dir, args...)
		out := stdout + stderr
		if code != 1 {
			t.Fatalf("kiln %s with month 1's file exited %d, want 1:\n%s", strings.Join(args, " "), code, out)
		}
		want := "this month's exports were not delivered: the file of raw.sales has the content of the one accepted for 2024-01; " +
			"supply this month's exports and build again (--accept-deviations does not accept another month's file)"
		if !strings.HasSuffix(strings.TrimSpace(out), want) {
			t.Errorf("kiln %s: the closing line is not %q:\n%s", strings.Join(args, " "), want, out)
		}
		if strings.Contains(out, "a volume, metric or schema deviated") || strings.Contains(out, "accepted (--accept-deviations)") {
			t.Errorf("kiln %s: a file not delivered is called a deviation, or accepted:\n%s", strings.Join(args, " "), out)
		}
		if args[len(args)-1] == "--accept-deviations" && !strings.Contains(out, "not accepted: --accept-deviations does not accept the file of another month (2024-01), supply this month's export") {
			t.Errorf("the test's failure does not say --accept-deviations does not accept it:\n%s", out)
		}
	}
	if got := query(t, dir, "select count(*) from raw.sales"); got != "300" {
		t.Errorf("raw.sales has %s rows after the refused months, want month 1's 300", got)
	}
	if got := query(t, dir, fileGate); got != "24288:true,24289:false,24289:false" {
		t.Errorf("the file gate's observations are %s, want month 1 (24288) accepted and month 2 refused twice", got)
	}

	// A new export for month 2, modified before month 1's file.
	before, err := os.Stat(filepath.Join(dir, "data", "sales.csv"))
	if err != nil {
		t.Fatal(err)
	}
	writeSales(t, dir, 2, 302, families, "")
	old := before.ModTime().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "data", "sales.csv"), old, old); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := kiln(t, dir, "build", "--vars", month(2))
	out := stdout + stderr
	want := "the file of raw.sales is not newer than the last accepted month's, or older than max_age_days (see above): supply this month's export; " +
		"if it is this month's export with an old modification time, build again with --accept-deviations"
	if code != 1 || !strings.HasSuffix(strings.TrimSpace(out), want) || !strings.Contains(out, "not after the file accepted for 2024-01") {
		t.Errorf("a new file older than month 1's: exit %d, want 1 and the closing line %q:\n%s", code, want, out)
	}
	out = mustKiln(t, 0, dir, "build", "--vars", month(2), "--accept-deviations")
	if !strings.Contains(out, "accepted (--accept-deviations): the history learns from it") {
		t.Errorf("the old-dated export accepted does not say so:\n%s", out)
	}
	if got := query(t, dir, "select count(*) from raw.sales"); got != "302" {
		t.Errorf("raw.sales has %s rows after the accepted month 2, want 302", got)
	}
}

package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kiln-build/kiln/engine"
	"github.com/kiln-build/kiln/internal/artifact"
)

// needReal returns the real exports' folder (absolute), or skips.
func needReal(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(realExports, "web.xlsx")); err != nil {
		t.Skipf("the real exports are not at %s (set KILN_REAL_EXPORTS)", realExports)
	}
	raw, _ := filepath.Abs(realExports)
	return raw
}

// padLiaison writes into folder to a copy of the real exports whose
// liaison.xlsx has whitespace after the id_web of its first two rows: a
// CR LF after the first, a space after the second (cells typed by hand).
// It returns the two id_web and their product_id.
func padLiaison(t *testing.T, raw, to string) (ids, products [2]string) {
	t.Helper()
	for _, f := range []string{"erp.xlsx", "web.xlsx"} {
		copyFile(t, filepath.Join(raw, f), filepath.Join(to, f))
	}
	wb, err := excelize.OpenFile(filepath.Join(raw, "liaison.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	rows, err := wb.GetRows("Sheet1")
	if err != nil || len(rows) < 3 || rows[0][1] != "id_web" {
		t.Fatalf("liaison.xlsx: %v, header %v", err, rows[0])
	}
	for i, pad := range []string{"\r\n", " "} {
		r := rows[i+1]
		if len(r) < 2 || r[1] == "" {
			t.Fatalf("liaison.xlsx row %d has no id_web: %v", i+2, r)
		}
		ids[i], products[i] = r[1], r[0]
		if err := wb.SetCellValue("Sheet1", fmt.Sprintf("B%d", i+2), r[1]+pad); err != nil {
			t.Fatal(err)
		}
	}
	if err := wb.SaveAs(filepath.Join(to, "liaison.xlsx")); err != nil {
		t.Fatal(err)
	}
	return ids, products
}

// A liaison whose id_web has whitespace around it (a trailing CR LF, a
// trailing space) loses those web products in the join: the build fails,
// as it did, but with the web skus that no liaison maps, how many, the
// liaison rows that are those skus with whitespace (made visible) and a
// hint, where it used to say only that int_products had 712 rows for
// stg_web's 714. The real exports, their liaison edited with excelize.
func TestLiaisonWhitespaceNamesTheWebProducts(t *testing.T) {
	raw := needReal(t)
	dir, _ := newProject(t)
	month := filepath.Join(t.TempDir(), "2024-06")
	ids, products := padLiaison(t, raw, month)
	code, stdout, stderr := kiln(t, dir, "build", "--vars", fmt.Sprintf("{raw_dir: %q, month: '2024-06'}", month))
	out := stdout + stderr
	if code != ExitFailure {
		t.Fatalf("exit %d, want %d:\n%s", code, ExitFailure, out)
	}
	first, second := ids[0], ids[1]
	if first > second {
		first, second = second, first
	}
	for _, want := range []string{
		"FAIL test web_products_without_liaison (models/staging/_staging.yml:",
		"found 2 failing rows",
		"the failing rows are in audit.web_products_without_liaison: {sku=" + first + ", near_miss=",
		fmt.Sprintf(`{sku=%s, near_miss="%s\r\n" (product_id %s), hint=whitespace around id_web in stg_liaison: remove it from the input it comes from (or trim id_web in stg_liaison)}`, ids[0], ids[0], products[0]),
		fmt.Sprintf(`{sku=%s, near_miss="%s " (product_id %s), hint=whitespace around id_web in stg_liaison`, ids[1], ids[1], products[1]),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the build does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FAIL test equal_rowcount_int_products") {
		t.Errorf("the join's row count fails too: the skus' test should stop the run before it:\n%s", out)
	}
	// The audit table holds every such sku: the first rows printed are
	// not all there is to see.
	if got := query(t, dir, "select string_agg(sku, ',' order by sku) from audit.web_products_without_liaison"); got != first+","+second {
		t.Errorf("the audit table holds %s, want %s,%s", got, first, second)
	}
}

// A month whose ERP and web exports are the last accepted month's again
// is refused (input_freshness), and the closing line names, besides
// supplying the exports, the way out of a month whose exports really did
// not change: the project's var unchanged_ok, from each test's
// repeat_hint, with this run's raw_dir and month. With unchanged_ok the
// month is built, and the gates' explanation says unchanged_ok let the
// file pass, not may_repeat. The real exports.
func TestRepeatedExportNamesUnchangedOK(t *testing.T) {
	raw := needReal(t)
	dir, _ := newProject(t)
	mustKiln(t, ExitOK, dir, "build", "--vars", fmt.Sprintf("{raw_dir: %q, month: '2024-05'}", raw))
	vars := fmt.Sprintf("{raw_dir: %q, month: '2024-06'}", raw)
	code, stdout, stderr := kiln(t, dir, "build", "--vars", vars)
	out := stdout + stderr
	if code != ExitFailure {
		t.Fatalf("exit %d, want %d:\n%s", code, ExitFailure, out)
	}
	want := "this month's exports were not delivered: the files of raw.erp and raw.web have the content of those accepted for 2024-05; " +
		"supply this month's exports and build again (--accept-deviations does not accept another month's file); " +
		"if the export of raw.erp really did not change since 2024-05: build again with --vars '{raw_dir: " + raw + ", month: 2024-06, unchanged_ok: raw.erp}' (unchanged_ok: 'raw.erp,raw.web' for both); " +
		"if the export of raw.web really did not change since 2024-05: build again with --vars '{raw_dir: " + raw + ", month: 2024-06, unchanged_ok: raw.web}' (unchanged_ok: 'raw.erp,raw.web' for both)"
	if !strings.HasSuffix(strings.TrimSpace(out), want) {
		t.Errorf("the closing line is not\n%s\n%s", want, out)
	}
	mustKiln(t, ExitOK, dir, "build", "--vars", fmt.Sprintf("{raw_dir: %q, month: '2024-06', unchanged_ok: 'raw.erp,raw.web'}", raw))
	rr, err := artifact.ReadRunResults(filepath.Join(dir, "target", artifact.RunResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, r := range rr.Results {
		if strings.HasPrefix(string(r.UniqueID), "test.bottleneck.source_input_freshness_raw_") {
			found = append(found, r.Actual)
		}
	}
	got := strings.Join(found, " | ")
	for _, want := range []string{
		"erp.xlsx has the content of the file accepted for 2024-05: unchanged_ok names raw.erp: the operator confirmed its export did not change",
		"liaison.xlsx has the content of the file accepted for 2024-05: may_repeat: true, the same file may serve several months",
		"web.xlsx has the content of the file accepted for 2024-05: unchanged_ok names raw.web: the operator confirmed its export did not change",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the gates' messages do not say %q: %s", want, got)
		}
	}
}

// The messages of BottleNeck's history guard agree in number with what
// they count: a month that skips one month says "it" and "a backfill" of
// it (it said "them" and "backfills"); e2e_guard_test's sample refusals
// say "holds a month built from other inputs" for one month.
func TestGateMessagesSingular(t *testing.T) {
	t.Run("gap", func(t *testing.T) {
		dir, _ := newProject(t)
		mustKiln(t, ExitOK, dir, "build")
		code, stdout, stderr := kiln(t, dir, "build", "--vars", "{raw_dir: data/sample/2020-08, month: '2020-10'}")
		if want := "If 2020-10 is right and 2020-09 will never be built (or only later, as a backfill), pass gap: true in --vars"; code != ExitFailure || !strings.Contains(stdout+stderr, want) {
			t.Errorf("exit %d, want %d and %q:\n%s%s", code, ExitFailure, want, stdout, stderr)
		}
		out := mustKiln(t, ExitOK, dir, "build", "--vars", "{raw_dir: data/sample/2020-08, month: '2020-10', gap: true}")
		if want := "the history skips 2020-09 (build it later with backfill: true)"; !strings.Contains(out, want) {
			t.Errorf("gap: true does not say %q:\n%s", want, out)
		}
	})
}

// README and --retries' help give the waits for a locked database that
// the code makes (engine.LockWait): a cron that may overlap a long build
// reads there how many retries it needs.
func TestRetriesWaitIsDocumented(t *testing.T) {
	secs := func(n int) string { return fmt.Sprintf("%g", engine.LockWait(n).Seconds()) }
	readme := strings.Join(strings.Fields(string(readFile(t, filepath.Join(repoRoot, "README.md")))), " ")
	for _, want := range []string{
		"after the " + secs(0) + " s, it tries N more times, waiting 0.5 s, 1 s, 2 s, 4 s, 8 s, then 10 s before each try",
		secs(3) + " s with `--retries 3`, " + secs(5) + " s with 5, " + secs(10) + " s with 10, and 10 s more for each retry beyond",
	} {
		if !strings.Contains(readme, want) {
			t.Errorf("README does not say %q", want)
		}
	}
	help := mustKiln(t, ExitOK, t.TempDir(), "build", "--help")
	help = strings.Join(strings.Fields(help), " ")
	for _, want := range []string{
		"waiting 0.5s, 1s, 2s, 4s, 8s, then 10s before each try",
		"waited for " + secs(0) + "s, then tried again N times with the same waits: at most " + secs(3) + "s in all with --retries 3, " + secs(5) + "s with 5, " + secs(10) + "s with 10",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("kiln build --help does not say %q:\n%s", want, help)
		}
	}
}

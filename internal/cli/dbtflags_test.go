package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// A dbt flag kiln does not support yet says so, with what to use instead,
// before or after the command, and exits 2: never cobra's "unknown flag".
func TestDBTFlagsNotSupported(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"build", "--empty"}, "error: `--empty` is a dbt flag that kiln does not support yet; kiln compile checks the models' SQL without building them\n"},
		{[]string{"--empty", "build"}, "error: `--empty` is a dbt flag that kiln does not support yet;"},
		{[]string{"seed", "--show"}, "error: `--show` is a dbt flag that kiln does not support yet; kiln show -s NAME"},
		{[]string{"run", "--no-print"}, "error: `--no-print` is a dbt flag that kiln does not support yet\n"},
	} {
		code, _, errOut := kiln(t, dir, c.args...)
		if code != ExitCannotStart || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "unknown flag") {
			t.Errorf("kiln %s: exit %d, stderr:\n%s\nwant exit %d and %q", strings.Join(c.args, " "), code, errOut, ExitCannotStart, c.want)
		}
	}
}

// README.md's list of the dbt flags kiln does not support yet is
// dbtFlags.
func TestDBTFlagsListedInReadme(t *testing.T) {
	text := string(readFile(t, filepath.Join("..", "..", "README.md")))
	i := strings.Index(text, "dbt flags kiln does not support yet are refused")
	if i < 0 {
		t.Fatal("README.md has no list of the dbt flags kiln does not support yet")
	}
	para := text[i:]
	para = para[:strings.Index(para, "\n\n")]
	var listed []string
	for _, m := range regexp.MustCompile("`--([a-z-]+)`").FindAllStringSubmatch(para, -1) {
		if _, ok := dbtFlags[m[1]]; ok || !slices.Contains([]string{"warn-error", "quiet", "log-format"}, m[1]) {
			listed = append(listed, m[1])
		}
	}
	var want []string
	for k := range dbtFlags {
		want = append(want, k)
	}
	slices.Sort(listed)
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Errorf("README.md lists %v, dbtFlags holds %v", listed, want)
	}
}

// warnProject is smallProject with a singular test that warns (2 rows
// with severity warn) on a model with a child.
func warnProject(t *testing.T) string {
	dir := smallProject(t, "")
	writeProjectFile(t, dir, "tests/warns.sql", "{{ config(severity='warn') }}\nselect * from {{ ref('expensive') }}\n")
	return dir
}

// runStatuses returns the status of each node of run_results.json by
// unique_id.
func runStatuses(t *testing.T, dir string) map[string]string {
	t.Helper()
	var rr struct {
		Results []struct {
			UniqueID string `json:"unique_id"`
			Status   string `json:"status"`
		} `json:"results"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "run_results.json")), &rr); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rr.Results {
		out[r.UniqueID] = r.Status
	}
	return out
}

// TestWarnError: with --warn-error (before or after the command) a test
// that warns fails (status fail, exit 1, its model's children skipped),
// as dbt's; a warning of the project's files stops the command (exit 2)
// at its position; a selection that matches nothing is an error.
func TestWarnError(t *testing.T) {
	dir := warnProject(t)
	mustKiln(t, ExitOK, dir, "build")
	if got := runStatuses(t, dir)["test.small.warns"]; got != "warn" {
		t.Fatalf("without --warn-error the test's status is %q, want warn", got)
	}
	for _, args := range [][]string{{"--warn-error", "build"}, {"build", "--warn-error"}} {
		out := mustKiln(t, ExitFailure, dir, args...)
		st := runStatuses(t, dir)
		if st["test.small.warns"] != "fail" || st["model.small.summary"] != "skipped" {
			t.Errorf("kiln %s: statuses %v, want the test fail and summary skipped\n%s", strings.Join(args, " "), st, out)
		}
	}
	code, _, errOut := kiln(t, dir, "--warn-error", "ls", "-s", "nothing_here")
	if code != ExitCannotStart || !strings.Contains(errOut, "(an error with --warn-error)") {
		t.Errorf("ls of a selection that matches nothing with --warn-error: exit %d, stderr:\n%s", code, errOut)
	}
	writeProjectFile(t, dir, "models/empty.sql", "")
	mustKiln(t, ExitOK, dir, "build")
	code, _, errOut = kiln(t, dir, "build", "--warn-error")
	if code != ExitCannotStart || !strings.Contains(errOut, "models/empty.sql:1:1: error: model \"empty\" is empty") && !strings.Contains(errOut, "models/empty.sql:1:1: model \"empty\" is empty") || strings.Contains(errOut, "warning:") {
		t.Errorf("a project warning with --warn-error: exit %d, stderr:\n%s", code, errOut)
	}
}

// TestQuiet: -q/--quiet prints nothing of a run that passes, and only the
// failures of one that fails, as dbt's --quiet.
func TestQuiet(t *testing.T) {
	dir := warnProject(t)
	for _, args := range [][]string{{"-q", "build"}, {"build", "--quiet"}} {
		if code, _, errOut := kiln(t, dir, args...); code != ExitOK || errOut != "" {
			t.Errorf("kiln %s: exit %d, stderr:\n%s\nwant exit 0 and nothing", strings.Join(args, " "), code, errOut)
		}
	}
	// kiln show's heading is not an error either: stdout holds the rows.
	if code, out, errOut := kiln(t, dir, "-q", "show", "--inline", "select 7 as x"); code != ExitOK || errOut != "" || !strings.Contains(out, "7") {
		t.Errorf("kiln -q show: exit %d, stdout:\n%s\nstderr:\n%s\nwant the rows alone", code, out, errOut)
	}
	writeProjectFile(t, dir, "tests/fails.sql", "select * from {{ ref('expensive') }}\n")
	code, _, errOut := kiln(t, dir, "build", "-q")
	if code != ExitFailure || !strings.Contains(errOut, "FAIL") || !strings.Contains(errOut, "fails") || strings.Contains(errOut, "warns") || strings.Contains(errOut, "Done in") || strings.Contains(errOut, "OK") {
		t.Errorf("kiln build -q of a failing test: exit %d, stderr:\n%s\nwant the failure alone", code, errOut)
	}
}

// TestStoreFailuresFlag: --store-failures keeps the failing rows of every
// test of the run, as store_failures: true, unless a test's own config
// says otherwise; without it, none is kept.
func TestStoreFailuresFlag(t *testing.T) {
	dir := warnProject(t)
	writeProjectFile(t, dir, "tests/kept_out.sql", "{{ config(severity='warn', store_failures=false) }}\nselect * from {{ ref('expensive') }}\n")
	const audit = "select table_name from information_schema.tables where table_schema = 'audit' order by 1"
	mustKiln(t, ExitOK, dir, "build")
	if got := duckRows(t, dir, audit); len(got) != 0 {
		t.Fatalf("without --store-failures the audit schema holds %v", got)
	}
	mustKiln(t, ExitOK, dir, "test", "--store-failures")
	if got := duckRows(t, dir, audit); strings.Join(got, ";") != "warns" {
		t.Errorf("with --store-failures the audit schema holds %v, want warns", got)
	}
	if got := duckRows(t, dir, "select count(*) from audit.warns"); strings.Join(got, ";") != "2" {
		t.Errorf("audit.warns holds %v rows, want 2", got)
	}
}

// TestExcludeResourceType: --exclude-resource-type leaves those types out
// of ls and build, after --resource-type (all: every type), as dbt 1.8.
func TestExcludeResourceType(t *testing.T) {
	dir := warnProject(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"ls", "--exclude-resource-type", "test,seed"}, "small.expensive\nsmall.summary\n"},
		{[]string{"ls", "--resource-type", "all", "--exclude-resource-type", "model", "--exclude-resource-type", "test"}, "small.prices\n"},
		{[]string{"ls", "--resource-type", "model,test", "--exclude-resource-type", "model"}, "small.warns\n"},
	} {
		if out := mustKiln(t, ExitOK, dir, c.args...); out != c.want {
			t.Errorf("kiln %s printed %q, want %q", strings.Join(c.args, " "), out, c.want)
		}
	}
	mustKiln(t, ExitOK, dir, "build", "--exclude-resource-type", "test")
	st := runStatuses(t, dir)
	if _, ok := st["test.small.warns"]; ok || len(st) != 3 {
		t.Errorf("build --exclude-resource-type test ran %v, want the seed and the two models", st)
	}
	code, _, errOut := kiln(t, dir, "ls", "--exclude-resource-type", "tset")
	if code != ExitCannotStart || !strings.Contains(errOut, `unknown resource type "tset" for --exclude-resource-type`) {
		t.Errorf("an unknown type: exit %d, stderr:\n%s", code, errOut)
	}
	// dbt's types kiln does not select say so, not "unknown".
	code, _, errOut = kiln(t, dir, "ls", "--resource-type", "metric")
	if code != ExitCannotStart || !strings.Contains(errOut, `resource type "metric" for --resource-type is not supported yet: kiln selects model,`) {
		t.Errorf("--resource-type metric: exit %d, stderr:\n%s", code, errOut)
	}
}

// The dbt flags of the new-user trial: those kiln does not support yet say
// so (they were cobra's "unknown flag", --cache-selected-only with "did
// you mean --select?"), --partial-parse and --no-version-check are
// accepted (kiln's default: it partially parses, and never checks
// require-dbt-version), the last of --partial-parse and --no-partial-parse
// wins.
func TestDBTFlagsOfTheTrial(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"deps", "--upgrade"}, {"deps", "--lock"}, {"deps", "--add-package", "dbt-labs/dbt_utils@1.1.1"},
		{"docs", "generate", "--static"}, {"docs", "generate", "--no-compile"},
		{"build", "--printer-width", "80"}, {"build", "--single-threaded"},
		{"build", "--populate-cache"}, {"build", "--no-populate-cache"}, {"build", "--cache-selected-only"},
		{"compile", "--introspect"}, {"compile", "--no-introspect"},
		{"build", "--write-json"}, {"build", "--no-write-json"},
	} {
		flag := args[len(args)-1]
		if !strings.HasPrefix(flag, "--") {
			flag = args[len(args)-2]
		}
		code, _, errOut := kiln(t, dir, args...)
		want := "error: `" + flag + "` is a dbt flag that kiln does not support yet"
		if code != ExitCannotStart || !strings.Contains(errOut, want) || strings.Contains(errOut, "unknown flag") || strings.Contains(errOut, "did you mean") {
			t.Errorf("kiln %s: exit %d, stderr:\n%s\nwant exit %d and %q", strings.Join(args, " "), code, errOut, ExitCannotStart, want)
		}
	}
	// --partial-parse writes the cache (it is on), --no-partial-parse
	// does not; the last of the two wins, and --partial-parse wins over
	// DBT_PARTIAL_PARSE=false, as a dbt flag over its variable.
	for _, c := range []struct {
		args   []string
		env    string
		cached bool
	}{
		{[]string{"ls", "--partial-parse", "--no-version-check"}, "", true},
		{[]string{"--partial-parse", "ls", "--no-partial-parse"}, "", false},
		{[]string{"--no-partial-parse", "ls", "--partial-parse"}, "", true},
		{[]string{"ls"}, "false", false},
		{[]string{"ls", "--partial-parse"}, "false", true},
	} {
		t.Setenv("DBT_PARTIAL_PARSE", c.env)
		dir := partialProject(t)
		mustKiln(t, 0, dir, c.args...)
		_, err := os.Stat(filepath.Join(dir, "target", "partial_parse.kiln"))
		if cached := err == nil; cached != c.cached {
			t.Errorf("DBT_PARTIAL_PARSE=%s kiln %s: wrote the cache %v, want %v", c.env, strings.Join(c.args, " "), cached, c.cached)
		}
	}
}

// kiln compile --inline prints the compiled SQL of a query, as dbt
// compile --inline does, and writes nothing.
func TestCompileInline(t *testing.T) {
	dir := partialProject(t)
	out := mustKiln(t, 0, dir, "compile", "--inline", "select x, {{ twice('x') }} as y from {{ ref('a') }}")
	if want := `select x, x * 2 as y from "main"."a"`; !strings.Contains(out, want) || strings.Contains(out, "--") {
		t.Errorf("compile --inline printed:\n%s\nwant the SQL alone: %s", out, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "target", "manifest.json")); err == nil {
		t.Error("compile --inline wrote manifest.json")
	}
	code, _, errOut := kiln(t, dir, "compile", "--inline", "select 1", "-s", "a")
	if code != ExitCannotStart || !strings.Contains(errOut, "--inline or --select, not both") {
		t.Errorf("compile --inline -s: exit %d, %s", code, errOut)
	}
}

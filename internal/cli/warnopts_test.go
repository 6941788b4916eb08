package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// warnOptsProject writes a project whose build warns three ways: a test
// that warns (dbt's LogTestResult), a config key of the project's own
// (CustomKeyInConfigDeprecation) and query-comment, which kiln does not
// read (its own note, KilnNote).
func warnOptsProject(t *testing.T, flags string) string {
	dir := t.TempDir()
	writeProjectFile(t, dir, "project.yml", "name: shop\nquery-comment: \"run by kiln\"\n"+flags)
	writeProjectFile(t, dir, "models/one.sql", "{{ config(owner_team='sales') }}select 1 as id, null as note\n")
	writeProjectFile(t, dir, "models/props.yml", "models:\n  - name: one\n    columns:\n      - name: note\n        data_tests:\n          - not_null: {config: {severity: warn}}\n")
	return dir
}

// TestWarnErrorOptions: --warn-error-options makes the warnings whose
// dbt event it names errors (a selection matching nothing: exit 2; a
// test that warns: exit 1), keeps those its warn: names warnings under
// error: all, hides those its silence: names, and leaves kiln's own
// notes warnings unless KilnNote is named; an unknown event is refused
// with the known ones, and so is --warn-error beside it, as in dbt.
func TestWarnErrorOptions(t *testing.T) {
	dir := warnOptsProject(t, "")
	out := mustKiln(t, ExitCannotStart, dir, "build", "-s", "nothing_here", "--warn-error-options", `{"error": ["NoNodesForSelectionCriteria"]}`)
	if !strings.Contains(out, `the selector "nothing_here" matches no node (an error with --warn-error-options)`) {
		t.Errorf("NoNodesForSelectionCriteria named in error: is not an error:\n%s", out)
	}
	out = mustKiln(t, ExitFailure, dir, "build", "--warn-error-options", `{"error": ["LogTestResult"]}`)
	if !strings.Contains(out, "not_null_one_note") || !strings.Contains(out, "failed the run because of --warn-error") {
		t.Errorf("a warning test is not failed by error: [LogTestResult]:\n%s", out)
	}
	if !strings.Contains(out, "warning: config \"owner_team\" is not one kiln knows") {
		t.Errorf("a warning not named in error: is not printed as a warning:\n%s", out)
	}
	// run_results.json's args keep the options, and kiln retry applies
	// them again, as dbt retry does: the test fails again.
	var rr struct {
		Args map[string]any `json:"args"`
	}
	if err := json.Unmarshal(readFile(t, dir+"/target/run_results.json"), &rr); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rr.Args["warn_error_options"]); got != "map[error:[LogTestResult] silence:[] warn:[]]" {
		t.Errorf("run_results.json's args.warn_error_options: %s", got)
	}
	if out := mustKiln(t, ExitFailure, dir, "retry"); !strings.Contains(out, "failed the run because of --warn-error") {
		t.Errorf("kiln retry does not apply the options again:\n%s", out)
	}
	// error: all, but warn: keeps the test and the custom key warnings;
	// kiln's own note stays a warning under all.
	out = mustKiln(t, ExitOK, dir, "build", "--warn-error-options", `include: all
exclude: [LogTestResult, CustomKeyInConfigDeprecation]`)
	if !strings.Contains(out, "WARN=1") || !strings.Contains(out, "warning: query-comment is not read") {
		t.Errorf("warn:/exclude: does not keep the warnings, or kiln's note is not a warning under all:\n%s", out)
	}
	out = mustKiln(t, ExitOK, dir, "build", "--warn-error-options", `{"silence": ["CustomKeyInConfigDeprecation", "KilnNote"]}`)
	if strings.Contains(out, "owner_team") || strings.Contains(out, "query-comment") {
		t.Errorf("silenced warnings are printed:\n%s", out)
	}
	out = mustKiln(t, ExitCannotStart, dir, "build", "--warn-error-options", `{"error": ["KilnNote"]}`)
	if !strings.Contains(out, "query-comment is not read: kiln adds no comment to its queries (an error with --warn-error-options)") || !strings.Contains(out, "(an error with --warn-error-options)") {
		t.Errorf("KilnNote named in error: does not make kiln's note an error:\n%s", out)
	}
	out = mustKiln(t, ExitCannotStart, dir, "ls", "--warn-error-options", `{"error": ["NoNodesForSelection"]}`)
	if !strings.Contains(out, "names NoNodesForSelection, not an event kiln emits; the known events are CustomKeyInConfigDeprecation, ") || !strings.Contains(out, "NoNodesForSelectionCriteria") {
		t.Errorf("an unknown event name:\n%s", out)
	}
	out = mustKiln(t, ExitCannotStart, dir, "ls", "--warn-error", "--warn-error-options", `{"error": "all"}`)
	if !strings.Contains(out, "cannot be given together") {
		t.Errorf("--warn-error with --warn-error-options:\n%s", out)
	}
}

// TestWarnErrorOptionsProjectFlag: flags: warn_error_options in the
// project file applies as the command-line flag does; a wrong one is an
// error at its position.
func TestWarnErrorOptionsProjectFlag(t *testing.T) {
	dir := warnOptsProject(t, "flags:\n  warn_error_options:\n    error: [NoNodesForSelectionCriteria]\n    silence: [KilnNote]\n")
	out := mustKiln(t, ExitCannotStart, dir, "build", "-s", "nothing_here")
	if !strings.Contains(out, "matches no node (an error with the project file's warn_error_options)") || strings.Contains(out, "query-comment") {
		t.Errorf("flags: warn_error_options is not applied:\n%s", out)
	}
	if out := mustKiln(t, ExitOK, dir, "build"); !strings.Contains(out, "WARN=1") {
		t.Errorf("the build under the project's options:\n%s", out)
	}
	dir = warnOptsProject(t, "flags:\n  warn_error_options:\n    error: [Bogus]\n")
	out = mustKiln(t, ExitCannotStart, dir, "ls")
	if !strings.Contains(out, "project.yml:5:5: flags: warn_error_options error names Bogus") {
		t.Errorf("a wrong warn_error_options in the project file:\n%s", out)
	}
}

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRetryKeepsStoreFailures: kiln retry runs again with the failed
// run's --store-failures and --warn-error, as dbt retry builds its flags
// from the previous invocation's args in run_results.json
// (dbt/task/retry.py): the failing test run again keeps its failing rows
// in the audit schema, and the warning test run again fails.
func TestRetryKeepsStoreFailures(t *testing.T) {
	dir := smallProject(t, "")
	writeProjectFile(t, dir, "tests/fails.sql", "select * from {{ ref('expensive') }}\n")
	writeProjectFile(t, dir, "tests/warns.sql", "{{ config(severity='warn') }}\nselect * from {{ ref('expensive') }} where id = 1\n")
	mustKiln(t, ExitFailure, dir, "build", "--store-failures", "--warn-error")
	st := runStatuses(t, dir)
	if st["test.small.fails"] != "fail" || st["test.small.warns"] != "fail" {
		t.Fatalf("the build: %v", st)
	}
	// The failing rows kept by the build are dropped: only the retry can
	// keep them again.
	db := filepath.Join(dir, "target", "kiln.duckdb")
	duckQuery(t, db, "drop table if exists audit.fails")
	duckQuery(t, db, "drop table if exists audit.warns")
	const audit = "select table_name from information_schema.tables where table_schema = 'audit' order by 1"
	if got := duckRows(t, dir, audit); len(got) != 0 {
		t.Fatalf("the audit schema still holds %v", got)
	}
	out := mustKiln(t, ExitFailure, dir, "retry")
	if !strings.Contains(out, "Retrying") {
		t.Fatalf("kiln retry:\n%s", out)
	}
	if st := runStatuses(t, dir); st["test.small.fails"] != "fail" || st["test.small.warns"] != "fail" {
		t.Errorf("the retry without --warn-error: %v, want both tests failing", st)
	}
	if got := duckRows(t, dir, audit); strings.Join(got, ";") != "fails;warns" {
		t.Errorf("after the retry the audit schema holds %v, want fails;warns", got)
	}
	if got := duckRows(t, dir, "select count(*) from audit.fails"); strings.Join(got, ";") != "2" {
		t.Errorf("audit.fails holds %v rows, want 2", got)
	}
}

// TestRetryKeepsTarget: kiln retry builds into the profile's output the
// failed run built into (dbt's args.target, profile and profiles_dir in
// run_results.json), not the profile's default target.
func TestRetryKeepsTarget(t *testing.T) {
	t.Setenv("DBT_TARGET", "")
	t.Setenv("DBT_PROFILES_DIR", "")
	dir := t.TempDir()
	profiles := t.TempDir()
	writeProjectFile(t, dir, "dbt_project.yml", "name: tp\nprofile: tp\nmodel-paths: [models]\n")
	writeProjectFile(t, profiles, "profiles.yml", "tp:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: "+filepath.Join(dir, "dev.duckdb")+"}\n    prod: {type: duckdb, path: "+filepath.Join(dir, "prod.duckdb")+"}\n")
	writeProjectFile(t, dir, "models/m.sql", "select 1 as id\n")
	writeProjectFile(t, dir, "tests/fails.sql", "select * from {{ ref('m') }}\n")
	out := mustKiln(t, ExitFailure, dir, "build", "--profiles-dir", profiles, "--target", "prod")
	if !strings.Contains(out, "prod.duckdb") {
		t.Fatalf("the build:\n%s", out)
	}
	out = mustKiln(t, ExitFailure, dir, "retry")
	if !strings.Contains(out, "Retrying") || !strings.Contains(out, "prod.duckdb") || strings.Contains(out, "dev.duckdb") {
		t.Errorf("the retry did not build into prod.duckdb:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "dev.duckdb")); err == nil {
		t.Errorf("the retry made dev.duckdb")
	}
}

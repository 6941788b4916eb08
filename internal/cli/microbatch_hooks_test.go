package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// microbatchHooksProject writes a project whose microbatch model m (by
// year, from 2023) logs model.batch into hook_log from a pre-hook, a
// post-hook and a post-hook run outside its transaction; target is the
// project.yml's target lines ("" for DuckDB).
func microbatchHooksProject(t *testing.T, target string) string {
	t.Helper()
	dir := t.TempDir()
	hook := func(phase string) string {
		return fmt.Sprintf(`"insert into hook_log values ('%s', '{{ model.batch.id }}', '{{ model.batch.event_time_start }}', '{{ model.batch.event_time_end }}')"`, phase)
	}
	for name, body := range map[string]string{
		"project.yml": "name: mbh\nmodel-paths: [models]\nseed-paths: [seeds]\n" +
			"on-run-start: [\"create table if not exists hook_log (phase varchar(20), id varchar(20), s varchar(40), e varchar(40))\"]\n" + target,
		"seeds/events.csv": "d,id,amount\n2023-03-01 00:00:00,1,10\n2024-06-01 00:00:00,2,20\n2025-02-01 00:00:00,3,5\n",
		"seeds/_seeds.yml": "version: 2\nseeds:\n  - name: events\n    config:\n      event_time: d\n      column_types: {d: timestamp, amount: integer}\n",
		"models/m.sql": "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='d', batch_size='year', begin='2023-01-01',\n" +
			"    pre_hook=" + hook("pre") + ",\n" +
			"    post_hook=[" + hook("post") + ", {'sql': " + hook("post outside") + ", 'transaction': false}]) }}\n" +
			"{% if target.type == 'postgres' %}{{ config(unique_key='id') }}{% endif %}\n" + // dbt-postgres merges each batch on it
			"select d, id, amount from {{ ref('events') }}\n",
	} {
		writeFile(t, filepath.Join(dir, name), body)
	}
	return dir
}

// checkMicrobatchHooks builds the project three times and checks
// hook_log (query returns its rows as "a|b|c" lines): the pre-hook sees
// the first batch the run builds, the post-hooks the last, as dbt runs
// them with its first and last batch; a run of one batch gives it to
// both.
func checkMicrobatchHooks(t *testing.T, dir string, query func(string) []string) {
	t.Helper()
	log := func() string {
		return strings.Join(query("select phase, id, s, e from hook_log order by phase, id"), "\n")
	}
	mustKiln(t, 0, dir, "build", "--event-time-end", "2025-01-01")
	want := "post|20240101|2024-01-01 00:00:00+00:00|2025-01-01 00:00:00+00:00\n" +
		"post outside|20240101|2024-01-01 00:00:00+00:00|2025-01-01 00:00:00+00:00\n" +
		"pre|20230101|2023-01-01 00:00:00+00:00|2024-01-01 00:00:00+00:00"
	if got := log(); got != want {
		t.Errorf("hook_log after the build of 2023 and 2024:\n%s\nwant\n%s", got, want)
	}
	query("delete from hook_log")
	mustKiln(t, 0, dir, "build", "--event-time-start", "2025-01-01", "--event-time-end", "2026-01-01")
	want = "post|20250101|2025-01-01 00:00:00+00:00|2026-01-01 00:00:00+00:00\n" +
		"post outside|20250101|2025-01-01 00:00:00+00:00|2026-01-01 00:00:00+00:00\n" +
		"pre|20250101|2025-01-01 00:00:00+00:00|2026-01-01 00:00:00+00:00"
	if got := log(); got != want {
		t.Errorf("hook_log after the build of 2025 alone:\n%s\nwant\n%s", got, want)
	}
	if got := strings.Join(query("select count(*) from m"), ""); got != "3" {
		t.Errorf("m has %s rows, want 3", got)
	}
	// A run that builds no batch has none for its hooks: kiln says so at
	// the hook.
	query("delete from hook_log")
	code, out, errOut := kiln(t, dir, "build", "--event-time-start", "2023-01-01", "--event-time-end", "2024-01-01", "-s", "m")
	if code != ExitFailure || !strings.Contains(out+errOut, "this run builds no batch of") || !strings.Contains(out+errOut, "models/m.sql:") {
		t.Errorf("a build of no batch exited %d, want %d and the hook's error\n%s%s", code, ExitFailure, out, errOut)
	}
}

// TestMicrobatchHooksSeeTheirBatch: on DuckDB, a microbatch model's
// pre-hook renders model.batch as the first batch the run builds and
// its post-hooks (in and outside the transaction) as the last.
func TestMicrobatchHooksSeeTheirBatch(t *testing.T) {
	dir := microbatchHooksProject(t, "")
	db := filepath.Join(dir, "target", "kiln.duckdb")
	checkMicrobatchHooks(t, dir, func(q string) []string { return duckQuery(t, db, q) })
}

// TestMicrobatchHooksSeeTheirBatchOnPostgres: the same on PostgreSQL.
func TestMicrobatchHooksSeeTheirBatchOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := microbatchHooksProject(t, fmt.Sprintf("target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  schema: public\n  threads: 1\n", d.host, d.port, d.user, d.db))
	checkMicrobatchHooks(t, dir, func(q string) []string { return d.query(t, q) })
}

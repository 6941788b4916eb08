package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter"
)

// TestShowEffectsOnPostgres: what PostgreSQL runs in kiln show's
// read-only transaction and its rollback does not undo is refused: a
// session advisory lock (by name, in a template's run_query, and taken
// in a function the query calls, found after the rollback and
// released), a replication slot, a statistics reset, a signal to another
// session. What the rollback undoes runs: set_config, pg_notify, a
// transaction's advisory lock. Nothing of the refused calls is left.
func TestShowEffectsOnPostgres(t *testing.T) {
	d := newPGDB(t)
	d.with(t, func(ctx context.Context, c adapter.Conn) {
		for _, s := range []string{
			"create schema if not exists analytics",
			"create function analytics.grab() returns int language plpgsql volatile as $$ begin perform pg_advisory_lock(4343); return 1; end $$",
		} {
			if _, err := c.Exec(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	})
	dir := t.TempDir()
	for name, body := range map[string]string{
		"project.yml": fmt.Sprintf("name: showfx\nmodel-paths: [models]\n"+
			"target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  schema: analytics\n  threads: 1\n", d.host, d.port, d.user, d.db),
		"models/t.sql": "{{ config(materialized='table') }}\nselect 7 as x\n",
	} {
		writeFile(t, filepath.Join(dir, name), body)
	}
	mustKiln(t, 0, dir, "build")
	// The seal's counters, which a statistics reset would change.
	before := d.query(t, "select n_tup_ins from pg_stat_user_tables where relname = 't'")
	for q, want := range map[string]string{
		"select pg_advisory_lock(4242) as l":                                    "pg_advisory_lock() takes a session advisory lock",
		"select pg_catalog.pg_try_advisory_lock(4242) as l":                     "pg_try_advisory_lock() takes a session advisory lock",
		"{% set r = run_query('select pg_advisory_lock(4242)') %}select 1 as v": "pg_advisory_lock() takes a session advisory lock",
		"select * from pg_create_physical_replication_slot('kiln_show')":        "pg_create_physical_replication_slot() creates, drops or moves a replication slot",
		"select pg_stat_reset_single_table_counters('analytics.t'::regclass)":   "pg_stat_reset_single_table_counters() resets the server's cumulative statistics",
		"select pg_terminate_backend(pid) from pg_stat_activity where false":    "pg_terminate_backend() signals another session",
		"select analytics.grab() as g":                                          "the query took 1 session advisory lock (pg_advisory_lock, in a function it calls)",
	} {
		code, out, errOut := kiln(t, dir, "show", "--inline", q)
		if code != ExitFailure || !strings.Contains(errOut, want) || !strings.Contains(errOut, "kiln show only reads the database") || out != "" {
			t.Errorf("kiln show --inline %q exited %d, want %d and %q\nstdout:\n%s\nstderr:\n%s", q, code, ExitFailure, want, out, errOut)
		}
	}
	if got := d.query(t, "select count(*) from pg_replication_slots"); strings.Join(got, "") != "0" {
		t.Errorf("%v replication slots after kiln show, want 0", got)
	}
	if got := d.query(t, "select n_tup_ins from pg_stat_user_tables where relname = 't'"); strings.Join(got, "") != strings.Join(before, "") || len(got) != 1 {
		t.Errorf("t's n_tup_ins is %v after kiln show, want %v", got, before)
	}
	for q, want := range map[string]string{
		"select current_setting('work_mem') as w, set_config('work_mem', '1MB', false) as s": "w,s\n4MB,1MB\n",
		"select 1 as n from pg_notify('kiln', 'x')":                                          "n\n1\n",
		"select 1 as l from pg_advisory_xact_lock(4444)":                                     "l\n1\n",
	} {
		if out := mustKiln(t, 0, dir, "show", "--inline", q, "--output", "csv"); !strings.Contains(out, want) {
			t.Errorf("kiln show --inline %q printed %q, want %q", q, out, want)
		}
	}
}

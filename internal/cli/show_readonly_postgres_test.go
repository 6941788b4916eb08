package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter"
)

// TestShowReadOnlyOnPostgres: kiln show runs its statements in a
// read-only transaction on PostgreSQL, so that a write the keyword check
// cannot see is refused by the server: a VOLATILE function that inserts
// (in the --inline query and in a template's run_query) and a
// schema-qualified nextval, and SET TRANSACTION READ WRITE cannot undo
// it. The table and the sequence are as they were, and reads still run.
func TestShowReadOnlyOnPostgres(t *testing.T) {
	d := newPGDB(t)
	d.with(t, func(ctx context.Context, c adapter.Conn) {
		for _, s := range []string{
			"create schema if not exists analytics",
			"create table analytics.audit (x int)",
			"create sequence analytics.s",
			"create function analytics.bump() returns int language plpgsql volatile as $$ begin insert into analytics.audit values (1); return 1; end $$",
		} {
			if _, err := c.Exec(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	})
	dir := t.TempDir()
	for name, body := range map[string]string{
		"project.yml": fmt.Sprintf("name: showro\nmodel-paths: [models]\n"+
			"target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  schema: analytics\n  threads: 1\n", d.host, d.port, d.user, d.db),
		"models/t.sql": "{{ config(materialized='table') }}\nselect 7 as x\n",
	} {
		writeFile(t, filepath.Join(dir, name), body)
	}
	mustKiln(t, 0, dir, "build")
	for _, q := range []string{
		"select analytics.bump() as b",
		"select pg_catalog.nextval('analytics.s') as n",
		"{% set r = run_query('select analytics.bump()') %}select 1 as v",
	} {
		code, out, errOut := kiln(t, dir, "show", "--inline", q)
		if code != ExitFailure || !strings.Contains(errOut, "in a read-only transaction") ||
			!strings.Contains(errOut, "kiln show only reads the database") || out != "" {
			t.Errorf("kiln show --inline %q exited %d, want %d and the server's refusal\nstdout:\n%s\nstderr:\n%s", q, code, ExitFailure, out, errOut)
		}
	}
	// SET TRANSACTION READ WRITE, a read to the keyword check, comes
	// after the transaction's first query: PostgreSQL refuses it.
	if code, out, errOut := kiln(t, dir, "show", "--inline", "{% do run_query('set transaction read write') %}select analytics.bump() as b"); code != ExitFailure || out != "" {
		t.Errorf("kiln show of set transaction read write exited %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitFailure, out, errOut)
	}
	if got := d.query(t, "select count(*) from analytics.audit"); strings.Join(got, ";") != "0" {
		t.Errorf("analytics.audit has %v rows after kiln show, want 0", got)
	}
	if got := d.query(t, "select is_called from analytics.s"); strings.Join(got, ";") != "false" {
		t.Errorf("analytics.s is_called = %v after kiln show, want false", got)
	}
	if out := mustKiln(t, 0, dir, "show", "--inline", "select x + 1 as y from {{ ref('t') }}", "--output", "csv"); !strings.Contains(out, "y\n8\n") {
		t.Errorf("kiln show of a read printed %q, want y 8", out)
	}
}

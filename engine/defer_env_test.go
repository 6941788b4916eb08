package engine

import (
	"context"
	"testing"

	"github.com/kiln-build/kiln/internal/run"
)

// TestDeferReadsTheProjectsEnvironment: --defer compiles the project
// again with its refs to the state; env_var() there reads the
// environment the project was loaded with (Config.LookupEnv), as the
// first compilation does, not the process's: the dev build of b, its
// parent a read from prod's database, holds dev's value.
func TestDeferReadsTheProjectsEnvironment(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"project.yml":  "name: env\n",
		"models/a.sql": "select 1 as id\n",
		"models/b.sql": "{{ config(materialized='table') }}\nselect id, '{{ env_var(\"KILN_TEST_DEFER_ENV\") }}' as v from {{ ref('a') }}\n",
	})
	env := func(v string) func(string) (string, bool) {
		return func(name string) (string, bool) {
			if name == "KILN_TEST_DEFER_ENV" {
				return v, true
			}
			return "", false
		}
	}
	ctx := context.Background()
	build := func(target, value string, sel []string, state string) *Project {
		t.Helper()
		p, err := Load(Config{Dir: dir, TargetPath: target, LookupEnv: env(value)})
		if err != nil {
			t.Fatal(err)
		}
		ids, err := p.Select(Selection{Select: sel, Kinds: RunKinds})
		if err != nil {
			t.Fatal(err)
		}
		if state != "" {
			if _, err := p.Defer(ctx, ids, DeferOptions{StateDir: state}); err != nil {
				t.Fatalf("defer: %v", err)
			}
		}
		res, err := p.Run(ctx, p.Plan(ids), RunOptions{Command: "run", Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Results {
			if r.Status != run.Success {
				t.Fatalf("%s: %s %s", r.ID, r.Status, r.Message)
			}
		}
		return p
	}
	build("prod", "prod", nil, "")
	p := build("dev", "dev", []string{"b"}, "prod")
	db, err := p.OpenDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, rows, err := db.conn.QueryRows(ctx, "select id, v from main.b")
	if err != nil || len(rows) != 1 || rows[0][1] != "dev" {
		t.Fatalf("dev's b: %v (%v), want one row with v = dev", rows, err)
	}
	if k, err := db.conn.QueryInt(ctx, "select count(*) from duckdb_views() where not internal and view_name = 'a' and database_name = current_database()"); err != nil || k != 0 {
		t.Errorf("dev holds %d views a (%v), want none: a is read from prod", k, err)
	}
}

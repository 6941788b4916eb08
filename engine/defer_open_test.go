package engine

import (
	"context"
	"testing"

	"github.com/kiln-build/kiln/internal/run"
)

// TestDeferOpensTheDatabaseOnce: --defer reads this target's relations
// (which parents it has built) and its catalogs and schemas (whether
// the state's catalog name clashes) through one open of its database,
// not one each; the deferred build then reads the state's relation.
func TestDeferOpensTheDatabaseOnce(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	build := func(target string, sel []string, state string) *Project {
		t.Helper()
		writeFiles(t, dir, map[string]string{
			"project.yml":  "name: once\ntarget-path: " + target + "\ndatabase-path: " + target + "/" + target + ".duckdb\n",
			"models/a.sql": "select 1 as id\n",
			"models/b.sql": "{{ config(materialized='table') }}\nselect id + 1 as id from {{ ref('a') }}\n",
			"models/c.sql": "select 3 as id\n",
		})
		p, err := Load(Config{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		ids, err := p.Select(Selection{Select: sel, Kinds: RunKinds})
		if err != nil {
			t.Fatal(err)
		}
		if state != "" {
			d, err := p.Defer(ctx, ids, DeferOptions{StateDir: state})
			if err != nil {
				t.Fatalf("defer: %v", err)
			}
			if n := p.opens.Load(); n != 1 || len(d.Nodes) != 1 || d.Alias != "prod" {
				t.Fatalf("Defer opened the database %d time(s), deferred %v as %q; want once, [model.once.a] as prod", n, d.Nodes, d.Alias)
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
	build("prod", nil, "")
	build("dev", []string{"c"}, "") // dev's database exists, without a
	p := build("dev", []string{"b"}, "prod")
	db, err := p.OpenDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.conn.QueryInt(ctx, "select id from main.b"); err != nil || n != 2 {
		t.Errorf("dev's b = %d (%v), want 2 (from prod's a)", n, err)
	}
}

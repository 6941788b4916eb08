package compiler

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// compileOn compiles files for a target of type typ ("duckdb" or
// "postgres").
func compileOn(t *testing.T, typ string, files map[string]string) (*Manifest, diag.List) {
	t.Helper()
	fsys := fstest.MapFS{}
	for k, v := range files {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	target := func(project.TargetRequest) (*project.Target, diag.List) {
		tg := project.DefaultTarget("p.duckdb")
		tg.Type = typ
		return tg, nil
	}
	p, l := project.LoadWith(fsys, project.Options{Target: target})
	if l.HasErrors() {
		t.Fatal(l)
	}
	return Compile(p, Options{ProjectDir: "/proj"})
}

// A source over a seed's table (the new-user trial's project) and one over
// a snapshot's table compile on both targets and are ordered after the
// seed and the snapshot; two models whose names
// differ in case are one relation on DuckDB only, whose hint says so at
// file:line:col, while PostgreSQL, where kiln quotes every name, has two;
// no message on PostgreSQL speaks of DuckDB.
func TestRelationsPerTarget(t *testing.T) {
	files := map[string]string{
		"project.yml":             "name: p\nseeds:\n  p:\n    +schema: seed_data\n",
		"seeds/raw_customers.csv": "id\n1\n",
		"models/sources.yml": "sources:\n  - name: seeded\n    schema: seed_data\n    tables:\n      - name: raw_customers\n" +
			"  - name: snaps\n    schema: snapshots\n    tables:\n      - name: customers_snapshot\n",
		"snapshots/customers_snapshot.sql": "{% snapshot customers_snapshot %}\n{{ config(target_schema='snapshots', unique_key='id', strategy='check', check_cols='all') }}\n" +
			"select * from {{ ref('raw_customers') }}\n{% endsnapshot %}\n",
		"models/current.sql":      "select * from {{ source('snaps', 'customers_snapshot') }} where dbt_valid_to is null",
		"models/customers.sql":    "select * from {{ source('seeded', 'raw_customers') }}",
		"models/Orders.sql":       "select 1 as id",
		"models/orders.sql":       "select 2 as id",
		"models/orders_again.sql": "{{ config(alias='orders') }}\nselect 3 as id",
	}
	for _, typ := range []string{"duckdb", "postgres"} {
		_, l := compileOn(t, typ, files)
		got := fmt.Sprint(l)
		if typ == "duckdb" {
			if !strings.Contains(got, "models/orders_again.sql:1:11: ") || !strings.Contains(got, "main.orders and main.Orders are one relation, as DuckDB matches names without regard to case") {
				t.Errorf("on DuckDB:\n%s\nwant the clash of orders and Orders, with the case explained, at file:line:col", got)
			}
		} else if strings.Contains(got, "DuckDB") || strings.Contains(got, "orders.sql:1:1") || !strings.Contains(got, `models/orders_again.sql:1:11: model "orders_again" (models/orders_again.sql) writes the relation main.orders, as model "orders" (models/orders.sql) does: one would replace the other; give one of them another alias or schema`) {
			t.Errorf("on PostgreSQL:\n%s\nwant only orders_again's clash with orders, and no word of DuckDB", got)
		}
		if strings.Contains(got, "raw_customers") {
			t.Errorf("on %s, a source over a seed's table is refused:\n%s", typ, got)
		}
	}
	delete(files, "models/Orders.sql")
	delete(files, "models/orders_again.sql")
	for _, typ := range []string{"duckdb", "postgres"} {
		m, l := compileOn(t, typ, files)
		if l.HasErrors() {
			t.Fatalf("on %s: %s", typ, l)
		}
		src := m.Graph.Node("source.p.seeded.raw_customers")
		if want := []graph.ID{"seed.p.raw_customers"}; fmt.Sprint(src.After) != fmt.Sprint(want) || fmt.Sprint(m.Graph.After(src.ID)) != fmt.Sprint(want) {
			t.Errorf("on %s: the source is ordered after %v (graph: %v), want %v", typ, src.After, m.Graph.After(src.ID), want)
		}
		if len(src.DependsOn) != 0 || len(m.Graph.Parents(src.ID)) != 0 {
			t.Errorf("on %s: the source depends on %v: dbt has no such edge", typ, src.DependsOn)
		}
		order := m.Graph.Order()
		if m.Graph.Index("seed.p.raw_customers") > m.Graph.Index(src.ID) {
			t.Errorf("on %s: order %v puts the seed after the source", typ, order)
		}
		snap := m.Graph.Node("source.p.snaps.customers_snapshot")
		if want := "[snapshot.p.customers_snapshot]"; fmt.Sprint(m.Graph.After(snap.ID)) != want || len(snap.DependsOn) != 0 {
			t.Errorf("on %s: the source over the snapshot's table is ordered after %v and depends on %v, want after %s and no dependency", typ, m.Graph.After(snap.ID), snap.DependsOn, want)
		}
		if m.Graph.Index("snapshot.p.customers_snapshot") > m.Graph.Index("model.p.current") {
			t.Errorf("on %s: order %v puts the snapshot after the model that reads its table through a source", typ, order)
		}
	}
}

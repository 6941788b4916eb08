package materialize

import (
	"reflect"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/duckdb"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/sqlq"
)

func model(mat, sql string) *graph.Node {
	return &graph.Node{Kind: graph.Model, CompiledCode: sql, Relation: sqlq.Relation{Schema: "marts", Name: "kpi"},
		Config: graph.Config{Enabled: true, Materialized: mat}}
}

func TestModelStatements(t *testing.T) {
	cases := []struct {
		mat, existing string
		want          []string
	}{
		{"table", "", []string{`create schema if not exists "marts"`, "create or replace table \"marts\".\"kpi\" as (\nselect 1 -- c\n)"}},
		{"table", "view", []string{`create schema if not exists "marts"`, `drop view "marts"."kpi"`, "create or replace table \"marts\".\"kpi\" as (\nselect 1 -- c\n)"}},
		{"view", "table", []string{`create schema if not exists "marts"`, `drop table "marts"."kpi"`, "create or replace view \"marts\".\"kpi\" as (\nselect 1 -- c\n)"}},
		{"view", "view", []string{`create schema if not exists "marts"`, "create or replace view \"marts\".\"kpi\" as (\nselect 1 -- c\n)"}},
	}
	for _, c := range cases {
		stmts, err := Model(duckdb.Dialect{}, model(c.mat, "select 1 -- c\n;\n"), c.existing)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range stmts {
			got = append(got, s.SQL)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s over %q:\n got %q\nwant %q", c.mat, c.existing, got, c.want)
		}
	}
	if _, err := Model(duckdb.Dialect{}, model("ephemeral", "select 1"), ""); err == nil {
		t.Fatal("ephemeral models are not built")
	}
}

func TestTestQuery(t *testing.T) {
	n := &graph.Node{Kind: graph.Test, CompiledCode: "select * from t where x < 0;", Config: graph.Config{Extra: map[string]any{}}}
	if got := TestQuery(duckdb.Dialect{}, n).SQL; got != "select count(*) as failures from (\nselect * from t where x < 0\n) dbt_internal_test" {
		t.Errorf("got %q", got)
	}
	n.Config.Extra["limit"] = 5
	n.Config.Extra["fail_calc"] = "sum(n)"
	if got := TestQuery(duckdb.Dialect{}, n).SQL; got != "select sum(n) as failures from (\nselect * from (\nselect * from t where x < 0\n) as dbt_internal_limited limit 5\n) dbt_internal_test" {
		t.Errorf("got %q", got)
	}
}

func TestOutcome(t *testing.T) {
	cases := []struct {
		failures           float64
		sev, warnIf, errIf string
		want               string
	}{
		{0, "error", "", "", "pass"},
		{3, "error", "", "", "fail"},
		{3, "warn", "", "", "warn"},
		{3, "error", "", ">10", "warn"},
		{11, "error", "", ">10", "fail"},
		{3, "error", ">5", ">10", "pass"},
		{11, "warn", "", ">10", "warn"},
		{0, "error", "=0", "", "warn"},
	}
	for _, c := range cases {
		got, err := Outcome(c.failures, c.sev, c.warnIf, c.errIf)
		if err != nil || got != c.want {
			t.Errorf("%v %s warn_if=%q error_if=%q: got %s %v, want %s", c.failures, c.sev, c.warnIf, c.errIf, got, err, c.want)
		}
	}
	if _, err := Outcome(1, "error", "more than 3", ""); err == nil {
		t.Error("bad threshold accepted")
	}
}

// A schema change reads as sentences that name the columns, quoted: a
// column removed is "no longer in the model's query", and what becomes
// of it follows the on_schema_change that applies.
func TestSchemaChangeDescribe(t *testing.T) {
	ch := SchemaChange{
		Added:   []adapter.Column{{Name: "note", Type: "VARCHAR"}},
		Removed: []adapter.Column{{Name: "id", Type: "INTEGER"}},
		Retyped: []adapter.Column{{Name: "amount", Type: "BIGINT"}},
	}
	for mode, want := range map[string]string{
		"fail":               `new column "note" (VARCHAR); column "id" is no longer in the model's query; column "amount" is now BIGINT`,
		"append_new_columns": `new column "note" (VARCHAR); column "id" is no longer in the model's query (kept, NULL in the new rows); column "amount" is now BIGINT`,
		"sync_all_columns":   `new column "note" (VARCHAR); column "id" is no longer in the model's query (dropped); column "amount" is now BIGINT`,
	} {
		if got := ch.Describe(mode); got != want {
			t.Errorf("%s: %s\nwant %s", mode, got, want)
		}
	}
	two := SchemaChange{Added: []adapter.Column{{Name: "a", Type: "INTEGER"}, {Name: "b", Type: "DATE"}},
		Removed: []adapter.Column{{Name: "x"}, {Name: "y"}}}
	if got, want := two.String(), `new columns "a" (INTEGER), "b" (DATE); columns "x", "y" are no longer in the model's query`; got != want {
		t.Errorf("%s\nwant %s", got, want)
	}
}

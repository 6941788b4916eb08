package state

import (
	"testing"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// keyGraph is a model stg over a source, a test of stg and an export of
// it, with stg and the source in the schemas given.
func keyGraph(t *testing.T, schema, raw string) *graph.Graph {
	t.Helper()
	g, err := graph.New([]*graph.Node{
		{ID: "source.p.raw.erp", Kind: graph.Source, Relation: sqlq.Relation{Schema: raw, Name: "erp"}},
		{ID: "model.p.stg", Kind: graph.Model, Config: graph.Config{Enabled: true, Materialized: "table"},
			Relation: sqlq.Relation{Database: "db", Schema: schema, Name: "stg"}, DependsOn: []graph.ID{"source.p.raw.erp"}},
		{ID: "test.p.not_null_stg_id", Kind: graph.Test, Test: &graph.TestInfo{Generic: "not_null"}, DependsOn: []graph.ID{"model.p.stg"}},
		{ID: "unit_test.p.stg.u", Kind: graph.UnitTest},
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// The state of a node is kept by where it writes (or, for a test, where
// it reads): a build into backfill schemas has other keys than the main
// build's, and a node with no relation at all keeps its unique id.
func TestKeyByRelation(t *testing.T) {
	main, back := keyGraph(t, "staging", "raw"), keyGraph(t, "backfill_staging", "backfill_raw")
	for _, c := range []struct {
		g    *graph.Graph
		id   graph.ID
		want string
	}{
		{main, "model.p.stg", `model.p.stg@"db"."staging"."stg"`},
		{back, "model.p.stg", `model.p.stg@"db"."backfill_staging"."stg"`},
		{main, "source.p.raw.erp", `source.p.raw.erp@"raw"."erp"`},
		{main, "test.p.not_null_stg_id", `test.p.not_null_stg_id@"db"."staging"."stg"`},
		{back, "test.p.not_null_stg_id", `test.p.not_null_stg_id@"db"."backfill_staging"."stg"`},
		{main, "unit_test.p.stg.u", "unit_test.p.stg.u"},
	} {
		if got := Key(c.g, c.id); got != c.want {
			t.Errorf("Key(%s) = %s, want %s", c.id, got, c.want)
		}
	}
	// The backfill's state leaves the main one's; a state kept by unique
	// id (an earlier kiln) is read until the node's is.
	saved := map[string]string{Key(main, "model.p.stg"): "fp-main", Key(back, "model.p.stg"): "fp-back", "source.p.raw.erp": "fp-legacy"}
	if got := Lookup(saved, main, "model.p.stg"); got != "fp-main" {
		t.Errorf("Lookup(main stg) = %q, want fp-main", got)
	}
	if got := Lookup(saved, back, "model.p.stg"); got != "fp-back" {
		t.Errorf("Lookup(backfill stg) = %q, want fp-back", got)
	}
	if got := Lookup(saved, main, "source.p.raw.erp"); got != "fp-legacy" {
		t.Errorf("Lookup(erp) = %q, want the legacy fp-legacy", got)
	}
	if got := Lookup(saved, main, "test.p.not_null_stg_id"); got != "" {
		t.Errorf("Lookup(test) = %q, want none", got)
	}
}

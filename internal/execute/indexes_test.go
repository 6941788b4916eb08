package execute

import (
	"reflect"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
)

func TestIndexesOf(t *testing.T) {
	ixs := []any{
		map[string]any{"columns": []any{"id"}, "unique": true},
		map[string]any{"columns": []string{"a", "b desc"}, "type": "hash"},
	}
	want := []adapter.Index{{Columns: []string{"id"}, Unique: true}, {Columns: []string{"a", "b desc"}, Type: "hash"}}
	for _, tc := range []struct {
		kind graph.Kind
		mat  string
		want []adapter.Index
	}{
		{graph.Model, graph.Table, want},
		{graph.Model, graph.Incremental, want},
		{graph.Model, graph.View, nil}, // dbt creates indexes on tables only
		{graph.Model, graph.Ephemeral, nil},
		{graph.Seed, "seed", want},
		{graph.Snapshot, "snapshot", want},
	} {
		n := &graph.Node{Kind: tc.kind, Config: graph.Config{Materialized: tc.mat, Extra: map[string]any{"indexes": ixs}}}
		if got := IndexesOf(n); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("IndexesOf(%s %s) = %v, want %v", tc.kind, tc.mat, got, tc.want)
		}
	}
	if got := IndexesOf(&graph.Node{Kind: graph.Model, Config: graph.Config{Materialized: graph.Table}}); got != nil {
		t.Errorf("IndexesOf without indexes = %v, want nil", got)
	}
}

// TestIndexName: an MD5 in hex (32 characters, under PostgreSQL's 63),
// the same for the same inputs, new for another instant, run or position,
// so that a rebuilt table's indexes never take its backup's names.
func TestIndexName(t *testing.T) {
	rel := adapter.Relation{Schema: "marts", Name: "orders"}
	ix := adapter.Index{Columns: []string{"id"}, Unique: true}
	now := time.Date(2026, 12, 5, 23, 0, 0, 1, time.UTC)
	base := IndexName(rel, ix, now, "run1", 0)
	if len(base) != 32 || base != IndexName(rel, ix, now, "run1", 0) {
		t.Fatalf("IndexName = %q, want 32 hex characters, the same for the same inputs", base)
	}
	for _, other := range []string{
		IndexName(rel, ix, now.Add(time.Nanosecond), "run1", 0),
		IndexName(rel, ix, now, "run2", 0),
		IndexName(rel, ix, now, "run1", 1),
		IndexName(rel, adapter.Index{Columns: []string{"id"}}, now, "run1", 0),
		IndexName(adapter.Relation{Schema: "marts", Name: "order"}, ix, now, "run1", 0),
	} {
		if other == base {
			t.Errorf("IndexName gave %q for other inputs too", base)
		}
	}
}

package execute

import (
	"reflect"
	"testing"

	"github.com/kiln-build/kiln/compiler/graph"
)

// TestDiffGrants: dbt's diff_of_two_dicts, privileges and grantees
// compared without regard to case, in the first's spelling.
func TestDiffGrants(t *testing.T) {
	config := Grants{"select": {"Reporter", "ops"}, "insert": {"etl"}, "update": {}}
	have := Grants{"SELECT": {"reporter"}, "DELETE": {"etl"}}
	if got, want := diffGrants(config, have), (Grants{"select": {"ops"}, "insert": {"etl"}}); !reflect.DeepEqual(got, want) {
		t.Errorf("to grant: %v, want %v", got, want)
	}
	if got, want := diffGrants(have, config), (Grants{"DELETE": {"etl"}}); !reflect.DeepEqual(got, want) {
		t.Errorf("to revoke: %v, want %v", got, want)
	}
}

// TestGrantsOf: no grants, an empty mapping or an ephemeral model grant
// nothing; a grantee may be a string; an empty list is kept (it revokes).
func TestGrantsOf(t *testing.T) {
	node := func(mat string, g any) *graph.Node {
		return &graph.Node{Config: graph.Config{Materialized: mat, Extra: map[string]any{"grants": g}}}
	}
	for _, tc := range []struct {
		n    *graph.Node
		want Grants
	}{
		{node("table", nil), nil},
		{node("table", map[string]any{}), nil},
		{node("ephemeral", map[string]any{"select": []string{"a"}}), nil},
		{node("view", map[string]any{"select": "a", "insert": []any{"b", "c"}, "update": []string{}}),
			Grants{"select": {"a"}, "insert": {"b", "c"}, "update": {}}},
	} {
		if got := GrantsOf(tc.n); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("GrantsOf(%v) = %v, want %v", tc.n.Config.Extra, got, tc.want)
		}
	}
}

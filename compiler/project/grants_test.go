package project

import (
	"fmt"
	"reflect"
	"testing"
)

// TestMergeGrants: grants merge by privilege as in dbt (>= 1.2,
// MergeBehavior.DictKeyAppend): a privilege replaces the inherited
// grantees of that privilege, "+privilege" adds to them, the others are
// inherited; a grantee may be a string.
func TestMergeGrants(t *testing.T) {
	for _, tc := range []struct {
		name            string
		inherited, next any
		want            map[string]any
	}{
		{"first level, a string", nil, map[string]any{"select": "reporter"},
			map[string]any{"select": []string{"reporter"}}},
		{"replace one privilege, keep the others",
			map[string]any{"select": []string{"a"}, "insert": []string{"b"}}, map[string]any{"select": []any{"c", "d"}},
			map[string]any{"select": []string{"c", "d"}, "insert": []string{"b"}}},
		{"plus adds", map[string]any{"select": []string{"a"}}, map[string]any{"+select": []any{"b"}},
			map[string]any{"select": []string{"a", "b"}}},
		{"plus with nothing to add to is kept", map[string]any{"insert": []string{"a"}}, map[string]any{"+select": "b"},
			map[string]any{"insert": []string{"a"}, "+select": []string{"b"}}},
		{"plus over plus adds", map[string]any{"+select": []string{"a"}}, map[string]any{"+select": "b"},
			map[string]any{"+select": []string{"a", "b"}}},
		{"a plain privilege replaces a plus", map[string]any{"+select": []string{"a"}}, map[string]any{"select": "b"},
			map[string]any{"select": []string{"b"}}},
		{"an empty list revokes all", map[string]any{"select": []string{"a"}}, map[string]any{"select": []any{}},
			map[string]any{"select": []string{}}},
	} {
		if got := MergeGrants(tc.inherited, tc.next); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: MergeGrants(%v, %v) = %v, want %v", tc.name, tc.inherited, tc.next, got, tc.want)
		}
	}
}

// TestMergeGrantsGrouping: a model's config() call is merged on its own
// before it is merged over the project's levels; grouping the layers so
// gives what merging them one by one gives.
func TestMergeGrantsGrouping(t *testing.T) {
	layers := []map[string]any{
		{"select": []any{"a"}, "insert": "x"},
		{"+select": "b"},
		{"+select": []any{"c"}, "+update": "u"},
		{"insert": []any{}, "+update": "v"},
	}
	for split := 1; split < len(layers); split++ {
		var one, left, right any
		for _, l := range layers {
			one = MergeGrants(one, l)
		}
		for _, l := range layers[:split] {
			left = MergeGrants(left, l)
		}
		for _, l := range layers[split:] {
			right = MergeGrants(right, l)
		}
		if got := MergeGrants(left, right); !reflect.DeepEqual(got, one) {
			t.Errorf("split at %d: %v, want %v", split, got, one)
		}
	}
	want := map[string]any{"select": []string{"a", "b", "c"}, "insert": []string{}, "+update": []string{"u", "v"}}
	var got any
	for _, l := range layers {
		got = MergeGrants(got, l)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("merged: %v, want %v", got, want)
	}
}

// TestResolvedGrants: a "+select" left with nothing to add to is a
// node's "select", as dbt resolves it.
func TestResolvedGrants(t *testing.T) {
	got := ResolvedGrants(MergeGrants(MergeGrants(nil, map[string]any{"insert": "a"}), map[string]any{"+select": "b"}))
	want := map[string]any{"insert": []string{"a"}, "select": []string{"b"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ResolvedGrants = %v, want %v", got, want)
	}
}

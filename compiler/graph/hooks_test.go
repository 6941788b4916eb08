package graph

import (
	"reflect"
	"testing"
)

// TestConfigHooks: a node's hooks in the order they run, the hyphenated
// key's first, a text in the transaction, a mapping's transaction: false
// outside it, a list of either, other values skipped.
func TestConfigHooks(t *testing.T) {
	extra := map[string]any{
		"pre_hook":  "select 3",
		"pre-hook":  []any{"select 1", map[string]any{"sql": "vacuum", "transaction": false}, 7},
		"post-hook": []string{"select 4"},
	}
	want := []Hook{{SQL: "select 1", Transaction: true}, {SQL: "vacuum", Transaction: false}, {SQL: "select 3", Transaction: true}}
	if got := ConfigHooks(extra, "pre"); !reflect.DeepEqual(got, want) {
		t.Errorf("pre hooks %+v, want %+v", got, want)
	}
	if got := ConfigHooks(extra, "post"); !reflect.DeepEqual(got, []Hook{{SQL: "select 4", Transaction: true}}) {
		t.Errorf("post hooks %+v", got)
	}
	if got := ConfigHooks(map[string]any{"pre-hook": map[string]any{"sql": "x", "transaction": true}}, "pre"); !reflect.DeepEqual(got, []Hook{{SQL: "x", Transaction: true}}) {
		t.Errorf("mapping in the transaction %+v", got)
	}
}

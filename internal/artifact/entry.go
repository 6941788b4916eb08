package artifact

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
)

// Entries returns what gives a node's manifest.json entry as plain JSON
// values (objects as map[string]any, lists as []any, numbers as
// float64): the object WriteManifest writes for it under nodes, sources,
// exposures, unit_tests or exports, for kiln ls --output json's
// --output-keys, which select any of its keys as dbt ls does. m must be
// compiled (m.Graph set). The func is safe for concurrent use; it
// returns an error only when the entry cannot be encoded, which the
// plain values of a compiled manifest never are.
func Entries(m *compiler.Manifest) func(n *graph.Node) (map[string]any, error) {
	b := newBuilder(m)
	return func(n *graph.Node) (map[string]any, error) {
		data, err := appendMarshal(nil, b.entry(n))
		if err != nil {
			return nil, err
		}
		var out map[string]any
		err = json.Unmarshal(data, &out)
		return out, err
	}
}

// EntryKeys returns the keys a manifest.json entry of some resource type
// can have (those of nodes, sources, exposures, unit_tests and exports),
// sorted: what Entries' maps may hold.
func EntryKeys() []string {
	seen := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "" && name != "-" {
				seen[name] = true
			}
		}
	}
	for _, v := range []any{modelJSON{}, genericTestJSON{}, seedJSON{}, sourceJSON{}, exposureJSON{}, unitTestJSON{}, exportJSON{}} {
		walk(reflect.TypeOf(v))
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

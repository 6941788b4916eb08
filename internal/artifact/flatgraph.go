package artifact

import (
	"bytes"
	"encoding/json"
	"math"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
)

// FlatGraph returns dbt's graph context variable for the compiled project
// m: {"nodes", "sources", "exposures", "metrics", "groups",
// "semantic_models", "saved_queries", "unit_tests"}, each a map from
// unique id to the entry manifest.json holds for it (resource_type, name,
// package_name, config, depends_on, columns, ...), as plain values (maps,
// lists, texts, whole numbers as int, other numbers as float64, bools,
// nil). It is what dbt's manifest.flat_graph gives templates
// (https://docs.getdbt.com/reference/dbt-jinja-functions/graph).
func FlatGraph(m *compiler.Manifest) map[string]any {
	mj := buildManifest(m, Metadata{})
	sections := map[string]any{
		"nodes": mj.Nodes, "sources": mj.Sources, "exposures": mj.Exposures, "metrics": mj.Metrics,
		"groups": mj.Groups, "semantic_models": mj.SemanticModels, "saved_queries": mj.SavedQueries,
		"unit_tests": mj.UnitTests,
	}
	out := make(map[string]any, len(sections))
	for name, section := range sections {
		out[name] = plainJSON(section)
	}
	return out
}

// NodeEntries returns a function that gives node n's entry in
// manifest.json (the one FlatGraph gives under "nodes"), as plain values,
// for the project m compiles: what dbt's model context variable holds
// (compiler.Options.NodeEntries). m needs Project and Engine (the macros'
// unique ids of depends_on.macros, computed once here); its Graph may be
// nil while compiling, when a generic test's attached node is not named.
// The function is safe for concurrent use.
func NodeEntries(m *compiler.Manifest) func(n *graph.Node) map[string]any {
	b := newBuilder(m)
	b.macros()
	return func(n *graph.Node) map[string]any { return plainJSON(b.entry(n)) }
}

// plainJSON is v as encoding/json writes it, read back as plain values.
func plainJSON(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		return map[string]any{}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		return map[string]any{}
	}
	return numbers(out).(map[string]any)
}

// numbers turns the json.Numbers of v into int (whole, in range) or
// float64.
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil && i >= math.MinInt && i <= math.MaxInt {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
		return x
	}
	return v
}

package artifact

import (
	"sort"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
)

// The manifest's exposures, groups and semantic layer entries, with the
// fields of dbt's manifest v12 ("path" is the property file's, from the
// project's folder, as for sources) (Exposure, Group, Metric, SemanticModel,
// SavedQuery: https://schemas.getdbt.com/dbt/manifest/v12.json).

// exposureJSON is dbt's Exposure.
type exposureJSON struct {
	Name             string         `json:"name"`
	ResourceType     graph.Kind     `json:"resource_type"`
	PackageName      string         `json:"package_name"`
	Path             string         `json:"path"`
	OriginalFilePath string         `json:"original_file_path"`
	UniqueID         graph.ID       `json:"unique_id"`
	FQN              []string       `json:"fqn"`
	Type             string         `json:"type"`
	Owner            map[string]any `json:"owner"`
	Description      string         `json:"description"`
	Label            *string        `json:"label"`
	Maturity         *string        `json:"maturity"`
	Meta             map[string]any `json:"meta"`
	Tags             []string       `json:"tags"`
	Config           map[string]any `json:"config"`
	UnrenderedConfig map[string]any `json:"unrendered_config"`
	URL              *string        `json:"url"`
	DependsOn        dependsOn      `json:"depends_on"`
	Refs             []refJSON      `json:"refs"`
	Sources          [][2]string    `json:"sources"`
	Metrics          [][]string     `json:"metrics"`
}

func (b *builder) exposure(n *graph.Node) *exposureJSON {
	cfg := map[string]any{"enabled": n.Config.Enabled, "tags": strs(n.Config.Tags), "meta": PlainMap(n.Config.Meta)}
	e := &exposureJSON{
		Name: n.Name, ResourceType: n.Kind, PackageName: n.Package, Path: n.Path, OriginalFilePath: n.Path,
		UniqueID: n.ID, FQN: strs(n.FQN), Owner: map[string]any{"email": nil, "name": nil}, Description: n.Description,
		Meta: cfg["meta"].(map[string]any), Tags: strs(n.Config.Tags), Config: cfg, UnrenderedConfig: map[string]any{},
		DependsOn: dependsOn{Macros: []string{}, Nodes: idList(n.DependsOn)},
		Refs:      make([]refJSON, len(n.Refs)), Sources: make([][2]string, len(n.SourceRef)), Metrics: [][]string{},
	}
	for i, r := range n.Refs {
		e.Refs[i] = refJSON{Name: r.Name, Package: nullable(r.Package)}
	}
	for i, r := range n.SourceRef {
		e.Sources[i] = [2]string{r.Package, r.Name}
	}
	if x := n.Exposure; x != nil {
		e.Type, e.Label, e.Maturity, e.URL = x.Type, nullable(x.Label), nullable(x.Maturity), nullable(x.URL)
		for k, v := range x.Owner {
			e.Owner[k] = Plain(v)
		}
		for _, m := range x.Metrics {
			e.Metrics = append(e.Metrics, []string{m.Name})
			e.DependsOn.Nodes = append(e.DependsOn.Nodes, graph.ID("metric."+n.Package+"."+m.Name))
		}
	}
	return e
}

// groupJSON is dbt's Group.
type groupJSON struct {
	Name             string         `json:"name"`
	ResourceType     string         `json:"resource_type"`
	PackageName      string         `json:"package_name"`
	Path             string         `json:"path"`
	OriginalFilePath string         `json:"original_file_path"`
	UniqueID         string         `json:"unique_id"`
	Owner            map[string]any `json:"owner"`
	Description      *string        `json:"description"`
	Config           map[string]any `json:"config"`
}

// groups returns the manifest's groups and group_map (group name -> the
// unique ids of the nodes in it, sorted).
func (b *builder) groups() (map[string]*groupJSON, map[string][]graph.ID) {
	out := map[string]*groupJSON{}
	members := map[string][]graph.ID{}
	for _, g := range b.m.GroupList() {
		owner := map[string]any{"email": nil, "name": nil}
		for k, v := range g.Owner {
			owner[k] = Plain(v)
		}
		meta, _ := g.Config["meta"].(map[string]any)
		out[g.UniqueID()] = &groupJSON{Name: g.Name, ResourceType: "group", PackageName: g.Package,
			Path: g.Path, OriginalFilePath: g.Path, UniqueID: g.UniqueID(), Owner: owner,
			Description: nullable(g.Description), Config: map[string]any{"meta": PlainMap(meta)}}
		members[g.Name] = []graph.ID{}
	}
	for _, n := range b.m.Graph.Nodes() {
		if g, ok := n.Config.Extra["group"].(string); ok && g != "" {
			if _, declared := members[g]; declared {
				members[g] = append(members[g], n.ID)
			}
		}
	}
	for _, ids := range members {
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	}
	return out, members
}

// semanticFields are the keys of each kind of entry that dbt's schema
// allows from the YAML as written (the others kiln writes itself).
var semanticFields = map[string][]string{
	compiler.SemanticModelKind: {"model", "defaults", "entities", "measures", "dimensions", "primary_entity"},
	compiler.MetricKind:        {"type", "type_params", "filter", "time_granularity", "meta", "tags"},
	compiler.SavedQueryKind:    {"query_params", "exports", "tags"},
}

// semantic returns the manifest's semantic_models, metrics and
// saved_queries: each entry's common fields, then its YAML as written for
// the fields of its kind (a metric's measure and input metrics in dbt's
// object form: {"name": ..., "filter": null, ...}).
func (b *builder) semantic() (models, metrics, queries map[string]map[string]any) {
	models, metrics, queries = map[string]map[string]any{}, map[string]map[string]any{}, map[string]map[string]any{}
	for _, e := range b.m.SemanticList() {
		cfg := map[string]any{"enabled": true, "group": nil, "meta": map[string]any{}}
		for k, v := range e.Config {
			cfg[k] = Plain(v)
		}
		out := map[string]any{
			"name": e.Name, "resource_type": e.Kind, "package_name": e.Package, "path": e.Path,
			"original_file_path": e.Path, "unique_id": e.UniqueID(), "fqn": strs(e.FQN),
			"description": e.Description, "label": nullable(e.Label), "config": cfg, "unrendered_config": map[string]any{},
			"depends_on": map[string]any{"macros": []string{}, "nodes": strs(e.DependsOn)}, "refs": []refJSON{}, "metadata": nil,
		}
		if g, ok := cfg["group"]; ok {
			out["group"] = g
		}
		for _, k := range semanticFields[e.Kind] {
			if v, ok := e.Body[k]; ok {
				out[k] = Plain(v)
			}
		}
		switch e.Kind {
		case compiler.SemanticModelKind:
			for _, k := range []string{"entities", "measures", "dimensions"} {
				if out[k] == nil {
					out[k] = []any{}
				}
			}
			if t := e.Model; t != nil {
				out["refs"] = []refJSON{{Name: t.Name}}
				out["node_relation"] = map[string]any{"alias": t.Relation.Name, "schema_name": t.Relation.Schema,
					"database": nullable(t.Relation.Database), "relation_name": relationName(t)}
			}
			models[e.UniqueID()] = out
		case compiler.MetricKind:
			out["type_params"] = metricParams(out["type_params"])
			out["sources"], out["metrics"] = []any{}, []any{}
			for _, d := range e.DependsOn {
				if len(d) > 7 && d[:7] == "metric." {
					out["metrics"] = append(out["metrics"].([]any), []string{d[len("metric."+e.Package+"."):]})
				}
			}
			if out["meta"] == nil {
				out["meta"] = map[string]any{}
			}
			if out["tags"] == nil {
				out["tags"] = []string{}
			}
			metrics[e.UniqueID()] = out
		case compiler.SavedQueryKind:
			if out["exports"] == nil {
				out["exports"] = []any{}
			}
			if out["tags"] == nil {
				out["tags"] = []string{}
			}
			queries[e.UniqueID()] = out
		}
	}
	return models, metrics, queries
}

// metricParams writes a metric's type_params as dbt's MetricTypeParams
// does: measure as a MetricInputMeasure object, numerator, denominator
// and metrics as MetricInput objects, and input_measures.
func metricParams(v any) map[string]any {
	p, _ := v.(map[string]any)
	out := map[string]any{}
	for k, x := range p {
		out[k] = x
	}
	measure := func(x any) map[string]any {
		m := map[string]any{"name": nil, "filter": nil, "alias": nil, "join_to_timespine": false, "fill_nulls_with": nil}
		switch y := x.(type) {
		case string:
			m["name"] = y
		case map[string]any:
			for k, v := range y {
				m[k] = v
			}
		}
		return m
	}
	input := func(x any) map[string]any {
		m := map[string]any{"name": nil, "filter": nil, "alias": nil, "offset_window": nil, "offset_to_grain": nil}
		switch y := x.(type) {
		case string:
			m["name"] = y
		case map[string]any:
			for k, v := range y {
				m[k] = v
			}
		}
		return m
	}
	inputs := []any{}
	if x, ok := out["measure"]; ok {
		m := measure(x)
		out["measure"], inputs = m, append(inputs, m)
	}
	for _, k := range []string{"numerator", "denominator"} {
		if x, ok := out[k]; ok {
			out[k] = input(x)
		}
	}
	if list, ok := out["metrics"].([]any); ok {
		ms := make([]any, len(list))
		for i, x := range list {
			ms[i] = input(x)
		}
		out["metrics"] = ms
	}
	if cp, ok := out["conversion_type_params"].(map[string]any); ok {
		for _, k := range []string{"base_measure", "conversion_measure"} {
			if x, ok := cp[k]; ok {
				m := measure(x)
				cp[k], inputs = m, append(inputs, m)
			}
		}
	}
	out["input_measures"] = inputs
	return out
}

package compiler

import (
	"fmt"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// The kinds of semantic layer entries, with dbt's resource types.
const (
	SemanticModelKind = "semantic_model"
	MetricKind        = "metric"
	SavedQueryKind    = "saved_query"
)

// SemanticEntry is one semantic model, metric or saved query of the
// property files (dbt's semantic layer). kiln does not query the semantic
// layer: it checks the entry's name, type and references (a semantic
// model's model, a metric's measures and metrics, a saved query's
// metrics) and keeps the rest as written (Body), for manifest.json.
type SemanticEntry struct {
	Kind        string // SemanticModelKind, MetricKind or SavedQueryKind
	Name        string
	Package     string
	Path        string // the property file
	Pos         diag.Pos
	FQN         []string
	Description string
	Label       string
	// Body is the entry as written, every key but name, description,
	// label and config, as plain values (maps, lists, texts, numbers).
	Body   map[string]any
	Config map[string]any
	// DependsOn are the unique ids the entry reads: a semantic model's
	// model, the semantic models of a metric's measures and the metrics
	// it is built from, a saved query's metrics; sorted.
	DependsOn []string
	// Model is a semantic model's model (dbt's refs and node_relation).
	Model *graph.Node

	node *yaml.Node // the entry as written, for positions
}

// UniqueID is the entry's unique_id: <kind>.<package>.<name>.
func (e *SemanticEntry) UniqueID() string { return e.Kind + "." + e.Package + "." + e.Name }

// semanticKeys are the first-level keys dbt 1.10 reads in each kind of
// entry (https://docs.getdbt.com/docs/build/semantic-models,
// .../metrics-overview, .../saved-queries); another key is a warning.
var semanticKeys = map[string][]string{
	SemanticModelKind: {"name", "model", "description", "label", "config", "defaults", "entities", "measures", "dimensions", "primary_entity"},
	MetricKind:        {"name", "label", "type", "type_params", "description", "filter", "time_granularity", "meta", "tags", "config"},
	SavedQueryKind:    {"name", "query_params", "description", "label", "exports", "config", "tags"},
}

var metricTypes = []string{"simple", "ratio", "cumulative", "derived", "conversion"}

// collectSemantic reads the semantic models, then the metrics (a metric
// may be built from one declared after it), then the saved queries.
func (c *compiler) collectSemantic() {
	measures := map[string]*SemanticEntry{} // measure name -> its semantic model
	metrics := map[string]*SemanticEntry{}
	for _, kind := range []string{SemanticModelKind, MetricKind, SavedQueryKind} {
		seen := map[string]*SemanticEntry{}
		for _, pf := range c.p.Properties {
			list := map[string][]project.SemanticProps{SemanticModelKind: pf.SemanticModels, MetricKind: pf.Metrics, SavedQueryKind: pf.SavedQueries}[kind]
			for i := range list {
				if e := c.semanticEntry(kind, pf.Path, &list[i], seen); e != nil && kind == SemanticModelKind {
					c.semanticModel(e, measures)
				}
			}
		}
		if kind == MetricKind {
			metrics = seen
		}
		for _, e := range c.semantic {
			switch {
			case e.Kind == kind && kind == MetricKind:
				c.metricDeps(e, measures, metrics)
			case e.Kind == kind && kind == SavedQueryKind:
				c.savedQueryDeps(e, metrics)
			}
		}
	}
}

// semanticEntry checks the common parts of an entry and records it in
// c.semantic and seen, or returns nil.
func (c *compiler) semanticEntry(kind, file string, sp *project.SemanticProps, seen map[string]*SemanticEntry) *SemanticEntry {
	pos := sp.Pos(file)
	what := map[string]string{SemanticModelKind: "semantic model", MetricKind: "metric", SavedQueryKind: "saved query"}[kind]
	var body map[string]any
	if err := sp.Node.Decode(&body); err != nil {
		c.diags.Errorf(pos, "invalid %s: %v", what, err)
		return nil
	}
	known := semanticKeys[kind]
	for i := 0; i+1 < len(sp.Node.Content); i += 2 {
		k := sp.Node.Content[i]
		if !contains(known, k.Value) {
			d := diag.Diagnostic{Pos: diag.Pos{File: file, Line: k.Line, Col: k.Column}, Severity: diag.Warning,
				Msg: fmt.Sprintf("key %q of a %s is not one dbt reads; kiln keeps it in manifest.json as written", k.Value, what)}
			if h := diag.DidYouMean(k.Value, known); h != "" {
				d.Hint = h
			}
			c.diags.Add(d)
		}
	}
	name, _ := body["name"].(string)
	if name == "" {
		c.diags.Errorf(pos, "a %s has no name", what).Hint = "add \"name: <" + what + " name>\""
		return nil
	}
	if !isName(name) {
		c.diags.Errorf(nodePos(&sp.Node, "name", file, pos), "%s name %q may hold only letters, digits and underscores", what, name).Hint = "put the display name in label:"
		return nil
	}
	if prev, dup := seen[name]; dup {
		c.diags.Errorf(pos, "%s %q is declared twice: in %s and in %s", what, name, prev.Path, file).Hint = "keep one declaration"
		return nil
	}
	cfg, _ := body["config"].(map[string]any)
	if _, ok := body["config"]; ok && cfg == nil {
		c.diags.Errorf(nodePos(&sp.Node, "config", file, pos), "the config of %s %q must be a mapping", what, name)
	}
	if en, ok := cfg["enabled"]; ok {
		if b, isBool := en.(bool); !isBool {
			c.diags.Errorf(nodePos(&sp.Node, "config", file, pos), "config enabled of %s %q must be true or false", what, name)
		} else if !b {
			return nil // dbt leaves a disabled entry out of the manifest's resources
		}
	}
	e := &SemanticEntry{Kind: kind, Name: name, Package: c.name, Path: file, Pos: pos,
		FQN: fqn(c.name, folders(file, c.p.Config.ModelPaths), name), Config: cfg, Body: body, node: &sp.Node}
	e.Description, _ = body["description"].(string)
	e.Label, _ = body["label"].(string)
	for _, k := range []string{"name", "description", "label", "config"} {
		delete(body, k)
	}
	seen[name] = e
	c.semantic = append(c.semantic, e)
	return e
}

// semanticModel resolves a semantic model's model: ref() and records its
// measures.
func (c *compiler) semanticModel(e *SemanticEntry, measures map[string]*SemanticEntry) {
	n := e.node
	model, _ := e.Body["model"].(string)
	at := nodePos(n, "model", e.Path, e.Pos)
	fn, args, ok := parseCall(model)
	switch {
	case model == "":
		c.diags.Errorf(e.Pos, "semantic model %q has no model", e.Name).Hint = "add \"model: ref('<model name>')\""
	case !ok || fn != "ref" || len(args) < 1 || len(args) > 2:
		c.diags.Errorf(at, "the model of semantic model %q is %q, not a ref() call", e.Name, model).Hint = "write model: ref('<model name>')"
	default:
		t := c.byName[args[len(args)-1]]
		if t == nil {
			d := diag.Errorf(at, "semantic model %q reads unknown model %q", e.Name, args[len(args)-1])
			d.Hint = diag.DidYouMean(args[len(args)-1], sortedKeys(c.byName))
			c.diags.Add(d)
			break
		}
		e.Model = t
		e.DependsOn = []string{string(t.ID)}
	}
	list, _ := e.Body["measures"].([]any)
	for _, m := range list {
		mm, _ := m.(map[string]any)
		name, _ := mm["name"].(string)
		if name == "" {
			c.diags.Errorf(nodePos(n, "measures", e.Path, e.Pos), "a measure of semantic model %q has no name", e.Name)
			continue
		}
		if prev, dup := measures[name]; dup {
			c.diags.Errorf(nodePos(n, "measures", e.Path, e.Pos), "measure %q is declared by semantic models %q and %q", name, prev.Name, e.Name).Hint = "measure names are global in dbt: rename one"
			continue
		}
		measures[name] = e
	}
}

// metricDeps checks a metric's type and finds the semantic models of its
// measures and the metrics it is built from.
func (c *compiler) metricDeps(e *SemanticEntry, measures, metrics map[string]*SemanticEntry) {
	n := e.node
	typ, _ := e.Body["type"].(string)
	at := nodePos(n, "type", e.Path, e.Pos)
	if !contains(metricTypes, typ) {
		d := diag.Errorf(at, "metric %q has type %q", e.Name, typ)
		d.Hint = "use one of " + quoteList(metricTypes)
		if typ == "" {
			d.Msg = fmt.Sprintf("metric %q has no type", e.Name)
		}
		c.diags.Add(d)
		return
	}
	params, _ := e.Body["type_params"].(map[string]any)
	pat := nodePos(n, "type_params", e.Path, e.Pos)
	deps := map[string]bool{}
	measure := func(v any, key string) {
		name := nameOf(v)
		if name == "" {
			c.diags.Errorf(pat, "metric %q (type %s) has no type_params.%s", e.Name, typ, key)
			return
		}
		sm := measures[name]
		if sm == nil {
			d := diag.Errorf(pat, "metric %q uses unknown measure %q", e.Name, name)
			d.Hint = diag.DidYouMean(name, sortedKeys(measures))
			c.diags.Add(d)
			return
		}
		deps[sm.UniqueID()] = true
	}
	metric := func(v any, key string) {
		name := nameOf(v)
		if name == "" {
			c.diags.Errorf(pat, "metric %q (type %s) has no type_params.%s", e.Name, typ, key)
			return
		}
		m := metrics[name]
		if m == nil {
			d := diag.Errorf(pat, "metric %q is built from unknown metric %q", e.Name, name)
			d.Hint = diag.DidYouMean(name, sortedKeys(metrics))
			c.diags.Add(d)
			return
		}
		deps[m.UniqueID()] = true
	}
	switch typ {
	case "simple", "cumulative":
		measure(params["measure"], "measure")
	case "conversion":
		cp, _ := params["conversion_type_params"].(map[string]any)
		measure(cp["base_measure"], "conversion_type_params.base_measure")
		measure(cp["conversion_measure"], "conversion_type_params.conversion_measure")
	case "ratio":
		metric(params["numerator"], "numerator")
		metric(params["denominator"], "denominator")
	case "derived":
		list, _ := params["metrics"].([]any)
		if len(list) == 0 {
			c.diags.Errorf(pat, "derived metric %q has no type_params.metrics", e.Name)
		}
		for _, m := range list {
			metric(m, "metrics")
		}
	}
	e.DependsOn = sortedKeys(deps)
}

// savedQueryDeps finds the metrics of a saved query.
func (c *compiler) savedQueryDeps(e *SemanticEntry, metrics map[string]*SemanticEntry) {
	n := e.node
	qp, _ := e.Body["query_params"].(map[string]any)
	at := nodePos(n, "query_params", e.Path, e.Pos)
	list, _ := qp["metrics"].([]any)
	if len(list) == 0 {
		c.diags.Errorf(at, "saved query %q has no query_params.metrics", e.Name).Hint = "list the metrics it queries"
		return
	}
	deps := map[string]bool{}
	for _, v := range list {
		name := nameOf(v)
		m := metrics[name]
		if m == nil {
			d := diag.Errorf(at, "saved query %q queries unknown metric %q", e.Name, name)
			d.Hint = diag.DidYouMean(name, sortedKeys(metrics))
			c.diags.Add(d)
			continue
		}
		deps[m.UniqueID()] = true
	}
	e.DependsOn = sortedKeys(deps)
}

// nameOf is a measure's or metric's name written as a text or as a
// mapping with name:.
func nameOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		s, _ := x["name"].(string)
		return s
	}
	return ""
}

// nodePos is the position of key's value in mapping n, or def.
func nodePos(n *yaml.Node, key, file string, def diag.Pos) diag.Pos {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v := n.Content[i+1]
			return diag.Pos{File: file, Line: v.Line, Col: v.Column}
		}
	}
	return def
}

// SemanticList returns the semantic models, metrics and saved queries,
// sorted by unique id.
func (m *Manifest) SemanticList() []*SemanticEntry {
	out := append([]*SemanticEntry(nil), m.Semantic...)
	sort.Slice(out, func(i, j int) bool { return out[i].UniqueID() < out[j].UniqueID() })
	return out
}

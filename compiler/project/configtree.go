package project

import (
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
)

// KnownConfigs are the configuration keys kiln understands, with or without
// dbt's "+" prefix in project.yml.
var KnownConfigs = []string{
	"alias", "column_types", "contract", "database", "delimiter", "docs",
	"enabled", "error_if", "fail_calc", "full_refresh", "incremental_strategy",
	"limit", "materialized", "meta", "on_schema_change", "persist_docs",
	"post-hook", "pre-hook", "quote_columns", "retries", "schema", "severity",
	"store_failures", "store_failures_as", "tags", "unique_key", "warn_if", "where",
}

func isKnownConfig(k string) bool {
	i := sort.SearchStrings(KnownConfigs, k)
	return i < len(KnownConfigs) && KnownConfigs[i] == k
}

// ConfigTree is a folder-level configuration tree of project.yml: configs at
// this level, and one subtree per folder (or node name) below it.
type ConfigTree struct {
	At
	Path     []string // folder names from the resource path down to here
	Configs  map[string]ConfigValue
	Children map[string]*ConfigTree
	used     bool
}

// ConfigValue is one configuration value and where it was written.
type ConfigValue struct {
	At
	Value any
}

func parseConfigTree(file string, n *yaml.Node, project, kind string, l *diag.List) *ConfigTree {
	root := &ConfigTree{Configs: map[string]ConfigValue{}, Children: map[string]*ConfigTree{}, used: true}
	if n == nil || n.Kind == 0 {
		return root
	}
	if n.Kind != yaml.MappingNode {
		l.Add(diag.Errorf(diag.Pos{File: file, Line: n.Line, Col: n.Column}, "%q must be a mapping of folders to configs", kind).
			WithHint("write \"%s:\\n  %s:\\n    +materialized: table\"", kind, project))
		return root
	}
	root.At = at(n)
	fillTree(file, n, root, project, true, l)
	return root
}

func fillTree(file string, n *yaml.Node, t *ConfigTree, project string, top bool, l *diag.List) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if strings.HasPrefix(key, "+") || (isKnownConfig(key) && (v.Kind != yaml.MappingNode || key == "meta" || key == "contract" || key == "column_types" || key == "docs")) {
			name := strings.TrimPrefix(key, "+")
			if !isKnownConfig(name) {
				d := diag.Errorf(diag.Pos{File: file, Line: k.Line, Col: k.Column}, "unknown config %q", key)
				if h := diag.DidYouMean(name, KnownConfigs); h != "" {
					d.Hint = strings.Replace(h, `"`, `"+`, 1)
				} else {
					d.Hint = "known configs: +" + strings.Join(KnownConfigs, ", +")
				}
				l.Add(d)
				continue
			}
			var val any
			if err := v.Decode(&val); err != nil {
				decodeErr(file, err, v, l)
				continue
			}
			t.Configs[name] = ConfigValue{At: at(v), Value: val}
			continue
		}
		if v.Kind != yaml.MappingNode {
			d := diag.Errorf(diag.Pos{File: file, Line: k.Line, Col: k.Column}, "unknown config %q", key)
			if h := diag.DidYouMean(key, KnownConfigs); h != "" {
				d.Hint = strings.Replace(h, `"`, `"+`, 1)
			} else {
				d.Hint = "configs start with \"+\"; other keys name folders and hold mappings"
			}
			l.Add(d)
			continue
		}
		if top && key == project {
			// dbt nests the project's own configs under its name.
			fillTree(file, v, t, project, false, l)
			continue
		}
		child := t.Children[key]
		if child == nil {
			child = &ConfigTree{At: at(k), Path: append(append([]string(nil), t.Path...), key),
				Configs: map[string]ConfigValue{}, Children: map[string]*ConfigTree{}}
			t.Children[key] = child
		}
		fillTree(file, v, child, project, false, l)
	}
}

// Resolve returns the configs that apply at path (folders below the resource
// path, then the node's name), the most specific level winning; "tags"
// accumulate and "meta" merges, as in dbt.
func (t *ConfigTree) Resolve(path []string) map[string]any {
	out := map[string]any{}
	cur := t
	for i := 0; cur != nil; i++ {
		cur.used = true
		for k, v := range cur.Configs {
			Merge(out, k, v.Value)
		}
		if i >= len(path) {
			break
		}
		cur = cur.Children[path[i]]
	}
	return out
}

// Where returns, for each config that applies at path, the position of the
// value that wins (the most specific level's).
func (t *ConfigTree) Where(path []string) map[string]At {
	out := map[string]At{}
	cur := t
	for i := 0; cur != nil; i++ {
		for k, v := range cur.Configs {
			out[k] = v.At
		}
		if i >= len(path) {
			break
		}
		cur = cur.Children[path[i]]
	}
	return out
}

// Merge sets config k to v in out, accumulating tags and merging meta.
func Merge(out map[string]any, k string, v any) {
	switch k {
	case "tags":
		out[k] = append(toStrings(out[k]), toStrings(v)...)
	case "meta":
		m, _ := out[k].(map[string]any)
		nm := map[string]any{}
		for a, b := range m {
			nm[a] = b
		}
		if vm, ok := v.(map[string]any); ok {
			for a, b := range vm {
				nm[a] = b
			}
		}
		out[k] = nm
	default:
		out[k] = v
	}
}

func toStrings(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return []string{x}
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Unused returns the subtrees that matched no node, in path order, for a
// warning like dbt's "configuration paths exist which do not apply".
func (t *ConfigTree) Unused() []*ConfigTree {
	var out []*ConfigTree
	var visit func(*ConfigTree)
	visit = func(c *ConfigTree) {
		keys := make([]string, 0, len(c.Children))
		for k := range c.Children {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ch := c.Children[k]
			if !ch.used {
				out = append(out, ch)
				continue
			}
			visit(ch)
		}
	}
	visit(t)
	return out
}

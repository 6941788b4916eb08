package project

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
)

// mapConfigs are the configs whose value is a mapping: written without
// "+" in project.yml, they are still configs, not folders.
var mapConfigs = map[string]bool{
	"meta": true, "contract": true, "column_types": true, "docs": true,
	"persist_docs": true, "grants": true, "freshness": true,
}

// ConfigTree is a folder-level configuration tree of project.yml: configs at
// this level, and one subtree per folder (or node name) below it.
type ConfigTree struct {
	At
	Path     []string // folder names from the resource path down to here
	Configs  map[string]ConfigValue
	Children map[string]*ConfigTree
	// Override, on an installed package's tree, is the root project's
	// subtree under the package's name (models: {my_pkg: {...}}): its
	// configs apply after the package's own, whatever their levels, as
	// dbt merges the package's project configs and then the root's.
	Override *ConfigTree
	// Global, on a project's top tree, are the configs written directly
	// under the resource key (models: {+materialized: table}), not under
	// the project's name: dbt walks the root project's configs from the
	// top along every node's fqn, so they also apply to installed
	// packages' nodes. They are in Configs too.
	Global map[string]ConfigValue
	// Direct is true when the subtree's top folder is written directly
	// under the resource key (models: {staging: ...}), not under the
	// project's name: Written then leaves the name out.
	Direct bool
	used   bool
}

// Written returns the subtree's path as the project file writes it below
// the resource key: the project's name (project) then Path, or Path
// alone when Direct.
func (t *ConfigTree) Written(project string) []string {
	if t.Direct {
		return t.Path
	}
	return append([]string{project}, t.Path...)
}

// WithOverride returns a copy of t whose Resolve and Where apply o after
// t's own configs; o may be nil.
func (t *ConfigTree) WithOverride(o *ConfigTree) *ConfigTree {
	cp := *t
	cp.Override = o
	return &cp
}

// ConfigValue is one configuration value and where it was written.
type ConfigValue struct {
	At
	Value any
	// Plus is true when the key is written with "+" (+freshness), which
	// dbt's source freshness needs (it reads sources: {+freshness}).
	Plus bool
}

// parseConfigTree reads the folder configs of kind (models, seeds, ...),
// which apply to resources res, reporting at its position every key that
// is unknown, not supported yet or not for res.
func parseConfigTree(file string, n *yaml.Node, project, kind string, res Resource, l *diag.List) *ConfigTree {
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
	fillTree(file, n, root, project, res, true, l)
	return root
}

func fillTree(file string, n *yaml.Node, t *ConfigTree, project string, res Resource, top bool, l *diag.List) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		kpos := diag.Pos{File: file, Line: k.Line, Col: k.Column}
		if strings.HasPrefix(key, "+") || (IsConfig(key) && (v.Kind != yaml.MappingNode || mapConfigs[key])) {
			name := strings.TrimPrefix(key, "+")
			if d := CheckConfig(name, res, kpos); d != nil {
				if !IsConfig(name) && d.Severity == diag.Error {
					d.Msg = fmt.Sprintf("unknown config %q", key)
					d.Hint = strings.Replace(d.Hint, `"`, `"+`, 1)
				} else if !IsConfig(name) {
					d.Hint = "write \"+meta: {" + name + ": ...}\" and read it with config.meta_get('" + name + "')"
				}
				l.Add(*d)
				if d.Severity == diag.Error {
					continue
				}
			}
			t.set(file, name, v, top, l)
			if cv, ok := t.Configs[name]; ok && name != key {
				cv.Plus = true
				t.Configs[name] = cv
				if top {
					t.Global[name] = cv
				}
			}
			continue
		}
		if v.Kind != yaml.MappingNode {
			// dbt takes a key without "+" whose value is not a mapping
			// for a config (MissingPlusPrefixDeprecation in 1.10): one
			// of the project's own, unless it is a near miss.
			if near := NearConfig(key); len(near) > 0 {
				d := diag.Errorf(kpos, "unknown config %q", key)
				d.Hint = strings.Replace(didYouMean(near), `"`, `"+`, 1)
				l.Add(d)
				continue
			}
			d := diag.Diagnostic{Pos: kpos, Severity: diag.Warning, Event: diag.EventCustomKeyInConfig,
				Msg:  fmt.Sprintf("config %q, written without \"+\", is not one kiln knows: kept in the nodes' config as a key of the project's own (dbt 1.10 deprecates such keys outside meta, and configs without \"+\")", key),
				Hint: "write \"+meta: {" + key + ": ...}\" and read it with config.meta_get('" + key + "'); a folder's name holds a mapping"}
			l.Add(d)
			t.set(file, key, v, top, l)
			continue
		}
		if top && key == project {
			// dbt nests the project's own configs under its name.
			fillTree(file, v, t, project, res, false, l)
			continue
		}
		child := t.Children[key]
		if child == nil {
			child = &ConfigTree{At: at(k), Path: append(append([]string(nil), t.Path...), key),
				Configs: map[string]ConfigValue{}, Children: map[string]*ConfigTree{}, Direct: top || t.Direct}
			t.Children[key] = child
		}
		fillTree(file, v, child, project, res, false, l)
	}
}

// set decodes config name's value v into t (and its Global on the top
// level).
func (t *ConfigTree) set(file, name string, v *yaml.Node, top bool, l *diag.List) {
	var val any
	if err := v.Decode(&val); err != nil {
		decodeErr(file, err, v, l)
		return
	}
	t.Configs[name] = ConfigValue{At: withItems(at(v), v), Value: val}
	if top {
		if t.Global == nil {
			t.Global = map[string]ConfigValue{}
		}
		t.Global[name] = t.Configs[name]
	}
}

// Each calls f with every config value of the tree, once, in path and key
// order.
func (t *ConfigTree) Each(f func(key string, v ConfigValue)) {
	for _, k := range sortedMapKeys(t.Configs) {
		f(k, t.Configs[k])
	}
	for _, k := range sortedMapKeys(t.Children) {
		t.Children[k].Each(f)
	}
}

func sortedMapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
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
	if t.Override != nil {
		for k, v := range t.Override.Resolve(path) {
			Merge(out, k, v)
		}
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
	if t.Override != nil {
		for k, v := range t.Override.Where(path) {
			out[k] = v
		}
	}
	return out
}

// Merge sets config k to v in out, accumulating tags, merging meta and
// docs key by key (dbt's MergeBehavior.Update) and merging grants by
// privilege (MergeGrants).
func Merge(out map[string]any, k string, v any) {
	switch k {
	case "grants":
		out[k] = MergeGrants(out[k], v)
	case "tags":
		out[k] = append(toStrings(out[k]), toStrings(v)...)
	case "meta", "docs":
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

// MergeGrants merges a grants config v (privilege -> grantee or list of
// grantees) over the inherited one, as dbt (>= 1.2) merges grants: each
// privilege v names replaces the inherited grantees of that privilege, or
// adds to them when written with a "+" ("+select": [...]); the privileges
// v does not name are inherited. It returns privilege -> []string. A
// "+select" with no "select" to add to stays "+select", so that merging
// layers in any grouping gives the same result (a model's config() call
// is merged on its own before the project's levels); readers take the
// "+" off (execute.GrantsOf). A v that is not a mapping changes nothing
// (the compiler reports it).
func MergeGrants(inherited, v any) map[string]any {
	old, _ := inherited.(map[string]any)
	out := make(map[string]any, len(old))
	for p, g := range old {
		out[p] = toStrings(g)
	}
	m, _ := v.(map[string]any)
	for _, key := range sortedMapKeys(m) {
		grantees := append([]string{}, toStrings(m[key])...)
		p := strings.TrimLeft(key, "+")
		if p == key {
			delete(out, "+"+p)
			out[p] = grantees
			continue
		}
		target := "+" + p
		if _, ok := out[p]; ok {
			target = p
		}
		if prev, ok := out[target]; ok {
			grantees = append(append([]string{}, prev.([]string)...), grantees...)
		}
		out[target] = grantees
	}
	return out
}

// ResolvedGrants returns merged grants v (MergeGrants) as a node's config
// holds them: a "+select" left with nothing to add to is "select", as
// dbt resolves it.
func ResolvedGrants(v any) map[string]any {
	m, _ := v.(map[string]any)
	out := make(map[string]any, len(m))
	for p, g := range m {
		if _, plain := m[strings.TrimLeft(p, "+")]; plain && strings.HasPrefix(p, "+") {
			continue // not left by MergeGrants
		}
		out[strings.TrimLeft(p, "+")] = toStrings(g)
	}
	return out
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

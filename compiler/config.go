package compiler

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

var materializations = []string{graph.View, graph.Table, graph.Ephemeral}

// checkConfig validates the configuration keys and values in m, written at
// pos, reporting problems into the compiler's diagnostics.
func (c *compiler) checkConfig(m map[string]any, pos diag.Pos, kind graph.Kind) {
	c.checkConfigAt(m, func(string) diag.Pos { return pos }, kind)
}

// checkProjectConfig validates the project.yml configs of the node at path
// of tree, each at the position of its value.
func (c *compiler) checkProjectConfig(tree *project.ConfigTree, path []string, m map[string]any, kind graph.Kind) {
	where := tree.Where(path)
	c.checkConfigAt(m, func(k string) diag.Pos {
		if at, ok := where[k]; ok {
			return at.Pos(project.FileName)
		}
		return diag.Pos{File: project.FileName}
	}, kind)
}

func (c *compiler) checkConfigAt(m map[string]any, posOf func(string) diag.Pos, kind graph.Kind) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[k]
		pos := posOf(k)
		switch k {
		case "materialized":
			s, _ := v.(string)
			if kind != graph.Model {
				break
			}
			ok := false
			for _, mm := range materializations {
				ok = ok || s == mm
			}
			if !ok {
				d := diag.Errorf(pos, "unknown materialization %q", fmt.Sprint(v))
				if h := diag.DidYouMean(s, materializations); h != "" {
					d.Hint = h
				} else {
					d.Hint = "use one of " + quoteList(materializations)
				}
				c.diags.Add(d)
			}
		case "enabled", "full_refresh", "store_failures":
			if _, ok := v.(bool); !ok && v != nil {
				c.diags.Add(diag.Errorf(pos, "config %q must be true or false, not %q", k, fmt.Sprint(v)))
			}
		case "schema", "alias", "database":
			if _, ok := v.(string); !ok && v != nil {
				c.diags.Add(diag.Errorf(pos, "config %q must be a string, not %v", k, v))
			}
		case "severity":
			s, _ := v.(string)
			if ls := strings.ToLower(s); ls != "error" && ls != "warn" {
				c.diags.Add(diag.Errorf(pos, "severity must be \"error\" or \"warn\", not %q", fmt.Sprint(v)))
			}
		case "tags":
			switch t := v.(type) {
			case string, []string, nil:
			case []any:
				for _, e := range t {
					if _, ok := e.(string); !ok {
						c.diags.Add(diag.Errorf(pos, "tags must be strings, not %v", e))
					}
				}
			default:
				c.diags.Add(diag.Errorf(pos, "tags must be a string or a list of strings"))
			}
		default:
			found := false
			for _, kc := range project.KnownConfigs {
				found = found || kc == k
			}
			if !found {
				d := diag.Errorf(pos, "unknown config %q", k)
				if h := diag.DidYouMean(k, project.KnownConfigs); h != "" {
					d.Hint = h
				} else {
					d.Hint = "known configs: " + strings.Join(project.KnownConfigs, ", ")
				}
				c.diags.Add(d)
			}
		}
	}
}

// toConfig converts merged raw configs into a node's Config.
func toConfig(m map[string]any, defaultMaterialized string) graph.Config {
	cfg := graph.Config{Enabled: true, Materialized: defaultMaterialized, Extra: map[string]any{}}
	for k, v := range m {
		switch k {
		case "enabled":
			if b, ok := v.(bool); ok {
				cfg.Enabled = b
			}
		case "materialized":
			if s, ok := v.(string); ok {
				cfg.Materialized = s
			}
		case "schema":
			cfg.Schema, _ = v.(string)
		case "alias":
			cfg.Alias, _ = v.(string)
		case "severity":
			s, _ := v.(string)
			cfg.Severity = strings.ToLower(s)
		case "tags":
			cfg.Tags = uniqueStrings(toStrings(v))
		case "meta":
			cfg.Meta, _ = v.(map[string]any)
		default:
			cfg.Extra[k] = v
		}
	}
	return cfg
}

func toStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []string:
		return x
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func uniqueStrings(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// mergeConfigs merges layers of raw configs, later layers winning, tags
// accumulating and meta merging.
func mergeConfigs(layers ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, l := range layers {
		keys := make([]string, 0, len(l))
		for k := range l {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			project.Merge(out, k, l[k])
		}
	}
	return out
}

func (c *compiler) warnUnusedConfig() {
	for _, tree := range []struct {
		t    *project.ConfigTree
		kind string
	}{{c.p.ModelConfig, "models"}, {c.p.SeedConfig, "seeds"}} {
		for _, u := range tree.t.Unused() {
			c.diags.Warnf(u.Pos(project.FileName), "config path %s.%s.%s matches no %s", tree.kind, c.name, strings.Join(u.Path, "."), strings.TrimSuffix(tree.kind, "s")).
				Hint = "check the folder names under " + tree.kind + ":"
		}
	}
}

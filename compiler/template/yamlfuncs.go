package template

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/jinja"
	"gopkg.in/yaml.v3"
)

// fromYAML is dbt's fromyaml(value, default=None): the YAML document's
// value (mappings as dicts in the document's order, sequences as lists,
// scalars as int, float, bool, None or string), or default (None unless
// given) when value is not a string of YAML, as dbt's, which catches
// safe_load's errors (dbt/context/base.py).
func fromYAML(call *jinja.Call) (any, error) {
	v, ok := arg(call, 0, "value")
	if !ok {
		v, _ = arg(call, 0, "string")
	}
	def, _ := arg(call, 1, "default")
	s, ok := v.(string)
	if !ok {
		return def, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
		return def, nil
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	out, err := yamlValue(doc.Content[0])
	if err != nil {
		return def, nil
	}
	return out, nil
}

// yamlValue converts a YAML node to a template value.
func yamlValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return yamlValue(n.Content[0])
	case yaml.AliasNode:
		return yamlValue(n.Alias)
	case yaml.MappingNode:
		d := jinja.NewDict()
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, err := yamlValue(n.Content[i])
			if err != nil {
				return nil, err
			}
			v, err := yamlValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			if err := d.Set(k, v); err != nil {
				return nil, err
			}
		}
		return d, nil
	case yaml.SequenceNode:
		l := jinja.NewList()
		for _, c := range n.Content {
			v, err := yamlValue(c)
			if err != nil {
				return nil, err
			}
			l.Items = append(l.Items, v)
		}
		return l, nil
	}
	switch n.ShortTag() {
	case "!!timestamp", "!!binary":
		return n.Value, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return jinja.FromGo(v), nil
}

// toYAML is dbt's toyaml(value, default=None, sort_keys=False): value as
// a YAML document (block style, dicts in their order unless sort_keys),
// or default when value has no YAML form (an error when no default is
// given).
func toYAML(call *jinja.Call) (any, error) {
	v, _ := arg(call, 0, "value")
	def, hasDefault := arg(call, 1, "default")
	sortKeys, _ := arg(call, 2, "sort_keys")
	n, err := yamlNode(v, jinja.Truth(sortKeys))
	if err == nil {
		var b strings.Builder
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err = enc.Encode(n); err == nil {
			err = enc.Close()
		}
		if err == nil {
			return b.String(), nil
		}
	}
	if hasDefault {
		return def, nil
	}
	return nil, fmt.Errorf("toyaml: %v", err)
}

// yamlNode converts a template value to a YAML node.
func yamlNode(v any, sortKeys bool) (*yaml.Node, error) {
	switch x := v.(type) {
	case *jinja.Dict:
		n := &yaml.Node{Kind: yaml.MappingNode}
		idx := make([]int, x.Len())
		for i := range idx {
			idx[i] = i
		}
		keys, vals := x.Keys(), x.Values()
		if sortKeys {
			sort.SliceStable(idx, func(a, b int) bool { return jinja.Str(keys[idx[a]]) < jinja.Str(keys[idx[b]]) })
		}
		for _, i := range idx {
			k, err := yamlNode(keys[i], sortKeys)
			if err != nil {
				return nil, err
			}
			val, err := yamlNode(vals[i], sortKeys)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, k, val)
		}
		return n, nil
	case *jinja.List, jinja.Tuple:
		items, _ := sequence(x)
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range items {
			c, err := yamlNode(e, sortKeys)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, c)
		}
		return n, nil
	case nil, jinja.Undefined:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	case bool, int, float64, string:
		n := &yaml.Node{}
		if err := n.Encode(x); err != nil {
			return nil, err
		}
		return n, nil
	}
	return nil, fmt.Errorf("a %s has no YAML form", jinja.TypeName(v))
}

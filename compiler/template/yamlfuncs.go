package template

import (
	"errors"
	"fmt"

	"github.com/kiln-build/kiln/compiler/jinja"
	"gopkg.in/yaml.v3"
)

// fromYAML is dbt's fromyaml(value, default=None): the YAML document's
// value (mappings as dicts in the document's order, sequences as lists,
// plain scalars as PyYAML's safe_load reads them, YAML 1.1: yes and off
// are booleans, 017 octal, 12:30 base 60, 2020-01-02 a date and
// 2020-01-02 10:11:12 a datetime, aware with a zone), or
// default (None unless
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
	if n.Kind == yaml.ScalarNode && n.Style&(yaml.TaggedStyle|yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		return pyPlainValue(n.Value) // YAML 1.1, as PyYAML's safe_load
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

// toYAML is dbt's toyaml(value, default=None, sort_keys=False):
// yaml.safe_dump(value, sort_keys=sort_keys) (dbt/context/base.py), as
// pyDump writes it, or default (None unless given) when value has no
// YAML form (PyYAML's RepresenterError, a YAMLError dbt catches). Keys
// that sort_keys cannot order are an error, as Python's TypeError.
func toYAML(call *jinja.Call) (any, error) {
	v, _ := arg(call, 0, "value")
	def, _ := arg(call, 1, "default")
	sortKeys, _ := arg(call, 2, "sort_keys")
	out, err := pyDump(v, jinja.Truth(sortKeys))
	var se *sortError
	if errors.As(err, &se) {
		return nil, fmt.Errorf("toyaml: %v", se.error)
	}
	if err != nil {
		return def, nil
	}
	return out, nil
}

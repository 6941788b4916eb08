package project

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// TestConfigKeys are the keys of a data test that configure it rather than
// being arguments of the test, as dbt has them.
var TestConfigKeys = map[string]bool{
	"severity": true, "error_if": true, "warn_if": true, "fail_calc": true,
	"where": true, "limit": true, "store_failures": true, "store_failures_as": true,
	"tags": true, "meta": true, "enabled": true, "alias": true, "schema": true,
	"database": true,
}

// TestEntry is one data test declared in YAML, in any of dbt's forms:
//
//   - unique
//   - accepted_values: {values: [a, b], severity: warn}
//   - accepted_values: {arguments: {values: [a, b]}, config: {severity: warn}}
//   - name: custom_name
//     test_name: accepted_values
//     values: [a, b]
type TestEntry struct {
	At
	Name        string         // generic test name, possibly "package.name"
	CustomName  string         // the "name" given to the test, if any
	Description string         // optional description
	Args        map[string]any // arguments of the test (values, to, field, ...)
	ArgAt       map[string]At  // position of each argument's value
	Config      map[string]any // severity, where, warn_if, ...
	NameAt      At             // position of the test's name
	Raw         *yaml.Node     // the entry as written
	argsOrder   []string       // declaration order of Args
	configAt    map[string]At  // position of each config value
	argNode     map[string]*yaml.Node
	configNode  map[string]*yaml.Node
}

func (*TestEntry) freeForm() {}

// ArgNames returns the arguments in declaration order.
func (t *TestEntry) ArgNames() []string { return t.argsOrder }

// ConfigAt returns the position of config key k, or the entry's position.
func (t *TestEntry) ConfigAt(k string) At {
	if a, ok := t.configAt[k]; ok {
		return a
	}
	return t.At
}

// ArgNode returns the YAML node of argument k's value, nil if none.
func (t *TestEntry) ArgNode(k string) *yaml.Node { return t.argNode[k] }

// ConfigNode returns the YAML node of config key k's value, nil if none.
func (t *TestEntry) ConfigNode(k string) *yaml.Node { return t.configNode[k] }

// UnmarshalYAML decodes any of the forms above.
func (t *TestEntry) UnmarshalYAML(n *yaml.Node) error {
	t.At = at(n)
	t.NameAt = at(n)
	t.Raw = n
	t.Args = map[string]any{}
	t.ArgAt = map[string]At{}
	t.Config = map[string]any{}
	t.configAt = map[string]At{}
	t.argNode = map[string]*yaml.Node{}
	t.configNode = map[string]*yaml.Node{}
	switch n.Kind {
	case yaml.ScalarNode:
		t.Name = n.Value
		return nil
	case yaml.MappingNode:
	default:
		return &posError{at: at(n), msg: "a data test must be a name or a mapping", hint: `write "- unique" or "- accepted_values: {values: [a, b]}"`}
	}
	// The "test_name" form: the mapping itself holds name, test_name, args.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "test_name" {
			return t.fill(n, true)
		}
	}
	if len(n.Content) != 2 {
		keys := []string{}
		for i := 0; i < len(n.Content); i += 2 {
			keys = append(keys, n.Content[i].Value)
		}
		return &posError{at: at(n), msg: fmt.Sprintf("a data test mapping must have one key, the test's name; found %d: %v", len(keys), keys),
			hint: "indent the arguments under the test's name, two spaces deeper than it"}
	}
	t.Name = n.Content[0].Value
	t.NameAt = at(n.Content[0])
	body := n.Content[1]
	if body.Kind == yaml.ScalarNode && (body.Tag == "!!null" || body.Value == "") {
		return nil
	}
	if body.Kind != yaml.MappingNode {
		return &posError{at: at(body), msg: fmt.Sprintf("the arguments of test %q must be a mapping", t.Name)}
	}
	return t.fill(body, false)
}

func (t *TestEntry) fill(m *yaml.Node, testNameForm bool) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		switch {
		case testNameForm && k.Value == "test_name":
			t.Name = v.Value
			t.NameAt = at(v)
		case k.Value == "name":
			t.CustomName = v.Value
		case k.Value == "description":
			t.Description = v.Value
		case k.Value == "config":
			if err := t.decodeInto(v, t.Config, t.configAt, t.configNode); err != nil {
				return err
			}
		case k.Value == "arguments":
			if err := t.decodeInto(v, t.Args, t.ArgAt, t.argNode); err != nil {
				return err
			}
		case TestConfigKeys[k.Value]:
			var x any
			if err := v.Decode(&x); err != nil {
				return err
			}
			t.Config[k.Value] = x
			t.configAt[k.Value] = atKey(k, v)
			t.configNode[k.Value] = v
		default:
			var x any
			if err := v.Decode(&x); err != nil {
				return err
			}
			t.Args[k.Value] = x
			t.ArgAt[k.Value] = atKey(k, v)
			t.argNode[k.Value] = v
		}
	}
	t.argsOrder = nil
	for i := 0; i+1 < len(m.Content); i += 2 {
		if _, ok := t.Args[m.Content[i].Value]; ok {
			t.argsOrder = append(t.argsOrder, m.Content[i].Value)
		}
	}
	if a := findKey(m, "arguments"); a != nil && a.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(a.Content); i += 2 {
			t.argsOrder = append(t.argsOrder, a.Content[i].Value)
		}
	}
	return nil
}

func (t *TestEntry) decodeInto(v *yaml.Node, into map[string]any, pos map[string]At, nodes map[string]*yaml.Node) error {
	if v.Kind != yaml.MappingNode {
		return &posError{at: at(v), msg: fmt.Sprintf("%q of test %q must be a mapping", "config", t.Name)}
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		var x any
		if err := v.Content[i+1].Decode(&x); err != nil {
			return err
		}
		into[v.Content[i].Value] = x
		pos[v.Content[i].Value] = atKey(v.Content[i], v.Content[i+1])
		nodes[v.Content[i].Value] = v.Content[i+1]
	}
	return nil
}

func findKey(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

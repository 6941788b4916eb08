package project

import (
	"gopkg.in/yaml.v3"
)

// ExposureProps is an exposure (dbt's exposures: a dashboard, notebook,
// analysis, ML model or application that reads the project's nodes),
// https://docs.getdbt.com/reference/exposure-properties.
type ExposureProps struct {
	At          `yaml:"-"`
	Name        string         `yaml:"name"`
	Label       string         `yaml:"label"`
	Type        string         `yaml:"type"`
	Owner       map[string]any `yaml:"owner"`
	OwnerAt     map[string]At  `yaml:"-"`
	Description string         `yaml:"description"`
	Maturity    string         `yaml:"maturity"`
	URL         string         `yaml:"url"`
	// DependsOn are ref() and source() calls as text, each with its
	// position.
	DependsOn []CallProps    `yaml:"depends_on"`
	Meta      map[string]any `yaml:"meta"`
	Tags      []string       `yaml:"tags"`
	Config    map[string]any `yaml:"config"`
	ConfigAt  map[string]At  `yaml:"-"`
	// ValueAt is the position of each key's value.
	ValueAt map[string]At `yaml:"-"`
}

// UnmarshalYAML decodes the exposure and records where each value is.
func (e *ExposureProps) UnmarshalYAML(n *yaml.Node) error {
	type plain ExposureProps
	if err := n.Decode((*plain)(e)); err != nil {
		return err
	}
	e.ValueAt = map[string]At{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		e.ValueAt[n.Content[i].Value] = at(n.Content[i+1])
	}
	return nil
}

// CallProps is one entry of a depends_on list: "ref('orders')" or
// "source('raw', 'orders')", with its position.
type CallProps struct {
	At   `yaml:"-"`
	Text string
}

// UnmarshalYAML reads a scalar.
func (c *CallProps) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &posError{at: at(n), msg: "a depends_on entry must be a text such as ref('orders') or source('raw', 'orders')", hint: "write one ref() or source() per line"}
	}
	c.At, c.Text = at(n), n.Value
	return nil
}

func (*CallProps) freeForm() {}

// GroupProps is a group (dbt's groups: an owner for the models that name
// it in their group config), https://docs.getdbt.com/docs/build/groups.
type GroupProps struct {
	At          `yaml:"-"`
	Name        string         `yaml:"name"`
	Description string         `yaml:"description"`
	Owner       map[string]any `yaml:"owner"`
	OwnerAt     map[string]At  `yaml:"-"`
	Config      map[string]any `yaml:"config"`
	ConfigAt    map[string]At  `yaml:"-"`
}

// SemanticProps is one entry of semantic_models:, metrics: or
// saved_queries: (dbt's semantic layer). kiln does not query the semantic
// layer: it checks the entry's name, its references and its first-level
// keys, and keeps the rest as written for manifest.json
// (compiler/semantic.go).
type SemanticProps struct {
	At   `yaml:"-"`
	Node yaml.Node `yaml:"-"`
}

// UnmarshalYAML keeps the entry's node.
func (s *SemanticProps) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return &posError{at: at(n), msg: "an entry of semantic_models, metrics or saved_queries must be a mapping", hint: "start it with \"- name: ...\""}
	}
	s.At, s.Node = at(n), *n
	return nil
}

func (*SemanticProps) freeForm() {}

package project

import (
	"reflect"
	"sync"

	"gopkg.in/yaml.v3"
)

// fastProps decodes the commonest shape of a property file without
// reflection: a version number and models with a name, a description and
// columns, each column with a name, a description and a data type, every
// value a plain string. It returns false, leaving pf as it was, for
// anything else (another key, a duplicate key, a null, an empty list, an
// alias, a tag), which decodeStrict then decodes, checks and reports as
// before. What it decodes is what decodeStrict would, At fields included,
// and decodeStrict would report nothing for it (the differential test in
// fastprops_test.go holds both). Decoding through yaml.v3's reflection,
// checking keys and setting positions walked each tree three times and
// were a sixth of loading a project of trivial models.
func fastProps(root *yaml.Node, pf *PropertyFile) bool {
	if root.Kind != yaml.MappingNode || !fastKeysOK() {
		return false
	}
	var out PropertyFile
	var seen uint8
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if !plainString(k) {
			return false
		}
		switch k.Value {
		case "version":
			if seen&1 != 0 || !fastInt(v, &out.Version) {
				return false
			}
			seen |= 1
		case "models":
			if seen&2 != 0 || v.Kind != yaml.SequenceNode || len(v.Content) == 0 || v.Anchor != "" || v.Tag != "!!seq" {
				return false
			}
			seen |= 2
			out.Models = make([]ModelProps, len(v.Content))
			for j, m := range v.Content {
				if !fastModel(m, &out.Models[j]) {
					return false
				}
			}
		default:
			return false
		}
	}
	out.Path = pf.Path
	*pf = out
	return true
}

func fastModel(n *yaml.Node, m *ModelProps) bool {
	if n.Kind != yaml.MappingNode || n.Anchor != "" || n.Tag != "!!map" {
		return false
	}
	m.At = at(n)
	var seen uint8
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !plainString(k) {
			return false
		}
		var bit uint8
		switch k.Value {
		case "name":
			bit = 1
			if !fastString(v, &m.Name) {
				return false
			}
		case "description":
			bit = 2
			if !fastString(v, &m.Description) {
				return false
			}
		case "columns":
			bit = 4
			if v.Kind != yaml.SequenceNode || len(v.Content) == 0 || v.Anchor != "" || v.Tag != "!!seq" {
				return false
			}
			m.Columns = make([]ColumnProps, len(v.Content))
			for j, c := range v.Content {
				if !fastColumn(c, &m.Columns[j]) {
					return false
				}
			}
		default:
			return false
		}
		if seen&bit != 0 {
			return false // yaml.v3 reports the duplicate
		}
		seen |= bit
	}
	return true
}

func fastColumn(n *yaml.Node, c *ColumnProps) bool {
	if n.Kind != yaml.MappingNode || n.Anchor != "" || n.Tag != "!!map" {
		return false
	}
	c.At = at(n)
	var seen uint8
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !plainString(k) {
			return false
		}
		var bit uint8
		var dst *string
		switch k.Value {
		case "name":
			bit, dst = 1, &c.Name
		case "description":
			bit, dst = 2, &c.Description
		case "data_type":
			bit, dst = 4, &c.DataType
		default:
			return false
		}
		if seen&bit != 0 || !fastString(v, dst) {
			return false
		}
		seen |= bit
	}
	return true
}

// plainString reports whether n is a string scalar, as yaml.v3 resolves
// one without a tag written, that is no alias and has no anchor.
func plainString(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!str" && n.Anchor == "" && n.Alias == nil
}

func fastString(n *yaml.Node, dst *string) bool {
	if !plainString(n) {
		return false
	}
	*dst = n.Value
	return true
}

// fastInt decodes a whole number written in decimal digits (no sign, no
// leading zero, no underscore: anything else goes the slow way).
func fastInt(n *yaml.Node, dst *int) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Anchor != "" || n.Style != 0 {
		return false
	}
	s := n.Value
	if len(s) == 0 || len(s) > 9 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		v = v*10 + int(s[i]-'0')
	}
	*dst = v
	return true
}

// fastKeysOK reports whether every key fastProps decodes is one that
// decodeStrict accepts without a word (fieldDiag nil): should Keys ever
// give one of them a warning or an error, the fast path turns itself off.
var fastKeysOK = sync.OnceValue(func() bool {
	for t, keys := range map[reflect.Type][]string{
		reflect.TypeOf(PropertyFile{}): {"version", "models"},
		reflect.TypeOf(ModelProps{}):   {"name", "description", "columns"},
		reflect.TypeOf(ColumnProps{}):  {"name", "description", "data_type"},
	} {
		fields := yamlFields(t)
		for _, k := range keys {
			if _, ok := fields[k]; !ok || fieldDiag(t, k, At{}.Pos("")) != nil {
				return false
			}
		}
	}
	return true
})

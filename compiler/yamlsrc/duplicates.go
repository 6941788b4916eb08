package yamlsrc

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// Duplicate is a mapping key written a second time: Key at Line and Col
// (1-based), in a mapping that has it first at line First.
type Duplicate struct {
	Key              string
	Line, Col, First int
}

// Msg is the error's message, in yaml.v3's words: invalid YAML: mapping
// key "x" already defined at line 3.
func (d Duplicate) Msg() string {
	return fmt.Sprintf("invalid YAML: mapping key %q already defined at line %d", d.Key, d.First)
}

// Hint says what to do: remove one of the two entries.
func (d Duplicate) Hint() string {
	lines := fmt.Sprintf("lines %d and %d", d.First, d.Line)
	if d.First == d.Line {
		lines = fmt.Sprintf("both on line %d", d.First)
	}
	return fmt.Sprintf("remove one of the two %q entries (%s); dbt 1.10 warns and keeps the last, kiln refuses to guess", d.Key, lines)
}

// Duplicates returns every scalar key written more than once in a
// mapping of n or below it, each later occurrence against the first
// (yaml.v3's rule: the same value, whatever its quotes), in the order of
// the document. yaml.v3 reports such keys only in the mappings it decodes
// into Go maps and structs, not in those a caller keeps or walks as
// nodes. An alias is checked where its anchor is written.
func Duplicates(n *yaml.Node) []Duplicate {
	var out []Duplicate
	duplicates(n, &out)
	return out
}

func duplicates(n *yaml.Node, out *[]Duplicate) {
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			duplicates(c, out)
		}
	case yaml.MappingNode:
		// A small mapping (most are) is compared key by key, without
		// allocating; a large one through a map.
		const small = 32
		var seen map[string]int // key -> line of its first occurrence
		if len(n.Content) > small {
			seen = make(map[string]int, len(n.Content)/2)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode {
				first, dup := 0, false
				if seen != nil {
					first, dup = seen[k.Value]
					if !dup {
						seen[k.Value] = k.Line
					}
				} else {
					for j := 0; j < i; j += 2 {
						if p := n.Content[j]; p.Kind == yaml.ScalarNode && p.Value == k.Value {
							first, dup = p.Line, true
							break
						}
					}
				}
				if dup {
					*out = append(*out, Duplicate{Key: k.Value, Line: k.Line, Col: k.Column, First: first})
				}
			}
			duplicates(n.Content[i+1], out)
		}
	}
}

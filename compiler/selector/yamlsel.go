package selector

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/yamlsrc"
)

// Definition is one selector of selectors.yml.
type Definition struct {
	Name        string
	Description string
	Default     bool     // default: true, used when no --select is given
	Expr        Expr     // what it selects
	Pos         diag.Pos // the selector's entry
	// Raw is the selector's entry as written (after its Jinja is
	// rendered), as plain values: maps, lists, strings, booleans,
	// numbers; what ManifestSelectors reads.
	Raw map[string]any
}

// selectorRef is the "method: selector" of a definition: another
// selector of the file, by name.
type selectorRef struct {
	name string
	pos  diag.Pos
	def  *Definition // set once the file is read
}

func (*selectorRef) isExpr()          {}
func (r *selectorRef) String() string { return "selector:" + r.name }

var (
	selectorKeys  = []string{"name", "description", "default", "definition"}
	criterionKeys = []string{"method", "value", "children", "parents", "children_depth", "parents_depth", "childrens_parents", "indirect_selection", "exclude"}
)

// ParseSelectors reads a selectors.yml in dbt's format
// (https://docs.getdbt.com/reference/node-selection/yaml-selectors):
//
//	selectors:
//	  - name: nightly
//	    description: ...
//	    default: true
//	    definition: <CLI string> | {method, value, children, parents,
//	      children_depth, parents_depth, childrens_parents,
//	      indirect_selection, exclude} | {METHOD: VALUE} |
//	      {union: [...]} | {intersection: [...]}
//
// A union or intersection list may hold one {exclude: [...]} item; a
// "method: selector" criterion includes another selector of the file. A
// string definition is read with Parse, so it may hold spaces and commas.
//
// It returns the selectors by name and every problem at file:line:col:
// YAML errors, unknown keys and methods (with suggestions), bad values,
// duplicate names, unknown or circular selector references, and more than
// one default. The map holds the selectors that could be read.
//
// ParseSelectors renders no Jinja: a value holding some, where a boolean
// is wanted, is an error that says so. ParseSelectorsWith renders it.
func ParseSelectors(file string, src []byte) (map[string]*Definition, diag.List) {
	return ParseSelectorsWith(file, src, nil)
}

// Render renders the Jinja of the values of a YAML file's tree in place
// (as yamljinja.Renderer.Tree does) and returns the problems at
// file:line:col.
type Render func(file string, root *yaml.Node) diag.List

// ParseSelectorsWith is ParseSelectors with the values rendered by render
// before they are read, as dbt renders selectors.yml (SelectorConfig.
// render_from_dict with the project's renderer: target, env_var, and var
// over the --vars, rendered natively, dbt-core core/dbt/config/
// selectors.py and renderer.py), so that default: "{{ target.name ==
// 'prod' }}" is a boolean. A nil render renders nothing.
func ParseSelectorsWith(file string, src []byte, render Render) (map[string]*Definition, diag.List) {
	p := &yamlParser{file: file, rendered: render != nil}
	defs := map[string]*Definition{}
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		e := yamlsrc.Locate(src, err)
		p.diags.Add(diag.Errorf(diag.Pos{File: file, Line: e.Line, Col: e.Col}, "invalid YAML: %s", e.Msg).WithHint("%s", e.Hint))
		return defs, p.diags
	}
	if render != nil {
		if l := render(file, &root); l.HasErrors() {
			return defs, l
		}
	}
	if len(root.Content) == 0 {
		return defs, nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		p.errorf(doc, `expected a mapping with a "selectors" list`)
		return defs, p.diags
	}
	var list *yaml.Node
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k := doc.Content[i]
		if k.Value != "selectors" {
			p.errorf(k, "unknown key %q", k.Value).Hint = `the file holds one key, "selectors"`
			continue
		}
		if list != nil {
			p.errorf(k, "key %q is given twice", k.Value).Hint = "write every selector in one list: the second would replace the first"
			continue
		}
		list = doc.Content[i+1]
	}
	if list == nil || list.Tag == "!!null" {
		return defs, p.diags
	}
	if list.Kind != yaml.SequenceNode {
		p.errorf(list, `"selectors" must be a list`)
		return defs, p.diags
	}
	var defaults []*Definition
	for _, item := range list.Content {
		def := p.selector(item)
		if def == nil {
			continue
		}
		if prev, dup := defs[def.Name]; dup {
			p.errorAt(def.Pos, "selector %q is defined twice", def.Name).Hint = "the first is at " + prev.Pos.String()
			continue
		}
		defs[def.Name] = def
		if def.Default {
			defaults = append(defaults, def)
		}
	}
	if len(defaults) > 1 {
		p.errorAt(defaults[1].Pos, "selectors %q and %q are both the default", defaults[0].Name, defaults[1].Name).Hint = "keep default: true on one of them"
	}
	p.resolve(defs)
	p.diags.Sort()
	return defs, p.diags
}

// Default returns the selector with default: true, or nil.
func Default(defs map[string]*Definition) *Definition {
	names := make([]string, 0, len(defs))
	for n := range defs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if defs[n].Default {
			return defs[n]
		}
	}
	return nil
}

type yamlParser struct {
	file  string
	diags diag.List
	refs  []*selectorRef
	owner []string // refs[i] sits in the selector owner[i]
	cur   string   // selector being read
	// rendered is set when the file's Jinja was rendered before reading.
	rendered bool
}

func (p *yamlParser) pos(n *yaml.Node) diag.Pos {
	return diag.Pos{File: p.file, Line: n.Line, Col: n.Column}
}

func (p *yamlParser) errorf(n *yaml.Node, format string, args ...any) *diag.Diagnostic {
	return p.diags.Errorf(p.pos(n), format, args...)
}

func (p *yamlParser) errorAt(pos diag.Pos, format string, args ...any) *diag.Diagnostic {
	return p.diags.Errorf(pos, format, args...)
}

// pairs returns a mapping's keys and values, reporting duplicate keys.
func (p *yamlParser) pairs(n *yaml.Node) (keys []*yaml.Node, vals map[string]*yaml.Node) {
	vals = map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if _, dup := vals[k.Value]; dup {
			p.errorf(k, "key %q is given twice", k.Value)
			continue
		}
		keys = append(keys, k)
		vals[k.Value] = n.Content[i+1]
	}
	return keys, vals
}

func (p *yamlParser) selector(n *yaml.Node) *Definition {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "a selector must be a mapping with name and definition")
		return nil
	}
	keys, vals := p.pairs(n)
	def := &Definition{Pos: p.pos(n)}
	_ = n.Decode(&def.Raw) // a mapping of plain YAML values always decodes
	for _, k := range keys {
		v := vals[k.Value]
		switch k.Value {
		case "name":
			def.Name = v.Value
		case "description":
			def.Description = v.Value
		case "default":
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
				d := p.errorf(v, "default must be true or false")
				switch {
				case p.rendered && v.Kind == yaml.ScalarNode:
					d.Msg = fmt.Sprintf("default must be true or false, not %q", v.Value)
					d.Hint = `a Jinja value gives a boolean when its one expression is one, such as "{{ target.name == 'prod' }}", or with | as_bool`
				default:
					d.Hint = "kiln does not render Jinja in selectors.yml"
				}
				continue
			}
			def.Default = v.Value == "true" || v.Value == "True" || v.Value == "TRUE"
		case "definition":
		default:
			p.unknownKey(k, selectorKeys)
		}
	}
	if def.Name == "" {
		p.errorf(n, "a selector has no name").Hint = `add "name: <selector name>"`
		return nil
	}
	p.cur = def.Name
	dn, ok := vals["definition"]
	if !ok {
		p.errorf(n, "selector %q has no definition", def.Name).Hint = `add "definition:" with a method and value, or a union`
		return nil
	}
	if def.Expr = p.definition(dn); def.Expr == nil {
		return nil
	}
	return def
}

func (p *yamlParser) unknownKey(k *yaml.Node, known []string) {
	h := diag.DidYouMean(k.Value, known)
	if h == "" {
		h = "known keys: " + strings.Join(known, ", ")
	}
	p.errorf(k, "unknown key %q", k.Value).Hint = h
}

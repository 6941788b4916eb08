package selector

import (
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
)

// definition reads one definition; it returns nil after reporting an error.
func (p *yamlParser) definition(n *yaml.Node) Expr {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" || strings.TrimSpace(n.Value) == "" {
			p.errorf(n, "empty definition").Hint = "write a selector such as tag:nightly"
			return nil
		}
		e, err := Parse(n.Value)
		if err != nil {
			se := err.(*SyntaxError)
			pos := p.pos(n)
			if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 && !strings.Contains(n.Value, "\n") {
				pos.Col += se.Col - 1
				if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
					pos.Col++
				}
			}
			p.errorAt(pos, "%s", se.Msg).Hint = se.Hint
			return nil
		}
		return e
	case yaml.MappingNode:
		keys, vals := p.pairs(n)
		_, isUnion := vals["union"]
		_, isInter := vals["intersection"]
		switch {
		case isUnion || isInter:
			op := "union"
			if !isUnion {
				op = "intersection"
			}
			for _, k := range keys {
				if k.Value != op {
					p.errorf(k, "unexpected key %q next to %q", k.Value, op).Hint = "a set operator stands alone in its mapping"
				}
			}
			return p.group(op, vals[op])
		case vals["method"] != nil:
			return p.criterion(n, keys, vals)
		case len(keys) == 1 && keys[0].Value != "exclude":
			k := keys[0]
			fake := []*yaml.Node{{Kind: yaml.ScalarNode, Value: "method", Line: k.Line, Column: k.Column}, {Kind: yaml.ScalarNode, Value: "value", Line: k.Line, Column: k.Column}}
			return p.criterion(n, fake, map[string]*yaml.Node{"method": k, "value": vals[k.Value]})
		case vals["exclude"] != nil && len(keys) == 1:
			p.errorf(keys[0], `"exclude" must be an item of a union or intersection list, or sit next to method and value`)
			return nil
		}
		p.errorf(n, "expected method and value, a single METHOD: VALUE pair, union or intersection").Hint = "write {method: tag, value: nightly}"
		return nil
	}
	p.errorf(n, "a definition is a string or a mapping").Hint = "wrap a list in union: or intersection:"
	return nil
}

// group reads the list of a union or an intersection, with at most one
// {exclude: [...]} item.
func (p *yamlParser) group(op string, n *yaml.Node) Expr {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%q must be a list", op)
		return nil
	}
	var parts []Expr
	var exc Expr
	failed := false
	for _, item := range n.Content {
		if item.Kind == yaml.MappingNode && len(item.Content) == 2 && item.Content[0].Value == "exclude" {
			if exc != nil {
				p.errorf(item.Content[0], "only one exclude is allowed in a %s", op).Hint = "put every exclusion in the same exclude list"
				failed = true
				continue
			}
			if exc = p.exclude(item.Content[1]); exc == nil {
				failed = true
			}
			continue
		}
		e := p.definition(item)
		if e == nil {
			failed = true
			continue
		}
		parts = append(parts, e)
	}
	if failed {
		return nil
	}
	if len(parts) == 0 {
		p.errorf(n, "%s needs at least one definition besides exclude", op)
		return nil
	}
	var e Expr = Union(parts)
	if op == "intersection" {
		e = Intersection(parts)
	}
	if exc != nil {
		return &Difference{Include: e, Exclude: exc}
	}
	return e
}

// exclude reads an exclude list: the union of its definitions.
func (p *yamlParser) exclude(n *yaml.Node) Expr {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		p.errorf(n, "exclude must be a non-empty list of definitions")
		return nil
	}
	var parts Union
	for _, item := range n.Content {
		e := p.definition(item)
		if e == nil {
			return nil
		}
		parts = append(parts, e)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return parts
}

// criterion reads {method, value, children, ...}.
func (p *yamlParser) criterion(n *yaml.Node, keys []*yaml.Node, vals map[string]*yaml.Node) Expr {
	mn, vn := vals["method"], vals["value"]
	if mn.Kind != yaml.ScalarNode || mn.Value == "" {
		p.errorf(mn, "method must be a name such as tag or config.materialized")
		return nil
	}
	if vn == nil || vn.Kind != yaml.ScalarNode || vn.Tag == "!!null" || vn.Value == "" {
		at := n
		if vn != nil {
			at = vn
		}
		p.errorf(at, "method %q needs a value", mn.Value).Hint = "add value: with a single string"
		return nil
	}
	if mn.Value == "selector" {
		for _, k := range keys {
			if k.Value != "method" && k.Value != "value" {
				p.errorf(k, "unexpected key %q with method selector", k.Value)
			}
		}
		ref := &selectorRef{name: vn.Value, pos: p.pos(vn)}
		p.refs = append(p.refs, ref)
		p.owner = append(p.owner, p.cur)
		return ref
	}
	parts := strings.Split(mn.Value, ".")
	a := &Atom{Method: parts[0], Args: parts[1:], Value: vn.Value}
	if !knownMethod(a.Method) {
		p.errorf(mn, "unknown method %q", a.Method).Hint = methodHint(a.Method)
		return nil
	}
	ok := true
	flag := func(k string) bool {
		v := vals[k]
		if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
			p.errorf(v, "%s must be true or false", k)
			ok = false
			return false
		}
		return strings.EqualFold(v.Value, "true")
	}
	depth := func(k, flagKey string, set bool) int {
		v := vals[k]
		d, err := strconv.Atoi(v.Value)
		switch {
		case v.Kind != yaml.ScalarNode || err != nil || d < 1:
			p.errorf(v, "%s must be a positive number", k)
		case !set:
			p.errorf(v, "%s needs %s: true", k, flagKey)
		default:
			return d
		}
		ok = false
		return 0
	}
	var exc Expr
	for _, k := range keys {
		switch k.Value {
		case "method", "value":
		case "children":
			a.Children = flag(k.Value)
		case "parents":
			a.Parents = flag(k.Value)
		case "childrens_parents":
			a.ChildrensParents = flag(k.Value)
		case "children_depth", "parents_depth":
		case "indirect_selection":
			v := vals[k.Value]
			if _, err := checkMode(v.Value); err != nil || v.Value == "" {
				p.errorf(v, "unknown indirect_selection %q", v.Value).Hint = "use eager, cautious, buildable or empty"
				ok = false
			}
			a.Indirect = v.Value
		case "exclude":
			if exc = p.exclude(vals[k.Value]); exc == nil {
				ok = false
			}
		default:
			p.unknownKey(k, criterionKeys)
			ok = false
		}
	}
	if vals["children_depth"] != nil {
		a.ChildrenDepth = depth("children_depth", "children", a.Children)
	}
	if vals["parents_depth"] != nil {
		a.ParentsDepth = depth("parents_depth", "parents", a.Parents)
	}
	if a.ChildrensParents && a.Parents {
		p.errorf(vals["childrens_parents"], "childrens_parents cannot be combined with parents").Hint = "childrens_parents already selects the ancestors of the descendants"
		ok = false
	}
	if msg, hint, off := checkAtom(a); msg != "" {
		at := vn
		if off < 0 {
			at = mn
		}
		p.errorf(at, "%s", msg).Hint = hint
		ok = false
	}
	if !ok {
		return nil
	}
	if exc != nil {
		return &Difference{Include: a, Exclude: exc}
	}
	return a
}

// resolve links each "method: selector" to its definition and reports
// unknown names and cycles.
func (p *yamlParser) resolve(defs map[string]*Definition) {
	names := make([]string, 0, len(defs))
	for n := range defs {
		names = append(names, n)
	}
	sort.Strings(names)
	uses := map[string][]*selectorRef{}
	for i, r := range p.refs {
		if d, ok := defs[r.name]; ok {
			r.def = d
			uses[p.owner[i]] = append(uses[p.owner[i]], r)
			continue
		}
		d := diag.Errorf(r.pos, "unknown selector %q", r.name)
		d.Hint = diag.DidYouMean(r.name, names)
		p.diags.Add(d)
	}
	// A cycle: a selector reaching itself through references.
	state := map[string]int{} // 1 visiting, 2 done
	var path []string
	var visit func(name string) bool
	visit = func(name string) bool {
		state[name] = 1
		path = append(path, name)
		for _, r := range uses[name] {
			switch state[r.name] {
			case 1:
				loop := append(append([]string{}, path[position(path, r.name):]...), r.name)
				p.errorAt(r.pos, "selector %q includes itself: %s", r.name, strings.Join(loop, " -> ")).Hint = "remove one of the method: selector references"
				r.def = nil
				return false
			case 0:
				if !visit(r.name) {
					return false
				}
			}
		}
		path = path[:len(path)-1]
		state[name] = 2
		return true
	}
	for _, n := range names {
		if state[n] == 0 {
			path = path[:0]
			visit(n)
		}
	}
}

func position(s []string, x string) int {
	for i, v := range s {
		if v == x {
			return i
		}
	}
	return 0
}

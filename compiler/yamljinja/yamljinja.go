// Package yamljinja renders the Jinja in the string values of a YAML
// tree, as dbt renders dbt_project.yml, profiles.yml and packages.yml:
// a value holding "{{" or "{%" is rendered with the given names (env_var,
// var, target, ...) and stays a string, unless its last filter is dbt's
// as_number, as_bool or as_native, which give a number, a boolean or the
// YAML value the text reads as (dbt's native rendering,
// https://docs.getdbt.com/reference/dbt-jinja-functions/as_number).
//
// Rendering rewrites the scalar nodes in place, so the tree decodes as if
// the rendered text had been written; errors are diagnostics at the
// value's position in its file.
package yamljinja

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/jinja"
)

// Skip reports whether the value at a key path (the mapping keys from the
// root, list items as "[]") must be left unrendered: dbt renders hooks
// and vars later, in the context of the node or the run. The path is only
// valid during the call: Tree reuses its backing array.
type Skip func(path []string) bool

// Renderer renders YAML values with fixed names.
type Renderer struct {
	env     *jinja.Env
	globals jinja.Globals
	native  bool // every value as dbt's native rendering gives it (NewNative)
	bools   Skip // the key paths of boolean values (WithBools), nil: none
	nums    Skip // the key paths of whole-number values (WithNumbers), nil: none
}

// WithBools returns r rendering the values at the key paths bools selects
// as booleans, as dbt's native rendering of a config gives them: a value
// whose Jinja gives a boolean ("{{ var('x', false) }}", "{{ target.name ==
// 'prod' }}") or the text true or false (any case: "{{ 'False' }}") is
// that boolean, one that gives none (none, the empty text) is null, any
// other is an error at the value: `config "enabled" must be true or
// false: "{{ var('x') }}" renders to "yes"`.
func (r *Renderer) WithBools(bools Skip) *Renderer {
	cp := *r
	cp.bools = bools
	return &cp
}

// New returns a renderer resolving free names with g.
func New(g jinja.Globals) *Renderer {
	return &Renderer{env: jinja.NewEnv(), globals: g}
}

// NewNative returns a renderer resolving free names with g whose values
// are those of dbt's native rendering (get_rendered(value, context,
// native=True), dbt-core core/dbt/config/renderer.py BaseRenderer,
// rendering selectors.yml), as jinja.RenderNative gives them: one
// expression keeps its type ("{{ target.name == 'prod' }}" is a boolean,
// "{{ 3 }}" the text "3" as Jinja2 folds constants), as_bool, as_number
// and as_native read their text as a Python literal, several outputs
// give text.
func NewNative(g jinja.Globals) *Renderer {
	return &Renderer{env: jinja.NewEnv(), globals: g, native: true}
}

// HasJinja reports whether s holds Jinja to render.
func HasJinja(s string) bool { return strings.Contains(s, "{{") || strings.Contains(s, "{%") }

// Tree renders every string scalar of n (of file) whose key path skip
// does not exclude, replacing its value (and tag, for native values).
func (r *Renderer) Tree(file string, n *yaml.Node, skip Skip) diag.List {
	var l diag.List
	r.walk(file, n, make([]string, 0, 16), skip, &l)
	return l
}

func (r *Renderer) walk(file string, n *yaml.Node, path []string, skip Skip, l *diag.List) {
	if n == nil {
		return
	}
	if skip != nil && skip(path) {
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			r.walk(file, c, path, skip, l)
		}
	case yaml.MappingNode:
		// One backing array for the whole walk (a copy per value was a
		// tenth of the memory allocated loading trivial models).
		for i := 0; i+1 < len(n.Content); i += 2 {
			r.walk(file, n.Content[i+1], append(path, n.Content[i].Value), skip, l)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			r.walk(file, c, append(path, "[]"), skip, l)
		}
	case yaml.ScalarNode:
		if n.Tag != "!!str" || !HasJinja(n.Value) {
			return
		}
		if r.bools != nil && r.bools(path) {
			v, d := r.Bool(file, n, path[len(path)-1])
			if d != nil {
				l.Add(*d)
				return
			}
			set(n, v)
			return
		}
		if r.nums != nil && r.nums(path) {
			v, d := r.Number(file, n, path[len(path)-1])
			if d != nil {
				l.Add(*d)
				return
			}
			set(n, v)
			return
		}
		v, d := r.Value(file, n)
		if d != nil {
			l.Add(*d)
			return
		}
		set(n, v)
	}
}

// nativeRE matches a value whose output is one expression ending with
// dbt's native filters.
var nativeRE = regexp.MustCompile(`(?s)^\s*\{\{.*\|\s*(as_number|as_bool|as_native)\s*(\(\s*\))?\s*\}\}\s*$`)

// Value renders the string scalar n and returns its value: a string, or
// for as_number, as_bool and as_native a number, a boolean or what the
// text reads as in YAML. It returns a diagnostic at n's position when the
// template fails or a native value does not parse.
func (r *Renderer) Value(file string, n *yaml.Node) (any, *diag.Diagnostic) {
	if r.native {
		t, l := r.env.Parse(file, n.Value)
		if len(l) == 0 {
			var v any
			if v, l = r.env.RenderNative(t, r.globals); len(l) == 0 {
				return jinja.Plain(v), nil
			}
		}
		d := r.place(file, n, l[0])
		return nil, &d
	}
	out, err := r.String(file, n)
	if err != nil {
		return nil, err
	}
	m := nativeRE.FindStringSubmatch(n.Value)
	if m == nil {
		return out, nil
	}
	text := strings.TrimSpace(out)
	switch m[1] {
	case "as_number":
		if i, err := strconv.ParseInt(text, 10, 64); err == nil {
			return int(i), nil
		}
		if f, err := strconv.ParseFloat(text, 64); err == nil {
			return f, nil
		}
		d := diag.Errorf(pos(file, n), "as_number: %q is not a number", text)
		return nil, &d
	case "as_bool":
		switch strings.ToLower(text) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		d := diag.Errorf(pos(file, n), "as_bool: %q is not true or false", text)
		return nil, &d
	}
	var v any
	if err := yaml.Unmarshal([]byte(text), &v); err != nil {
		return text, nil
	}
	return v, nil
}

// renderNative renders the string scalar n natively (a Jinja expression keeps
// its type), as plain Go values; a template error is a diagnostic at n's
// position.
func (r *Renderer) renderNative(file string, n *yaml.Node) (any, *diag.Diagnostic) {
	t, l := r.env.Parse(file, n.Value)
	var v any
	if len(l) == 0 {
		v, l = r.env.RenderNative(t, r.globals)
	}
	if len(l) > 0 {
		d := r.place(file, n, l[0])
		return nil, &d
	}
	return jinja.Plain(v), nil
}

// Bool renders the string scalar n, the value of boolean config key, as
// WithBools says: true, false or nil, or a diagnostic at n's position.
func (r *Renderer) Bool(file string, n *yaml.Node, key string) (any, *diag.Diagnostic) {
	v, bad := r.renderNative(file, n)
	if bad != nil {
		return nil, bad
	}
	switch x := v.(type) {
	case bool:
		return x, nil
	case nil:
		return nil, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "", "none":
			return nil, nil
		}
		v = strconv.Quote(x)
	default:
		v = fmt.Sprint(x)
	}
	key = strings.TrimLeft(key, "+ ")
	d := diag.Errorf(pos(file, n), "config %q must be true or false: %q renders to %v", key, n.Value, v).
		WithHint("write Jinja that gives true or false, such as \"{{ var('flag', false) }}\" with --vars '{flag: true}'")
	return nil, &d
}

// String renders the text of the scalar n.
func (r *Renderer) String(file string, n *yaml.Node) (string, *diag.Diagnostic) {
	t, l := r.env.Parse(file, n.Value)
	if len(l) == 0 {
		var out string
		out, l = r.env.Render(t, r.globals)
		if len(l) == 0 {
			return out, nil
		}
	}
	d := r.place(file, n, l[0])
	return "", &d
}

// place returns d, a diagnostic of the template of scalar n, at its
// position in file.
func (r *Renderer) place(file string, n *yaml.Node, d diag.Diagnostic) diag.Diagnostic {
	// Positions are within the value: move them to the file.
	at := pos(file, n)
	if d.Pos.Line > 1 {
		at.Line += d.Pos.Line - 1
		at.Col = d.Pos.Col
	} else if d.Pos.Col > 0 {
		at.Col += d.Pos.Col - 1
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			at.Col++
		}
	}
	d.Pos = at
	d.Msg = strings.TrimPrefix(d.Msg, "template error: ")
	return d
}

func pos(file string, n *yaml.Node) diag.Pos {
	return diag.Pos{File: file, Line: n.Line, Col: n.Column}
}

// set replaces the scalar n by the value v.
func set(n *yaml.Node, v any) {
	switch x := v.(type) {
	case string:
		n.Value, n.Tag = x, "!!str"
	case bool:
		n.Value, n.Tag = strconv.FormatBool(x), "!!bool"
	case int:
		n.Value, n.Tag = strconv.Itoa(x), "!!int"
	case float64:
		n.Value, n.Tag = strconv.FormatFloat(x, 'g', -1, 64), "!!float"
	case nil:
		n.Value, n.Tag = "", "!!null"
	default:
		var nn yaml.Node
		if err := nn.Encode(x); err == nil {
			line, col := n.Line, n.Column
			*n = nn
			n.Line, n.Column = line, col
		}
	}
	n.Style = 0
}

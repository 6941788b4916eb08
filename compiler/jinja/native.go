package jinja

import (
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
)

// Native rendering is dbt's: Jinja2's NativeEnvironment with dbt's
// quoted_native_concat (dbt_common/clients/jinja.py), which dbt uses for
// the arguments and configs of generic tests. The template's top-level
// output is a list of nodes, text and {{ }} outputs:
//
//   - no node gives "";
//   - one node gives its value as it is (a list stays a list, a relation a
//     relation, a number a number), except that an output Jinja2 folds at
//     compile time (an expression of literals only, such as {{ 1 }} or
//     {{ [1, 2] }}) is already text ("1", "[1, 2]"), and an output whose
//     last filter is as_text is text, and one whose last filter is
//     as_native, as_number or as_bool is its text read as a Python
//     literal (ast.literal_eval; text that does not read as one stays
//     text), which as_number requires to be a number and as_bool a
//     boolean;
//   - two nodes or more give their texts joined.

// nativeOut collects the top-level output nodes of a native render.
type nativeOut struct {
	b     *strings.Builder // the template's top-level buffer
	nodes []any
}

// marker is an output whose last filter is one of dbt's native filters.
type marker struct {
	filter string // as_text, as_native, as_number or as_bool
	text   string
}

// output writes v, the value of output x (nil for a call or filter
// block), to b, or records it as a node when b is the top level of a
// native render.
func (st *state) output(b *strings.Builder, x Expr, v any) {
	if st.native == nil || b != st.native.b {
		writeValue(b, v)
		return
	}
	switch {
	case x != nil && isConst(x):
		v = str(v)
	case x != nil:
		if f, ok := x.(*filterExpr); ok {
			switch f.name {
			case "as_text", "as_native", "as_number", "as_bool":
				v = marker{filter: f.name, text: str(v)}
			}
		}
	}
	if _, ok := v.(Undefined); ok {
		v = ""
	}
	st.native.nodes = append(st.native.nodes, v)
}

// text writes template text s to b, or records it as a node.
func (st *state) text(b *strings.Builder, s string) {
	if st.native == nil || b != st.native.b {
		b.WriteString(s)
		return
	}
	if s != "" {
		st.native.nodes = append(st.native.nodes, s)
	}
}

// isConst reports whether Jinja2 folds expression x at compile time:
// it names no variable and calls nothing.
func isConst(x Expr) bool {
	ok := true
	walkExpr(x, func(n any) {
		switch n.(type) {
		case *nameExpr, *callExpr:
			ok = false
		case *filterExpr:
			switch n.(*filterExpr).name {
			case "as_text", "as_native", "as_number", "as_bool":
				ok = false // dbt's markers are not folded
			}
		}
	})
	return ok
}

// RenderNative renders t with the names of g as dbt's native renderer
// does (see above) and returns the value: a template value (*List,
// *Dict, string, int, float64, bool, nil, or what a function returned).
// Errors are diagnostics at their file:line:col, as Render's; an
// as_number or as_bool output that does not read as a number or a
// boolean is an error at the template's start, as dbt's
// JinjaRenderingError ("could not convert value ... into type ...").
func (e *Env) RenderNative(t *Template, g Globals) (any, diag.List) {
	st := &state{env: e, globals: g, tmpl: t, pkg: t.Package, halt: halts(g)}
	var b strings.Builder
	st.native = &nativeOut{b: &b}
	err := st.execBody(&b, &scope{}, t.body)
	if err != nil && !st.record(err) {
		st.topLevelSignal(err)
	}
	if len(st.errs) > 0 {
		return nil, st.errs
	}
	nodes := st.native.nodes
	switch len(nodes) {
	case 0:
		return "", nil
	case 1:
	default:
		var s strings.Builder
		for _, n := range nodes {
			if m, ok := n.(marker); ok {
				s.WriteString(m.text)
				continue
			}
			s.WriteString(str(n))
		}
		return s.String(), nil
	}
	m, ok := nodes[0].(marker)
	if !ok {
		return nodes[0], nil
	}
	if m.filter == "as_text" {
		return m.text, nil
	}
	v, ok := LiteralEval(m.text)
	if !ok {
		v = m.text
	}
	bad := ""
	switch m.filter {
	case "as_bool":
		if _, isBool := v.(bool); !isBool {
			bad = "bool"
		}
	case "as_number":
		switch v.(type) {
		case int, float64:
		default:
			bad = "number"
		}
	}
	if bad != "" {
		return nil, diag.List{{Pos: t.Position(0), Msg: fmt.Sprintf("could not convert value %q into type %q", m.text, bad),
			Hint: "dbt's " + m.filter + " reads its value's text as a Python literal"}}
	}
	return v, nil
}

// LiteralEval reads s as Python's ast.literal_eval does: a number, a
// quoted string, True, False, None, or a list, tuple or dict of them.
// It reports false when s is not such a literal.
func LiteralEval(s string) (any, bool) {
	src := "{{ " + strings.TrimSpace(s) + " }}"
	t, l := parse("<literal>", src, parseOptions{})
	if len(l) > 0 || len(t.body) != 1 {
		return nil, false
	}
	out, ok := t.body[0].(*outputStmt)
	if !ok || !isLiteral(src, out.x) {
		return nil, false
	}
	st := &state{env: NewEnv(), tmpl: t}
	v, err := st.eval(&scope{}, out.x)
	if err != nil {
		return nil, false
	}
	return v, true
}

// isLiteral reports whether x is a Python literal: constants spelled as
// Python spells them (True, not true), signed numbers, lists, tuples and
// dicts of literals.
func isLiteral(src string, x Expr) bool {
	switch e := x.(type) {
	case *constExpr:
		switch e.val.(type) {
		case bool, nil:
			c := src[e.p]
			return c == 'T' || c == 'F' || c == 'N'
		}
		return true
	case *unaryExpr:
		if e.op == "not" {
			return false
		}
		c, ok := e.x.(*constExpr)
		if !ok {
			return false
		}
		switch c.val.(type) {
		case int, float64:
			return true
		}
		return false
	case *listExpr:
		return allLiteral(src, e.items)
	case *tupleExpr:
		return allLiteral(src, e.items)
	case *dictExpr:
		return allLiteral(src, e.keys) && allLiteral(src, e.vals)
	}
	return false
}

func allLiteral(src string, xs []Expr) bool {
	for _, x := range xs {
		if !isLiteral(src, x) {
			return false
		}
	}
	return true
}

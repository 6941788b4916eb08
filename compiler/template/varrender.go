package template

import (
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/jinja"
)

// A var whose value is a string is rendered, as dbt renders it when var()
// reads it (dbt-core core/dbt/context/base.py, Var.get_rendered_var:
// "if not isinstance(raw, str): return raw; return
// get_rendered(raw, self._context)"): with the context of the node,
// macro, hook or operation that calls var(), so that
// vars: {region: "{{ target.name }}_x"} reads "dev_x" in a model of
// target dev. Project vars and --vars alike; other values (numbers,
// booleans, lists, mappings, dates) as they are; var()'s default is not
// rendered (dbt returns it as given). The value renders as text, not as
// a native value (get_rendered without native=True).

// HasJinja reports whether s holds Jinja to render: an expression, a
// statement or a comment.
func HasJinja(s string) bool {
	return strings.Contains(s, "{{") || strings.Contains(s, "{%") || strings.Contains(s, "{#")
}

// renderedVar wraps var() (get) so that a string value holding Jinja is
// rendered with g, the calling template's context.
func (g *globals) renderedVar(get jinja.Func) jinja.Func {
	return func(call *jinja.Call) (any, error) {
		v, err := get(call)
		if err != nil {
			return v, err
		}
		s, ok := v.(string)
		if !ok || !HasJinja(s) {
			return v, nil
		}
		if len(call.Args) == 2 {
			if d, isStr := jinja.Plain(call.Args[1]).(string); isStr && d == s {
				return v, nil // the default, which dbt does not render
			}
		}
		name, _ := firstString(call)
		return g.renderVar(name, s, call.Package())
	}
}

// VarCycleError is a var whose value, rendered, reads itself (through
// other vars or not): Path is the chain of vars, the first repeated at
// its end. dbt has no guard (Python's recursion limit stops it).
type VarCycleError struct{ Path []string }

func (e *VarCycleError) Error() string {
	return fmt.Sprintf("var %q renders itself: %s", e.Path[0], strings.Join(e.Path, " -> "))
}

// renderVar renders src, the value of var name, with g; pkg is the
// package of the calling code, whose macros its unqualified names find
// first. A var being rendered that reads itself is a *VarCycleError
// (as a diagnostic at the outer var() call).
func (g *globals) renderVar(name, src, pkg string) (any, error) {
	for i, n := range g.varStack {
		if n == name {
			path := append(append([]string(nil), g.varStack[i:]...), name)
			return nil, diag.Diagnostic{Msg: (&VarCycleError{Path: path}).Error(),
				Hint: "a var's value may read other vars with var(), but not, through them or directly, itself"}
		}
	}
	g.varStack = append(g.varStack, name)
	defer func() { g.varStack = g.varStack[:len(g.varStack)-1] }()
	t, l := g.e.env.Parse("var "+name, src)
	if len(l) == 0 {
		t.Package = pkg
		var out string
		if out, l = g.e.env.Render(t, g); len(l) == 0 {
			return out, nil
		}
	}
	d := l[0]
	msg := strings.TrimPrefix(d.Msg, "template error: ")
	if strings.Contains(msg, "renders itself: ") {
		return nil, diag.Diagnostic{Msg: msg, Hint: d.Hint} // the innermost var's cycle, once
	}
	return nil, diag.Diagnostic{Msg: fmt.Sprintf("var %q: its value %q does not render: %s", name, src, msg), Hint: d.Hint}
}

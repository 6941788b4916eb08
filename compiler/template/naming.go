package template

import (
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// NamingMacro returns the macro dbt calls to name a node of package pkg
// ("" for the root project) for component "schema", "alias" or
// "database" (generate_<component>_name), or nil when no project
// overrides dbt's default, whose rule the caller then applies itself.
// The order is dbt's (RelationUpdate, dbt-core >= 1.6): the package's
// own generate_<component>_name for its own nodes; else the root
// project's; else dbt's, which dispatches: a <adapter>__ or default__
// macro of the root project (or of the packages of the dispatch: search
// order of namespace dbt) makes dbt's generate_<component>_name the
// macro to call.
func (e *Engine) NamingMacro(component, pkg string) *jinja.Macro {
	x := e.index
	gen := "generate_" + component + "_name"
	if pkg != "" {
		if m, ok := x.pkgs[pkg][gen]; ok {
			return m
		}
	}
	if m, ok := x.pkgs[""][gen]; ok {
		return m
	}
	search := e.dispatch.SearchOrder[InternalPackage]
	if len(search) == 0 {
		search = []string{e.dispatch.RootPackage}
	}
	for _, p := range search {
		if p == InternalPackage {
			break
		}
		key := p
		if p == e.dispatch.RootPackage {
			key = ""
		}
		for _, prefix := range []string{e.adapterType(), "default"} {
			if _, ok := x.pkgs[key][prefix+"__"+gen]; ok {
				return x.builtin[gen]
			}
		}
	}
	return nil
}

// CallArgsIn calls macro m with positional arguments (plain Go values),
// as code of package pkg ("" for the project's), and returns its output,
// or the value it returns printed; with ok false when that value is none.
// A failure is an *Error at the failing statement's file:line:col when
// the macro's code has a position, else a plain error.
func (e *Engine) CallArgsIn(pkg, path string, m *jinja.Macro, args []any, ctx *Context) (out string, ok bool, err error) {
	v, l := e.env.Call(path, m, args, nil, e.globalsIn(pkg, ctx))
	if len(l) > 0 {
		d := l[0]
		if d.Pos.Line == 0 {
			return "", false, fmt.Errorf("%s", strings.TrimPrefix(d.Msg, "template error: "))
		}
		return "", false, &Error{Pos: d.Pos, Msg: d.Msg}
	}
	if v == nil {
		return "", false, nil
	}
	return jinja.Str(v), true, nil
}

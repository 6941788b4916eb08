package template

import (
	"fmt"
	"strconv"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/jinja"
)

// contextNames are the names of dbt's context that Context provides.
var contextNames = []string{"ref", "source", "config", "var", "env_var", "this", "is_incremental", "builtins"}

// globals resolves a template's free names: dbt's context of c, c's
// Globals, then the macros of the resolver.
type globals struct {
	e *Engine
	c *Context
	// node is the package of the node being rendered ("" for the
	// project's): the package whose macros an unqualified name finds
	// first, from the node's code and from any macro it calls, whatever
	// that macro's package (dbt's MacroNamespace: the node's package, the
	// root project, then dbt's); its own ref or source macro, if any, is
	// what ref and source call (see Engine.override).
	node string
	// varStack are the vars whose values are being rendered
	// (renderVar), outermost first.
	varStack []string
}

func (e *Engine) globals(c *Context) jinja.Globals { return &globals{e: e, c: c} }

// globalsIn is globals for the code of a node of package pkg.
func (e *Engine) globalsIn(pkg string, c *Context) jinja.Globals {
	return &globals{e: e, c: c, node: pkg}
}

// HaltAtFirstError implements jinja.Halting: a render with the database
// (dbt's execute phase) stops at its first error, so that no statement
// after it runs SQL (run_query, statement), as in dbt.
func (g *globals) HaltAtFirstError() bool { return g.c.DB != nil }

// Lookup implements jinja.Globals. A macro name resolves as dbt's
// MacroNamespace resolves it, in the package of the node being rendered
// (g.node), not in pkg, the package of the macro whose code asks: dbt
// renders every macro with the node's context.
func (g *globals) Lookup(name, _ string) (any, bool) {
	if v, ok := g.member(name); ok {
		return v, true
	}
	c := g.c
	if v, ok := c.Globals[name]; ok {
		return v, true
	}
	if v, ok := g.dbtName(name); ok {
		return v, true
	}
	return g.e.resolver.Resolve(name, g.node)
}

// CalledMacro implements jinja.MacroObserver: Context.OnMacro is told the
// macro's dbt id (MacroID).
func (g *globals) CalledMacro(m *jinja.Macro) {
	if g.c.OnMacro != nil {
		g.c.OnMacro(g.e.MacroID(m))
	}
}

// Hidden implements jinja.Hider: name is a macro of pkg, the package of
// the macro that calls it, which dbt does not search for a node of
// another package.
func (g *globals) Hidden(name, pkg string) (string, bool) {
	if pkg == "" || pkg == g.node || pkg == InternalPackage {
		return "", false
	}
	if _, ok := g.e.index.InPackage(pkg, name); !ok {
		return "", false
	}
	where := "the root project here), then in dbt's own"
	if g.node != "" {
		where = "package " + strconv.Quote(g.node) + " here), then in the root project, then in dbt's own"
	}
	return fmt.Sprintf("package %q defines %s, but dbt finds an unqualified macro name in the package of the node being rendered (%s, whatever package the calling macro is in: call it as %s.%s", pkg, name, where, pkg, name), true
}

// member resolves the names of dbt's context that Context gives by
// callbacks (contextNames).
func (g *globals) member(name string) (any, bool) {
	c := g.c
	if m := g.e.override(name, g.node); m != nil {
		return m, true
	}
	switch name {
	case "builtins":
		return builtins{g}, true
	case "ref":
		if c.Ref != nil {
			return jinja.Func(g.ref), true
		}
	case "source":
		if c.Source != nil {
			return jinja.Func(g.source), true
		}
	case "config":
		if c.Config != nil {
			return configObj{g}, true
		}
	case "var":
		if c.Var != nil {
			get := varFunc("var", c.Var)
			if note := c.OnPackageVar; note != nil {
				plain := get
				get = func(call *jinja.Call) (any, error) {
					if name, ok := firstString(call); ok && call.Package() != "" {
						note(call.Package(), name, call.Root())
					}
					return plain(call)
				}
			}
			return g.renderedVar(get), true
		}
	case "env_var":
		if c.EnvVar != nil {
			return varFunc("env_var", c.EnvVar), true
		}
	case "this":
		if c.This != nil {
			return c.This, true
		}
	case "is_incremental":
		incremental, on := c.IsIncremental, c.OnMacro
		return jinja.Func(func(call *jinja.Call) (any, error) {
			if on != nil && call.Depth() == 0 {
				on(InternalPackage + ".is_incremental") // dbt's macro
			}
			return incremental, nil
		}), true
	}
	return nil, false
}

// Names implements jinja.Namer, for the hint of an unknown name.
func (g *globals) Names() []string {
	out := append([]string(nil), contextNames...)
	for k := range g.c.Globals {
		out = append(out, k)
	}
	return append(out, g.e.resolver.Names()...)
}

func (g *globals) ref(call *jinja.Call) (any, error) {
	version, err := refVersion(call)
	if err != nil {
		return nil, err
	}
	args, err := stringArgs("ref", call, 1, 2)
	if err != nil {
		return nil, err
	}
	return g.c.Ref(args, version, call.Root())
}

func (g *globals) source(call *jinja.Call) (any, error) {
	args, err := stringArgs("source", call, 2, 2)
	if err != nil {
		return nil, err
	}
	return g.c.Source(args[0], args[1], call.Root())
}

func (g *globals) config(call *jinja.Call) (any, error) {
	if len(call.Args) > 0 {
		return nil, fmt.Errorf("config() takes keyword arguments only, such as config(materialized='table')")
	}
	kw := make(map[string]any, len(call.Kwargs))
	var at map[string]ArgPos
	for _, a := range call.Kwargs {
		kw[a.Key] = jinja.Plain(a.Value)
		if k, v, ok := call.KwargPos(a.Key); ok {
			if at == nil {
				at = make(map[string]ArgPos, len(call.Kwargs))
			}
			at[a.Key] = ArgPos{Key: k, Value: v}
		}
	}
	return "", g.c.Config(kw, call.Root(), at)
}

// varFunc is var() or env_var(): a name and an optional default.
func varFunc(name string, cb func(string, any, bool, diag.Pos) (any, error)) jinja.Func {
	return func(call *jinja.Call) (any, error) {
		if len(call.Kwargs) > 0 || len(call.Args) < 1 || len(call.Args) > 2 {
			return nil, fmt.Errorf("%s() takes a name and an optional default, such as %s('raw_dir', 'data')", name, name)
		}
		key, ok := call.Args[0].(string)
		if !ok {
			return nil, fmt.Errorf("%s() takes a name and an optional default, such as %s('raw_dir', 'data')", name, name)
		}
		var def any
		if len(call.Args) == 2 {
			def = jinja.Plain(call.Args[1])
		}
		return cb(key, def, len(call.Args) == 2, call.Root())
	}
}

// refVersion returns the version a ref() call names with v= or version=
// (a number or a text, as dbt's NodeVersion: ref('m', v=2) -> "2"), or "".
func refVersion(call *jinja.Call) (string, error) {
	version := ""
	for _, kv := range call.Kwargs {
		if kv.Key != "v" && kv.Key != "version" {
			continue
		}
		if jinja.Plain(kv.Value) == nil {
			continue // version=none is no version, as in dbt (kwargs.get('version') or kwargs.get('v'))
		}
		if version != "" {
			return "", fmt.Errorf("ref() takes one version: v= or version=, not both")
		}
		v, ok := VersionText(jinja.Plain(kv.Value))
		if !ok {
			return "", fmt.Errorf("ref()'s %s= is a model version: a number or a text, not %s", kv.Key, jinja.Str(kv.Value))
		}
		version = v
	}
	return version, nil
}

// VersionText is a model version identifier (dbt's NodeVersion: a number
// or a text) as text: 2 and 2.0 -> "2", 1.5 -> "1.5", "beta" -> "beta";
// false for any other value.
func VersionText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != ""
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

// stringArgs checks the arguments of ref() and source(): min to max names
// as strings, and for ref the keywords v and version (refVersion).
func stringArgs(fn string, call *jinja.Call, min, max int) ([]string, error) {
	for _, kv := range call.Kwargs {
		if fn == "ref" && (kv.Key == "v" || kv.Key == "version") {
			continue
		}
		return nil, fmt.Errorf("%s() takes no keyword argument %q", fn, kv.Key)
	}
	if len(call.Args) < min || len(call.Args) > max {
		if min == max {
			return nil, fmt.Errorf("%s() takes %d arguments, got %d", fn, min, len(call.Args))
		}
		return nil, fmt.Errorf("%s() takes %d or %d arguments, got %d", fn, min, max, len(call.Args))
	}
	out := make([]string, len(call.Args))
	for i, a := range call.Args {
		s, ok := a.(string)
		if !ok {
			return nil, fmt.Errorf("%s() takes names as strings, got %s", fn, jinja.Str(a))
		}
		out[i] = s
	}
	return out, nil
}

// firstString returns a call's first positional argument when it is a
// string.
func firstString(call *jinja.Call) (string, bool) {
	if len(call.Args) == 0 {
		return "", false
	}
	s, ok := call.Args[0].(string)
	return s, ok
}

// Package template renders kiln's Jinja templates (models, tests, macros)
// with kiln's Jinja engine (compiler/jinja) and dbt's context: ref,
// source, config, var, env_var, this and is_incremental, given as
// callbacks by the compiler, and the macros of the project, its packages
// and kiln's built-ins, resolved by a Resolver.
//
// Macros from the macro paths are global, as in dbt: every template can
// call them without an import. Generic tests written as `{% test name(model,
// column_name) %} ... {% endtest %}` are macros named "test_<name>", as dbt
// names them.
package template

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/jinja"
)

// Source is a template's text and its project-relative path. Package
// names the dbt package a macro file belongs to ("" for the project
// itself).
type Source struct {
	Path    string
	Text    string
	Package string
}

// Engine holds the parsed macro files. It is immutable after NewEngine
// (and SetResolver) and safe for concurrent Render calls.
type Engine struct {
	env      *jinja.Env
	resolver Resolver
	index    *MacroIndex
	dispatch Dispatch
	run      Run
	// overrides are the project's own macros named ref or source: as in
	// dbt, {{ ref(...) }} calls them everywhere (models, tests, hooks,
	// macros), and builtins.ref is kiln's ref (see override).
	overrides map[string]*jinja.Macro
	// runStartedRead is set once a template read run_started_at.
	runStartedRead atomic.Bool
}

// builtinPrefix starts the paths of kiln's built-in macro files, which
// project macros may override.
const builtinPrefix = "<builtin>"

// NewEngine parses the macro files, in order, into a MacroIndex that
// resolves macro names as dbt does (see MacroIndex). Two macros with one
// name in one package are an error naming both files, except that a file
// whose path starts with "<builtin>" may be overridden by a later one.
// Every syntax error of every file is reported at its file:line:col.
func NewEngine(macroFiles []Source) (*Engine, diag.List) {
	env := jinja.NewEnv()
	// kiln keeps a template's final newline in the compiled SQL (Jinja2
	// drops it).
	env.KeepTrailingNewline = true
	env.AddFilter("sql_literal", filterSQLLiteral)
	e := &Engine{env: env, index: newMacroIndex()}
	var l diag.List
	for _, f := range macroFiles {
		t, pl := env.Parse(f.Path, f.Text)
		if len(pl) > 0 {
			l.Append(pl)
			continue
		}
		t.Package = f.Package
		l.Append(e.index.add(f, t))
	}
	e.resolver = e.index
	l.Append(e.findOverrides())
	return e, l
}

// SetResolver replaces the resolution of macro names (the packages layer
// installs dbt's order with dispatch and package namespaces); it must be
// called before the first Render.
func (e *Engine) SetResolver(r Resolver) { e.resolver = r }

// Index returns the macros NewEngine parsed.
func (e *Engine) Index() *MacroIndex { return e.index }

// Env returns the Jinja environment, to add filters and globals before
// the first Render.
func (e *Engine) Env() *jinja.Env { return e.env }

// HasMacro reports whether a macro (or "test_<name>" for a generic test)
// is defined in the project or kiln's built-ins.
func (e *Engine) HasMacro(name string) bool {
	_, ok := e.resolver.Resolve(name, "")
	return ok
}

// Macros returns the names of the project's and built-in macros, sorted.
func (e *Engine) Macros() []string { return e.resolver.Names() }

// MacroFile returns the file that defines macro name, as the project sees
// it.
func (e *Engine) MacroFile(name string) string {
	if v, ok := e.resolver.Resolve(name, ""); ok {
		if m, isMacro := v.(*jinja.Macro); isMacro && m.Def.Tmpl != nil {
			return m.Def.Tmpl.Path
		}
	}
	return ""
}

// ArgPos is where a keyword argument is written: its name and its value.
type ArgPos struct{ Key, Value diag.Pos }

// Context is what a template can call. Unset functions are undefined in the
// template. Each callback receives the position of the call in the
// template being rendered (for a call inside a macro, the position of the
// outermost call that led to it) and returns an error to fail the render:
// the error is reported where the failing call is written, with the chain
// of macro calls.
type Context struct {
	// Ref is ref('name') or ref('package', 'name'); version is the v= or
	// version= keyword of a model version's ref ("" without one).
	Ref    func(args []string, version string, pos diag.Pos) (any, error)
	Source func(source, table string, pos diag.Pos) (any, error)
	// Config is config(key=value, ...); at has where each key and its
	// value are written in the template being rendered, a key missing
	// when that is unknown (the call is inside a macro, or the key came
	// through **kwargs or config.set).
	Config func(kwargs map[string]any, pos diag.Pos, at map[string]ArgPos) error
	// ConfigValue, when set, reads the node's config for config.get and
	// config.require: the value of key (a key of the project's own
	// included), and false when the node has none, so that the call's
	// default applies. Plain Go values.
	ConfigValue func(key string) (any, bool)
	// ConfigPending is set while a node's config() calls are still being
	// read (its first rendering): config.require of a key not set yet
	// gives "", as at dbt's parse, and the error waits for the rendering
	// with the final config.
	ConfigPending bool
	Var           func(name string, def any, hasDefault bool, pos diag.Pos) (any, error)
	EnvVar        func(name string, def any, hasDefault bool, pos diag.Pos) (any, error)
	// OnPackageVar, when set, is told each var() that an installed
	// package's macro calls (pkg is the package, pos where the outermost
	// call is written), before Var reads it.
	OnPackageVar  func(pkg, name string, pos diag.Pos)
	This          any
	IsIncremental bool
	// Globals are extra variables (for tests: model, column_name, ...):
	// Go values, or jinja.Func callbacks.
	Globals map[string]any
	// OnMacro is told the dbt id ("<package>.<name>", Engine.MacroID) of
	// each macro the template calls itself, once per call: not the
	// macros those macros call (dbt's depends_on.macros). is_incremental()
	// is dbt's macro "dbt.is_incremental".
	OnMacro func(id string)
	// DB is the database at run time (dbt's execute phase); nil while
	// compiling, when execute is false.
	DB DB
	// OnExecute is told each time the template reads execute (or graph):
	// a template that does may render otherwise at run time.
	OnExecute func()
	// Graph returns dbt's graph context variable at run time (DB set):
	// {"nodes": {unique_id: entry}, "sources": ..., "exposures": ...},
	// plain Go values. While compiling, or when nil, graph is that shape
	// with every section empty, as dbt's graph is while it parses.
	Graph func() map[string]any
	// Log receives the messages of log(msg, info=True), print() and
	// exceptions.warn(); nil drops them.
	Log func(msg string)
	// Debug receives the messages of log(msg) without info=True (dbt
	// writes them to its log file only); nil drops them.
	Debug func(msg string)

	// StoreFailures is what should_store_failures() returns (a test's
	// store_failures config).
	StoreFailures bool

	// Model returns dbt's model context variable: the node being rendered
	// as a dict, with the fields of its manifest.json entry (unique_id,
	// name, resource_type, package_name, config, tags, meta, fqn, ...),
	// plain Go values as Graph's. Nil, or a nil map, leaves model
	// undefined (a Globals entry named model, such as a generic test's
	// argument, is not shadowed).
	Model func() map[string]any
	// Where, when set, gives dbt's schema and database context variables:
	// the node's schema and database (the target's outside a node: in
	// on-run-start/on-run-end and run-operation), as dbt's ModelContext
	// and MacroContext give them; it is called each time either is read.
	// Nil leaves both undefined.
	Where func() Where

	results map[string]result // statement and store_result results, for load_result
}

// Where is the schema and database of dbt's schema and database context
// variables: texts, or nil (None) for a database the node does not name.
type Where struct{ Schema, Database any }

// result is a statement's or store_result's result: the response and
// the table.
type result struct {
	response any
	table    *Table
	loaded   bool // load_result read it (dbt's None)
}

// Error is a render failure at a position.
type Error struct {
	Pos diag.Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Render renders the template src of path with ctx and returns the output.
// Problems are returned as diagnostics at file:line:col: every syntax
// error of the file, or every failing statement of its top level.
func (e *Engine) Render(path, src string, ctx *Context) (string, diag.List) {
	if !strings.Contains(src, "{") {
		return src, nil // nothing to render: plain SQL
	}
	if out, l, ok := e.renderFast(path, src, ctx); ok {
		return out, l
	}
	return e.renderFull(path, src, ctx)
}

// renderFull renders src with the Jinja engine.
func (e *Engine) renderFull(path, src string, ctx *Context) (string, diag.List) {
	return e.RenderIn("", path, src, ctx)
}

// RenderIn renders src as code of package pkg ("" for the project): its
// unqualified macro names resolve in pkg first, as for pkg's own files
// (dbt renders a package's on-run hooks so).
func (e *Engine) RenderIn(pkg, path, src string, ctx *Context) (string, diag.List) {
	t, l := e.env.Parse(path, src)
	if len(l) > 0 {
		return "", l
	}
	t.Package = pkg
	return e.env.Render(t, e.globalsIn(pkg, ctx))
}

// CallMacro calls macro name with keyword arguments and returns its output
// (or, for a macro that ends with return(), the value it returns, printed).
func (e *Engine) CallMacro(path, name string, kwargs map[string]any, ctx *Context) (string, error) {
	m, ok := e.resolver.Resolve(name, "")
	if !ok {
		return "", fmt.Errorf("macro %q is not defined", name)
	}
	return e.CallValue(path, m, kwargs, ctx)
}

// FindMacro finds a macro as dbt finds a generic test's: in package pkg
// when one is named (a package's own macros only; "dbt" is kiln's
// built-ins), else in the project, the packages and the built-ins, in
// this order. It returns the macro and the file defining it.
func (e *Engine) FindMacro(pkg, name string) (*jinja.Macro, string, bool) {
	var m *jinja.Macro
	var ok bool
	if pkg != "" {
		m, ok = e.index.InPackage(pkg, name)
	} else {
		m, _, ok = e.index.FindAny(name)
	}
	if !ok {
		return nil, "", false
	}
	file := ""
	if m.Def.Tmpl != nil {
		file = m.Def.Tmpl.Path
	}
	return m, file, true
}

// PackageMacros returns the names of the macros package pkg defines ("":
// the project's), sorted, without its generic tests (test_*) and
// materializations.
func (e *Engine) PackageMacros(pkg string) []string {
	var out []string
	for name := range e.index.pkgs[pkg] {
		if !strings.HasPrefix(name, "test_") && !strings.HasPrefix(name, "materialization_") {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// HasPackage reports whether an installed package defines macros.
func (e *Engine) HasPackage(name string) bool {
	_, ok := e.index.pkgs[name]
	return ok && name != ""
}

// CallValue calls macro m (a *jinja.Macro) with keyword arguments, as
// CallMacro does.
func (e *Engine) CallValue(path string, m any, kwargs map[string]any, ctx *Context) (string, error) {
	return e.CallValueIn("", path, m, kwargs, ctx)
}

// CallValueIn is CallValue for a node of package pkg ("" for the
// project's): ref and source in the macro call pkg's overrides, as in
// pkg's own nodes (dbt resolves a node's macros in its package first: a
// generic test of a package's property file).
func (e *Engine) CallValueIn(pkg, path string, m any, kwargs map[string]any, ctx *Context) (string, error) {
	keys := make([]string, 0, len(kwargs))
	for k := range kwargs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	kv := make([]jinja.KV, len(keys))
	for i, k := range keys {
		kv[i] = jinja.KV{Key: k, Value: kwargs[k]}
	}
	v, l := e.env.Call(path, m, nil, kv, e.globalsIn(pkg, ctx))
	if len(l) > 0 {
		d := l[0]
		if d.Pos.Line == 0 {
			return "", fmt.Errorf("%s", strings.TrimPrefix(d.Msg, "template error: "))
		}
		return "", &Error{Pos: d.Pos, Msg: d.Msg}
	}
	return jinja.Str(v), nil
}

// RenderNative renders the template src of path with ctx as dbt renders
// a generic test's arguments and configs (jinja.Env.RenderNative): the
// value of a template that is one {{ }} output (a list, a number, a
// relation), else its text. Errors are diagnostics at file:line:col.
func (e *Engine) RenderNative(path, src string, ctx *Context) (any, diag.List) {
	return e.RenderNativeIn("", path, src, ctx)
}

// RenderNativeIn is RenderNative for the code of a node of package pkg
// ("" for the project's): as RenderIn, its unqualified macro names
// resolve in pkg first and ref and source call pkg's overrides (a
// generic test's arguments in a package's property file).
func (e *Engine) RenderNativeIn(pkg, path, src string, ctx *Context) (any, diag.List) {
	t, l := e.env.Parse(path, src)
	if len(l) > 0 {
		return nil, l
	}
	t.Package = pkg
	return e.env.RenderNative(t, e.globalsIn(pkg, ctx))
}

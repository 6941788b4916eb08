package jinja

import (
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
)

// Filter is a template filter: v | name(args). The call's Args and
// Kwargs are the filter's arguments after the value.
type Filter func(c *Call, v any) (any, error)

// Test is a template test: v is name(args).
type Test func(c *Call, v any) (bool, error)

// DefaultMaxDepth is the default bound on nested macro calls.
const DefaultMaxDepth = 200

// Env is a Jinja environment as dbt configures Jinja2: no autoescaping,
// undefined names render empty, the do and loopcontrols extensions, and
// dbt's test, docs and materialization blocks. Configure it before the
// first render; it is then safe for concurrent use.
type Env struct {
	filters map[string]Filter
	tests   map[string]Test
	globals map[string]any

	// KeepTrailingNewline keeps the final newline of a template; Jinja2
	// (and dbt) drop it.
	KeepTrailingNewline bool
	// MaxDepth bounds nested macro calls (DefaultMaxDepth when 0); a
	// deeper call is an error naming the chain of calls.
	MaxDepth int
	// Lenient makes an attribute, item or call of an undefined value
	// undefined instead of an error, as dbt's parse-time rendering does.
	Lenient bool
}

// NewEnv returns an environment with Jinja2's builtin filters, tests and
// globals (range, dict, namespace, cycler, joiner) and dbt's return().
func NewEnv() *Env {
	e := &Env{filters: map[string]Filter{}, tests: map[string]Test{}, globals: map[string]any{}}
	for k, f := range builtinFilters {
		e.filters[k] = f
	}
	for k, t := range builtinTests {
		e.tests[k] = t
	}
	for k, g := range builtinGlobals {
		e.globals[k] = g
	}
	return e
}

// AddFilter adds or replaces a filter.
func (e *Env) AddFilter(name string, f Filter) { e.filters[name] = f }

// AddTest adds or replaces a test.
func (e *Env) AddTest(name string, t Test) { e.tests[name] = t }

// AddGlobal adds or replaces a builtin global, the last place a name is
// looked up (after the template's variables and the Globals of the render).
func (e *Env) AddGlobal(name string, v any) { e.globals[name] = FromGo(v) }

// HasFilter reports whether a filter exists.
func (e *Env) HasFilter(name string) bool { _, ok := e.filters[name]; return ok }

func (e *Env) maxDepth() int {
	if e.MaxDepth > 0 {
		return e.MaxDepth
	}
	return DefaultMaxDepth
}

// Parse parses src, the text of the file at path. It returns the
// template and every syntax error it found (the template is then
// incomplete and must not be rendered). Unknown filters and tests are
// syntax errors, as in Jinja2.
func (e *Env) Parse(path, src string) (*Template, diag.List) {
	t, l := parse(path, src, parseOptions{keepTrailingNewline: e.KeepTrailingNewline})
	l.Append(e.checkNames(t))
	return t, l
}

// checkNames reports the filters and tests t uses that e does not have.
func (e *Env) checkNames(t *Template) diag.List {
	var l diag.List
	walk(t.body, func(x any) {
		switch n := x.(type) {
		case *filterExpr:
			if _, ok := e.filters[n.name]; !ok {
				l.Add(diag.Diagnostic{Pos: t.Position(n.p), Msg: fmt.Sprintf("template error: unknown filter %q", n.name),
					Hint: hintFor(n.name, keys(e.filters), "see the filters kiln supports in the README")})
			}
		case *testExpr:
			if _, ok := e.tests[n.name]; !ok {
				l.Add(diag.Diagnostic{Pos: t.Position(n.p), Msg: fmt.Sprintf("template error: unknown test %q", n.name),
					Hint: hintFor(n.name, keys(e.tests), "see the tests kiln supports in the README")})
			}
		}
	})
	return l
}

func hintFor(name string, known []string, otherwise string) string {
	// One- and two-letter names (loop variables) make poor suggestions.
	cands := make([]string, 0, len(known))
	for _, k := range known {
		if len(k) > 2 {
			cands = append(cands, k)
		}
	}
	if h := diag.DidYouMean(name, cands); h != "" {
		return h
	}
	return otherwise
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Render renders t with the names of g (which may be nil) and returns its
// output, or every error found: an error in an output or a statement of
// the template's top level is reported and rendering goes on with the
// next one, so a file's independent errors are reported together, unless
// g is Halting or the error is a Halt: the render then ends at it.
func (e *Env) Render(t *Template, g Globals) (string, diag.List) {
	st := &state{env: e, globals: g, tmpl: t, pkg: t.Package, halt: halts(g)}
	var b strings.Builder
	b.Grow(len(t.src) + len(t.src)/4)
	err := st.execBody(&b, &scope{}, t.body)
	if err != nil && !st.record(err) {
		st.topLevelSignal(err)
	}
	if len(st.errs) > 0 {
		return "", st.errs
	}
	return b.String(), nil
}

// topLevelSignal records control flow that escaped to the top level.
func (st *state) topLevelSignal(err error) {
	if len(st.errs) > 0 {
		return
	}
	d := diag.Diagnostic{Pos: diag.Pos{File: st.tmpl.Path}, Msg: err.Error()}
	if r, ok := err.(*returnSignal); ok {
		d.Pos, d.Msg = r.pos, "template error: return() can only be used inside a macro"
		d.Hint = "a template's output is its text; return() gives a macro's value to its caller"
	}
	st.errs.Add(d)
}

// Call calls fn (a *Macro or a function value) from Go with the names of
// g, and returns its value: a macro's rendered text, or what it
// returned with return(). path names the caller in diagnostics.
func (e *Env) Call(path string, fn any, args []any, kwargs []KV, g Globals) (any, diag.List) {
	caller := &Template{Path: path}
	st := &state{env: e, globals: g, tmpl: caller, halt: halts(g)}
	if m, ok := fn.(*Macro); ok && m.Def.Tmpl != nil {
		st.pkg = m.Def.Tmpl.Package
	}
	for i := range args {
		args[i] = FromGo(args[i])
	}
	for i := range kwargs {
		kwargs[i].Value = FromGo(kwargs[i].Value)
	}
	v, err := st.callValue(fn, args, kwargs, 0, "", nil)
	if err != nil {
		if !st.record(err) || len(st.errs) == 0 {
			st.topLevelSignal(err)
		}
		return nil, st.errs
	}
	return v, nil
}

// Call is a call of a Func, Filter or Test: its position, arguments and
// a handle on the render, to look names up or call values back.
type Call struct {
	// Pos is where the call is written.
	Pos diag.Pos
	// Args are the positional arguments (for a filter or test, those
	// after the value).
	Args []any
	// Kwargs are the keyword arguments, in the order written.
	Kwargs []KV

	st  *state
	off int
	at  *argList // the arguments as written, nil when unknown
}

// Kwarg returns the keyword argument name.
func (c *Call) Kwarg(name string) (any, bool) {
	for _, kv := range c.Kwargs {
		if kv.Key == name {
			return kv.Value, true
		}
	}
	return nil, false
}

// KwargPos returns where keyword argument name of the call is written in
// the template being rendered: its name and its value. ok is false when
// the call is not written there (it is inside a macro the template
// calls), or name is not written as name=value in it (it came through
// **kwargs).
func (c *Call) KwargPos(name string) (key, value diag.Pos, ok bool) {
	if c.at == nil || len(c.st.frames) > 0 {
		return diag.Pos{}, diag.Pos{}, false
	}
	for _, k := range c.at.kw {
		if k.name == name {
			return c.st.position(k.p), c.st.position(k.x.pos()), true
		}
	}
	return diag.Pos{}, diag.Pos{}, false
}

// Root returns the position, in the template being rendered, of the
// outermost call that led to this one (Pos itself outside macros).
func (c *Call) Root() diag.Pos {
	if len(c.st.frames) == 0 {
		return c.Pos
	}
	f := c.st.frames[0]
	return f.caller.Position(f.off)
}

// Depth returns how many macro calls the call is nested in: 0 when the
// template being rendered makes it itself.
func (c *Call) Depth() int { return len(c.st.frames) }

// Package returns the package of the calling code ("" for the root
// project).
func (c *Call) Package() string { return c.st.pkg }

// Lookup resolves a name as the calling code would (its scopes excepted).
func (c *Call) Lookup(name string) (any, bool) { return c.st.lookup(nil, name) }

// CallValue calls fn (a macro, a Func or a Callable) with arguments.
func (c *Call) CallValue(fn any, args []any, kwargs []KV) (any, error) {
	return c.st.callValue(fn, args, kwargs, c.off, "", nil)
}

// Env returns the environment of the render.
func (c *Call) Env() *Env { return c.st.env }

func (st *state) newCall(off int, args []any, kwargs []KV, at *argList) *Call {
	return &Call{Pos: st.position(off), Args: args, Kwargs: kwargs, st: st, off: off, at: at}
}

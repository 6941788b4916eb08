package jinja

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
)

// Globals resolves the names a template neither defines nor gets from the
// environment's builtins: dbt's context (ref, source, config, var, this,
// ...) and the macros of the project and its packages. Implementations
// decide the order of resolution (dbt's: the calling package's macros,
// then the root project's, then dbt's own), which makes package
// namespaces and overrides a matter of the Globals given to Render.
type Globals interface {
	// Lookup returns the value of name as seen from code of package pkg
	// ("" for the root project) and whether it exists.
	Lookup(name, pkg string) (any, bool)
}

// MacroObserver is implemented by Globals that are told of each macro
// the template being rendered calls itself (its top level, or the macro
// Env.Call calls), not of those that macros call in turn: dbt's
// depends_on.macros, which records the calls at depth 0. CalledMacro is
// told before the macro's body renders, once per call.
type MacroObserver interface {
	CalledMacro(m *Macro)
}

// Halting is implemented by Globals whose render must stop at its first
// error, as Jinja2's does: a render that may change the database (dbt's
// execute phase, where run_query and statement run SQL), where the
// statements after an error must not run. Other renders go on after an
// error of the template's top level, to report its independent errors
// together.
type Halting interface {
	HaltAtFirstError() bool
}

// Halt marks err, returned by a Func, as ending the render whatever the
// Globals (dbt's exceptions.raise_compiler_error: Jinja2 stops at the
// exception, and so must the statements after it).
func Halt(err error) error { return &haltError{err} }

type haltError struct{ err error }

func (h *haltError) Error() string { return h.err.Error() }
func (h *haltError) Unwrap() error { return h.err }

// halts reports whether a render with g stops at its first error.
func halts(g Globals) bool {
	h, ok := g.(Halting)
	return ok && h.HaltAtFirstError()
}

// Namer is implemented by Globals that can list their names, for the
// "did you mean" hint of an undefined name.
type Namer interface {
	Names() []string
}

// Hider is implemented by Globals that resolve names for the node being
// rendered rather than for the code that asks (dbt's): Hidden returns the
// hint of the error of a call to name, which code of package pkg makes
// but cannot see, when pkg defines it.
type Hider interface {
	Hidden(name, pkg string) (hint string, ok bool)
}

// Unsupported is implemented by Globals that know names a template may
// use but that they do not provide (dbt's built-ins kiln lacks). The
// error of a call to such a name, or of reading an attribute of it, is
// Unsupported's message and hint (ns is "" for a plain name, else the
// name of the namespace it is read from: "dbt" for dbt.name), rather
// than the hint to define a macro.
type Unsupported interface {
	Unsupported(ns, name string) (msg, hint string, ok bool)
}

// unsupported returns the error of using name of namespace ns when the
// Globals know it as unsupported, else nil.
func (st *state) unsupported(off int, ns, name string) error {
	u, ok := st.globals.(Unsupported)
	if !ok {
		return nil
	}
	if msg, hint, ok := u.Unsupported(ns, name); ok {
		return st.errorf(off, hint, "%s", msg)
	}
	return nil
}

// MapGlobals is a Globals holding fixed names, the same for every package.
type MapGlobals map[string]any

// Lookup implements Globals.
func (m MapGlobals) Lookup(name, _ string) (any, bool) { v, ok := m[name]; return v, ok }

// Names implements Namer.
func (m MapGlobals) Names() []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Error is an error a Func can return to be reported at a position of
// its choosing instead of its call's.
type Error struct {
	Pos  diag.Pos
	Msg  string
	Hint string
}

func (e *Error) Error() string { return diag.Diagnostic{Pos: e.Pos, Msg: e.Msg, Hint: e.Hint}.Error() }

// renderError is a failure while rendering: a position, a message, and
// the chain of macro calls that led there.
type renderError struct {
	pos    diag.Pos
	msg    string
	hint   string
	chain  string
	silent bool // a consequence of an error already reported
	stop   bool // the render ends here (Halt)
}

func (e *renderError) Error() string { return e.diag().Error() }

func (e *renderError) diag() diag.Diagnostic {
	msg := e.msg
	if e.chain != "" {
		msg += " (" + e.chain + ")"
	}
	return diag.Diagnostic{Pos: e.pos, Msg: msg, Hint: e.hint}
}

// Control flow: break, continue and dbt's return() unwind as errors to
// the loop or macro call that handles them.
var (
	errBreak    = errors.New("break outside a loop")
	errContinue = errors.New("continue outside a loop")
)

type returnSignal struct {
	v   any
	pos diag.Pos // of the return() call, for the error at the top level
}

func (r *returnSignal) Error() string { return "return() outside a macro" }

// frame is one macro call in progress.
type frame struct {
	name   string    // the macro called
	caller *Template // the template of the call
	off    int       // the call's offset in caller
	pkg    string
}

// scope holds the variables of a template, macro call, loop iteration or
// block; lookups walk to the parents. Scopes are small: a slice beats a map.
type scope struct {
	parent *scope
	names  []string
	vals   []any
}

func (s *scope) lookup(name string) (any, bool) {
	for ; s != nil; s = s.parent {
		for i := len(s.names) - 1; i >= 0; i-- {
			if s.names[i] == name {
				return s.vals[i], true
			}
		}
	}
	return nil, false
}

func (s *scope) set(name string, v any) {
	for i, n := range s.names {
		if n == name {
			s.vals[i] = v
			return
		}
	}
	s.names = append(s.names, name)
	s.vals = append(s.vals, v)
}

// maxErrors bounds the errors one render reports.
const maxErrors = 50

// state is one render in progress.
type state struct {
	env     *Env
	globals Globals
	tmpl    *Template // the template whose code runs
	pkg     string    // its package
	frames  []frame
	errs    diag.List
	seen    map[string]bool // errors reported, to drop repeats from loops
	native  *nativeOut      // the top-level output nodes of RenderNative, else nil
	halt    bool            // stop at the first error (Halting)
}

// position returns the file:line:col of offset off in the running code.
func (st *state) position(off int) diag.Pos { return st.tmpl.Position(off) }

// errorf returns an error at offset off of the running code.
func (st *state) errorf(off int, hint, format string, args ...any) error {
	return &renderError{pos: st.position(off), msg: "template error: " + fmt.Sprintf(format, args...), hint: hint, chain: st.chain()}
}

// wrap turns an error returned by a Func into a render error at the
// call's offset, keeping a position the Func gave.
func (st *state) wrap(off int, err error) error {
	switch e := err.(type) {
	case *haltError:
		w := st.wrap(off, e.err)
		if re, ok := w.(*renderError); ok {
			c := *re
			c.stop = true
			return &c
		}
		return w
	case *returnSignal:
		if e.pos.File == "" {
			e.pos = st.position(off)
		}
		return err
	case *renderError:
		return err
	case *builtinError:
		return &renderError{pos: st.position(off), msg: "template error: " + e.msg, chain: st.chain()}
	case *Error:
		return &renderError{pos: e.Pos, msg: e.Msg, hint: e.Hint, chain: st.chain()}
	case diag.Diagnostic:
		pos := e.Pos
		if pos.File == "" {
			pos = st.position(off)
		}
		return &renderError{pos: pos, msg: e.Msg, hint: e.Hint, chain: st.chain()}
	}
	if errors.Is(err, errBreak) || errors.Is(err, errContinue) {
		return err
	}
	return &renderError{pos: st.position(off), msg: err.Error(), chain: st.chain()}
}

// chain describes the macro calls in progress, innermost first.
func (st *state) chain() string {
	if len(st.frames) == 0 {
		return ""
	}
	var parts []string
	for i := len(st.frames) - 1; i >= 0 && len(parts) < 6; i-- {
		f := st.frames[i]
		parts = append(parts, fmt.Sprintf("in macro %q called at %s", f.name, f.caller.Position(f.off)))
	}
	if len(st.frames) > 6 {
		parts = append(parts, fmt.Sprintf("and %d more calls", len(st.frames)-6))
	}
	return strings.Join(parts, ", ")
}

// record keeps a render error of the top level and reports whether
// rendering can go on.
func (st *state) record(err error) bool {
	re, ok := err.(*renderError)
	if !ok {
		return false
	}
	if re.silent {
		return !st.halt
	}
	d := re.diag()
	key := d.Error()
	if st.seen == nil {
		st.seen = map[string]bool{}
	}
	if !st.seen[key] {
		st.seen[key] = true
		st.errs.Add(d)
	}
	return len(st.errs) < maxErrors && !st.halt && !re.stop
}

// lookup resolves a free name: the scopes, then the Globals, then the
// environment's builtins.
func (st *state) lookup(sc *scope, name string) (any, bool) {
	if v, ok := sc.lookup(name); ok {
		return v, true
	}
	if st.globals != nil {
		if v, ok := st.globals.Lookup(name, st.pkg); ok {
			return FromGo(v), true
		}
	}
	v, ok := st.env.globals[name]
	return v, ok
}

// names returns the names known to the render, for hints.
func (st *state) names(sc *scope) []string {
	var out []string
	for s := sc; s != nil; s = s.parent {
		out = append(out, s.names...)
	}
	if n, ok := st.globals.(Namer); ok {
		out = append(out, n.Names()...)
	}
	for k := range st.env.globals {
		out = append(out, k)
	}
	return out
}

// builtinError is an error of a builtin function or method; it is
// reported as a template error.
type builtinError struct{ msg string }

func (e *builtinError) Error() string { return e.msg }

func errf(format string, args ...any) error {
	return &builtinError{msg: fmt.Sprintf(format, args...)}
}

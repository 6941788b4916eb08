// Package template renders kiln's Jinja templates (models, tests, macros)
// with gonja, a Go implementation of Jinja2. It is the only package that
// imports gonja: it maps gonja's errors to file:line:col diagnostics and
// exposes dbt's context (ref, source, config, var, env_var, this,
// is_incremental) through callbacks the compiler provides.
//
// Macros from the macro paths are global, as in dbt: every template can call
// them without an import. Generic tests written as `{% test name(model,
// column_name) %} ... {% endtest %}` become macros named "test_<name>", as dbt
// does.
package template

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/tokens"

	"github.com/kiln-build/kiln/compiler/diag"
)

func init() {
	gonja.SetLoggerOutput(io.Discard)
}

// Source is a template's text and its project-relative path.
type Source struct {
	Path string
	Text string
}

// Engine holds the parsed macro files. It is immutable after NewEngine and
// safe for concurrent Render calls.
type Engine struct {
	cfg       *config.Config
	macros    []*exec.Template
	macroFile map[string]string // macro name -> file
	names     []string          // sorted macro names
}

// testBlock matches the opening and closing tags of dbt's generic test
// blocks, rewritten into macros before parsing.
var (
	testOpen  = regexp.MustCompile(`\{%(-?)\s*test\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(`)
	testClose = regexp.MustCompile(`\{%(-?)\s*endtest\s*(-?)%\}`)
)

func rewriteTests(src string) string {
	if !strings.Contains(src, "test") {
		return src
	}
	src = testOpen.ReplaceAllString(src, "{%$1 macro test_$2(")
	return testClose.ReplaceAllString(src, "{%$1 endmacro $2%}")
}

// NewEngine parses the macro files, in order. Two macros with one name are
// an error naming both files, except that a file whose path starts with
// "<builtin>" may be overridden by a later one. A syntax error is reported
// at its file:line:col.
func NewEngine(macroFiles []Source) (*Engine, diag.List) {
	cfg := config.New()
	cfg.KeepTrailingNewline = true
	e := &Engine{cfg: cfg, macroFile: map[string]string{}}
	var l diag.List
	for _, f := range macroFiles {
		t, err := e.parse(f.Path, rewriteTests(f.Text))
		if err != nil {
			l.Add(e.toDiag(f.Path, f.Text, err))
			continue
		}
		names := make([]string, 0, len(t.Macros()))
		for name := range t.Macros() {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if prev, dup := e.macroFile[name]; dup && strings.HasPrefix(prev, "<builtin>") {
				e.macroFile[name] = f.Path // a project macro overrides a built-in one
				continue
			} else if dup {
				l.Add(diag.Errorf(macroPos(f, name), "macro %q is defined twice: in %s and in %s", strings.TrimPrefix(name, "test_"), prev, f.Path).
					WithHint("rename or delete one of them"))
				continue
			}
			e.macroFile[name] = f.Path
			e.names = append(e.names, name)
		}
		e.macros = append(e.macros, t)
	}
	sort.Strings(e.names)
	return e, l
}

func macroPos(f Source, name string) diag.Pos {
	short := strings.TrimPrefix(name, "test_")
	for _, pat := range []string{"macro " + name, "test " + short} {
		if i := strings.Index(f.Text, pat); i >= 0 {
			line, col := diag.Offset(f.Text, i)
			return diag.Pos{File: f.Path, Line: line, Col: col}
		}
	}
	return diag.Pos{File: f.Path}
}

// HasMacro reports whether a macro (or "test_<name>" for a generic test) is
// defined.
func (e *Engine) HasMacro(name string) bool { _, ok := e.macroFile[name]; return ok }

// Macros returns the names of all macros, sorted.
func (e *Engine) Macros() []string { return e.names }

// MacroFile returns the file that defines macro name.
func (e *Engine) MacroFile(name string) string { return e.macroFile[name] }

func (e *Engine) parse(path, text string) (*exec.Template, error) {
	return exec.NewTemplate(path, e.cfg, oneFile{path: path, text: text}, environment)
}

// oneFile is a gonja loader serving a single template; include and import
// of other files are not supported (macros are global instead).
type oneFile struct{ path, text string }

func (o oneFile) Read(p string) (io.Reader, error) {
	if p != o.path {
		return nil, fmt.Errorf("cannot include %q: kiln macros are global, call them without include or import", p)
	}
	return strings.NewReader(o.text), nil
}
func (o oneFile) Resolve(p string) (string, error) { return p, nil }
func (o oneFile) Inherit(string) (loaders.Loader, error) {
	return o, nil
}

// Relation is a database relation as templates see it: it prints as its
// quoted name and has the attributes database, schema, identifier and name,
// like dbt's Relation.
type Relation struct {
	Database, Schema, Identifier string
	Quoted                       string
	// OnAccess, when set, is called each time an attribute is read.
	OnAccess func()
}

// String returns the quoted name.
func (r Relation) String() string { return r.Quoted }

// GetAttribute implements gonja's attribute access.
func (r Relation) GetAttribute(name string) (*exec.Value, bool) {
	if r.OnAccess != nil {
		r.OnAccess()
	}
	switch name {
	case "database":
		return exec.AsValue(r.Database), true
	case "schema":
		return exec.AsValue(r.Schema), true
	case "identifier", "name", "table":
		return exec.AsValue(r.Identifier), true
	}
	return exec.AsValue(nil), false
}

// Context is what a template can call. Unset functions are undefined in the
// template. Each callback receives the call's position in the template and
// returns an error to fail the render at that position.
type Context struct {
	Ref           func(args []string, pos diag.Pos) (any, error)
	Source        func(source, table string, pos diag.Pos) (any, error)
	Config        func(kwargs map[string]any, pos diag.Pos) error
	Var           func(name string, def any, hasDefault bool, pos diag.Pos) (any, error)
	EnvVar        func(name string, def any, hasDefault bool, pos diag.Pos) (any, error)
	This          any
	IsIncremental bool
	// Globals are extra variables (for tests: model, column_name, ...).
	Globals map[string]any
	// OnMacro is told the name of each project macro the template calls.
	OnMacro func(name string)
}

// Error is a render failure at a position.
type Error struct {
	Pos diag.Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Render renders the template src of path with ctx and returns the output.
// Problems are returned as diagnostics at file:line:col.
func (e *Engine) Render(path, src string, ctx *Context) (string, diag.List) {
	src = rewriteTests(src)
	if !strings.Contains(src, "{") {
		return src, nil // nothing to render: plain SQL
	}
	if out, l, ok := e.renderFast(path, src, ctx); ok {
		return out, l
	}
	return e.renderGonja(path, src, ctx)
}

// renderGonja renders src with gonja.
func (e *Engine) renderGonja(path, src string, ctx *Context) (string, diag.List) {
	t, err := e.parse(path, src)
	if err != nil {
		return "", diag.List{e.toDiag(path, src, err)}
	}
	calls := scanCalls(path, src)
	var failures diag.List
	data := e.context(path, calls, ctx, &failures)
	out, err := t.ExecuteToString(data)
	if err != nil && len(failures) == 0 {
		failures.Add(e.toDiag(path, src, err))
	}
	if len(failures) > 0 {
		return "", failures
	}
	return out, nil
}

// CallMacro calls macro name with keyword arguments and returns its output.
func (e *Engine) CallMacro(path, name string, kwargs map[string]any, ctx *Context) (string, error) {
	var failures diag.List
	data := e.context(path, nil, ctx, &failures)
	fn, ok := data.Get(name)
	m, isMacro := fn.(exec.Macro)
	if !ok || !isMacro {
		return "", fmt.Errorf("macro %q is not defined", name)
	}
	va := exec.NewVarArgs()
	for k, v := range kwargs {
		va.KwArgs[k] = exec.AsValue(v)
	}
	out := m(va)
	if len(failures) > 0 {
		return "", &Error{Pos: failures[0].Pos, Msg: failures[0].Msg}
	}
	if out.IsError() {
		return "", fmt.Errorf("%s", cleanMsg(out.Error()))
	}
	return out.String(), nil
}

// context builds the gonja context: dbt's functions, the globals, and every
// project macro bound to this context so macros can call ref() and each
// other.
// A failing callback records its diagnostic and returns an empty value, so
// rendering goes on and every failure of the template is reported.
func (e *Engine) context(path string, calls *callIndex, c *Context, failures *diag.List) *exec.Context {
	fail := func(pos diag.Pos, err error) *exec.Value {
		msg := err.Error()
		if pe, ok := err.(*Error); ok {
			pos, msg = pe.Pos, pe.Msg
		}
		failures.Add(diag.Diagnostic{Pos: pos, Msg: msg})
		return exec.AsValue("")
	}
	at := func(fn string, args []string) diag.Pos { return calls.find(path, fn, args) }
	ctx := exec.EmptyContext().Update(gonja.DefaultContext)
	if c.Ref != nil {
		ctx.Set("ref", func(va *exec.VarArgs) *exec.Value {
			args, err := stringArgs("ref", va, 1, 2)
			pos := at("ref", args)
			if err != nil {
				return fail(pos, err)
			}
			v, err := c.Ref(args, pos)
			if err != nil {
				return fail(pos, err)
			}
			return exec.AsValue(v)
		})
	}
	if c.Source != nil {
		ctx.Set("source", func(va *exec.VarArgs) *exec.Value {
			args, err := stringArgs("source", va, 2, 2)
			pos := at("source", args)
			if err != nil {
				return fail(pos, err)
			}
			v, err := c.Source(args[0], args[1], pos)
			if err != nil {
				return fail(pos, err)
			}
			return exec.AsValue(v)
		})
	}
	if c.Config != nil {
		ctx.Set("config", func(va *exec.VarArgs) *exec.Value {
			pos := calls.next(path, "config")
			if len(va.Args) > 0 {
				return fail(pos, fmt.Errorf("config() takes keyword arguments only, such as config(materialized='table')"))
			}
			kw := map[string]any{}
			for k, v := range va.KwArgs {
				kw[k] = plain(v)
			}
			if err := c.Config(kw, pos); err != nil {
				return fail(pos, err)
			}
			return exec.AsValue("")
		})
	}
	varFn := func(name string, cb func(string, any, bool, diag.Pos) (any, error)) {
		if cb == nil {
			return
		}
		ctx.Set(name, func(va *exec.VarArgs) *exec.Value {
			if len(va.Args) < 1 || len(va.Args) > 2 || !va.Args[0].IsString() {
				return fail(at(name, nil), fmt.Errorf("%s() takes a name and an optional default, such as %s('raw_dir', 'data')", name, name))
			}
			key := va.Args[0].String()
			pos := at(name, []string{key})
			var def any
			if len(va.Args) == 2 {
				def = plain(va.Args[1])
			}
			v, err := cb(key, def, len(va.Args) == 2, pos)
			if err != nil {
				return fail(pos, err)
			}
			return exec.AsValue(v)
		})
	}
	varFn("var", c.Var)
	varFn("env_var", c.EnvVar)
	if c.This != nil {
		ctx.Set("this", c.This)
	}
	incremental := c.IsIncremental
	ctx.Set("is_incremental", func() bool { return incremental })
	for k, v := range c.Globals {
		ctx.Set(k, v)
	}
	for _, mt := range e.macros {
		env := &exec.Environment{
			Context:           ctx,
			Filters:           environment.Filters,
			Tests:             environment.Tests,
			ControlStructures: environment.ControlStructures,
			Methods:           environment.Methods,
		}
		r := exec.NewRenderer(env, io.Discard, e.cfg, oneFile{}, mt)
		for name, node := range mt.Macros() {
			fn, err := exec.MacroNodeToFunc(node, r)
			if err != nil {
				continue
			}
			name := name
			if c.OnMacro != nil {
				inner := fn
				fn = func(va *exec.VarArgs) *exec.Value {
					c.OnMacro(name)
					return inner(va)
				}
			}
			ctx.Set(name, fn)
		}
	}
	ctx.Set("self", nil)
	return ctx
}

// plain converts a template value to Go values: lists to []any, dicts to
// map[string]any, numbers to int or float64.
func plain(v *exec.Value) any {
	x := v.ToGoSimpleType(false)
	if err, ok := x.(error); ok {
		return err.Error()
	}
	return x
}

func stringArgs(fn string, va *exec.VarArgs, min, max int) ([]string, error) {
	if len(va.KwArgs) > 0 {
		for k, v := range va.KwArgs {
			if k == "v" || k == "version" {
				_ = v
				continue
			}
			return nil, fmt.Errorf("%s() takes no keyword argument %q", fn, k)
		}
	}
	if len(va.Args) < min || len(va.Args) > max {
		if min == max {
			return nil, fmt.Errorf("%s() takes %d arguments, got %d", fn, min, len(va.Args))
		}
		return nil, fmt.Errorf("%s() takes %d or %d arguments, got %d", fn, min, max, len(va.Args))
	}
	out := make([]string, len(va.Args))
	for i, a := range va.Args {
		if !a.IsString() {
			return nil, fmt.Errorf("%s() takes names as strings, got %s", fn, a.String())
		}
		out[i] = a.String()
	}
	return out, nil
}

// callIndex records where each call to ref, source, config, var and
// env_var is written, found with gonja's own lexer.
type callIndex struct {
	calls []call
	used  map[string]int // calls returned by next, per function
}

type call struct {
	fn   string
	args []string // literal string arguments, when all are literals
	pos  diag.Pos
}

var tracked = map[string]bool{"ref": true, "source": true, "config": true, "var": true, "env_var": true}

func scanCalls(path, src string) *callIndex {
	ix := &callIndex{}
	toks := tokens.LexAll(src, config.New())
	var list []*tokens.Token
	for !toks.End() {
		t := toks.Next()
		if t == nil {
			break
		}
		if t.Type == tokens.Whitespace {
			continue
		}
		list = append(list, t)
	}
	for i, t := range list {
		if t.Type != tokens.Name || !tracked[t.Val] || i+1 >= len(list) || list[i+1].Type != tokens.LeftParenthesis {
			continue
		}
		if i > 0 && list[i-1].Type == tokens.Dot {
			continue // a method such as adapter.config(...)
		}
		c := call{fn: t.Val, pos: diag.Pos{File: path, Line: t.Line, Col: t.Col}}
		for j := i + 2; j < len(list); j++ {
			if list[j].Type == tokens.String {
				c.args = append(c.args, list[j].Val)
			} else if list[j].Type != tokens.Comma {
				break
			}
		}
		ix.calls = append(ix.calls, c)
	}
	return ix
}

// next returns the position of the next call to fn not returned yet, in
// the order of the source (the order gonja evaluates a template without
// loops), or the start of the file.
func (ix *callIndex) next(path, fn string) diag.Pos {
	if ix == nil {
		return diag.Pos{File: path}
	}
	if ix.used == nil {
		ix.used = map[string]int{}
	}
	n := 0
	for _, c := range ix.calls {
		if c.fn != fn {
			continue
		}
		if n == ix.used[fn] {
			ix.used[fn]++
			return c.pos
		}
		n++
	}
	return ix.find(path, fn, nil)
}

// find returns the position of the call to fn with args: the next one
// not returned yet among the calls with the same literal arguments (the
// order gonja evaluates a template without loops), else the first of them,
// else the first call to fn, else the start of the file.
func (ix *callIndex) find(path, fn string, args []string) diag.Pos {
	if ix == nil {
		return diag.Pos{File: path}
	}
	if ix.used == nil {
		ix.used = map[string]int{}
	}
	key := fn + "\x00" + strings.Join(args, "\x00")
	var first, firstMatch *call
	n := 0
	for i := range ix.calls {
		c := &ix.calls[i]
		if c.fn != fn {
			continue
		}
		if first == nil {
			first = c
		}
		if len(args) > 0 && len(c.args) >= len(args) && equal(c.args[:len(args)], args) {
			if firstMatch == nil {
				firstMatch = c
			}
			if n == ix.used[key] {
				ix.used[key]++
				return c.pos
			}
			n++
		}
	}
	switch {
	case firstMatch != nil:
		return firstMatch.pos
	case first != nil:
		return first.pos
	}
	return diag.Pos{File: path, Line: 1, Col: 1}
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

var (
	lineColRE     = regexp.MustCompile(`\(Line: (\d+) Col: (\d+), near "(.*)"\)`)
	filterRE      = regexp.MustCompile(`Token\[Name\] Val='([^']*)' Pos=\d+ Line=(\d+) Col=(\d+)>[^:]*: filter '[^']*' not found`)
	atLineRE      = regexp.MustCompile(`(?i)unable to render expression at line (\d+): (?:call\(.*?\): )?`)
	controlRE     = regexp.MustCompile(`(?i)unable to parse controlStructure "(\w+)"`)
	notCallableRE = regexp.MustCompile(`^(\w+) is not callable`)
	wrapRE        = regexp.MustCompile(`(?:failed to parse template '(?s:.*?)': |unable to execute template: |failed to execute template: )`)
)

// toDiag maps a gonja error (a *parser.SyntaxError or a runtime error
// string) to a diagnostic at its position when gonja gives one.
func (e *Engine) toDiag(path, src string, err error) diag.Diagnostic {
	msg := err.Error()
	pos := diag.Pos{File: path}
	if m := filterRE.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[2])
		pos.Col, _ = strconv.Atoi(m[3])
		return diag.Diagnostic{Pos: pos, Msg: fmt.Sprintf("template error: unknown filter %q", m[1]),
			Hint: "see the Jinja filters gonja supports (upper, lower, replace, join, default, ...)"}
	}
	if m := controlRE.FindStringSubmatch(msg); m != nil && strings.Contains(msg, "Unexpected EOF") {
		// An unclosed block: point at the tag that opens it.
		if loc := regexp.MustCompile(`\{%-?\s*` + regexp.QuoteMeta(m[1]) + `\b`).FindStringIndex(src); loc != nil {
			pos.Line, pos.Col = diag.Offset(src, loc[0])
			msg = lineColRE.ReplaceAllString(msg, "")
			return diag.Diagnostic{Pos: pos, Msg: "template error: " + cleanMsg(msg), Hint: "close the block with {% end" + m[1] + " %}"}
		}
	}
	if m := lineColRE.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		pos.Col, _ = strconv.Atoi(m[2])
		msg = strings.Replace(msg, m[0], "", 1)
		if pos.Line == 0 {
			pos.Line, pos.Col = lexerErrorPos(src)
		}
	} else if m := atLineRE.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		msg = strings.Replace(msg, m[0], "", 1)
	} else if m := controlRE.FindStringSubmatch(msg); m != nil {
		if loc := regexp.MustCompile(`\{%-?\s*` + regexp.QuoteMeta(m[1]) + `\b`).FindStringIndex(src); loc != nil {
			pos.Line, pos.Col = diag.Offset(src, loc[0])
		}
	}
	msg = cleanMsg(msg)
	d := diag.Diagnostic{Pos: pos, Msg: "template error: " + msg}
	if m := notCallableRE.FindStringSubmatch(msg); m != nil {
		name := m[1]
		d.Msg = fmt.Sprintf("template error: %q is not a function or macro", name)
		known := append([]string{"ref", "source", "config", "var", "env_var", "is_incremental", "this"}, e.names...)
		if pos.Line > 0 {
			if i := strings.Index(strings.Split(src, "\n")[pos.Line-1], name+"("); i >= 0 {
				pos.Col = i + 1
				d.Pos = pos
			}
		}
		if h := diag.DidYouMean(name, known); h != "" {
			d.Hint = h
		} else {
			d.Hint = "define it in a macro file under the macro paths"
		}
	}
	return d
}

func cleanMsg(msg string) string {
	msg = wrapRE.ReplaceAllString(msg, "")
	msg = strings.TrimSpace(msg)
	if msg != "" {
		msg = strings.ToLower(msg[:1]) + msg[1:]
	}
	return strings.ReplaceAll(msg, "\n", " ")
}

// lexerErrorPos returns the position of the first error token gonja's lexer
// finds in src (an unclosed or stray delimiter), or 0, 0.
func lexerErrorPos(src string) (int, int) {
	toks := tokens.LexAll(src, config.New())
	var last *tokens.Token
	for !toks.End() {
		t := toks.Next()
		if t == nil {
			break
		}
		last = t
	}
	if t := toks.Current(); t != nil && t.Type == tokens.Error {
		if t.Line > 0 {
			return t.Line, t.Col
		}
		if t.Pos > 0 {
			return diag.Offset(src, t.Pos)
		}
	}
	if last != nil {
		// The error is right after the last good token.
		return diag.Offset(src, last.Pos+len(last.Val)+1)
	}
	return 0, 0
}

package template

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
)

// The fast path renders, without gonja, the templates most models are:
// SQL with {{ ref(...) }}, {{ source(...) }}, {{ var(...) }} and
// {{ config(...) }} expressions whose arguments are literals, and no block,
// comment or whitespace control. It gives the same output and positions as
// gonja (a differential test holds it to that) at a fraction of the cost,
// which is most of the compile time of a large project.

var (
	// fastCall is one expression block holding one call with literal
	// arguments: the function, then its argument list.
	fastCall = regexp.MustCompile(`^\{\{\s*(ref|source|var|config)\s*\(((?:\s*(?:[A-Za-z_][A-Za-z0-9_]*\s*=\s*)?(?:'[^'\\]*'|"[^"\\]*"|-?[0-9]+|True|False|true|false)\s*,?)*)\)\s*\}\}$`)
	fastArg  = regexp.MustCompile(`\s*(?:([A-Za-z_][A-Za-z0-9_]*)\s*=\s*)?('[^'\\]*'|"[^"\\]*"|-?[0-9]+|True|False|true|false)\s*,?`)
)

// renderFast renders src when it is within the fast path's reach; ok is
// false otherwise, and the caller uses gonja.
func (e *Engine) renderFast(path, src string, ctx *Context) (out string, l diag.List, ok bool) {
	if strings.Contains(src, "{%") || strings.Contains(src, "{#") {
		return "", nil, false
	}
	var b strings.Builder
	b.Grow(len(src))
	rest, off := src, 0
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if strings.Contains(rest, "}}") {
				return "", nil, false
			}
			b.WriteString(rest)
			break
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return "", nil, false
		}
		block := rest[i : i+j+2]
		m := fastCall.FindStringSubmatch(block)
		if m == nil {
			return "", nil, false
		}
		fn := m[1]
		nameOff := off + i + strings.Index(block, fn)
		line, col := diag.Offset(src, nameOff)
		pos := diag.Pos{File: path, Line: line, Col: col}
		var args []any
		kwargs := map[string]any{}
		for _, a := range fastArg.FindAllStringSubmatch(m[2], -1) {
			v := literal(a[2])
			if a[1] != "" {
				kwargs[a[1]] = v
			} else if len(kwargs) > 0 {
				return "", nil, false // a positional argument after a keyword one: let gonja say so
			} else {
				args = append(args, v)
			}
		}
		text, ok, failure := e.fastEval(fn, args, kwargs, pos, ctx)
		if !ok {
			return "", nil, false
		}
		if failure != nil {
			l.Add(*failure)
		}
		b.WriteString(rest[:i])
		b.WriteString(text)
		rest, off = rest[i+j+2:], off+i+j+2
	}
	if len(l) > 0 {
		return "", l, true
	}
	return b.String(), nil, true
}

// literal converts a literal argument to its value.
func literal(s string) any {
	switch s {
	case "True", "true":
		return true
	case "False", "false":
		return false
	}
	if s[0] == '\'' || s[0] == '"' {
		return s[1 : len(s)-1]
	}
	n, _ := strconv.Atoi(s)
	return n
}

// fastEval calls fn as the gonja context would; ok is false when the call
// needs gonja (an argument or a result gonja would print differently).
func (e *Engine) fastEval(fn string, args []any, kwargs map[string]any, pos diag.Pos, c *Context) (string, bool, *diag.Diagnostic) {
	fail := func(err error) (string, bool, *diag.Diagnostic) {
		msg := err.Error()
		if pe, ok := err.(*Error); ok {
			pos, msg = pe.Pos, pe.Msg
		}
		return "", true, &diag.Diagnostic{Pos: pos, Msg: msg}
	}
	strs := func(min, max int) ([]string, bool) {
		if len(kwargs) > 0 || len(args) < min || len(args) > max {
			return nil, false
		}
		out := make([]string, len(args))
		for i, a := range args {
			s, ok := a.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	switch fn {
	case "ref":
		a, ok := strs(1, 2)
		if !ok || c.Ref == nil {
			return "", false, nil
		}
		v, err := c.Ref(a, pos)
		if err != nil {
			return fail(err)
		}
		return printable(v)
	case "source":
		a, ok := strs(2, 2)
		if !ok || c.Source == nil {
			return "", false, nil
		}
		v, err := c.Source(a[0], a[1], pos)
		if err != nil {
			return fail(err)
		}
		return printable(v)
	case "var":
		if c.Var == nil || len(kwargs) > 0 || len(args) < 1 || len(args) > 2 {
			return "", false, nil
		}
		name, ok := args[0].(string)
		if !ok {
			return "", false, nil
		}
		var def any
		if len(args) == 2 {
			def = args[1]
		}
		v, err := c.Var(name, def, len(args) == 2, pos)
		if err != nil {
			return fail(err)
		}
		return printable(v)
	case "config":
		if c.Config == nil || len(args) > 0 {
			return "", false, nil
		}
		if err := c.Config(kwargs, pos); err != nil {
			return fail(err)
		}
		return "", true, nil
	}
	return "", false, nil
}

// printable returns how gonja prints v, for the values whose printing is
// plain; ok is false for the others (floats, lists, maps, booleans).
func printable(v any) (string, bool, *diag.Diagnostic) {
	switch x := v.(type) {
	case string:
		return x, true, nil
	case Relation:
		if x.OnAccess != nil {
			return x.Quoted, true, nil
		}
		return x.String(), true, nil
	case int:
		return strconv.Itoa(x), true, nil
	case int64:
		return strconv.FormatInt(x, 10), true, nil
	}
	return "", false, nil
}

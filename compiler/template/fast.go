package template

import (
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/jinja"
)

// The fast path renders, without parsing, the templates most models are:
// SQL with {{ ref(...) }}, {{ source(...) }}, {{ var(...) }} and
// {{ config(...) }} expressions whose arguments are literals, and no block,
// comment or whitespace control. It gives the same output, calls and
// positions as the Jinja engine (a differential test holds it to that) at
// a fraction of the cost, which is most of the compile time of a large
// project.

// scanCall reads block, one {{ ... }} expression, when it holds one call
// of ref, source, var or config with literal arguments (quoted strings
// without backslashes, whole numbers, True, False, true, false), each
// positional or name=value, separated by optional commas: the function
// and the arguments (name "" for a positional one). It accepts exactly
// what the regular expression
//
//	^\{\{\s*(ref|source|var|config)\s*\(((?:\s*(?:[A-Za-z_][A-Za-z0-9_]*\s*=\s*)?(?:'[^'\\]*'|"[^"\\]*"|-?[0-9]+|True|False|true|false)\s*,?)*)\)\s*\}\}$
//
// accepts, with the arguments its second group splits into (fast_test.go
// holds the two to each other); matching those two expressions was half
// of the fast path's time.
func scanCall(block string) (fn string, args []fastArg, ok bool) {
	if !strings.HasPrefix(block, "{{") {
		return "", nil, false
	}
	p := skipSpace(block, 2)
	for _, name := range [...]string{"ref", "source", "var", "config"} {
		if strings.HasPrefix(block[p:], name) {
			if q := skipSpace(block, p+len(name)); q < len(block) && block[q] == '(' {
				fn, p = name, q+1
			}
			break
		}
	}
	if fn == "" {
		return "", nil, false
	}
	for {
		j := skipSpace(block, p)
		k, name := j, ""
		if n := identLen(block[j:]); n > 0 {
			if e := skipSpace(block, j+n); e < len(block) && block[e] == '=' {
				k, name = skipSpace(block, e+1), block[j:j+n]
			}
		}
		n := literalLen(block[k:])
		if n == 0 {
			if name != "" {
				return "", nil, false // name= without a literal
			}
			break // no argument at j: the list ends at p
		}
		args = append(args, fastArg{name: name, lit: block[k : k+n], key: j, val: k})
		p = skipSpace(block, k+n)
		if p < len(block) && block[p] == ',' {
			p++
		}
	}
	if p >= len(block) || block[p] != ')' {
		return "", nil, false
	}
	if block[skipSpace(block, p+1):] != "}}" {
		return "", nil, false
	}
	return fn, args, true
}

// fastArg is one argument of a call on the fast path: its name when
// given as name=value, and its literal as written; key and val are the
// offsets in the block of the name and of the literal.
type fastArg struct {
	name, lit string
	key, val  int
}

// skipSpace returns the offset of the first byte of s from i that is not
// a space as \s means in Go's regular expressions ([\t\n\f\r ]).
func skipSpace(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\f', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// identLen is the length of the identifier ([A-Za-z_][A-Za-z0-9_]*) s
// starts with, 0 for none.
func identLen(s string) int {
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || (i > 0 && '0' <= c && c <= '9') {
			i++
			continue
		}
		break
	}
	return i
}

// literalLen is the length of the literal s starts with ('...' or "..."
// without a backslash, -?[0-9]+, True, False, true, false), 0 for none.
func literalLen(s string) int {
	if s == "" {
		return 0
	}
	switch c := s[0]; {
	case c == '\'' || c == '"':
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case c:
				return i + 1
			case '\\':
				return 0
			}
		}
		return 0
	case c == '-' || ('0' <= c && c <= '9'):
		i := 0
		if c == '-' {
			i = 1
		}
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == start {
			return 0
		}
		return i
	}
	for _, w := range [...]string{"True", "False", "true", "false"} {
		if strings.HasPrefix(s, w) {
			return len(w)
		}
	}
	return 0
}

// fastBlock is one {{ call(...) }} of a template on the fast path.
type fastBlock struct {
	start, end int // byte offsets of the block in src
	fn         string
	args       []any
	kwargs     map[string]any
	at         map[string]ArgPos // where each keyword argument is written
	pos        diag.Pos          // of the function's name
}

// renderFast renders src when it is within the fast path's reach; ok is
// false otherwise, and the caller uses the Jinja engine. It decides before
// calling ref, source or config, which record dependencies and merge
// configs, so that the engine's rendering after a refusal does not record
// them twice; var is called first (reading a var twice has no effect).
func (e *Engine) renderFast(path, src string, ctx *Context) (out string, l diag.List, ok bool) {
	blocks, ok := parseFast(path, src, ctx)
	if !ok {
		return "", nil, false
	}
	for _, bl := range blocks {
		if e.overrides[bl.fn] != nil {
			return "", nil, false // the project's own ref or source: the engine calls it
		}
	}
	texts := make([]string, len(blocks))
	failures := make([]*diag.Diagnostic, len(blocks))
	for _, vars := range []bool{true, false} {
		for i, bl := range blocks {
			if (bl.fn == "var") != vars {
				continue
			}
			text, ok, failure := e.fastEval(bl, ctx)
			if !ok {
				return "", nil, false // only var gets here: nothing else ran yet
			}
			texts[i], failures[i] = text, failure
		}
	}
	var b strings.Builder
	b.Grow(len(src))
	last := 0
	for i, bl := range blocks {
		if failures[i] != nil {
			l.Add(*failures[i])
		}
		b.WriteString(src[last:bl.start])
		b.WriteString(texts[i])
		last = bl.end
	}
	if len(l) > 0 {
		return "", l, true
	}
	b.WriteString(src[last:])
	return b.String(), nil, true
}

// parseFast splits src into its expression blocks; ok is false when src
// is not within the fast path's reach (a statement or comment block, an
// expression other than one call with literal arguments, arguments the
// call does not take literally).
func parseFast(path, src string, ctx *Context) ([]fastBlock, bool) {
	if strings.Contains(src, "{%") || strings.Contains(src, "{#") {
		return nil, false
	}
	var blocks []fastBlock
	off := 0
	for {
		rest := src[off:]
		i := strings.Index(rest, "{{")
		if i < 0 {
			return blocks, !strings.Contains(rest, "}}")
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return nil, false
		}
		block := rest[i : i+j+2]
		fn, args, ok := scanCall(block)
		if !ok {
			return nil, false
		}
		bl := fastBlock{start: off + i, end: off + i + j + 2, fn: fn}
		line, col := diag.Offset(src, off+i+strings.Index(block, bl.fn))
		bl.pos = diag.Pos{File: path, Line: line, Col: col}
		for _, a := range args {
			v := literal(a.lit)
			if a.name != "" {
				if bl.kwargs == nil {
					bl.kwargs = map[string]any{}
				}
				bl.kwargs[a.name] = v
				if bl.fn == "config" {
					if bl.at == nil {
						bl.at = map[string]ArgPos{}
					}
					kl, kc := diag.Offset(src, off+i+a.key)
					vl, vc := diag.Offset(src, off+i+a.val)
					bl.at[a.name] = ArgPos{Key: diag.Pos{File: path, Line: kl, Col: kc}, Value: diag.Pos{File: path, Line: vl, Col: vc}}
				}
			} else if len(bl.kwargs) > 0 {
				return nil, false // a positional argument after a keyword one: let the engine say so
			} else {
				bl.args = append(bl.args, v)
			}
		}
		if bl.kwargs == nil && bl.fn == "config" {
			bl.kwargs = map[string]any{} // config() gets a map, as from the engine
		}
		if !fastTakes(bl, ctx) {
			return nil, false
		}
		blocks = append(blocks, bl)
		off = bl.end
	}
}

// fastTakes reports whether the fast path can call bl's function with its
// arguments as the engine would.
func fastTakes(bl fastBlock, c *Context) bool {
	strs := func(min, max int) bool {
		if len(bl.kwargs) > 0 || len(bl.args) < min || len(bl.args) > max {
			return false
		}
		for _, a := range bl.args {
			if _, ok := a.(string); !ok {
				return false
			}
		}
		return true
	}
	switch bl.fn {
	case "ref":
		return c.Ref != nil && strs(1, 2)
	case "source":
		return c.Source != nil && strs(2, 2)
	case "var":
		if c.Var == nil || len(bl.kwargs) > 0 || len(bl.args) < 1 || len(bl.args) > 2 {
			return false
		}
		_, ok := bl.args[0].(string)
		return ok
	case "config":
		return c.Config != nil && len(bl.args) == 0
	}
	return false
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

// fastEval calls bl's function, whose arguments fastTakes accepted, as
// the engine's context would, and returns the text the engine prints.
func (e *Engine) fastEval(bl fastBlock, c *Context) (string, bool, *diag.Diagnostic) {
	fn, args, kwargs, pos := bl.fn, bl.args, bl.kwargs, bl.pos
	fail := func(err error) (string, bool, *diag.Diagnostic) {
		msg := err.Error()
		if pe, ok := err.(*Error); ok {
			pos, msg = pe.Pos, pe.Msg
		}
		return "", true, &diag.Diagnostic{Pos: pos, Msg: msg}
	}
	strs := func() []string {
		out := make([]string, len(args))
		for i, a := range args {
			out[i] = a.(string)
		}
		return out
	}
	var v any
	var err error
	switch fn {
	case "ref":
		v, err = c.Ref(strs(), "", pos)
	case "source":
		a := strs()
		v, err = c.Source(a[0], a[1], pos)
	case "var":
		var def any
		if len(args) == 2 {
			def = args[1]
		}
		v, err = c.Var(args[0].(string), def, len(args) == 2, pos)
		if s, ok := v.(string); ok && err == nil && HasJinja(s) {
			return "", false, nil // a value to render (varrender.go): the engine's path
		}
	case "config":
		if err := c.Config(kwargs, pos, bl.at); err != nil {
			return fail(err)
		}
		return "", true, nil
	default:
		return "", false, nil
	}
	if err != nil {
		return fail(err)
	}
	return printable(v), true, nil
}

// printable returns how the engine prints v (Python's str()).
func printable(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case Relation:
		return x.Quoted
	}
	return jinja.Str(jinja.FromGo(v))
}

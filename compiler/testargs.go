package compiler

import (
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/jinja"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/template"
)

// looksLikeFunc is dbt's test for an argument written as a call without
// braces (to: ref('customers')), which it renders as {{ ref('customers') }}
// (add_rendered_test_kwargs in dbt-core's clients/jinja.py).
var looksLikeFunc = regexp.MustCompile(`^\s*(env_var|ref|var|source|doc)\s*\(.+\)\s*$`)

// argCtx returns the test's context for rendering one argument, recording
// the nodes its ref() and source() calls name in deps.
type argCtx func(deps *[]graph.ID) *template.Context

// renderTestArgs renders the arguments of generic test te, written in
// file, as dbt renders a test's keyword arguments when it compiles the
// test: every string, in lists and mappings too, is rendered with dbt's
// native renderer in the test's context (ctx), so that a value that is
// one {{ }} expression keeps its type ("{{ var('statuses') }}" is the
// var's list, "{{ ref('customers') }}" a relation) and any other text
// stays text. It returns the values for the test's macro (template
// values: lists, relations), the nodes they read, and the errors, each at
// its value's file:line:col.
func (c *compiler) renderTestArgs(pkg, file string, te *project.TestEntry, ctx argCtx) (map[string]any, []graph.ID, diag.List) {
	out := make(map[string]any, len(te.Args))
	var all []graph.ID
	var errs diag.List
	keys := make([]string, 0, len(te.Args))
	for k := range te.Args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "column_name" {
			out[k] = te.Args[k] // dbt passes a column name as written
			continue
		}
		r := argRenderer{c: c, pkg: pkg, file: file, ctx: ctx}
		out[k] = r.value(te.Args[k], te.ArgNode(k), te.ArgAt[k].Pos(file))
		all = append(all, r.deps...)
		errs = append(errs, r.errs...)
	}
	return out, all, errs
}

// argRenderer renders one argument's value.
type argRenderer struct {
	c    *compiler
	pkg  string // the test's package: its ref and source overrides apply
	file string
	ctx  argCtx
	deps []graph.ID
	errs diag.List
}

// value renders v, written at node n (nil when unknown) or else at pos.
func (r *argRenderer) value(v any, n *yaml.Node, pos diag.Pos) any {
	if n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n != nil {
		pos = diag.Pos{File: r.file, Line: n.Line, Col: n.Column}
	}
	switch x := v.(type) {
	case string:
		return r.render(x, n, pos)
	case []any:
		items := make([]any, len(x))
		for i, e := range x {
			var en *yaml.Node
			if n != nil && n.Kind == yaml.SequenceNode && i < len(n.Content) {
				en = n.Content[i]
			}
			items[i] = r.value(e, en, pos)
		}
		return jinja.NewList(items...)
	case map[string]any:
		d := jinja.NewDict()
		for _, k := range sortedKeys(x) {
			_ = d.Set(k, r.value(x[k], mapValue(n, k), pos))
		}
		return d
	}
	return v
}

// render renders the string s as dbt's native renderer does.
func (r *argRenderer) render(s string, n *yaml.Node, pos diag.Pos) any {
	src := s
	if looksLikeFunc.MatchString(s) {
		src = "{{ " + s + " }}"
	} else if !strings.Contains(s, "{{") && !strings.Contains(s, "{%") && !strings.Contains(s, "{#") {
		// No Jinja: native rendering gives the text back, without the
		// one trailing newline Jinja2 drops.
		for _, nl := range []string{"\r\n", "\n", "\r"} {
			if strings.HasSuffix(s, nl) {
				return s[:len(s)-len(nl)]
			}
		}
		return s
	}
	var deps []graph.ID
	v, l := r.c.engine.RenderNativeIn(r.pkg, r.file, src, r.ctx(&deps))
	if len(l) > 0 {
		for i := range l {
			l[i].Pos = valuePos(pos, n, l[i].Pos, src != s)
			l[i].Msg = strings.TrimPrefix(l[i].Msg, "template error: ")
			if l[i].Hint == "" {
				l[i].Hint = "a generic test's arguments are rendered as dbt renders them, with ref, source, var, env_var, target and the project's macros"
			}
		}
		r.errs = append(r.errs, l...)
		return nil
	}
	r.deps = append(r.deps, deps...)
	// A relation the argument names is given as the test's model is:
	// with its database, or as an ephemeral model's CTE.
	if rel, ok := v.(template.Relation); ok && len(deps) == 1 {
		if full, ok := r.c.relationValue(deps[0], rel.Quoted); ok {
			v = full
		}
	}
	return v
}

// valuePos moves a position inside a rendered value (line 1 is the
// value's first line) to the file, the value being scalar n at pos;
// wrapped is true when the value was wrapped in {{ }} to render. In a
// block scalar (| or >) the line is the file's and the column the one
// in the value's text: the node does not say the block's indentation.
func valuePos(pos diag.Pos, n *yaml.Node, in diag.Pos, wrapped bool) diag.Pos {
	if n == nil || in.Line == 0 {
		return pos
	}
	if in.Line > 1 {
		if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			return diag.Pos{File: pos.File, Line: pos.Line + in.Line, Col: in.Col}
		}
		return diag.Pos{File: pos.File, Line: pos.Line + in.Line - 1, Col: in.Col}
	}
	col := in.Col
	if wrapped {
		col -= len("{{ ")
		if col < 1 {
			col = 1
		}
	}
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return diag.Pos{File: pos.File, Line: pos.Line + 1, Col: col}
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		col++
	}
	pos.Col += col - 1
	return pos
}

// mapValue returns the value node of key k in mapping n, nil if none.
func mapValue(n *yaml.Node, k string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == k {
			return n.Content[i+1]
		}
	}
	return nil
}

// plainArgs returns rendered arguments as plain Go for the node
// (graph.TestInfo.Args): lists as []any, mappings as map[string]any,
// relations as their SQL text.
func plainArgs(args map[string]any) map[string]any {
	out := make(map[string]any, len(args))
	for k, v := range args {
		out[k] = plainArg(jinja.Plain(v))
	}
	return out
}

func plainArg(v any) any {
	switch x := v.(type) {
	case []any:
		for i := range x {
			x[i] = plainArg(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = plainArg(x[k])
		}
	case template.Relation:
		return x.String()
	}
	return v
}

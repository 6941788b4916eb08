package jinja

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
)

// Template is a parsed template. It is immutable and safe for concurrent
// renders.
type Template struct {
	// Path is the project-relative file name used in diagnostics.
	Path string
	// Package names the dbt package the template belongs to ("" for the
	// root project). Names the template does not define are resolved by
	// Globals.Lookup with it, so that a package's macros see their own
	// package's macros first.
	Package string
	// Macros are the macros defined at the template's top level, in
	// order: {% macro %}, and dbt's {% test %} (named "test_<name>"),
	// {% materialization %} ("materialization_<name>_<adapter>") and
	// {% docs %} ("docs_<name>").
	Macros []*MacroDef

	src   string
	lines []int // byte offset of each line's start
	body  []Stmt
}

// Source returns the template's text.
func (t *Template) Source() string { return t.src }

// Position converts a byte offset of the template's source to a
// file:line:col position; Col counts bytes, as diag.Pos does.
func (t *Template) Position(off int) diag.Pos {
	if t == nil {
		return diag.Pos{}
	}
	line := sort.Search(len(t.lines), func(i int) bool { return t.lines[i] > off }) - 1
	if line < 0 {
		line = 0
	}
	return diag.Pos{File: t.Path, Line: line + 1, Col: off - t.lines[line] + 1}
}

// syntaxError is a parse error at a byte offset; the parser panics with it
// and recovers at the end of the tag.
type syntaxError struct {
	p    int
	msg  string
	hint string
}

// errAbort stops a parse that cannot go on (nesting past maxNesting).
var errAbort = &syntaxError{msg: "abort"}

// maxNesting bounds the nesting of expressions and blocks, so that a
// hostile template cannot exhaust the stack.
const maxNesting = 400

type parser struct {
	toks   []token
	i      int
	t      *Template
	errs   []*syntaxError
	depth  int
	macros []*MacroDef    // the macros being parsed, innermost last
	blocks []openBlock    // the blocks being parsed, innermost last
	open   map[string]int // end tags of the open blocks, counted
	loops  int            // for loops open in the current macro
	eof    bool           // end of template reached while a block was open
	opts   parseOptions
}

// openBlock is a block tag whose end has not been reached yet.
type openBlock struct {
	kw   string
	open int
	ends []string
}

type parseOptions struct {
	keepTrailingNewline bool
}

// parse parses src as the template at path.
func parse(path, src string, opts parseOptions) (*Template, diag.List) {
	t := &Template{Path: path, src: src, lines: lineStarts(src)}
	text := src
	if !opts.keepTrailingNewline {
		// Jinja2 drops one trailing newline unless keep_trailing_newline.
		if strings.HasSuffix(text, "\r\n") {
			text = text[:len(text)-2]
		} else if strings.HasSuffix(text, "\n") || strings.HasSuffix(text, "\r") {
			text = text[:len(text)-1]
		}
	}
	p := &parser{toks: lex(text), t: t, opts: opts, open: map[string]int{}}
	func() {
		defer func() {
			if r := recover(); r != nil && r != errAbort {
				panic(r)
			}
		}()
		t.body = p.subparse(nil)
	}()
	if len(p.errs) == 0 {
		return t, nil
	}
	var l diag.List
	for _, e := range p.errs {
		d := diag.Diagnostic{Pos: t.Position(e.p), Msg: "template error: " + e.msg, Hint: e.hint}
		l.Add(d)
	}
	return t, l
}

func lineStarts(src string) []int {
	lines := make([]int, 1, 1+strings.Count(src, "\n"))
	for i := 0; ; {
		j := strings.IndexByte(src[i:], '\n')
		if j < 0 {
			return lines
		}
		i += j + 1
		lines = append(lines, i)
	}
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) look() token {
	if p.i+1 < len(p.toks) {
		return p.toks[p.i+1]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) fail(pos int, hint, format string, args ...any) {
	panic(&syntaxError{p: pos, msg: fmt.Sprintf(format, args...), hint: hint})
}

// failTok reports an unexpected token, or the lexical error it is.
func (p *parser) failTok(t token, expected string) {
	switch t.kind {
	case tErr:
		p.fail(t.pos, "", "%s", t.val)
	case tVarEnd, tBlockEnd, tEOF:
		p.fail(t.pos, "", "expected %s, found %s", expected, t)
	}
	p.fail(t.pos, "", "unexpected %s, expected %s", t, expected)
}

func (p *parser) isOp(op string) bool {
	t := p.toks[p.i]
	return t.kind == tOp && t.val == op
}

func (p *parser) isName(name string) bool {
	t := p.toks[p.i]
	return t.kind == tName && t.val == name
}

func (p *parser) skipOp(op string) bool {
	if p.isOp(op) {
		p.i++
		return true
	}
	return false
}

func (p *parser) skipName(name string) bool {
	if p.isName(name) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectOp(op string) token {
	if !p.isOp(op) {
		p.failTok(p.peek(), fmt.Sprintf("%q", op))
	}
	return p.next()
}

func (p *parser) expectName() token {
	if p.peek().kind != tName {
		p.failTok(p.peek(), "a name")
	}
	return p.next()
}

// expectBlockEnd expects the end of a statement tag ("%}"), allowing a
// colon before it as Jinja2 does.
func (p *parser) expectBlockEnd() {
	p.skipOp(":")
	if p.peek().kind != tBlockEnd {
		t := p.peek()
		if t.kind == tErr {
			p.fail(t.pos, "", "%s", t.val)
		}
		p.fail(t.pos, "", "unexpected %s, expected the end of the tag \"%%}\"", t)
	}
	p.next()
}

// guard runs fn, which parses one tag's content; a syntax error is
// recorded, the rest of the tag is skipped, and guard returns false.
func (p *parser) guard(fn func()) (ok bool) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		se, isSyntax := r.(*syntaxError)
		if !isSyntax || se == errAbort {
			panic(r)
		}
		p.errs = append(p.errs, se)
		p.skipTag()
		ok = false
	}()
	fn()
	return true
}

// skipTag skips to just after the end of the current tag.
func (p *parser) skipTag() {
	for {
		t := p.peek()
		switch t.kind {
		case tEOF:
			return
		case tVarEnd, tBlockEnd:
			p.next()
			return
		case tText, tVarBegin, tBlockBegin:
			return // the tag was never closed; its error is recorded
		}
		p.next()
	}
}

func (p *parser) enter(pos int) {
	p.depth++
	if p.depth > maxNesting {
		p.errs = append(p.errs, &syntaxError{p: pos, msg: fmt.Sprintf("the template nests more than %d levels deep", maxNesting),
			hint: "split the template into smaller macros"})
		panic(errAbort)
	}
}

func (p *parser) leave() { p.depth-- }

// blockTags are the tags that open a block, with the tag that closes it.
var blockTags = map[string]string{
	"for": "endfor", "if": "endif", "macro": "endmacro", "call": "endcall",
	"filter": "endfilter", "with": "endwith", "test": "endtest",
	"materialization": "endmaterialization", "docs": "enddocs", "set": "endset",
}

// unsupportedTags are Jinja2 tags dbt projects do not use with kiln.
var unsupportedTags = map[string]string{
	"include":    "kiln's macros are global: call them without include or import",
	"import":     "kiln's macros are global: call them without include or import",
	"from":       "kiln's macros are global: call them without include or import",
	"extends":    "template inheritance is not supported; use macros",
	"block":      "template inheritance is not supported; use macros",
	"autoescape": "autoescaping is off, as in dbt; remove the autoescape block",
	"print":      "write {{ value }} instead",
}

// subparse parses statements until one of the end tags (left unconsumed)
// or the end of the template.
func (p *parser) subparse(ends []string) []Stmt {
	var body []Stmt
	for {
		t := p.peek()
		switch t.kind {
		case tEOF:
			return body
		case tText:
			p.next()
			body = append(body, &textStmt{p: t.pos, s: t.val})
		case tVarBegin:
			p.next()
			var x Expr
			if p.guard(func() {
				x = p.parseTuple(false, true, nil, false)
				if p.peek().kind != tVarEnd {
					t := p.peek()
					if t.kind == tErr {
						p.fail(t.pos, "", "%s", t.val)
					}
					p.fail(t.pos, "", "unexpected %s, expected the end of the expression \"}}\"", t)
				}
				p.next()
			}) {
				body = append(body, &outputStmt{p: x.pos(), x: x})
			}
		case tBlockBegin:
			name := p.look()
			if name.kind == tName {
				for _, e := range ends {
					if name.val == e {
						return body
					}
				}
				if len(ends) > 0 && p.closesOuter(name.val) {
					return body
				}
			}
			if s := p.statement(ends); s != nil {
				body = append(body, s)
			}
		case tErr:
			p.next()
			p.errs = append(p.errs, &syntaxError{p: t.pos, msg: t.val})
		default:
			// A stray token outside a tag cannot happen: the lexer emits
			// them only inside tags.
			p.next()
		}
		if p.eof {
			return body
		}
	}
}

// statement parses one {% tag %} and, for a block, its body and end tag.
func (p *parser) statement(ends []string) Stmt {
	open := p.next() // {%
	kw := p.peek()
	if kw.kind != tName {
		p.guard(func() { p.failTok(kw, "a tag name such as if, for, set or macro") })
		return nil
	}
	p.enter(kw.pos)
	defer p.leave()
	switch kw.val {
	case "if":
		return p.parseIf(open)
	case "for":
		return p.parseFor(open)
	case "set":
		return p.parseSet(open)
	case "macro", "test", "materialization", "docs":
		return p.parseMacro(open, kw.val)
	case "call":
		return p.parseCallBlock(open)
	case "filter":
		return p.parseFilterBlock(open)
	case "with":
		return p.parseWith(open)
	case "do":
		var s *doStmt
		if p.guard(func() {
			p.next()
			s = &doStmt{p: open.pos, x: p.parseTuple(false, true, nil, false)}
			p.expectBlockEnd()
		}) {
			return s
		}
		return nil
	case "break", "continue":
		p.guard(func() {
			p.next()
			if p.loops == 0 {
				p.fail(kw.pos, "use it inside a {% for %} loop", "%q outside a loop", kw.val)
			}
			p.expectBlockEnd()
		})
		if kw.val == "break" {
			return &breakStmt{p: open.pos}
		}
		return &continueStmt{p: open.pos}
	}
	if hint, ok := unsupportedTags[kw.val]; ok {
		p.guard(func() { p.fail(kw.pos, hint, "the {%% %s %%} tag is not supported", kw.val) })
		if kw.val == "block" || kw.val == "autoescape" {
			p.subparse([]string{"end" + kw.val})
			p.endTag("end" + kw.val)
		}
		return nil
	}
	if strings.HasPrefix(kw.val, "end") || kw.val == "else" || kw.val == "elif" {
		hint := ""
		if n := len(p.blocks); n > 0 {
			b := p.blocks[n-1]
			hint = fmt.Sprintf("the %q block opened at %s ends with {%% %s %%}", b.kw, p.t.Position(b.open), b.ends[len(b.ends)-1])
		}
		p.guard(func() {
			if len(ends) == 0 {
				p.fail(kw.pos, "remove it, or open the block it closes", "unexpected {%% %s %%}: no block is open", kw.val)
			}
			p.fail(kw.pos, hint, "unexpected {%% %s %%}", kw.val)
		})
		return nil
	}
	p.guard(func() {
		p.fail(kw.pos, "kiln knows the tags if, for, set, macro, call, filter, with, do, raw, test, docs and materialization", "unknown tag %q", kw.val)
	})
	return nil
}

// body parses the statements of a block opened at open by the tag kw
// until one of ends. At the end of the template, or at the end tag of an
// enclosing block, it reports the block as never closed.
func (p *parser) body(open token, kw string, ends ...string) []Stmt {
	p.blocks = append(p.blocks, openBlock{kw: kw, open: open.pos, ends: ends})
	for _, e := range ends {
		p.open[e]++
	}
	b := p.subparse(ends)
	for _, e := range ends {
		p.open[e]--
	}
	p.blocks = p.blocks[:len(p.blocks)-1]
	if p.eof {
		return b
	}
	end := ends[len(ends)-1]
	switch t := p.peek(); {
	case t.kind == tEOF:
		p.eof = true
		p.errs = append(p.errs, &syntaxError{p: open.pos, msg: fmt.Sprintf("the %q block is never closed", kw),
			hint: fmt.Sprintf("close it with {%% %s %%}", end)})
	case !p.atOneOf(ends):
		// subparse stopped at the end tag of an enclosing block.
		p.errs = append(p.errs, &syntaxError{p: open.pos, msg: fmt.Sprintf("the %q block is never closed", kw),
			hint: fmt.Sprintf("close it with {%% %s %%} before {%% %s %%} at %s", end, p.look().val, p.t.Position(p.peek().pos))})
	}
	return b
}

// atOneOf reports whether the current token opens one of the tags names.
func (p *parser) atOneOf(names []string) bool {
	for _, n := range names {
		if p.atTag(n) {
			return true
		}
	}
	return false
}

// closesOuter reports whether tag name ends a block enclosing the
// innermost one.
func (p *parser) closesOuter(name string) bool {
	n := p.open[name]
	if len(p.blocks) > 0 {
		for _, e := range p.blocks[len(p.blocks)-1].ends {
			if e == name {
				n--
			}
		}
	}
	return n > 0
}

// endTag consumes {% name %} at the current position, if there.
func (p *parser) endTag(name string) {
	if p.eof || p.peek().kind != tBlockBegin || p.look().val != name {
		return
	}
	p.next()
	p.guard(func() {
		p.next()
		p.expectBlockEnd()
	})
}

// atTag reports whether the current token opens {% name ... %}.
func (p *parser) atTag(name string) bool {
	return !p.eof && p.peek().kind == tBlockBegin && p.look().kind == tName && p.look().val == name
}

func (p *parser) parseIf(open token) Stmt {
	s := &ifStmt{p: open.pos}
	ok := p.guard(func() {
		p.next()
		s.conds = append(s.conds, p.parseTuple(false, false, nil, false))
		p.expectBlockEnd()
	})
	if !ok {
		s.conds = append(s.conds, nil)
	}
	s.bodies = append(s.bodies, p.body(open, "if", "elif", "else", "endif"))
	for p.atTag("elif") {
		p.next()
		var c Expr
		if !p.guard(func() {
			p.next()
			c = p.parseTuple(false, false, nil, false)
			p.expectBlockEnd()
		}) {
			ok = false
		}
		s.conds = append(s.conds, c)
		s.bodies = append(s.bodies, p.body(open, "if", "elif", "else", "endif"))
	}
	if p.atTag("else") {
		p.next()
		if !p.guard(func() { p.next(); p.expectBlockEnd() }) {
			ok = false
		}
		s.els = p.body(open, "if", "endif")
	}
	p.endTag("endif")
	if !ok {
		return nil
	}
	return s
}

func (p *parser) parseFor(open token) Stmt {
	s := &forStmt{p: open.pos}
	ok := p.guard(func() {
		p.next()
		s.target = p.parseAssignTarget(true, false, []string{"in"})
		if !p.skipName("in") {
			p.failTok(p.peek(), `"in"`)
		}
		s.iter = p.parseTuple(false, false, []string{"recursive"}, false)
		if p.skipName("if") {
			s.filter = p.parseExpression(true)
		}
		s.recursive = p.skipName("recursive")
		p.expectBlockEnd()
	})
	p.loops++
	s.body = p.body(open, "for", "else", "endfor")
	p.loops--
	if p.atTag("else") {
		p.next()
		if !p.guard(func() { p.next(); p.expectBlockEnd() }) {
			ok = false
		}
		s.els = p.body(open, "for", "endfor")
	}
	p.endTag("endfor")
	if !ok {
		return nil
	}
	return s
}

func (p *parser) parseSet(open token) Stmt {
	var tg target
	block := false
	var val Expr
	var filters []*filterExpr
	ok := p.guard(func() {
		p.next()
		tg = p.parseAssignTarget(true, true, nil)
		if p.skipOp("=") {
			val = p.parseTuple(false, true, nil, false)
			p.expectBlockEnd()
			return
		}
		block = true
		if tg.tuple {
			p.fail(tg.p, `write {% set name = value %}`, "a {%% set %%} block assigns to one name")
		}
		filters = p.parseFilterChain(true)
		p.expectBlockEnd()
	})
	if !block {
		if !ok {
			return nil
		}
		return &setStmt{p: open.pos, target: tg, x: val}
	}
	body := p.body(open, "set", "endset")
	p.endTag("endset")
	if !ok {
		return nil
	}
	return &setBlockStmt{p: open.pos, target: tg, filters: filters, body: body}
}

func (p *parser) parseMacro(open token, kind string) Stmt {
	def := &MacroDef{Tmpl: p.t}
	ok := p.guard(func() {
		p.next()
		name := p.expectName()
		def.Pos = name.pos
		switch kind {
		case "macro":
			def.Name = name.val
			def.Params = p.parseSignature()
		case "test":
			def.Name = "test_" + name.val
			def.Params = p.parseSignature()
		case "docs":
			def.Name = "docs_" + name.val
		case "materialization":
			adapter := "default"
			for p.skipOp(",") {
				arg := p.expectName()
				switch arg.val {
				case "default":
				case "adapter":
					p.expectOp("=")
					a := p.peek()
					if a.kind != tString {
						p.failTok(a, "the adapter's name as a string")
					}
					p.next()
					adapter = a.val
				case "supported_languages":
					p.expectOp("=")
					def.Params = append(def.Params, param{p: arg.pos, name: arg.val, def: p.parseExpression(true)})
				default:
					p.fail(arg.pos, "", "unknown materialization argument %q", arg.val)
				}
			}
			def.Name = "materialization_" + name.val + "_" + adapter
		}
		p.expectBlockEnd()
	})
	p.macros = append(p.macros, def)
	loops := p.loops
	p.loops = 0
	def.Body = p.body(open, kind, "end"+kind)
	p.loops = loops
	p.macros = p.macros[:len(p.macros)-1]
	p.endTag("end" + kind)
	if !ok {
		return nil
	}
	if len(p.macros) == 0 && p.depth == 1 {
		p.t.Macros = append(p.t.Macros, def)
	}
	return &macroStmt{p: open.pos, def: def, kind: kind}
}

// parseSignature parses a macro's parameter list: (a, b=1, ...).
func (p *parser) parseSignature() []param {
	var params []param
	p.expectOp("(")
	for !p.isOp(")") {
		if len(params) > 0 {
			p.expectOp(",") // no trailing comma, as in Jinja2
		}
		n := p.expectName()
		pr := param{p: n.pos, name: n.val}
		if p.skipOp("=") {
			pr.def = p.parseExpression(true)
		} else if len(params) > 0 && params[len(params)-1].def != nil {
			p.fail(n.pos, "give it a default, or move it before the parameters with defaults", "parameter %q without a default follows a parameter with one", n.val)
		}
		for _, q := range params {
			if q.name == n.val {
				p.fail(n.pos, "", "duplicate parameter %q", n.val)
			}
		}
		params = append(params, pr)
	}
	p.next()
	return params
}

func (p *parser) parseCallBlock(open token) Stmt {
	def := &MacroDef{Name: "caller", Tmpl: p.t, Pos: open.pos}
	var call *callExpr
	ok := p.guard(func() {
		p.next()
		if p.isOp("(") {
			def.Params = p.parseSignature()
		}
		x := p.parseExpression(true)
		c, isCall := x.(*callExpr)
		if !isCall {
			p.fail(x.pos(), "write {% call macro_name(args) %}", "{%% call %%} needs a call")
		}
		call = c
		p.expectBlockEnd()
	})
	p.macros = append(p.macros, def)
	loops := p.loops
	p.loops = 0
	def.Body = p.body(open, "call", "endcall")
	p.loops = loops
	p.macros = p.macros[:len(p.macros)-1]
	p.endTag("endcall")
	if !ok {
		return nil
	}
	return &callBlockStmt{p: open.pos, call: call, caller: def}
}

func (p *parser) parseFilterBlock(open token) Stmt {
	var filters []*filterExpr
	ok := p.guard(func() {
		p.next()
		filters = p.parseFilterChain(false)
		p.expectBlockEnd()
	})
	body := p.body(open, "filter", "endfilter")
	p.endTag("endfilter")
	if !ok {
		return nil
	}
	return &filterBlockStmt{p: open.pos, filters: filters, body: body}
}

// parseFilterChain parses "name(args)|name2..." of a filter block (or,
// with optional, the filters of a set block, which may be absent).
func (p *parser) parseFilterChain(optional bool) []*filterExpr {
	var out []*filterExpr
	first := true
	for {
		if !first || optional {
			if !p.skipOp("|") {
				return out
			}
		}
		first = false
		f := p.parseFilter(nil)
		out = append(out, f)
	}
}

func (p *parser) parseWith(open token) Stmt {
	s := &withStmt{p: open.pos}
	ok := p.guard(func() {
		p.next()
		for p.peek().kind != tBlockEnd {
			if len(s.targets) > 0 {
				p.expectOp(",")
			}
			s.targets = append(s.targets, p.parseAssignTarget(true, false, nil))
			p.expectOp("=")
			s.vals = append(s.vals, p.parseExpression(true))
		}
		p.expectBlockEnd()
	})
	s.body = p.body(open, "with", "endwith")
	p.endTag("endwith")
	if !ok {
		return nil
	}
	return s
}

// parseAssignTarget parses the target of set, for or with: a name, a
// tuple of targets (parenthesized or not), or with namespace ns.attr.
func (p *parser) parseAssignTarget(withTuple, withNamespace bool, extraEnds []string) target {
	if withNamespace && p.peek().kind == tName && p.look().kind == tOp && p.look().val == "." {
		n := p.next()
		p.next()
		a := p.expectName()
		return target{p: n.pos, name: n.val, attr: a.val}
	}
	start := p.peek().pos
	var items []target
	isTuple := false
	for {
		if len(items) > 0 {
			p.expectOp(",")
		}
		if p.tupleEnd(extraEnds) || p.isOp("=") || p.isOp("|") {
			break
		}
		items = append(items, p.parseTargetPrimary())
		if p.isOp(",") {
			isTuple = true
		} else {
			break
		}
		if !withTuple {
			break
		}
	}
	if len(items) == 0 {
		p.failTok(p.peek(), "a name to assign to")
	}
	if !isTuple {
		return items[0]
	}
	return target{p: start, items: items, tuple: true}
}

func (p *parser) parseTargetPrimary() target {
	t := p.peek()
	if t.kind == tName {
		switch t.val {
		case "true", "false", "none", "True", "False", "None", "in", "and", "or", "not", "is", "if", "else":
			p.fail(t.pos, "", "cannot assign to %q", t.val)
		}
		p.next()
		return target{p: t.pos, name: t.val}
	}
	if p.skipOp("(") {
		var items []target
		for !p.isOp(")") {
			if len(items) > 0 {
				p.expectOp(",")
				if p.isOp(")") {
					break
				}
			}
			items = append(items, p.parseTargetPrimary())
		}
		p.next()
		if len(items) == 1 {
			return items[0]
		}
		return target{p: t.pos, items: items, tuple: true}
	}
	p.failTok(t, "a name to assign to")
	return target{}
}

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
	if t.lines == nil {
		return diag.Pos{File: t.Path} // a caller from Go (Env.Call)
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
		if u := p.skipTag(); u != nil {
			// The tag runs on because its end is missing: the error
			// met inside it follows from that, and is not reported.
			se = u
		}
		p.errs = append(p.errs, se)
		ok = false
	}()
	fn()
	return true
}

// skipTag skips to just after the end of the current tag. When the tag
// is never closed, and no other lexical error came before in it, it
// returns the lexer's error saying so (at the tag's "{%" or "{{"), with
// a hint naming where the tag's text was read up to.
func (p *parser) skipTag() *syntaxError {
	var unclosed *syntaxError
	last, lexical := -1, false
	for {
		t := p.peek()
		switch t.kind {
		case tEOF:
			return unclosed
		case tVarEnd, tBlockEnd:
			p.next()
			return nil
		case tText, tVarBegin, tBlockBegin:
			return unclosed // the tag was never closed
		case tErr:
			if !strings.HasPrefix(t.val, unclosedTag) {
				// A lexical error inside the tag (a string never
				// closed, a stray "}") is its cause, reported as is.
				lexical = true
			} else if unclosed == nil && !lexical {
				unclosed = &syntaxError{p: t.pos, msg: t.val}
				if last >= 0 {
					at := p.t.Position(last)
					unclosed.hint = fmt.Sprintf("without it, the text up to line %d col %d was read as part of the tag", at.Line, at.Col)
				}
			}
		default:
			last = t.pos
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

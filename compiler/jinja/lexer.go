package jinja

import (
	"math/big"
	"strconv"
	"strings"
)

// tokKind is the kind of a lexical token.
type tokKind uint8

const (
	tEOF        tokKind = iota
	tText               // template data between tags, whitespace control applied
	tVarBegin           // {{
	tVarEnd             // }}
	tBlockBegin         // {%
	tBlockEnd           // %}
	tName               // identifier or keyword
	tString             // string literal, val holds the decoded text
	tInt                // integer literal, ival holds the value
	tFloat              // float literal, fval holds the value
	tOp                 // operator or punctuation, val holds it
	tErr                // lexical error, val holds the message
)

// token is one lexical token; pos is its byte offset in the source.
type token struct {
	kind tokKind
	pos  int
	val  string
	ival int
	big  *big.Int // an integer literal beyond int64
	fval float64
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of template"
	case tText:
		return "template text"
	case tVarBegin:
		return `"{{"`
	case tVarEnd:
		return `"}}"`
	case tBlockBegin:
		return `"{%"`
	case tBlockEnd:
		return `"%}"`
	case tString:
		return "string " + strconv.Quote(t.val)
	case tInt, tFloat:
		return "number " + t.val
	}
	return strconv.Quote(t.val)
}

// lexer splits a template into tokens the way Jinja2's lexer does with
// dbt's settings: the default delimiters, no line statements, trim_blocks
// and lstrip_blocks off. A "-" after an opening or before a closing
// delimiter strips the whitespace (newlines included) on that side; "+" is
// accepted and changes nothing, as lstrip_blocks is off.
type lexer struct {
	src     string
	pos     int
	toks    []token
	lstrip  bool   // the previous tag ended with "-": strip the next text's leading whitespace
	balance []byte // open brackets inside the current tag
	opened  []int  // their offsets
}

// lex returns the tokens of src. Lexical errors become tErr tokens and
// lexing goes on, so the parser can report every error of the file.
func lex(src string) []token {
	lx := &lexer{src: src, toks: make([]token, 0, 16+len(src)/16)}
	lx.run()
	return lx.toks
}

func (lx *lexer) emit(kind tokKind, pos int, val string) {
	lx.toks = append(lx.toks, token{kind: kind, pos: pos, val: val})
}

func (lx *lexer) run() {
	src := lx.src
	for lx.pos < len(src) {
		start := lx.pos
		i := nextTag(src, start)
		if i < 0 {
			lx.text(start, len(src), false)
			lx.pos = len(src)
			break
		}
		strip := i+2 < len(src) && src[i+2] == '-'
		lx.text(start, i, strip)
		lx.pos = i + 2
		if i+2 < len(src) && (src[i+2] == '-' || src[i+2] == '+') {
			lx.pos++
		}
		switch src[i+1] {
		case '#':
			lx.comment(i)
		case '{':
			lx.emit(tVarBegin, i, "{{")
			lx.inside(i, tVarEnd, '}')
		case '%':
			if lx.raw(i) {
				continue
			}
			lx.emit(tBlockBegin, i, "{%")
			lx.inside(i, tBlockEnd, '%')
		}
	}
	lx.emit(tEOF, len(src), "")
}

// nextTag returns the offset of the next "{{", "{%" or "{#" at or after
// from, or -1.
func nextTag(src string, from int) int {
	for {
		j := strings.IndexByte(src[from:], '{')
		if j < 0 || from+j+1 >= len(src) {
			return -1
		}
		k := from + j
		switch src[k+1] {
		case '{', '%', '#':
			return k
		}
		from = k + 1
	}
}

// text emits src[start:end] as template data, applying whitespace control.
func (lx *lexer) text(start, end int, rstrip bool) {
	s := lx.src[start:end]
	if lx.lstrip {
		t := strings.TrimLeft(s, " \t\n\r\f\v")
		start += len(s) - len(t)
		s = t
		lx.lstrip = false
	}
	if rstrip {
		s = strings.TrimRight(s, " \t\n\r\f\v")
	}
	if s == "" {
		return
	}
	if strings.IndexByte(s, '\r') >= 0 {
		s = normalizeNewlines(s)
	}
	lx.emit(tText, start, s)
}

// normalizeNewlines turns "\r\n" and "\r" into "\n", as Jinja2 does.
func normalizeNewlines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// comment skips a {# ... #} comment that starts at open.
func (lx *lexer) comment(open int) {
	j := strings.Index(lx.src[lx.pos:], "#}")
	if j < 0 {
		lx.emit(tErr, open, "the comment is never closed: add \"#}\"")
		lx.pos = len(lx.src)
		return
	}
	end := lx.pos + j
	lx.lstrip = end > lx.pos && lx.src[end-1] == '-'
	lx.pos = end + 2
}

// raw handles {% raw %}...{% endraw %} when the tag at open is one; it
// reports whether it was.
func (lx *lexer) raw(open int) bool {
	p := skipSpace(lx.src, lx.pos)
	if !strings.HasPrefix(lx.src[p:], "raw") {
		return false
	}
	p = skipSpace(lx.src, p+3)
	rstripBody := false
	if strings.HasPrefix(lx.src[p:], "-%}") || strings.HasPrefix(lx.src[p:], "+%}") {
		rstripBody = lx.src[p] == '-'
		p += 3
	} else if strings.HasPrefix(lx.src[p:], "%}") {
		p += 2
	} else {
		return false
	}
	// Find {%[-+]? endraw [-+]?%}.
	from := p
	for {
		j := strings.Index(lx.src[from:], "{%")
		if j < 0 {
			lx.emit(tErr, open, "the raw block is never closed: add \"{% endraw %}\"")
			lx.pos = len(lx.src)
			return true
		}
		k := from + j
		q := k + 2
		stripEnd := false
		if q < len(lx.src) && (lx.src[q] == '-' || lx.src[q] == '+') {
			stripEnd = lx.src[q] == '-'
			q++
		}
		q = skipSpace(lx.src, q)
		if !strings.HasPrefix(lx.src[q:], "endraw") {
			from = k + 2
			continue
		}
		q = skipSpace(lx.src, q+6)
		after := false
		switch {
		case strings.HasPrefix(lx.src[q:], "-%}"):
			after = true
			q += 3
		case strings.HasPrefix(lx.src[q:], "+%}"):
			q += 3
		case strings.HasPrefix(lx.src[q:], "%}"):
			q += 2
		default:
			from = k + 2
			continue
		}
		body := lx.src[p:k]
		if rstripBody {
			t := strings.TrimLeft(body, " \t\n\r\f\v")
			p += len(body) - len(t)
			body = t
		}
		if stripEnd {
			body = strings.TrimRight(body, " \t\n\r\f\v")
		}
		if body != "" {
			if strings.IndexByte(body, '\r') >= 0 {
				body = normalizeNewlines(body)
			}
			lx.emit(tText, p, body)
		}
		lx.pos = q
		lx.lstrip = after
		return true
	}
}

func skipSpace(s string, p int) int {
	for p < len(s) && isSpace(s[p]) {
		p++
	}
	return p
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// unclosedTag begins the message of a tag whose closing delimiter is
// missing; the parser reports it instead of the errors that follow from
// reading the text after the tag as part of it.
const unclosedTag = "the tag is never closed"

// inside lexes the inside of a tag opened at open, up to and including its
// closing delimiter (end, whose first character is closeCh).
func (lx *lexer) inside(open int, end tokKind, closeCh byte) {
	src := lx.src
	lx.balance, lx.opened = lx.balance[:0], lx.opened[:0]
	closer := "}}"
	if end == tBlockEnd {
		closer = "%}"
	}
	first := len(lx.toks) // this tag's tokens start here
	for {
		lx.pos = skipSpace(src, lx.pos)
		p := lx.pos
		if p >= len(src) {
			lx.emit(tErr, open, unclosedTag+": add \""+closer+"\"")
			return
		}
		c := src[p]
		// A tag or comment opens inside this one: this one was never
		// closed (no expression holds "{%" or "{#"; "{{" is two dict
		// braces, unless this tag already went wrong). The tag ends here,
		// so that the tags after it are read, and their errors reported.
		if c == '{' && p+1 < len(src) && (src[p+1] == '%' || src[p+1] == '#' || src[p+1] == '{' && lx.erred(first)) {
			if !lx.erred(first) {
				lx.emit(tErr, open, unclosedTag+": add \""+closer+"\"")
			}
			return
		}
		// The closing delimiter, with optional whitespace control. Inside
		// brackets it is not one (as in Jinja2), unless it cannot be
		// anything else: then the bracket is never closed, and the tag
		// ends there, so the rest of the file is read as it was meant.
		q := p
		if c == '-' || c == '+' {
			q++
		}
		if q+1 < len(src) && src[q] == closeCh && src[q+1] == '}' {
			n := len(lx.balance)
			if n > 0 && lx.balance[n-1] != '{' {
				lx.emit(tErr, lx.opened[n-1], "this "+strconv.Quote(string(lx.balance[n-1]))+" is never closed")
				n = 0
			}
			if n == 0 {
				lx.emit(end, p, src[p:q+2])
				lx.pos = q + 2
				lx.lstrip = c == '-'
				return
			}
		}
		switch {
		case isNameStart(c):
			q := p + 1
			for q < len(src) && isNameChar(src[q]) {
				q++
			}
			lx.emit(tName, p, src[p:q])
			lx.pos = q
		case c >= '0' && c <= '9':
			lx.number(p)
		case c == '\'' || c == '"':
			lx.str(p, c)
		default:
			lx.op(p)
		}
	}
}

// erred reports whether a lexical error was emitted since token first.
func (lx *lexer) erred(first int) bool {
	for _, t := range lx.toks[first:] {
		if t.kind == tErr {
			return true
		}
	}
	return false
}

// afterDot reports whether the token before p is ".", which makes "0.1" in
// "a.0.1" two integers, as in Jinja2.
func (lx *lexer) afterDot(p int) bool {
	n := len(lx.toks)
	return n > 0 && lx.toks[n-1].kind == tOp && lx.toks[n-1].val == "." && lx.toks[n-1].pos == p-1
}

func isNameStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isNameChar(c byte) bool  { return isNameStart(c) || isDigit(c) }
func isDigit(c byte) bool     { return c >= '0' && c <= '9' }

// number lexes an integer (decimal, 0x, 0o, 0b, with "_" separators) or a
// float (with a fraction and/or an exponent).
func (lx *lexer) number(p int) {
	src := lx.src
	q := p
	digits := func(ok func(byte) bool) {
		for q < len(src) && (ok(src[q]) || src[q] == '_' && q+1 < len(src) && ok(src[q+1])) {
			q++
		}
	}
	if src[q] == '0' && q+1 < len(src) && strings.IndexByte("xXoObB", src[q+1]) >= 0 && !lx.afterDot(p) {
		base := map[byte]int{'x': 16, 'o': 8, 'b': 2}[src[q+1]|0x20]
		q += 2
		digits(func(c byte) bool { return digitVal(c) < base })
		text := src[p:q]
		v, err := strconv.ParseInt(strings.ReplaceAll(text[2:], "_", ""), base, 64)
		if err != nil {
			lx.emit(tErr, p, "invalid number "+strconv.Quote(text))
		} else {
			lx.toks = append(lx.toks, token{kind: tInt, pos: p, val: text, ival: int(v)})
		}
		lx.pos = q
		return
	}
	digits(isDigit)
	isFloat := false
	if !lx.afterDot(p) {
		if q+1 < len(src) && src[q] == '.' && isDigit(src[q+1]) {
			isFloat = true
			q++
			digits(isDigit)
		}
		if q < len(src) && (src[q] == 'e' || src[q] == 'E') {
			r := q + 1
			if r < len(src) && (src[r] == '+' || src[r] == '-') {
				r++
			}
			if r < len(src) && isDigit(src[r]) {
				isFloat = true
				q = r
				digits(isDigit)
			}
		}
	}
	text := src[p:q]
	clean := strings.ReplaceAll(text, "_", "")
	lx.pos = q
	if isFloat {
		v, err := strconv.ParseFloat(clean, 64)
		if err != nil {
			lx.emit(tErr, p, "invalid number "+strconv.Quote(text))
			return
		}
		lx.toks = append(lx.toks, token{kind: tFloat, pos: p, val: text, fval: v})
		return
	}
	v, err := strconv.ParseInt(clean, 10, 64)
	if err != nil {
		// Beyond int64: an exact *big.Int, as Python's ints.
		b, ok := new(big.Int).SetString(clean, 10)
		if !ok || b.BitLen() > maxBigBits {
			lx.emit(tErr, p, "invalid integer "+strconv.Quote(text))
			return
		}
		lx.toks = append(lx.toks, token{kind: tInt, pos: p, val: text, big: b})
		return
	}
	lx.toks = append(lx.toks, token{kind: tInt, pos: p, val: text, ival: int(v)})
}

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return 99
}

// str lexes a string literal quoted with q, decoding Python's escapes.
func (lx *lexer) str(p int, q byte) {
	src := lx.src
	i := p + 1
	for i < len(src) && src[i] != q {
		if src[i] == '\\' {
			i++
		}
		i++
	}
	if i >= len(src) {
		lx.emit(tErr, p, "the string is never closed: add "+string(q))
		lx.pos = len(src)
		return
	}
	raw := src[p+1 : i]
	if strings.IndexByte(raw, '\r') >= 0 {
		raw = normalizeNewlines(raw)
	}
	val := raw
	if strings.IndexByte(raw, '\\') >= 0 {
		val = unescape(raw)
	}
	lx.emit(tString, p, val)
	lx.pos = i + 1
}

// unescape decodes the backslash escapes of a Python string literal;
// unknown escapes are kept as written, as Python does.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case '\n':
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if i+1+n <= len(s) {
				if v, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32); err == nil {
					b.WriteRune(rune(v))
					i += n
					continue
				}
			}
			b.WriteByte('\\')
			b.WriteByte(e)
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(s[i:j], 8, 32)
			b.WriteRune(rune(v))
			i = j - 1
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return b.String()
}

// op lexes an operator or punctuation, tracking bracket balance.
func (lx *lexer) op(p int) {
	src := lx.src
	for _, o := range [...]string{"//", "**", "==", "!=", ">=", "<="} {
		if strings.HasPrefix(src[p:], o) {
			lx.emit(tOp, p, o)
			lx.pos = p + 2
			return
		}
	}
	c := src[p]
	lx.pos = p + 1
	switch c {
	case '+', '-', '/', '*', '%', '~', '>', '<', '=', '.', ':', '|', ',', ';':
	case '(', '[', '{':
		lx.balance = append(lx.balance, c)
		lx.opened = append(lx.opened, p)
	case ')', ']', '}':
		want := map[byte]byte{')': '(', ']': '[', '}': '{'}[c]
		if n := len(lx.balance); n == 0 || lx.balance[n-1] != want {
			msg := "unexpected " + strconv.Quote(string(c))
			if c == '}' && n == 0 {
				msg += `: an expression ends with "}}", a tag with "%}"`
			}
			lx.emit(tErr, p, msg)
			return
		}
		lx.balance = lx.balance[:len(lx.balance)-1]
		lx.opened = lx.opened[:len(lx.opened)-1]
	default:
		r := []rune(src[p:min(p+4, len(src))])[0]
		lx.pos = p + len(string(r))
		lx.emit(tErr, p, "unexpected character "+strconv.QuoteRune(r))
		return
	}
	lx.emit(tOp, p, src[p:p+1])
}

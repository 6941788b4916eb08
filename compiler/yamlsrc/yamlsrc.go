// Package yamlsrc locates YAML syntax errors in the source text.
//
// gopkg.in/yaml.v3 reports a syntax error at the line of its "context
// mark" when it has one: the start of the enclosing block ("line 3: did
// not find expected key" for a bad indent at line 7), not at the faulty
// line. The faulty line is the first one whose prefix of the document
// already fails with the same message: every line before it parses, so
// the problem is on it. Line finds it by bisection over prefixes, on the
// error path only (O(log n) parses).
package yamlsrc

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var lineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Line returns the 1-based line of src that holds the syntax error err
// (returned by yaml.Unmarshal of src), and err's message without its
// "yaml: line N:" prefix. When err carries no line, or no prefix of src
// fails the same way, it returns yaml.v3's line (0 when none) and message.
func Line(src []byte, err error) (int, string) {
	m := lineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, trimPrefix(err.Error())
	}
	reported, _ := strconv.Atoi(m[1])
	msg := m[2]
	starts := lineStarts(src)
	fails := func(k int) bool { // the first k lines fail with msg
		end := len(src)
		if k < len(starts) {
			end = starts[k]
		}
		var n yaml.Node
		e := yaml.Unmarshal(src[:end], &n)
		if e == nil {
			return false
		}
		mm := lineRE.FindStringSubmatch(e.Error())
		return mm != nil && mm[2] == msg
	}
	// The faulty line is at or after the block yaml.v3 names (a scanner
	// error may name the line before it).
	lo, hi := max(reported-1, 1), len(starts)
	if !fails(hi) {
		return reported, msg
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, msg
}

// lineStarts returns the offset of each line's start in src.
func lineStarts(src []byte) []int {
	starts := []int{0}
	for i := bytes.IndexByte(src, '\n'); i >= 0; {
		if i+1 < len(src) {
			starts = append(starts, i+1)
		}
		j := bytes.IndexByte(src[i+1:], '\n')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return starts
}

func trimPrefix(s string) string {
	if len(s) > 6 && s[:6] == "yaml: " {
		return s[6:]
	}
	return s
}

// Error is a YAML syntax error located in its source: the faulty line
// (see Line) and column (1-based; the token the parser stopped at, or the
// line's first character when no token can be named), yaml.v3's message
// and a hint that says how such lines are usually fixed.
type Error struct {
	Line, Col int
	Msg, Hint string
}

// Locate returns where src's syntax error err is, with a hint. The column
// and hint come from the message and the faulty line's text: a tab in
// the indentation, a ": " in an unquoted value, an unclosed quote or
// flow list, a quote inside a value quoted with it, an indentation that
// matches no sibling.
func Locate(src []byte, err error) Error {
	line, msg := Line(src, err)
	e := Error{Line: line, Msg: msg}
	starts := lineStarts(src)
	if line < 1 || line > len(starts) {
		return e
	}
	text := string(src[starts[line-1]:])
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	}
	text = strings.TrimRight(text, "\r")
	indent := len(text) - len(strings.TrimLeft(text, " "))
	e.Col = indent + 1
	upto := line
	if strings.Contains(msg, "end of stream") {
		upto = len(starts) // a quote left open on any line
	}
	if q, ok := unclosedQuote(src, starts, upto); ok {
		e.Line, e.Col = q.line, q.col
		e.Hint = fmt.Sprintf("this %c is never closed: end the value with %c on this line", q.quote, q.quote)
		if q.closedAt > 0 {
			e.Hint = fmt.Sprintf("this %c is not closed on its line, so YAML reads the value on to the next %c (line %d) and fails after it: end the value with %c on this line", q.quote, q.quote, q.closedAt, q.quote)
		}
		return e
	}
	key, value, hasValue := strings.Cut(text[indent:], ": ")
	valueAt := indent + len(key) + 2
	if strings.HasPrefix(key, "- ") {
		key = key[2:]
	}
	if strings.Contains(msg, "mapping values are not allowed") {
		// yaml.v3 reads a first key written without its colon ("- name
		// a", then "description: x" under it) as text that goes on to
		// the next line, and fails there: the mistake is on the line
		// above.
		if k, ok := keyWithoutColon(src, starts, line); ok {
			e.Line, e.Col, e.Msg = k.line, k.col, "could not find expected ':'"
			e.Hint = k.hint()
			return e
		}
	}
	switch {
	case strings.Contains(msg, "could not find expected ':'"):
		if k, ok := plainKeyValue(text, line); ok {
			e.Col, e.Hint = k.col, k.hint()
			return e
		}
		e.Col = len(text) + 1
		e.Hint = `a key needs ": " after it (with a space); text that is not a key goes after one, quoted if it holds ": " or " #"`
	case strings.Contains(text[:indent+1], "\t") || (strings.Contains(msg, "tab") || strings.Contains(msg, "cannot start any token")) && strings.Contains(text, "\t"):
		e.Col = strings.IndexByte(text, '\t') + 1
		e.Hint = "YAML indents with spaces, never tabs: replace the tab with spaces"
	case strings.Contains(msg, "mapping values are not allowed") && hasValue && strings.Contains(value, ": "):
		e.Col = valueAt + strings.Index(value, ": ") + 1
		e.Hint = fmt.Sprintf(`a value that holds ": " must be quoted: %s: "%s"`, strings.TrimSpace(key), strings.ReplaceAll(value, `"`, `\"`))
	case hasValue && len(value) > 1 && (value[0] == '\'' || value[0] == '"') && strings.Count(value, value[:1]) > 2:
		q := value[:1]
		e.Col = valueAt + 1 + strings.Index(value[1:], q) + 1
		other := map[string]string{"'": `"`, `"`: "'"}[q]
		e.Hint = fmt.Sprintf("the value's %s quotes end at this %s: quote it with %s instead, or write the %s twice inside %s...%s", q, q, other, q, q, q)
	case strings.Contains(msg, "end of stream") && hasValue && len(value) > 0 && (value[0] == '\'' || value[0] == '"'):
		e.Col = valueAt + 1
		e.Hint = fmt.Sprintf("this %s is never closed: end the value with %s on this line", value[:1], value[:1])
	case strings.Contains(msg, "expected ',' or ']'") || strings.Contains(msg, "expected ',' or '}'"):
		open := "["
		if strings.Contains(msg, "'}'") {
			open = "{"
		}
		if i := strings.LastIndex(text, open); i >= 0 {
			e.Col = i + 1
		}
		e.Hint = fmt.Sprintf("this %s is not closed on its line: close it, or write one item per line", open)
	case strings.Contains(msg, "mapping values are not allowed") && continuation(src, starts, line, indent) != nil:
		p := continuation(src, starts, line, indent)
		e.Hint = fmt.Sprintf("this line is indented deeper than %q on line %d, so YAML reads it as more of that key's value %q: indent it like %q (column %d); or, if it belongs under %q, remove %q from line %d",
			p.key, p.line, p.value, p.key, p.col, p.key, p.value, p.line)
	case strings.Contains(msg, "did not find expected key") || strings.Contains(msg, "expected '-' indicator") || strings.Contains(msg, "block"):
		if k := itemAbove(src, starts, line, indent); k != nil && !strings.HasPrefix(text[indent:], "- ") {
			e.Hint = fmt.Sprintf("this line is at the column of the list item on line %d but does not start with \"- \": start it with \"- \" for a new item, or indent it like %q (column %d) to add to that item", k.line, k.key, k.col)
			return e
		}
		keys := enclosing(src, starts, line)
		e.Hint = "this line's indentation matches none of the lines above it: indent it like its siblings (with spaces, usually 2 per level)"
		if len(keys) > 0 {
			var at []string
			for _, k := range keys[:min(len(keys), 3)] {
				at = append(at, fmt.Sprintf("column %d (%q on line %d)", k.col, k.key, k.line))
			}
			e.Hint += "; the blocks above it start at " + strings.Join(at, ", ")
		}
	default:
		e.Hint = "check this line's indentation (spaces only) and quote a value that holds \": \", \" #\" or starts with [, {, *, &, !, %, @ or a quote"
	}
	return e
}

// yamlLine is a line of YAML that holds a key: where its key starts, and
// its "- " when it starts a list item.
type yamlLine struct {
	line, col   int // 1-based line and column of the key
	key, value  string
	dash        bool
	dashCol     int // 1-based column of the "- " when dash
	indentation int // leading spaces
}

// keyLine parses text as a line of YAML that holds "key:" (or
// "- key:"), ok false when it holds none (a blank line, a comment, a list
// item without a key, a continuation); dash is set for a list item even
// then.
func keyLine(text string, line int) (yamlLine, bool) {
	text = strings.TrimRight(text, "\r")
	indent := len(text) - len(strings.TrimLeft(text, " "))
	rest := text[indent:]
	l := yamlLine{line: line, indentation: indent, col: indent + 1}
	if strings.HasPrefix(rest, "- ") {
		l.dash, l.dashCol = true, indent+1
		trimmed := strings.TrimLeft(rest[2:], " ")
		l.col += len(rest) - len(trimmed)
		rest = trimmed
	}
	if rest == "" || rest[0] == '#' || strings.ContainsAny(rest[:1], "'\"[{&*!|>%@`") {
		return l, false
	}
	key, value, ok := strings.Cut(rest, ":")
	if !ok || value != "" && value[0] != ' ' {
		return l, false
	}
	if i := strings.Index(value, " #"); i >= 0 {
		value = value[:i]
	}
	l.key, l.value = key, strings.TrimSpace(value)
	return l, true
}

// lineText returns 1-based line n of src without its newline.
func lineText(src []byte, starts []int, n int) string {
	t := string(src[starts[n-1]:])
	if i := strings.IndexByte(t, '\n'); i >= 0 {
		t = t[:i]
	}
	return t
}

// prevLine returns the nearest line above line n that is not blank nor a
// comment, and its number (0 when none).
func prevLine(src []byte, starts []int, n int) (string, int) {
	for i := n - 1; i >= 1; i-- {
		t := strings.TrimSpace(lineText(src, starts, i))
		if t != "" && t[0] != '#' {
			return lineText(src, starts, i), i
		}
	}
	return "", 0
}

// continuation returns the line above line n when it is "key: value" with
// a plain value and line n, a "key: " indented deeper than that key, is
// read as more of that value (so its ": " is not allowed); nil otherwise.
func continuation(src []byte, starts []int, n, indent int) *yamlLine {
	text, at := prevLine(src, starts, n)
	if at == 0 {
		return nil
	}
	p, ok := keyLine(text, at)
	if !ok || p.value == "" || strings.ContainsAny(p.value[:1], "'\"[{&*!|>%@`") || indent+1 <= p.col {
		return nil
	}
	if _, ok := keyLine(lineText(src, starts, n), n); !ok {
		return nil
	}
	return &p
}

// enclosing returns where the lines of the blocks that hold line n
// start, nearest first: going up from line n, each key, and each list
// item's "- " (key "- "), that starts left of every one seen so far.
func enclosing(src []byte, starts []int, n int) []yamlLine {
	var out []yamlLine
	bound := 1 << 30
	for i := n - 1; i >= 1 && bound > 0; i-- {
		l, ok := keyLine(lineText(src, starts, i), i)
		if ok && l.col-1 < bound {
			out = append(out, l)
			bound = l.col - 1
		}
		if l.dash && l.indentation < bound {
			item := l
			item.key, item.col = "- ", l.dashCol
			out = append(out, item)
			bound = l.indentation
		}
	}
	return out
}

// itemAbove returns the nearest key line above line n that starts left of
// or at its indentation when it is a list item ("- key:") whose "- " is
// at that indentation; nil otherwise.
func itemAbove(src []byte, starts []int, n, indent int) *yamlLine {
	for i := n - 1; i >= 1; i-- {
		l, ok := keyLine(lineText(src, starts, i), i)
		if !ok || l.indentation > indent {
			continue
		}
		if l.dash && l.indentation == indent {
			return &l
		}
		return nil
	}
	return nil
}

// openQuote is a quoted value that is not closed on the line it opens:
// where its quote is (1-based line and column), the quote, and the line
// of the quote that YAML takes as its end (0 when there is none).
type openQuote struct {
	line, col int
	quote     byte
	closedAt  int
}

// unclosedQuote returns the first quoted value, on lines 1 to upto of
// src, whose quote the line does not close and that YAML cannot read as
// a value spanning lines: no quote closes it before the end, or the
// quote that does is followed by more text on its line (the opening
// quote's line lacks its closing quote; the next quoted value's quotes
// pair up wrongly). Lines of block scalars (| and >) are skipped. ok is
// false when there is none.
func unclosedQuote(src []byte, starts []int, upto int) (q openQuote, ok bool) {
	blockIndent := -1 // >= 0: inside a block scalar whose key is at this indentation
	for n := 1; n <= min(upto, len(starts)); n++ {
		text := strings.TrimRight(lineText(src, starts, n), "\r")
		rest := strings.TrimLeft(text, " ")
		indent := len(text) - len(rest)
		if blockIndent >= 0 {
			if rest == "" || indent > blockIndent {
				continue
			}
			blockIndent = -1
		}
		if rest == "" || rest[0] == '#' {
			continue
		}
		at := indent
		for strings.HasPrefix(rest, "- ") {
			trimmed := strings.TrimLeft(rest[2:], " ")
			at += len(rest) - len(trimmed)
			rest = trimmed
		}
		if rest != "" && rest[0] != '"' && rest[0] != '\'' {
			key, value, found := strings.Cut(rest, ": ")
			if !found {
				continue
			}
			trimmed := strings.TrimLeft(value, " ")
			at += len(key) + 2 + len(value) - len(trimmed)
			rest = trimmed
			if v := strings.TrimSpace(rest); v != "" && (v[0] == '|' || v[0] == '>') {
				blockIndent = indent
				continue
			}
		}
		if rest == "" || rest[0] != '"' && rest[0] != '\'' {
			continue
		}
		open := starts[n-1] + at
		end := quoteEnd(src, open)
		if end >= 0 && end < starts[n-1]+len(text) {
			continue // closed on its line
		}
		q = openQuote{line: n, col: at + 1, quote: src[open]}
		if end < 0 {
			return q, true
		}
		endLine := lineOf(starts, end)
		after := strings.TrimSpace(strings.TrimRight(lineText(src, starts, endLine), "\r")[end+1-starts[endLine-1]:])
		if after != "" && after[0] != '#' && after[0] != ':' && after[0] != ',' && after[0] != ']' && after[0] != '}' {
			q.closedAt = endLine
			return q, true
		}
		n = endLine // a value over several lines, closed: go on after it
	}
	return openQuote{}, false
}

// quoteEnd returns the offset in src of the quote that closes the quoted
// value whose opening quote is at src[open], -1 when none does: the next
// unescaped " (a backslash escapes), or the next ' not doubled.
func quoteEnd(src []byte, open int) int {
	quote := src[open]
	for i := open + 1; i < len(src); i++ {
		switch {
		case quote == '"' && src[i] == '\\':
			i++
		case src[i] == quote && quote == '\'' && i+1 < len(src) && src[i+1] == '\'':
			i++
		case src[i] == quote:
			return i
		}
	}
	return -1
}

// lineOf returns the 1-based line that holds offset off.
func lineOf(starts []int, off int) int {
	n := 1
	for n < len(starts) && starts[n] <= off {
		n++
	}
	return n
}

// colonless is a line of YAML that holds a key and its value without the
// ": " between them ("description \"x\"", "- name orders"): where the key
// starts (1-based), the key and the value.
type colonless struct {
	line, col  int
	key, value string
}

// hint says how to write k as a key and its value.
func (k colonless) hint() string {
	if k.value == "" {
		return fmt.Sprintf(`a key needs ": " after it (with a space), else YAML reads the line as text: write %s: followed by its value`, k.key)
	}
	return fmt.Sprintf(`a key needs ": " after it (with a space), else YAML reads the line as text: write %s: %s`, k.key, k.value)
}

// plainKeyValue parses text, line n of a YAML file, as a key and a value
// with no colon at all: an optional "- ", then a plain word (not
// quoted, not a flow collection nor any YAML indicator), then its value
// or nothing; ok is false for anything else.
func plainKeyValue(text string, n int) (colonless, bool) {
	text = strings.TrimRight(text, "\r")
	if i := strings.Index(text, " #"); i >= 0 {
		text = strings.TrimRight(text[:i], " ")
	}
	rest := strings.TrimLeft(text, " ")
	col := len(text) - len(rest) + 1
	if strings.HasPrefix(rest, "- ") {
		trimmed := strings.TrimLeft(rest[2:], " ")
		col += len(rest) - len(trimmed)
		rest = trimmed
	}
	if rest == "" || strings.ContainsAny(rest[:1], "'\"[]{},&*!|>%@`#-?:") || strings.Contains(rest, ":") {
		return colonless{}, false
	}
	key, value, _ := strings.Cut(rest, " ")
	return colonless{line: n, col: col, key: key, value: strings.TrimSpace(value)}, true
}

// keyWithoutColon returns the line above line n when it is a key and its
// value without ": " (plainKeyValue) and line n, a key or a list item,
// starts at its key's column: yaml.v3 read that line as the first of a
// text going on to line n, whose ": " it then refuses. ok is false
// otherwise.
func keyWithoutColon(src []byte, starts []int, n int) (colonless, bool) {
	text, at := prevLine(src, starts, n)
	if at == 0 {
		return colonless{}, false
	}
	k, ok := plainKeyValue(text, at)
	if !ok {
		return colonless{}, false
	}
	if above, n := prevLine(src, starts, at); n > 0 {
		// Not a line of a plain value going on from the key above it.
		if p, ok := keyLine(above, n); ok && p.value != "" && k.col > p.col {
			return colonless{}, false
		}
	}
	cur, ok := keyLine(lineText(src, starts, n), n)
	if !ok {
		return colonless{}, false
	}
	if col := cur.col; cur.dash && cur.dashCol == k.col || !cur.dash && col == k.col {
		return k, true
	}
	return colonless{}, false
}

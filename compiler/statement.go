package compiler

import (
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
)

// oneStatement reads sql as one statement with optional trailing
// semicolons, and returns it with those semicolons blanked (replaced by
// spaces, so every other byte keeps its offset, line and column): comments
// and blank lines after them stay, and the text nests in a CREATE ... AS
// ( ... ) or a CTE. second is the byte offset of the first token of a
// second statement, or -1 when there is none.
//
// The scan follows DuckDB's lexical rules
// (https://duckdb.org/docs/sql/dialect/keywords_and_identifiers and
// .../data_types/literal_types): '...' strings (a doubled quote inside), E'...'
// strings with backslash escapes, "..." identifiers with "" inside,
// $tag$...$tag$ strings, -- line comments and nested /* */ comments. A
// semicolon inside any of them is text. A statement that is only
// semicolons and comments before the first token does not count.
func oneStatement(sql string) (body string, second int) {
	var semis []int
	content := false // a token was seen since the start
	second = -1
	scanSQL(sql, false, func(i int, tok tokenKind) bool {
		switch tok {
		case tokSemicolon:
			if content {
				semis = append(semis, i)
			}
		case tokContent:
			if len(semis) > 0 {
				second = i
				return false
			}
			content = true
		}
		return true
	})
	if second >= 0 || len(semis) == 0 {
		return sql, second
	}
	b := []byte(sql)
	for _, i := range semis {
		b[i] = ' '
	}
	return string(b), -1
}

// secondInTemplate returns the offset of a second statement's first token
// in a model's Jinja source: Jinja statements and comments count as blank,
// an expression {{ ... }} as a token. It is -1 when the source shows none
// (the second statement came from a macro): the caller then reports the
// compiled SQL's line.
func secondInTemplate(src string) int {
	seenSemi, content, second := false, false, -1
	scanSQL(src, true, func(i int, tok tokenKind) bool {
		switch tok {
		case tokSemicolon:
			seenSemi = seenSemi || content
		case tokContent:
			if seenSemi {
				second = i
				return false
			}
			content = true
		}
		return true
	})
	return second
}

type tokenKind uint8

const (
	tokContent   tokenKind = iota // any token: a word, a sign, a string, a Jinja expression
	tokSemicolon                  // a ';' outside strings, identifiers and comments
)

// scanSQL calls visit with the offset and kind of each token of s, blanks
// and comments left out, until visit returns false. With jinja set, {% %}
// and {# #} are skipped and {{ }} is one token.
func scanSQL(s string, jinja bool, visit func(int, tokenKind) bool) {
	n := len(s)
	for i := 0; i < n; {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
			continue
		case c == '-' && i+1 < n && s[i+1] == '-':
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return
			}
			i += j + 1
			continue
		case c == '/' && i+1 < n && s[i+1] == '*':
			i = blockCommentEnd(s, i)
			continue
		case jinja && c == '{' && i+1 < n && (s[i+1] == '%' || s[i+1] == '#'):
			end := "%}"
			if s[i+1] == '#' {
				end = "#}"
			}
			j := strings.Index(s[i+2:], end)
			if j < 0 {
				return
			}
			i += j + 4
			continue
		case c == ';':
			if !visit(i, tokSemicolon) {
				return
			}
			i++
			continue
		}
		if !visit(i, tokContent) {
			return
		}
		i = tokenEnd(s, i, jinja)
	}
}

// tokenEnd returns the offset just past the token starting at i: a
// string, an identifier, a dollar-quoted string, a Jinja expression, or a
// run of other characters up to the next blank, quote, comment or ';'.
func tokenEnd(s string, i int, jinja bool) int {
	n := len(s)
	c := s[i]
	switch {
	case jinja && c == '{' && i+1 < n && s[i+1] == '{':
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			return n
		}
		return i + j + 4
	case c == '\'':
		escapes := i > 0 && (s[i-1] == 'e' || s[i-1] == 'E') && (i < 2 || !isWordByte(s[i-2]))
		return quotedEnd(s, i, '\'', escapes)
	case c == '"':
		return quotedEnd(s, i, '"', false)
	case c == '$':
		if tag, ok := dollarTag(s, i); ok {
			j := strings.Index(s[i+len(tag):], tag)
			if j < 0 {
				return n
			}
			return i + len(tag) + j + len(tag)
		}
	}
	j := i + 1
	for j < n {
		c := s[j]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == ';' || c == '\'' || c == '"' || c == '$' ||
			(c == '-' && j+1 < n && s[j+1] == '-') || (c == '/' && j+1 < n && s[j+1] == '*') ||
			(jinja && c == '{' && j+1 < n && (s[j+1] == '{' || s[j+1] == '%' || s[j+1] == '#')) {
			break
		}
		j++
	}
	// E'...' starts inside a word: the word ends before the quote, which the
	// next call reads with escapes.
	return j
}

// quotedEnd returns the offset past the string or identifier opened by q
// at i, where a doubled q is the character itself (and, with escapes, a
// backslash escapes the next byte).
func quotedEnd(s string, i int, q byte, escapes bool) int {
	n := len(s)
	for j := i + 1; j < n; j++ {
		switch s[j] {
		case '\\':
			if escapes {
				j++
			}
		case q:
			if j+1 < n && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return n
}

// blockCommentEnd returns the offset past the /* */ comment at i; DuckDB,
// like PostgreSQL, nests them.
func blockCommentEnd(s string, i int) int {
	depth := 0
	for j := i; j+1 < len(s); j++ {
		switch {
		case s[j] == '/' && s[j+1] == '*':
			depth++
			j++
		case s[j] == '*' && s[j+1] == '/':
			depth--
			j++
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(s)
}

// dollarTag returns the $tag$ opening a dollar-quoted string at i.
func dollarTag(s string, i int) (string, bool) {
	if i > 0 && isWordByte(s[i-1]) {
		return "", false // $1 or a name holding $
	}
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '$':
			return s[i : j+1], true
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 || j > i+1 && c >= '0' && c <= '9':
		default:
			return "", false
		}
	}
	return "", false
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// statement returns code, the compiled SQL of model or singular test n,
// with its trailing semicolons blanked; a second statement is reported at
// its line in n's file (or, when a macro wrote it, in the compiled SQL).
func (c *compiler) statement(n *graph.Node, code string) string {
	body, second := oneStatement(code)
	if second < 0 {
		return body
	}
	what := "a model"
	if n.Kind == graph.Test {
		what = "a test"
	}
	var d *diag.Diagnostic
	if i := secondInTemplate(n.RawCode); i >= 0 {
		line, col := diag.Offset(n.RawCode, i)
		d = c.diags.Errorf(diag.Pos{File: n.Path, Line: line, Col: col}, "%s is one SELECT statement; found a second one at line %d", what, line)
	} else {
		line, _ := diag.Offset(code, second)
		d = c.diags.Errorf(n.Pos, "%s is one SELECT statement; found a second one at line %d of its compiled SQL", what, line)
	}
	d.Hint = "remove the second statement, or the semicolon before it: a file holds one query"
	return code
}

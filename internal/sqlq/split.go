package sqlq

import "strings"

// StatementSpans returns the byte ranges [start, end) of the statements of
// query: the text between top-level semicolons, those outside string
// literals ('...', E'...'), quoted identifiers ("..."), dollar-quoted
// strings ($tag$...$tag$) and comments (-- and nested /* */), as
// PostgreSQL's lexer and DuckDB's read them. Blank statements are left
// out. The DuckDB adapter uses it to map error positions back to the text,
// the PostgreSQL adapter to refuse several statements in one query.
func StatementSpans(q string) [][2]int {
	var spans [][2]int
	start := 0
	add := func(end int) {
		if strings.TrimSpace(q[start:end]) != "" {
			spans = append(spans, [2]int{start, end})
		}
	}
	for i := 0; i < len(q); {
		switch c := q[i]; {
		case c == '\'':
			escapes := i > 0 && (q[i-1] == 'E' || q[i-1] == 'e') && (i < 2 || !IsIdentByte(q[i-2]))
			i = skipQuoted(q, i, '\'', escapes)
		case c == '"':
			i = skipQuoted(q, i, '"', false)
		case c == '-' && strings.HasPrefix(q[i:], "--"):
			if nl := strings.IndexByte(q[i:], '\n'); nl >= 0 {
				i += nl + 1
			} else {
				i = len(q)
			}
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			i = skipBlockComment(q, i)
		case c == '$' && (i == 0 || !IsIdentByte(q[i-1])):
			i = skipDollarQuoted(q, i)
		case c == ';':
			add(i)
			start = i + 1
			i++
		default:
			i++
		}
	}
	add(len(q))
	return spans
}

// IsIdentByte reports whether c can be part of an unquoted identifier or
// keyword (letters, digits, underscore, and the bytes of UTF-8 sequences).
func IsIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// skipQuoted returns the offset after the literal opened by quote at i;
// a doubled quote (and with escapes, a backslash) escapes.
func skipQuoted(q string, i int, quote byte, escapes bool) int {
	return orEnd(q, QuotedEnd(q, i, escapes))
}

// QuotedEnd returns the offset after the string literal or quoted
// identifier whose quote (' or ") is at i: a doubled quote, and with
// escapes (E'...') a backslash, escapes; -1 when it is never closed.
func QuotedEnd(q string, i int, escapes bool) int {
	quote := q[i]
	for j := i + 1; j < len(q); j++ {
		switch q[j] {
		case '\\':
			if escapes {
				j++
			}
		case quote:
			if j+1 < len(q) && q[j+1] == quote {
				j++
				continue
			}
			return j + 1
		}
	}
	return -1
}

func skipBlockComment(q string, i int) int { return orEnd(q, BlockCommentEnd(q, i)) }

// BlockCommentEnd returns the offset after the (nested) /* comment */
// opened at i, or -1 when it is never closed.
func BlockCommentEnd(q string, i int) int {
	depth := 0
	for j := i; j+1 < len(q); j++ {
		switch {
		case q[j] == '/' && q[j+1] == '*':
			depth++
			j++
		case q[j] == '*' && q[j+1] == '/':
			depth--
			j++
			if depth == 0 {
				return j + 1
			}
		}
	}
	return -1
}

// skipDollarQuoted skips $tag$...$tag$ opened at i, or just the '$' of a
// parameter such as $1.
func skipDollarQuoted(q string, i int) int { return orEnd(q, DollarEnd(q, i)) }

// DollarEnd returns the offset after $tag$...$tag$ opened at i, i+1 when
// the $ opens none (a parameter such as $1), or -1 when it is never
// closed.
func DollarEnd(q string, i int) int {
	j := i + 1
	for j < len(q) && IsIdentByte(q[j]) && !(j == i+1 && q[j] >= '0' && q[j] <= '9') {
		j++
	}
	if j >= len(q) || q[j] != '$' {
		return i + 1
	}
	tag := q[i : j+1]
	if end := strings.Index(q[j+1:], tag); end >= 0 {
		return j + 1 + end + len(tag)
	}
	return -1
}

// orEnd is end, or the end of q for what is never closed (-1).
func orEnd(q string, end int) int {
	if end < 0 {
		return len(q)
	}
	return end
}

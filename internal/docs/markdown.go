package docs

import (
	"html"
	"strings"
)

// Markdown renders a description written in a small, safe subset of
// Markdown to HTML: paragraphs, ATX headings (# to ######, shown one level
// down), "-", "*" and "1." lists, fenced code blocks, GitHub's tables (a
// header row, a |---|:---:| delimiter row, body rows), `code`, **strong**,
// *emphasis* and _emphasis_, and [links](url) whose URL is http, https,
// mailto or relative. Every other character is text: the input's HTML,
// <script> included, is escaped, never interpreted.
func Markdown(src string) string {
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	var b strings.Builder
	var para []string
	list := "" // "ul", "ol" or ""
	flushPara := func() {
		if len(para) > 0 {
			b.WriteString("<p>")
			b.WriteString(inline(strings.Join(para, " ")))
			b.WriteString("</p>\n")
			para = nil
		}
	}
	closeList := func() {
		if list != "" {
			b.WriteString("</" + list + ">\n")
			list = ""
		}
	}
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " \t")
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```"):
			flushPara()
			closeList()
			var code []string
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
				code = append(code, lines[i])
			}
			b.WriteString("<pre><code>" + html.EscapeString(strings.Join(code, "\n")) + "</code></pre>\n")
		case trimmed == "":
			flushPara()
			closeList()
		case i+1 < len(lines) && tableStart(trimmed, strings.TrimSpace(lines[i+1])):
			flushPara()
			closeList()
			i = table(&b, lines, i)
		case heading(trimmed) > 0:
			flushPara()
			closeList()
			level := heading(trimmed)
			tag := "h" + string(rune('0'+min(level+2, 6)))
			b.WriteString("<" + tag + ">" + inline(strings.TrimSpace(trimmed[level:])) + "</" + tag + ">\n")
		case listItem(trimmed) != "":
			flushPara()
			kind, text := listItem(trimmed), listText(trimmed)
			if list != kind {
				closeList()
				b.WriteString("<" + kind + ">\n")
				list = kind
			}
			b.WriteString("<li>" + inline(text) + "</li>\n")
		default:
			if list != "" && (strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "\t")) {
				// A continuation of the last item: append before </li>.
				s := b.String()
				if strings.HasSuffix(s, "</li>\n") {
					b.Reset()
					b.WriteString(strings.TrimSuffix(s, "</li>\n") + " " + inline(trimmed) + "</li>\n")
					continue
				}
			}
			closeList()
			para = append(para, trimmed)
		}
	}
	flushPara()
	closeList()
	return b.String()
}

// tableCells splits a table row into its cells, without the outer pipes.
func tableCells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(row, "|")
	if strings.HasSuffix(row, "|") && !strings.HasSuffix(row, "\\|") {
		row = row[:len(row)-1]
	}
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(row); i++ {
		switch {
		case row[i] == '\\' && i+1 < len(row) && row[i+1] == '|':
			cur.WriteByte('|')
			i++
		case row[i] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(row[i])
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

// tableAlign returns the alignments of a delimiter row (|---|:--:|--:|),
// or nil when row is not one.
func tableAlign(row string) []string {
	if !strings.Contains(row, "-") || !strings.Contains(row, "|") && !strings.Contains(row, ":") {
		return nil
	}
	cells := tableCells(row)
	out := make([]string, len(cells))
	for i, c := range cells {
		if strings.Trim(c, ":-") != "" || !strings.Contains(c, "-") {
			return nil
		}
		left, right := strings.HasPrefix(c, ":"), strings.HasSuffix(c, ":")
		switch {
		case left && right:
			out[i] = "center"
		case right:
			out[i] = "right"
		case left:
			out[i] = "left"
		}
	}
	return out
}

// tableStart reports whether head and next open a table: a row with a
// pipe, then a delimiter row with as many cells.
func tableStart(head, next string) bool {
	if !strings.Contains(head, "|") {
		return false
	}
	align := tableAlign(next)
	return align != nil && len(align) == len(tableCells(head))
}

// table writes the table whose header is lines[i] and returns the index
// of its last line.
func table(b *strings.Builder, lines []string, i int) int {
	head := tableCells(lines[i])
	align := tableAlign(strings.TrimSpace(lines[i+1]))
	cell := func(tag, text string, k int) {
		b.WriteString("<" + tag)
		if k < len(align) && align[k] != "" {
			b.WriteString(` style="text-align:` + align[k] + `"`)
		}
		b.WriteString(">" + inline(text) + "</" + tag + ">")
	}
	b.WriteString("<table>\n<thead><tr>")
	for k, c := range head {
		cell("th", c, k)
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	i += 2
	for ; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if t == "" || !strings.Contains(t, "|") {
			break
		}
		cells := tableCells(t)
		b.WriteString("<tr>")
		for k := range head {
			text := ""
			if k < len(cells) {
				text = cells[k]
			}
			cell("td", text, k)
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
	return i - 1
}

// heading returns the level of an ATX heading line, or 0.
func heading(s string) int {
	n := 0
	for n < len(s) && s[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n == len(s) || s[n] != ' ' {
		return 0
	}
	return n
}

func listItem(s string) string {
	if strings.HasPrefix(s, "- ") || strings.HasPrefix(s, "* ") || strings.HasPrefix(s, "+ ") {
		return "ul"
	}
	d := 0
	for d < len(s) && s[d] >= '0' && s[d] <= '9' {
		d++
	}
	if d > 0 && d+1 < len(s) && (s[d] == '.' || s[d] == ')') && s[d+1] == ' ' {
		return "ol"
	}
	return ""
}

func listText(s string) string {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return strings.TrimSpace(s[i+1:])
	}
	return s
}

// inline renders the inline syntax of one block; everything else is
// escaped text.
func inline(s string) string {
	var b strings.Builder
	prev := byte(' ')
	for len(s) > 0 {
		i := strings.IndexAny(s, "`*_[\\")
		if i < 0 {
			b.WriteString(html.EscapeString(s))
			break
		}
		b.WriteString(html.EscapeString(s[:i]))
		if i > 0 {
			prev = s[i-1]
		}
		s = s[i:]
		switch s[0] {
		case '\\':
			if len(s) > 1 && strings.IndexByte("\\`*_[]()#+-.!<>", s[1]) >= 0 {
				b.WriteString(html.EscapeString(s[1:2]))
				s = s[2:]
				continue
			}
		case '`':
			if j := strings.IndexByte(s[1:], '`'); j >= 0 {
				b.WriteString("<code>" + html.EscapeString(s[1:1+j]) + "</code>")
				s = s[j+2:]
				continue
			}
		case '*', '_':
			delim := s[:1]
			tag := "em"
			if strings.HasPrefix(s, delim+delim) {
				delim, tag = delim+delim, "strong"
			}
			rest := s[len(delim):]
			j := strings.Index(rest, delim)
			intraword := delim[0] == '_' && (isWord(prev) || j > 0 && j+len(delim) < len(rest) && isWord(rest[j+len(delim)]))
			if j > 0 && rest[0] != ' ' && rest[j-1] != ' ' && !intraword {
				b.WriteString("<" + tag + ">" + inline(rest[:j]) + "</" + tag + ">")
				s = rest[j+len(delim):]
				prev = delim[0]
				continue
			}
		case '[':
			if text, url, n, ok := link(s); ok {
				if safeURL(url) {
					b.WriteString(`<a href="` + html.EscapeString(url) + `" rel="noopener noreferrer">` + inline(text) + "</a>")
				} else {
					b.WriteString(inline(text))
				}
				s = s[n:]
				continue
			}
		}
		b.WriteString(html.EscapeString(s[:1]))
		prev = s[0]
		s = s[1:]
	}
	return b.String()
}

func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// link parses [text](url) at the start of s and returns its length.
func link(s string) (text, url string, n int, ok bool) {
	close := strings.Index(s, "](")
	if close < 0 || strings.ContainsAny(s[1:close], "[]") {
		return "", "", 0, false
	}
	// The URL ends at the ")" that balances the "(".
	depth, start := 1, close+2
	for k := start; k < len(s); k++ {
		switch s[k] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return s[1:close], strings.TrimSpace(s[start:k]), k + 1, true
			}
		}
	}
	return "", "", 0, false
}

// safeURL accepts http, https and mailto URLs and relative ones (no
// scheme), without spaces, quotes or angle brackets.
func safeURL(u string) bool {
	if u == "" || strings.ContainsAny(u, " \t\n\"'<>`\\") {
		return false
	}
	lu := strings.ToLower(u)
	for _, p := range []string{"http://", "https://", "mailto:", "#", "/", "./", "../"} {
		if strings.HasPrefix(lu, p) {
			return true
		}
	}
	return !strings.Contains(lu, ":")
}

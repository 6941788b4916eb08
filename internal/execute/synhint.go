package execute

import (
	"fmt"
	"sort"
	"strings"

	"github.com/agnivade/levenshtein"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// sqlToken is a token of SQL text: its bytes [start, end). A comment is
// no token.
type sqlToken struct {
	start, end int
	text       string
}

// unclosed is a string literal, quoted identifier or block comment that
// its SQL text never closes.
type unclosed struct {
	off  int    // the byte offset of its opening
	what string // "quoted string", "quoted identifier" or "/* comment"
	open string // the opening characters: ', ", /*
}

// lexSQL splits q into tokens as PostgreSQL's and DuckDB's lexers do for
// what a hint needs: words (identifiers, keywords, numbers), string
// literals ('...', E'...', $tag$...$tag$), quoted identifiers, and every
// other character on its own; comments (-- and nested /* */) are left out.
// open is the literal or comment that runs to the end of q, if any.
func lexSQL(q string) (toks []sqlToken, open *unclosed) {
	add := func(start, end int) {
		toks = append(toks, sqlToken{start, end, q[start:end]})
	}
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && strings.HasPrefix(q[i:], "--"):
			if nl := strings.IndexByte(q[i:], '\n'); nl >= 0 {
				i += nl + 1
			} else {
				i = len(q)
			}
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			end := sqlq.BlockCommentEnd(q, i)
			if end < 0 {
				return toks, &unclosed{i, "/* comment", "/*"}
			}
			i = end
		case c == '\'' || c == '"':
			escapes := c == '\'' && i > 0 && (q[i-1] == 'E' || q[i-1] == 'e') && (i < 2 || !isWordByte(q[i-2]))
			end := sqlq.QuotedEnd(q, i, escapes)
			if end < 0 {
				if c == '\'' {
					return toks, &unclosed{i, "quoted string", "'"}
				}
				return toks, &unclosed{i, "quoted identifier", `"`}
			}
			add(i, end)
			i = end
		case c == '$' && (i == 0 || !isWordByte(q[i-1])):
			end := sqlq.DollarEnd(q, i)
			if end < 0 {
				return toks, &unclosed{i, "dollar-quoted string", q[i : strings.IndexByte(q[i+1:], '$')+i+2]}
			}
			add(i, end)
			i = end
		case isWordByte(c):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			add(i, j)
			i = j
		default:
			add(i, i+1)
			i++
		}
	}
	return toks, nil
}

// clauseWords are the keywords that cannot follow a comma in a list: a
// comma before one of them lists nothing.
var clauseWords = map[string]bool{
	"from": true, "where": true, "group": true, "having": true, "order": true, "limit": true, "offset": true,
	"qualify": true, "window": true, "union": true, "except": true, "intersect": true, "join": true,
	"on": true, "using": true, "into": true, "select": true, "values": true, "returning": true,
}

// commonKeywords are the keywords a misspelled word is compared with.
var commonKeywords = []string{
	"select", "from", "where", "group", "order", "having", "limit", "offset", "qualify", "window",
	"union", "except", "intersect", "join", "inner", "left", "right", "outer", "cross", "full", "using",
	"with", "distinct", "between", "case", "when", "then", "else", "partition", "over", "values", "cast",
	"like", "ilike", "null", "exists", "lateral", "natural", "recursive", "rows", "range", "preceding",
	"following", "unbounded", "current", "filter", "within",
}

// misspelledKeyword returns the keyword that word is a typo of: a word of
// 4 letters or more, not a keyword itself nor a keyword's plural, one
// edit away from it or with two of its letters swapped; "" when none.
func misspelledKeyword(word string) string {
	w := strings.ToLower(word)
	if len(w) < 4 {
		return ""
	}
	for _, k := range commonKeywords {
		if k == w {
			return ""
		}
	}
	for _, k := range commonKeywords {
		if len(k) < 4 {
			continue
		}
		if w == k+"s" {
			continue // a plural names something: orders, rows
		}
		if d := levenshtein.ComputeDistance(w, k); d == 1 || d == 2 && len(w) == len(k) && sortedBytes(w) == sortedBytes(k) {
			return k
		}
	}
	return ""
}

func sortedBytes(s string) string {
	b := []byte(s)
	sort.Slice(b, func(i, j int) bool { return b[i] < b[j] })
	return string(b)
}

// syntaxInput is what syntaxHint reads: the SQL text the database could
// not parse, where it stopped, and how to name a place of the text.
type syntaxInput struct {
	// sql is the node's SQL as kiln nested it in its statement (its
	// compiled SQL, trimmed).
	sql string
	// off is the byte offset in sql of the token the database stopped
	// at; len(sql) when it stopped after sql (at kiln's text around it,
	// or at the end of the statement).
	off int
	// at names the place at byte offset i of sql for the user: the
	// project file's line and column when it maps back there, else the
	// compiled SQL's.
	at func(i int) string
	// rendered is the line of sql at off when Jinja or a macro changed
	// the project file's line up to the token (anywhere on it, when sql
	// ends early), else "".
	rendered string
	// compiled is the path of the compiled SQL under the target path,
	// "" when none is written.
	compiled string
}

// syntaxHint returns what to do about the database's syntax error de in
// in.sql. It names a cause only where one can be seen in the text: a
// quoted string, quoted identifier or comment that is never closed, a
// parenthesis that is never closed or closes none, a comma that lists
// nothing (before FROM, WHERE..., a closing parenthesis or the end) or
// follows another comma, a misspelled keyword at or just before the
// token, SQL that ends before its statement is complete; and shows the
// line as rendered when Jinja or a macro wrote it. Otherwise it says
// where to look. It is "" when de is not a syntax error.
func syntaxHint(de *adapter.Error, in syntaxInput) string {
	if de.Class != adapter.Syntax {
		return ""
	}
	toks, open := lexSQL(in.sql)
	var causes []string
	switch {
	case open == nil:
	case open.open != "/*" && strings.Contains(in.sql[:open.off], open.open):
		// Which quote lacks its partner cannot be told: the last one
		// is the one left open.
		causes = append(causes, fmt.Sprintf("the %s quotes do not pair up: the last one, at %s, opens a %s that is never closed; find the %s without its partner", open.open, in.at(open.off), open.what, open.open))
	default:
		causes = append(causes, fmt.Sprintf("the %s opened by %s at %s is never closed: close it", open.what, open.open, in.at(open.off)))
	}
	// Parentheses, matched as a bracket matcher does; atStop is what is
	// open where the parser stopped.
	var stack, atStop []int
	stopped := false
	extra := -1
	for _, t := range toks {
		if !stopped && t.start >= in.off {
			atStop, stopped = append([]int(nil), stack...), true
		}
		switch t.text {
		case "(":
			stack = append(stack, t.start)
		case ")":
			if len(stack) == 0 {
				if extra < 0 {
					extra = t.start
				}
			} else {
				stack = stack[:len(stack)-1]
			}
		}
	}
	if extra >= 0 {
		causes = append(causes, fmt.Sprintf("the ) at %s closes no parenthesis: remove it, or add the ( it closes", in.at(extra)))
	} else if len(stack) > 0 && open == nil {
		// One ) too few. When the parser stopped inside parentheses, the
		// one it was reading is the one left open: a later ) closes an
		// outer one in the text ("(select cast(a as int from t)"), but
		// the parser could not get that far. Else the innermost still
		// open at the end.
		unclosed := stack[len(stack)-1]
		if stopped && len(atStop) > 0 {
			unclosed = atStop[len(atStop)-1]
		}
		causes = append(causes, fmt.Sprintf("the ( at %s is never closed: add its )", in.at(unclosed)))
	}
	// The token the database stopped at, and the ones around it.
	i := sort.Search(len(toks), func(i int) bool { return toks[i].end > in.off })
	after := in.off >= len(in.sql) || i == len(toks)
	word := func(j int) string {
		if j < 0 || j >= len(toks) {
			return ""
		}
		return strings.ToLower(toks[j].text)
	}
	listEnd := func(j int) bool { return j >= len(toks) || clauseWords[word(j)] || word(j) == ")" }
	switch {
	case word(i) == "," && word(i-1) == ",":
		causes = append(causes, fmt.Sprintf("two commas in a row at %s: remove one, or write what goes between them", in.at(toks[i-1].start)))
	case word(i) == "," && listEnd(i+1) && open == nil:
		causes = append(causes, fmt.Sprintf("the comma at %s is followed by %s: remove it, or write what it should list", in.at(toks[i].start), next(toks, i+1)))
	case word(i-1) == "," && listEnd(i) && open == nil:
		causes = append(causes, fmt.Sprintf("the comma at %s is followed by %s: remove it, or write what it should list", in.at(toks[i-1].start), next(toks, i)))
	}
	// A misspelled keyword where the parser stopped, or just before a word
	// or quoted identifier it stopped at (read as an alias: "wehre id",
	// "form {{ ref('a') }}", which renders "staging"."a"); not a word the
	// SQL uses elsewhere, which names something.
	uses := map[string]int{}
	for _, t := range toks {
		uses[strings.ToLower(t.text)]++
	}
	for _, j := range []int{i, i - 1} {
		if j < 0 || j >= len(toks) || !isWordByte(toks[j].text[0]) || uses[word(j)] > 1 {
			continue
		}
		k := misspelledKeyword(word(j))
		if k == "" || j == i-1 && (!clauseWords[k] && k != "with" || i >= len(toks) || !isWordByte(toks[i].text[0]) && toks[i].text[0] != '"') {
			continue
		}
		causes = append(causes, fmt.Sprintf("%q at %s: did you mean %q?", toks[j].text, in.at(toks[j].start), strings.ToUpper(k)))
		break
	}
	if after && len(toks) > 0 && len(causes) == 0 {
		last := toks[len(toks)-1]
		msg := fmt.Sprintf("the SQL ends after %q (%s) before its statement is complete", last.text, in.at(last.start))
		if strings.Contains(de.Msg, `near ")"`) {
			msg += `; the ")" in the message is kiln's, after the SQL`
		}
		causes = append(causes, msg+": finish the expression or clause, or remove it")
	}
	var b strings.Builder
	if len(causes) == 0 {
		b.WriteString("the parser stopped at this token: look just before it for a missing comma, operator or keyword, or a word that should be quoted")
	} else {
		b.WriteString(strings.Join(causes, "; "))
	}
	if in.rendered != "" {
		fmt.Fprintf(&b, "; the line renders to: %s", strings.TrimSpace(in.rendered))
	}
	if in.compiled != "" && (in.rendered != "" || len(causes) == 0) {
		fmt.Fprintf(&b, " (kiln compile writes the rendered SQL to %s)", in.compiled)
	}
	return b.String()
}

// next names the token at i of toks for a hint: the keyword in capitals,
// ")" quoted, or "the end of the SQL".
func next(toks []sqlToken, i int) string {
	if i >= len(toks) {
		return "the end of the SQL"
	}
	if toks[i].text == ")" {
		return `")"`
	}
	return strings.ToUpper(toks[i].text)
}

package execute

import (
	"errors"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/materialize"
	"github.com/kiln-build/kiln/internal/run"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// cte is a common table expression that kiln put in a node's SQL, whose
// body came from another node's file: an ephemeral model inlined.
type cte struct {
	marker string      // "name as (\n", which opens it
	body   string      // its query, as nested
	node   *graph.Node // the node whose file wrote body
}

// inlined returns the ephemeral models inlined in n's compiled SQL, as
// the compiler inlines them (compiler.EphemeralPrefix).
func (e *Executor) inlined(n *graph.Node) []cte {
	var out []cte
	for _, p := range e.g.Parents(n.ID) {
		pn := e.g.Node(p)
		if pn != nil && pn.Kind == graph.Model && pn.Config.Materialized == graph.Ephemeral {
			out = append(out, cte{marker: compiler.EphemeralPrefix + pn.Name + " as (\n", body: strings.TrimSpace(pn.CompiledCode), node: pn})
		}
	}
	return out
}

// sourcePos maps byte offset off of text, SQL that kiln ran holding the
// code of node n (its compiled SQL, or the model's SQL in a unit test's
// query), to the position in the project file that wrote the token there:
// n's file, or an ephemeral model's when off falls in the CTE kiln inlined
// for it. ctes are the CTEs of text whose bodies come from other nodes'
// files; an offset in a CTE whose node is nil (a unit test's given rows)
// is in no .sql file: ok is false.
func (e *Executor) sourcePos(n *graph.Node, text string, off int, ctes []cte) (diag.Pos, bool) {
	for _, c := range ctes {
		i := strings.Index(text, c.marker)
		if i < 0 {
			continue
		}
		start := i + len(c.marker)
		if off >= start && off < start+len(c.body) {
			if c.node == nil {
				return diag.Pos{}, false
			}
			return e.sourcePos(c.node, c.body, off-start, e.inlined(c.node))
		}
	}
	if n.Kind == graph.Test && n.Test != nil && n.Test.Where != "" && n.Test.WhereAt.File != "" {
		// A token of the test's where config: where it is written.
		w := " where " + n.Test.Where + ") dbt_subquery"
		if i := strings.Index(text, w); i >= 0 && off >= i+len(" where ") && off < i+len(w)-len(") dbt_subquery") {
			return n.Test.WhereAt, true
		}
	}
	if n.RawCode == "" || n.Path == "" || n.Kind == graph.Test && n.Test != nil && n.Test.Generic != "" {
		return diag.Pos{}, false // a generic test's SQL is its macro's, not its YAML entry's
	}
	line, col, ok := rawPos(n.RawCode, text, off)
	if !ok {
		return diag.Pos{}, false
	}
	return diag.Pos{File: n.Path, Line: line, Col: col}, true
}

// rawPos maps byte offset off of compiled, the rendering of the template
// raw, to a 1-based line and byte column of raw: the lines that rendering
// left as they were are aligned (the longest common subsequence of the
// non-blank lines); a token on such a line keeps its column, a token on a
// rendered line is looked for, as a word, on the raw lines between the
// aligned ones around it, or found where a raw line there starts with the
// compiled line's text before it or ends with the text from it on (col 0
// when it is not found there). ok is false when off is past the end of
// compiled.
func rawPos(raw, compiled string, off int) (line, col int, ok bool) {
	if off < 0 || off > len(compiled) {
		return 0, 0, false
	}
	cl, cc := diag.Offset(compiled, off)
	r, c := strings.Split(raw, "\n"), strings.Split(compiled, "\n")
	match := alignLines(r, c)
	cl-- // 0-based
	tok := tokenAt(c[cl], cc-1)
	// lo..hi are the raw lines that may have written compiled line cl,
	// guess the one at the same distance from the aligned line before.
	lo, hi, guess := 0, len(r)-1, 0
	if m := match[cl]; m >= 0 {
		if r[m] == c[cl] {
			return m + 1, cc, true
		}
		lo, hi, guess = m, m, m
	} else {
		from := 0
		for i := cl - 1; i >= 0; i-- {
			if match[i] >= 0 {
				lo, from = match[i]+1, i+1
				break
			}
		}
		for i := cl + 1; i < len(c); i++ {
			if match[i] >= 0 {
				hi = match[i] - 1
				break
			}
		}
		guess = min(max(lo+cl-from, lo), hi)
	}
	if lo > hi {
		return min(lo, len(r)-1) + 1, 0, true
	}
	// A raw line that starts with the compiled line's text before the
	// token, or ends with its text from the token on, holds the token
	// at that place (any token: a comma as well as a word).
	before, from := c[cl][:cc-1], c[cl][cc-1:]
	for d := 0; guess-d >= lo || guess+d <= hi; d++ {
		for _, i := range []int{guess - d, guess + d} {
			if i < lo || i > hi || (d == 0 && i != guess) {
				continue
			}
			switch {
			case strings.TrimSpace(before) != "" && strings.HasPrefix(r[i], before):
				return i + 1, cc, true
			case strings.TrimSpace(from) != "" && strings.HasSuffix(strings.TrimRight(r[i], " \t\r"), strings.TrimRight(from, " \t\r")):
				return i + 1, len(strings.TrimRight(r[i], " \t\r")) - len(strings.TrimRight(from, " \t\r")) + 1, true
			}
		}
	}
	if tok != "" {
		// The raw lines nearest the guess first.
		for d := 0; guess-d >= lo || guess+d <= hi; d++ {
			for _, i := range []int{guess - d, guess + d} {
				if i < lo || i > hi || (d == 0 && i != guess) {
					continue
				}
				if j := indexWord(r[i], tok); j >= 0 {
					return i + 1, j + 1, true
				}
			}
		}
	}
	return guess + 1, 0, true
}

// alignLines returns, for each line of c, the index of the line of r it is
// aligned with, or -1: the longest common subsequence of equal lines
// (trailing spaces aside), blank lines left out.
func alignLines(r, c []string) []int {
	key := func(s string) string { return strings.TrimRight(s, " \t\r") }
	n, m := len(r), len(c)
	// lcs[i][j] is the length of the LCS of r[i:] and c[j:].
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			switch {
			case key(r[i]) != "" && key(r[i]) == key(c[j]):
				lcs[i][j] = lcs[i+1][j+1] + 1
			case lcs[i+1][j] >= lcs[i][j+1]:
				lcs[i][j] = lcs[i+1][j]
			default:
				lcs[i][j] = lcs[i][j+1]
			}
		}
	}
	match := make([]int, m)
	for j := range match {
		match[j] = -1
	}
	for i, j := 0, 0; i < n && j < m; {
		switch {
		case key(r[i]) != "" && key(r[i]) == key(c[j]):
			match[j] = i
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			i++
		default:
			j++
		}
	}
	return match
}

func isWordByte(b byte) bool { return sqlq.IsIdentByte(b) }

// tokenAt returns the token that starts at byte i of line: a word, or a
// quoted identifier; "" for anything else.
func tokenAt(line string, i int) string {
	if i < 0 || i >= len(line) {
		return ""
	}
	if line[i] == '"' {
		if j := strings.IndexByte(line[i+1:], '"'); j >= 0 {
			return line[i : i+j+2]
		}
		return ""
	}
	j := i
	for j < len(line) && isWordByte(line[j]) {
		j++
	}
	return line[i:j]
}

// indexWord returns the byte index of tok in s where it stands as a word
// (not inside a longer one), or -1.
func indexWord(s, tok string) int {
	for from := 0; ; {
		i := strings.Index(s[from:], tok)
		if i < 0 {
			return -1
		}
		i += from
		before := i == 0 || !isWordByte(s[i-1]) || !isWordByte(tok[0])
		end := i + len(tok)
		after := end == len(s) || !isWordByte(s[end]) || !isWordByte(tok[len(tok)-1])
		if before && after {
			return i
		}
		from = i + 1
	}
}

// bodyOffset returns the byte offset, in query's trimmed text
// (materialize.Body), of the token at 1-based line and column of sql, a
// statement that nests that text at byte body; ok is false when the
// position is outside it (or unknown).
func bodyOffset(sql string, body, line, col int, query string) (off int, ok bool) {
	p, ok := diag.ByteOffset(sql, line, col)
	if body < 0 || !ok {
		return 0, false
	}
	trimmed := materialize.Body(query)
	if p < body || p >= body+len(trimmed) {
		return 0, false
	}
	return p - body, true
}

// QueryError explains err, the database's error running query, the
// compiled SQL of node n run as it is (kiln show): a *run.NodeError at the
// position in n's file of the token the database points at (n's own
// position when it cannot be told), with a hint. An error that is not the
// database's is returned as it is.
func QueryError(g *graph.Graph, n *graph.Node, query string, err error) error {
	var de *adapter.Error
	if !errors.As(err, &de) {
		return err
	}
	ne := &run.NodeError{Pos: n.Pos, Msg: de.Error(), Err: err, Hint: sqlHint(g, n, de)}
	if query != n.CompiledCode {
		return ne
	}
	e := &Executor{g: g}
	off, ok := diag.ByteOffset(query, de.Line, de.Col)
	lead := strings.Index(query, materialize.Body(query))
	body := len(materialize.Body(query))
	syntaxAt := -1
	if de.Class == adapter.Syntax {
		switch {
		case ok && off >= lead && off < lead+body:
			syntaxAt = off - lead
		case ok && off >= lead+body && strings.Trim(query[lead+body:off], " \t\r\n;") == "",
			!ok && de.Line == 0 && strings.Contains(de.Msg, "end of input"):
			syntaxAt = body
			if toks, _ := lexSQL(materialize.Body(query)); len(toks) > 0 {
				off, ok = lead+toks[len(toks)-1].start, true
			}
		}
	}
	var mapped diag.Pos
	if ok {
		if pos, ok := e.sourcePos(n, query, off, e.inlined(n)); ok {
			ne.Pos, mapped = pos, pos
		}
	}
	if syntaxAt >= 0 {
		ne.Hint = e.syntaxHint(n, de, lead, syntaxAt, mapped, "")
	}
	return ne
}

// argPos returns where, in its YAML, generic test n writes the argument
// whose value is the token at byte offset off of its compiled SQL code
// (a relationships test's field: that names no column of its to: model);
// ok is false when the token is no argument's value, or the value of
// several.
func argPos(n *graph.Node, code string, off int) (diag.Pos, bool) {
	if n.Kind != graph.Test || n.Test == nil || n.Test.Generic == "" || off < 0 || off >= len(code) {
		return diag.Pos{}, false
	}
	l, c := diag.Offset(code, off)
	line := strings.Split(code, "\n")[l-1]
	tok := strings.Trim(tokenAt(line, c-1), `"`)
	if tok == "" {
		return diag.Pos{}, false
	}
	var found []diag.Pos
	for k, v := range n.Test.Args {
		if s, ok := v.(string); ok && strings.Trim(strings.TrimSpace(s), `"`) == tok {
			if p, ok := n.Test.ArgsAt[k]; ok && p.File != "" {
				found = append(found, p)
			}
		}
	}
	if len(found) != 1 {
		return diag.Pos{}, false
	}
	return found[0], true
}

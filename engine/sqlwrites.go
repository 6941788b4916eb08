package engine

import (
	"slices"
	"strings"
	"unicode"

	"github.com/kiln-build/kiln/internal/sqlq"
)

// A statement a hook, on-run-start, on-run-end or run_query runs is
// classified by its first keywords, without a parser: kiln only needs to
// know whether it may have written a relation kiln builds, and errs
// towards "may write".

// harmless are the first keywords of statements that write no table's
// rows: reads, privileges, comments, statistics, settings, transaction
// control, and the DuckDB statements that change the session or the
// catalog without data (create index is handled in stmtWrites).
var harmless = map[string]bool{
	"select": true, "values": true, "table": true, "grant": true, "revoke": true, "comment": true,
	"analyze": true, "analyse": true, "vacuum": true, "checkpoint": true, "set": true, "reset": true,
	"pragma": true, "show": true, "describe": true, "desc": true, "summarize": true,
	"begin": true, "start": true, "commit": true, "end": true, "rollback": true, "abort": true,
	"use": true, "load": true, "install": true, "listen": true, "notify": true, "discard": true,
	"prepare": true, "deallocate": true, "fetch": true, "close": true, "lock": true,
}

// writeWords are the words whose presence makes a WITH statement (or an
// EXPLAIN ANALYZE) a possible write: PostgreSQL's data-modifying CTEs.
var writeWords = map[string]bool{"insert": true, "update": true, "delete": true, "merge": true, "truncate": true,
	"copy": true, "create": true, "drop": true, "alter": true, "call": true}

// stmtWrites classifies each statement of sql (sqlq.StatementSpans):
// for each that may write a table's rows or replace a
// relation, the relation it names ("schema.name" or "name", lower case,
// unquoted), or "" when the statement may write any relation (an unknown
// form: call, a data-modifying CTE, a do block). Statements harmless to
// data are left out; nil when every statement is harmless.
func stmtWrites(sql string) []string {
	var out []string
	for _, sp := range sqlq.StatementSpans(sql) {
		s := sql[sp[0]:sp[1]]
		words := sqlWords(s, 8)
		if len(words) == 0 {
			continue
		}
		if target, writes := classify(words, s); writes {
			out = append(out, target)
			if target != "" {
				out = append(out, alsoWrites(sqlWords(s, -1), target)...)
			}
		}
	}
	return out
}

// alsoWrites returns the other relations a statement of words (all its
// words) that writes target names: the rest of a list (truncate a, b;
// drop table a, b) and the new name of a rename (alter table s.a rename
// to b: s.b).
func alsoWrites(w []string, target string) []string {
	var out []string
	for i := 0; i+1 < len(w); i++ {
		if w[i] != target {
			continue
		}
		for j := i + 1; j+1 < len(w) && w[j] == "," && (w[0] == "truncate" || w[0] == "drop"); j += 2 {
			out = append(out, w[j+1])
		}
		if w[0] == "alter" && i+3 < len(w) && w[i+1] == "rename" && w[i+2] == "to" {
			name := w[i+3]
			if k := strings.LastIndexByte(target, '.'); k >= 0 && !strings.Contains(name, ".") {
				name = target[:k+1] + name
			}
			out = append(out, name)
		}
		break
	}
	return out
}

// classify returns whether the statement of words (its first words,
// lower case, identifiers unquoted) may write, and the relation it
// writes when its form names one.
func classify(w []string, s string) (string, bool) {
	at := func(i int) string {
		if i < len(w) {
			return w[i]
		}
		return ""
	}
	// skip drops the optional words opt at position i.
	skip := func(i int, opt ...string) int {
		for i < len(w) && slices.Contains(opt, w[i]) {
			i++
		}
		return i
	}
	switch w[0] {
	case "with":
		for _, x := range sqlWords(s, -1) {
			if writeWords[x] {
				return "", true
			}
		}
		return "", false
	case "explain":
		// explain analyze runs the statement it explains.
		all := sqlWords(s, -1)
		for _, x := range all {
			if x == "analyze" || x == "analyse" {
				for _, y := range all {
					if writeWords[y] {
						return "", true
					}
				}
			}
		}
		return "", false
	case "insert":
		i := skip(1, "or", "replace", "ignore")
		if at(i) == "into" {
			return at(i + 1), true
		}
		return "", true
	case "update":
		return at(skip(1, "only")), true
	case "delete":
		if at(1) == "from" {
			return at(skip(2, "only")), true
		}
		return "", true
	case "merge":
		if at(1) == "into" {
			return at(2), true
		}
		return "", true
	case "truncate":
		return at(skip(1, "table", "only")), true
	case "copy":
		// copy t from ... writes t; copy t to ... and copy (query) to ... read.
		if strings.HasPrefix(at(1), "(") || at(2) == "to" {
			return "", false
		}
		return at(1), true
	case "create", "drop", "alter":
		i := skip(1, "or", "replace", "temp", "temporary", "transient", "unlogged", "global", "local", "materialized", "unique")
		switch at(i) {
		case "index", "schema", "sequence", "macro", "function", "role", "user", "type", "secret", "extension", "procedure", "trigger", "database":
			// No relation's rows: an index, a namespace, a function...
			// (drop schema ... cascade drops relations).
			if w[0] == "drop" && at(i) == "schema" {
				return "", true
			}
			if at(i) == "trigger" || at(i) == "procedure" {
				return "", true // a trigger may write later, at anyone's write
			}
			return "", false
		case "table", "view":
			return at(skip(i+1, "if", "not", "exists")), true
		}
		return "", true
	}
	if harmless[w[0]] {
		return "", false
	}
	return "", true
}

// sqlWords returns the first n words of statement s (all when n < 0),
// lower case, past comments: a word is a dotted name whose parts may be
// double-quoted (returned unquoted, "main"."t" as main.t), or a single
// punctuation character other than a dot.
func sqlWords(s string, n int) []string {
	var out []string
	i := 0
	for i < len(s) && (n < 0 || len(out) < n) {
		c := s[i]
		switch {
		case unicode.IsSpace(rune(c)):
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			if end := strings.Index(s[i+2:], "*/"); end >= 0 {
				i += end + 4
			} else {
				i = len(s)
			}
		case c == '\'':
			for i++; i < len(s) && s[i] != '\''; i++ {
			}
			i++
			out = append(out, "'")
		case c == '"' || c == '_' || unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c)):
			var b strings.Builder
			for i < len(s) {
				if s[i] == '"' {
					j := strings.IndexByte(s[i+1:], '"')
					if j < 0 {
						j = len(s) - i - 1
					}
					b.WriteString(s[i+1 : i+1+j])
					i += j + 2
				} else if r := rune(s[i]); r == '_' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r) || r >= 0x80 {
					b.WriteString(strings.ToLower(string(s[i])))
					i++
				} else {
					break
				}
				if i < len(s) && s[i] == '.' {
					b.WriteByte('.')
					i++
					continue
				}
				if i < len(s) && (s[i] == '"' || s[i] == '_' || unicode.IsLetter(rune(s[i])) || unicode.IsDigit(rune(s[i]))) {
					continue
				}
				break
			}
			out = append(out, strings.ToLower(b.String()))
		default:
			out = append(out, string(c))
			i++
		}
	}
	return out
}

package duck

import (
	"context"
	"errors"
	"github.com/kiln-build/kiln/internal/sqlq"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/kiln-build/kiln/adapter"
)

// Error is an error reported by DuckDB for a statement: adapter.Error,
// with Type DuckDB's class of error ("Binder", "Parser", "Catalog",
// "Conversion", "Constraint", "Interrupt", "IO", "Invalid Input", ...) and
// Class what it means for a run (see classify).
type Error = adapter.Error

// LockError reports that another process holds the database file: DuckDB
// allows one writing process per file.
type LockError = adapter.LockError

var (
	lockPID     = regexp.MustCompile(`\(PID (\d+)\)`)
	lockProgram = regexp.MustCompile(`lock is held in (.+?) \(PID \d+\)`)
)

// lockError returns *LockError when msg is DuckDB's "Could not set lock on
// file" error, else nil.
func lockError(path, msg string, err error) *LockError {
	if !strings.Contains(msg, "Could not set lock on file") {
		return nil
	}
	le := &LockError{Path: path, Err: err}
	if m := lockPID.FindStringSubmatch(msg); m != nil {
		le.PID, _ = strconv.Atoi(m[1])
	}
	if m := lockProgram.FindStringSubmatch(msg); m != nil {
		le.Program = m[1]
	}
	return le
}

// wrap converts a driver error for query into *Error (or returns it as is
// when it does not come from DuckDB). When ctx has ended, the result also
// matches ctx.Err() with errors.Is.
func wrap(err error, query string, ctx context.Context) error {
	if err == nil {
		return nil
	}
	var de *duckdb.Error
	if !errors.As(err, &de) {
		return err
	}
	e := parseError(de.Msg, query)
	e.Err = err
	if ctx != nil && ctx.Err() != nil {
		e.Ctx = ctx.Err()
	}
	e.Class = classify(e)
	return e
}

// parseError splits a DuckDB error message:
//
//	Binder Error: Referenced column "x" not found in FROM clause!
//	Candidate bindings: "a"
//
//	LINE 3:   x from t
//	          ^
//
// and computes Line/Col against query (the SQL text that failed) when the
// excerpt is found in it. A token quoted over several lines (an
// unterminated string runs to the end of the statement) is cut to its
// first line, ending with ...".
func parseError(msg, query string) *Error {
	lines := strings.Split(strings.ReplaceAll(msg, "\r\n", "\n"), "\n")
	e := &Error{}
	e.Type, e.Msg = splitPrefix(lines[0])
	first := 1
	if i := strings.Index(e.Msg, ` at or near "`); i >= 0 && !strings.HasSuffix(e.Msg[i+len(` at or near "`):], `"`) {
		// The token runs over several lines (an unterminated string
		// quotes the rest of the statement): its first line stands
		// for it, not the others as detail.
		for first < len(lines) && !strings.HasSuffix(lines[first], `"`) {
			first++
		}
		if first < len(lines) {
			e.Msg += `..."`
			first++
		} else {
			first = 1
		}
	}
	var detail []string
	for i := first; i < len(lines); i++ {
		l := lines[i]
		if n, excerpt, ok := lineExcerpt(l); ok && i+1 < len(lines) && strings.Contains(lines[i+1], "^") {
			caret := strings.IndexByte(lines[i+1], '^') - (len(l) - len(excerpt))
			e.Line, e.Col = locate(query, n, excerpt, caret)
			i++
			continue
		}
		if l = cleanDetail(l); l != "" {
			detail = append(detail, l)
		}
	}
	e.Detail = strings.Join(detail, "\n")
	return e
}

// systemName matches the names of DuckDB's own catalog objects, which its
// "Did you mean" offers for a table it cannot find (pg_sequences,
// pragma_database_list, duckdb_tables, sqlite_master, information_schema).
var systemName = regexp.MustCompile(`^"?(pg_|pragma_|duckdb_|sqlite_|information_schema)`)

// cleanDetail returns a line of an error's detail as a user should read
// it: "" for a blank line or a "Did you mean" that names one of DuckDB's
// own catalog objects (noise beside a model's missing parent), and a
// "Candidate bindings:" line without empty entries ("Candidate bindings:
// : " when DuckDB has none to offer), or "" when none remains.
func cleanDetail(l string) string {
	l = strings.TrimSpace(l)
	if rest, ok := strings.CutPrefix(l, "Did you mean "); ok && systemName.MatchString(rest) {
		return ""
	}
	if rest, ok := strings.CutPrefix(l, "Candidate bindings:"); ok {
		var keep []string
		for _, c := range strings.Split(rest, ",") {
			if c = strings.Trim(strings.TrimSpace(c), ":"); strings.TrimSpace(c) != "" {
				keep = append(keep, strings.TrimSpace(c))
			}
		}
		if len(keep) == 0 {
			return ""
		}
		return "Candidate bindings: " + strings.Join(keep, ", ")
	}
	return l
}

// classify returns what DuckDB error e means for a run: DuckDB's I/O
// errors and transaction conflicts are transient (another try may pass),
// an interrupted statement is Interrupted, a parser error Syntax, binder
// and catalog errors Semantic, conversion, constraint and out-of-range
// errors Data.
func classify(e *Error) adapter.Class {
	switch {
	case e.Ctx != nil || e.Type == "Interrupt":
		return adapter.Interrupted
	case e.Type == "IO" || e.Type == "TransactionContext" || e.Type == "Transaction",
		strings.Contains(e.Msg, "Conflict") || strings.Contains(e.Msg, "conflict"):
		return adapter.Transient
	case e.Type == "Parser" || e.Type == "Syntax":
		return adapter.Syntax
	case e.Type == "Binder" || e.Type == "Catalog" || e.Type == "Not implemented" || e.Type == "Dependency":
		return adapter.Semantic
	case e.Type == "Conversion" || e.Type == "Constraint" || e.Type == "Out of Range" || e.Type == "Invalid Input" || e.Type == "Arithmetic":
		return adapter.Data
	}
	return adapter.Other
}

// splitPrefix splits "Binder Error: msg" into ("Binder", "msg"); DuckDB's
// upper-case classes ("INTERRUPT Error") are title-cased.
func splitPrefix(first string) (typ, msg string) {
	prefix, rest, ok := strings.Cut(first, ": ")
	if !ok || !strings.HasSuffix(prefix, "Error") || strings.ContainsAny(prefix, `"'(`) {
		return "", first
	}
	typ = strings.TrimSpace(strings.TrimSuffix(prefix, "Error"))
	switch typ {
	case "INTERRUPT", "FATAL", "INTERNAL":
		typ = typ[:1] + strings.ToLower(typ[1:])
	}
	return typ, rest
}

var lineRE = regexp.MustCompile(`^LINE (\d+): `)

// lineExcerpt parses "LINE 3: <excerpt>".
func lineExcerpt(l string) (n int, excerpt string, ok bool) {
	m := lineRE.FindStringSubmatch(l)
	if m == nil {
		return 0, "", false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n < 1 {
		return 0, "", false
	}
	return n, l[len(m[0]):], true
}

// locate returns the 1-based line and byte column in query of the token
// that DuckDB's caret points at, caret display cells after the start of the
// excerpt of line n.
//
// DuckDB formats the error against the text of the failing statement: it
// takes the statement's line holding offset p, where p is the token's
// offset in the whole query text, and puts the caret p minus that line's
// start (both offsets counted in the statement's own text) cells in. For
// the first statement of a text the two coincide; for later ones, the line
// number and caret are skewed (DuckDB 1.5.6), so locate finds the statement
// whose line n is the excerpt and recomputes p. DuckDB also shortens long
// lines to an excerpt framed by "...". Without query, only an unshortened
// excerpt gives a column. Unknown parts are 0.
func locate(query string, n int, excerpt string, caret int) (line, col int) {
	if caret < 0 {
		return n, 0
	}
	shortened := strings.HasPrefix(excerpt, "...")
	if shortened {
		excerpt = excerpt[3:]
		caret -= 3
	}
	if strings.HasSuffix(excerpt, "...") {
		shortened = true
		excerpt = strings.TrimSuffix(excerpt, "...")
	}
	off := byteOffset(excerpt, caret)
	if off < 0 {
		return n, 0
	}
	if query == "" {
		if shortened {
			return n, 0
		}
		return n, off + 1
	}
	spans := sqlq.StatementSpans(query)
	for _, sp := range spans {
		// DuckDB 1.5 takes a statement's text from the end of the one
		// before, DuckDB 2.0 from its first token: try both.
		for _, skip := range []int{0, blankPrefix(query[sp[0]:sp[1]])} {
			stmt := query[sp[0]+skip : sp[1]]
			ls, text, ok := lineAt(stmt, n)
			if !ok {
				continue
			}
			var at int
			if shortened {
				if at = strings.Index(text, excerpt); at < 0 {
					continue
				}
			} else if strings.TrimRight(text, " \t\r;") != strings.TrimRight(excerpt, " \t\r;") {
				continue
			}
			p := ls + at + off
			if len(spans) > 1 && (p < sp[0] || p > sp[1]) {
				continue // the token must lie in the failing statement
			}
			return lineCol(query, p)
		}
	}
	if len(spans) == 1 {
		return n, 0
	}
	return 0, 0
}

// blankPrefix returns the length of the white space and comments (-- and
// nested /* */) that start s.
func blankPrefix(s string) int {
	i := 0
	for i < len(s) {
		switch {
		case s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f' || s[i] == '\v':
			i++
		case strings.HasPrefix(s[i:], "--"):
			nl := strings.IndexByte(s[i:], '\n')
			if nl < 0 {
				return len(s)
			}
			i += nl + 1
		case strings.HasPrefix(s[i:], "/*"):
			depth := 0
			for i < len(s) {
				if strings.HasPrefix(s[i:], "/*") {
					depth++
					i += 2
				} else if strings.HasPrefix(s[i:], "*/") {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		default:
			return i
		}
	}
	return i
}

// shiftPos moves line and col (col 0: unknown), a position in stmt, the
// text at byte offset start of query, to query.
func shiftPos(query string, start int, stmt string, line, col int) (int, int) {
	ls, _, ok := lineAt(stmt, line)
	if !ok {
		return line, col
	}
	if col == 0 {
		l, _ := lineCol(query, start+ls)
		return l, 0
	}
	return lineCol(query, start+ls+col-1)
}

// lineCol converts byte offset p of s into a 1-based line and byte column.
func lineCol(s string, p int) (line, col int) {
	p = min(p, len(s))
	before := s[:p]
	nl := strings.LastIndexByte(before, '\n')
	return strings.Count(before, "\n") + 1, p - nl
}

// byteOffset returns the byte offset in s of the rune that starts width
// display cells in, measuring as DuckDB does (control characters such as
// tabs take no cell, wide East Asian characters two); -1 if s is shorter.
// A rune of no width there is passed over: the token is the next one (a
// caret at 0 on "\tx" points at x).
func byteOffset(s string, width int) int {
	w := 0
	for i, r := range s {
		rw := runeWidth(r)
		if w >= width && rw > 0 {
			return i
		}
		w += rw
	}
	if w >= width {
		return len(s)
	}
	return -1
}

func runeWidth(r rune) int {
	switch {
	case r == utf8.RuneError, r < 0x20, r == 0x7f, unicode.Is(unicode.Mn, r):
		return 0
	case r >= 0x1100 && (r <= 0x115f || (r >= 0x2e80 && r <= 0xa4cf) ||
		(r >= 0xac00 && r <= 0xd7a3) || (r >= 0xf900 && r <= 0xfaff) ||
		(r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60) ||
		(r >= 0xffe0 && r <= 0xffe6) || (r >= 0x1f300 && r <= 0x1f64f) ||
		(r >= 0x20000 && r <= 0x3fffd)):
		return 2
	}
	return 1
}

// lineAt returns the byte offset in s of the start of line n (1-based)
// and the line's text without its terminator.
func lineAt(s string, n int) (start int, text string, ok bool) {
	for i := 1; ; i++ {
		end := strings.IndexByte(s[start:], '\n')
		if i == n {
			if end < 0 {
				return start, strings.TrimSuffix(s[start:], "\r"), true
			}
			return start, strings.TrimSuffix(s[start:start+end], "\r"), true
		}
		if end < 0 {
			return 0, "", false
		}
		start += end + 1
	}
}

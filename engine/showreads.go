package engine

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// kiln show only reads the database, as dbt show only previews a query
// (it wraps the query in a select with a limit, so that a statement that
// writes fails). kiln runs the query as given, so the guarantee is
// structural: every statement of the user's (the query, and a
// template's run_query rendered with execute true) runs in a read-only
// transaction that is rolled back (adapter.BeginReadOnly), in which the
// database itself refuses a write, also one no keyword shows (a function
// or a macro that writes, a qualified nextval). The database is opened
// for writing all the same, not read-only (DuckDB's access_mode): kiln
// show first finishes what a killed run left (recover), which writes and
// needs the file's exclusive lock to know that no run is alive; one open
// does both. Before anything runs, a statement whose keywords say it may
// write (showWrite: insert, update, delete, create, drop, alter, copy,
// attach, comment, call, commit...) is refused with its place in the
// file and a hint: a better message, and what a transaction does not
// refuse (COPY ... TO a file, ATTACH, ending the transaction).

// showReads are the first keywords of the statements kiln show runs:
// queries (DuckDB's from-first and pivot forms, a parenthesized query),
// the catalog's and the plan's reads, and the session's settings.
var showReads = map[string]bool{
	"select": true, "with": true, "values": true, "table": true, "from": true, "(": true,
	"pivot": true, "unpivot": true, "pragma": true, "show": true, "describe": true, "desc": true,
	"summarize": true, "explain": true, "set": true, "reset": true,
}

// readWrites are words that make a read form write: PostgreSQL's select
// ... into (a new table), a sequence's nextval and setval.
var readWrites = map[string]bool{"into": true, "nextval": true, "setval": true}

// ShowWriteHint is the hint of kiln show's refusal of a statement that
// may write.
const ShowWriteHint = "use kiln run-operation (a macro that calls run_query) for statements that change the database; kiln show runs queries: select, with ... select, values, table, from, pivot, pragma, describe, show, summarize, explain"

// showWrite returns the first statement of sql (sqlq.StatementSpans)
// that kiln show does not run because it may write: its byte offset in
// sql (past leading white space) and its text shortened for a message
// (at most 40 characters, white space collapsed). ok is false when every
// statement reads.
func showWrite(sql string) (offset int, text string, ok bool) {
	for _, sp := range sqlq.StatementSpans(sql) {
		s := sql[sp[0]:sp[1]]
		words := sqlWords(s, 8)
		if len(words) == 0 || readsOnly(words, s) {
			continue
		}
		lead := len(s) - len(strings.TrimLeft(s, " \t\r\n"))
		return sp[0] + lead, shorten(s, 40), true
	}
	return 0, "", false
}

// readsOnly reports whether the statement s, whose first words are
// words (sqlWords), only reads: its first keyword is one of showReads,
// the classifier of hooks (classify) finds no write in it, and no word
// of readWrites is in it (a pragma that creates or drops, create_fts_index,
// writes too).
func readsOnly(words []string, s string) bool {
	if !showReads[words[0]] {
		return false
	}
	all := sqlWords(s, -1)
	for _, w := range all {
		if readWrites[w] {
			return false
		}
	}
	switch words[0] {
	case "from", "(", "pivot", "unpivot":
		// Not the classifier's: a write keyword anywhere may write.
		for _, w := range all {
			if writeWords[w] {
				return false
			}
		}
		return true
	case "pragma":
		return len(words) < 2 || !strings.HasPrefix(words[1], "create_") && !strings.HasPrefix(words[1], "drop_")
	}
	_, writes := classify(words, s)
	return !writes
}

// shorten returns s with its white space collapsed, cut to n characters
// with "..." when longer.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "..."
}

// firstLine returns s up to its first line break, without trailing white
// space.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimRight(s, " \t\r")
}

// lineCol returns the 1-based line and column (in characters) of byte
// offset off of s.
func lineCol(s string, off int) (line, col int) {
	before := s[:off]
	line = strings.Count(before, "\n") + 1
	col = utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
	return line, col
}

// readOnlyMsg is the start of the message of a write the database
// refused in kiln show's read-only transaction.
const readOnlyMsg = "kiln show only reads the database, as dbt show previews a query (its statements run in a read-only transaction), and the database refused a write"

// readOnlyConn is a connection on which kiln show renders a template
// with execute true (run_query, statement), in its read-only transaction
// (adapter.BeginReadOnly): a statement that may write (showWrite) is
// refused and not run, a write the database refuses is said so, and Tx
// joins the read-only transaction (it neither begins nor commits one).
type readOnlyConn struct {
	adapter.Conn
}

// refuse returns the error for query when it may write, else nil.
func (c readOnlyConn) refuse(query string) error {
	if _, text, ok := showWrite(query); ok {
		return fmt.Errorf("kiln show only reads the database, and the template's statement %q may write it: it was not run (hint: %s)", text, ShowWriteHint)
	}
	if _, fn, effect, ok := showEffect(query); ok {
		return fmt.Errorf("%s (the template's statement %q; hint: %s)", showEffectMsg(fn, effect), shorten(query, 40), ShowWriteHint)
	}
	return nil
}

// refused returns err, said as the database's refusal of a write when it
// is one (adapter.IsReadOnlyError).
func (c readOnlyConn) refused(query string, err error) error {
	if err != nil && adapter.IsReadOnlyError(err) {
		return fmt.Errorf("%s: the template's statement %q: %w (hint: %s)", readOnlyMsg, shorten(query, 40), err, ShowWriteHint)
	}
	return err
}

func (c readOnlyConn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if err := c.refuse(query); err != nil {
		return 0, err
	}
	n, err := c.Conn.Exec(ctx, query, args...)
	return n, c.refused(query, err)
}

func (c readOnlyConn) Run(ctx context.Context, s adapter.Stmt) (int64, error) {
	return 0, fmt.Errorf("kiln show only reads the database: the template's %T was not run (hint: %s)", s, ShowWriteHint)
}

func (c readOnlyConn) Tx(ctx context.Context, fn func() error) error { return fn() }

func (c readOnlyConn) Query(ctx context.Context, query string, args ...any) (adapter.Rows, error) {
	if err := c.refuse(query); err != nil {
		return nil, err
	}
	rows, err := c.Conn.Query(ctx, query, args...)
	if err != nil {
		return nil, c.refused(query, err)
	}
	return refusedRows{rows, c, query}, nil
}

// refusedRows are the rows of a template's query, whose error is said as
// the database's refusal of a write when it is one (a write may fail as
// the rows are read).
type refusedRows struct {
	adapter.Rows
	c     readOnlyConn
	query string
}

func (r refusedRows) Values() ([]any, error) {
	v, err := r.Rows.Values()
	return v, r.c.refused(r.query, err)
}

func (r refusedRows) ExactValues() ([]any, error) {
	v, err := r.Rows.ExactValues()
	return v, r.c.refused(r.query, err)
}

func (r refusedRows) Err() error { return r.c.refused(r.query, r.Rows.Err()) }

func (c readOnlyConn) QueryRows(ctx context.Context, query string, args ...any) ([]string, [][]any, error) {
	if err := c.refuse(query); err != nil {
		return nil, nil, err
	}
	cols, rows, err := c.Conn.QueryRows(ctx, query, args...)
	return cols, rows, c.refused(query, err)
}

func (c readOnlyConn) QueryInt(ctx context.Context, query string, args ...any) (int64, error) {
	if err := c.refuse(query); err != nil {
		return 0, err
	}
	n, err := c.Conn.QueryInt(ctx, query, args...)
	return n, c.refused(query, err)
}

package adapter

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
)

// Class is what an error means for a run.
type Class string

// The classes of database errors.
const (
	// Syntax: the statement does not parse.
	Syntax Class = "syntax"
	// Semantic: it parses but names what does not exist or mixes types
	// (DuckDB's binder and catalog errors; SQLSTATE 42).
	Semantic Class = "semantic"
	// Data: the data breaks it (a conversion, a constraint, a division by
	// zero).
	Data Class = "data"
	// Transient: it may pass on another try (I/O, a lock, a transaction
	// conflict, a lost connection).
	Transient Class = "transient"
	// Interrupted: its context was cancelled.
	Interrupted Class = "interrupted"
	// Other: anything else (an internal error of the database).
	Other Class = "other"
)

// Error is an error reported by the database for a statement, split into
// its parts so that callers can classify it and map it back to the user's
// file: the file position of the statement's text plus Line/Col gives
// file:line:col.
type Error struct {
	// Class says what the error means for a run.
	Class Class
	// Type is the database's own class of error: DuckDB's without
	// " Error" ("Binder", "Parser", "Catalog", "Conversion", "IO", ...),
	// PostgreSQL's condition name ("undefined_column").
	Type string
	// Code is the SQLSTATE when the database gives one, else "".
	Code string
	// Msg is the first line of the message, as the database wrote it
	// without its class prefix.
	Msg string
	// Line and Col are the 1-based position of the offending token in the
	// SQL text that was run (Col counts bytes); both 0 when the database
	// gives no position.
	Line, Col int
	// Detail holds the other lines of the message (candidates, hints),
	// joined with "\n"; often "".
	Detail string

	// Err is the driver's error; Ctx the context's error when cancellation
	// interrupted the statement.
	Err, Ctx error
}

// Error returns "<type> error: <msg>" (DuckDB's "parser error: ..."), or,
// for an error with a SQLSTATE (PostgreSQL's), "ERROR: <msg> (SQLSTATE
// <code>)" as PostgreSQL's clients print it, followed by "; <detail>"
// for each line of detail, on one line.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Code != "":
		b.WriteString("ERROR: ")
		b.WriteString(e.Msg)
		b.WriteString(" (SQLSTATE ")
		b.WriteString(e.Code)
		b.WriteString(")")
	case e.Type != "":
		b.WriteString(strings.ToLower(e.Type))
		b.WriteString(" error: ")
		b.WriteString(e.Msg)
	default:
		b.WriteString(e.Msg)
	}
	for line := range strings.SplitSeq(e.Detail, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			b.WriteString("; ")
			b.WriteString(line)
		}
	}
	return b.String()
}

// Unwrap returns the driver's error and, when the statement was
// interrupted because its context ended, the context's error, so that
// errors.Is(err, context.Canceled) holds for a cancelled statement.
func (e *Error) Unwrap() []error {
	var out []error
	if e.Ctx != nil {
		out = append(out, e.Ctx)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// LockError reports that another process holds the database: DuckDB
// allows one writing process per file; a PostgreSQL adapter reports the
// holder of kiln's advisory lock.
type LockError struct {
	Path    string // the database file, or the database's name
	PID     int    // the process holding the lock, 0 when unknown
	Program string // the holder's executable, "" when unknown
	// Hint says what holds such a database and what to do; "" gives
	// DuckDB's (another kiln run, the DuckDB CLI, a notebook).
	Hint string
	Err  error // the database's error
}

// Error returns a one-line message naming the database and the holder.
func (e *LockError) Error() string {
	holder := "another process"
	if e.Program != "" {
		holder = fmt.Sprintf("%q", filepath.Base(e.Program))
	}
	if e.PID != 0 {
		holder += fmt.Sprintf(" (PID %d)", e.PID)
	}
	hint := e.Hint
	if hint == "" {
		hint = "wait for it to finish or close it (another kiln run, the DuckDB CLI, a notebook), then retry"
	}
	return fmt.Sprintf("database %q is locked by %s; %s", e.Path, holder, hint)
}

// Unwrap returns the database's error.
func (e *LockError) Unwrap() error { return e.Err }

// IsTransient reports whether err may pass on another try: a database
// error of class Transient, a *LockError, or the operating system's
// "busy" and "try again" errors. A statement's own mistakes (syntax,
// names, conversions) are not.
func IsTransient(err error) bool {
	var de *Error
	if errors.As(err, &de) {
		return de.Class == Transient
	}
	var le *LockError
	if errors.As(err, &le) {
		return true
	}
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EBUSY) || errors.Is(err, syscall.ETXTBSY)
}

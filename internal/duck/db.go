// Package duck is kiln's only door to DuckDB: it opens the database once per
// run, hands out one dedicated connection per worker, runs statements with
// context cancellation, appends rows in bulk, reads the catalog, and turns
// DuckDB's error strings into typed errors (*Error, *LockError) that carry
// the position of the failing token.
//
// It is the only package that imports github.com/duckdb/duckdb-go.
package duck

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// Version returns the version of the DuckDB library linked in, such as
// "v1.5.6".
func Version() string { return mapping.LibraryVersion() }

// DB is an open DuckDB database. Open it once per run and keep it open:
// reopening a file costs about 15 ms plus 0.07 ms per table in it.
// A DB is safe for concurrent use; each worker takes its own Conn.
type DB struct {
	path string
	sql  *sql.DB
	once onceSet // Once keys done, for all the DB's connections
}

// Open opens the DuckDB database at path, creating the file and its parent
// directories when missing; "" (or ":memory:") opens a private in-memory
// database.
//
// DuckDB lets one process at a time open a file for writing: when another
// process holds it, Open returns *LockError with the path and, when DuckDB
// reports it, the holder's PID. Other failures are *Error or the os error of
// creating the parent directory.
//
// Every connection's session time zone is UTC, or the one of the
// TimeZone option: TIMESTAMPTZ values are shown, and turned into dates, in
// it, so that results never depend on the machine's time zone.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	o := options{timeZone: "UTC"}
	for _, opt := range opts {
		opt(&o)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dsn := path
	if path == ":memory:" {
		dsn, path = "", ""
	}
	if strings.Contains(path, "?") {
		// duckdb-go reads what follows '?' as configuration options.
		return nil, fmt.Errorf("cannot open database %q: the path must not contain '?'", path)
	}
	if path != "" {
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("cannot create the directory of database %q: %w", path, err)
			}
		}
	}
	setTZ := "SET TimeZone = '" + strings.ReplaceAll(o.timeZone, "'", "''") + "'"
	connector, err := duckdb.NewConnector(dsn, func(execer driver.ExecerContext) error {
		for _, stmt := range append([]string{setTZ}, o.init...) {
			if _, err := execer.ExecContext(context.Background(), stmt, nil); err != nil {
				return fmt.Errorf("%s: %w", stmt, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, openError(path, err)
	}
	db := sql.OpenDB(connector) // closes connector on db.Close
	// Connections are cheap in DuckDB (one database instance underneath);
	// keep a few idle ones so workers do not reconnect per node.
	db.SetMaxIdleConns(8)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, openError(path, err)
	}
	return &DB{path: path, sql: db}, nil
}

// Option is an option of Open.
type Option func(*options)

type options struct {
	timeZone string
	init     []string // statements run on every new connection, after the time zone
}

// Init runs the statements stmts on every new connection, in order, after
// setting its time zone: the settings (SET name = value) and extensions
// (LOAD name) of a profile's DuckDB target. A failing statement fails the
// connection, and Open with it.
func Init(stmts ...string) Option {
	return func(o *options) { o.init = append(o.init, stmts...) }
}

// TimeZone sets the session time zone of every connection, an IANA name
// such as "Europe/Paris"; "" keeps UTC.
func TimeZone(name string) Option {
	return func(o *options) {
		if name != "" {
			o.timeZone = name
		}
	}
}

// openError turns a failure of opening path into *LockError when DuckDB
// could not lock the file, else into *Error.
func openError(path string, err error) error {
	var de *duckdb.Error
	if errors.As(err, &de) {
		if le := lockError(path, de.Msg, err); le != nil {
			return le
		}
	}
	if path == "" {
		path = ":memory:"
	}
	if de != nil && strings.Contains(de.Msg, "replaying WAL") {
		return walError(path, de.Msg)
	}
	return fmt.Errorf("cannot open database %q: %w", path, wrap(err, "", nil))
}

// walError is the error of a database whose write-ahead log DuckDB fails
// to replay (msg: DuckDB's message, whose stack trace is dropped): a
// known DuckDB 1.5 bug when the log holds an ALTER TABLE of a table whose
// CHECK or DEFAULT calls a function, or a comment on one of its columns
// (duckdb/duckdb#18259, #20543, #22124; kiln creates such a table again
// rather than alter it, so the statement was a hook's, another
// program's, or persist_docs' on a seed kept in place), said with what the two files hold and how to open the
// database without the log.
func walError(path, msg string) error {
	cause := msg
	for _, cut := range []string{"This error signals", "Stack Trace", "\n"} {
		if i := strings.Index(cause, cut); i > 0 {
			cause = cause[:i]
		}
	}
	cause = strings.TrimRight(strings.TrimSpace(cause), ".;:")
	return fmt.Errorf("cannot open database %q: DuckDB cannot replay its write-ahead log %s (%s), a known DuckDB 1.5 bug "+
		"(duckdb/duckdb#18259, #20543) when the log holds an ALTER TABLE, or a comment on a column, of a table whose CHECK or DEFAULT calls a function "+
		"(kiln creates such a table again rather than alter it: a hook's statement, another program's, or persist_docs' column comments on a seed kept in place); "+
		"the database file holds everything up to its last checkpoint, the log what was committed after it; "+
		"hint: keep a copy of both files, then move %s aside to open the database as of its last checkpoint "+
		"(what was committed after it is lost; the next kiln run undoes a run that the checkpoint left unfinished)",
		path, filepath.Base(path)+".wal", cause, path+".wal")
}

// Close closes the database and releases its file lock. Open Conns must be
// closed first.
func (db *DB) Close() error {
	if err := db.sql.Close(); err != nil {
		return wrap(err, "", nil)
	}
	return nil
}

// Path returns the database file path given to Open, "" for in-memory.
func (db *DB) Path() string { return db.path }

// Conn returns a dedicated connection: all statements of a node run on it,
// one at a time, so a transaction opened with Tx spans them. Close it to
// give it back to the pool.
func (db *DB) Conn(ctx context.Context) (*Conn, error) {
	c, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, wrap(err, "", ctx)
	}
	return &Conn{sql: c, once: &db.once}, nil
}

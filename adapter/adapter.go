// Package adapter is the interface between kiln's engine and a database,
// in dbt's sense of an adapter: what a run needs from the database it
// builds in, and nothing else. An implementation (adapter/duckdb today;
// PostgreSQL next) gives
//
//   - connections, each dedicated to one worker, with transactions (Conn);
//   - the relation catalog: which tables and views exist, their columns
//     (Conn.Relations, Conn.RelationKind, Conn.Columns, Conn.DescribeQuery);
//   - a Dialect that builds every statement kiln writes: create table or
//     view as, rename, drop, copy, create schema, insert, delete, merge,
//     count, the test and unit-test queries, quoting;
//   - error classification: every database error is an *Error with the
//     position of the failing token in the statement, and a Class that says
//     whether it is the statement's fault or transient (worth a retry); a
//     database held by another process is a *LockError;
//   - bulk loading (Conn.Bulk) and CSV export (Conn.ExportCSV);
//   - a Store for kiln's own records: the run history, the journal of a
//     run's replaced relations, flow transactions, the up-to-date state.
//
// Outside the adapter packages no code imports a database driver or
// writes SQL text other than the user's (a test holds this edge). The
// conformance suite (adapter/adaptertest) runs one set of tests against
// every implementation.
package adapter

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/kiln-build/kiln/internal/sqlq"
)

// Relation names a table or view: an optional database, a schema and a
// name.
type Relation = sqlq.Relation

// Kind is what a relation is.
type Kind string

// The kinds of relations.
const (
	Table Kind = "table"
	View  Kind = "view"
	// MaterializedView is the kind of a PostgreSQL materialized view that
	// a journal entry moved aside (ViewKeeper); the catalog lists it as
	// a View.
	MaterializedView Kind = "materialized view"
)

// Column is a column of a relation or of a query's result: its name and
// its type as the database spells it ("BIGINT", "DECIMAL(10,2)",
// "character varying").
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// RelationInfo describes a table or view of the database.
type RelationInfo struct {
	Relation
	Kind Kind
	// Rows is the table's row count as the database estimates it (exact
	// after a load or a create table as in DuckDB), -1 for views and when
	// unknown.
	Rows int64
	// Columns are the relation's columns in order, when asked for.
	Columns []Column
}

// Target says which database to open: the adapter's type and where the
// database is.
type Target struct {
	Type string // "duckdb"
	// Path is the database file (DuckDB); "" opens a private in-memory
	// database.
	Path string
	// DSN is a connection string (a server database such as PostgreSQL).
	DSN string
	// Schema is the default schema of relations without one ("main" in
	// DuckDB, "public" in PostgreSQL); "" leaves the database's default.
	Schema string
	// TimeZone is the session time zone, an IANA name (project.yml's
	// timezone); "" is UTC.
	TimeZone string
	// Settings are the database's settings, set on every connection (a
	// dbt profile's settings: {memory_limit: 4GB}).
	Settings map[string]any
	// Extensions are loaded on every connection (a dbt-duckdb profile's
	// extensions).
	Extensions []string
	// Attach are other databases opened read-only beside this one, their
	// relations named "alias"."schema"."name" (--defer's state). DuckDB
	// only.
	Attach []Attachment
}

// Attachment is a database file attached read-only under Alias.
type Attachment struct {
	Path, Alias string
}

// Adapter is an open database. It is safe for concurrent use; each worker
// takes its own Conn.
type Adapter interface {
	// Type names the adapter as dbt's adapter.type() does: "duckdb",
	// "postgres". Templates dispatch macros on it.
	Type() string
	// Version returns the database's version ("v1.5.6").
	Version() string
	// Dialect returns the builder of the statements kiln runs here.
	Dialect() Dialect
	// Conn returns a dedicated connection; close it to give it back.
	Conn(ctx context.Context) (Conn, error)
	// Close closes the database and releases its lock; close the Conns
	// first.
	Close() error
}

// Opener opens a database of one adapter type. It returns *LockError
// when another process holds the database.
type Opener func(ctx context.Context, t Target) (Adapter, error)

var (
	mu      sync.Mutex
	openers = map[string]Opener{}
)

// Register makes an adapter type available to Open; an adapter package
// calls it from its init function (database/sql's drivers do the same).
// It panics when typ is registered twice.
func Register(typ string, open Opener) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := openers[typ]; dup {
		panic("adapter: Register called twice for " + typ)
	}
	openers[typ] = open
}

// Types returns the registered adapter types, sorted.
func Types() []string {
	mu.Lock()
	defer mu.Unlock()
	out := make([]string, 0, len(openers))
	for t := range openers {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Open opens the database t names with its registered adapter.
func Open(ctx context.Context, t Target) (Adapter, error) {
	mu.Lock()
	open := openers[t.Type]
	mu.Unlock()
	if open == nil {
		return nil, fmt.Errorf("unknown database type %q; kiln knows %v", t.Type, Types())
	}
	return open(ctx, t)
}

// Conn is one dedicated connection. Statements on it run one at a time,
// in order; use one Conn per goroutine. Every method that runs SQL takes
// a context: cancelling it interrupts the running statement, whose error
// then matches ctx.Err() with errors.Is. Errors from the database are
// *Error.
//
// Values read back (QueryRows, Rows.Values) are plain Go: nil for NULL,
// bool, int64 for every integer type within range (*big.Int beyond),
// float64 for floating-point and decimal numbers, string for text and the
// types without a Go counterpart (UUID in its canonical 8-4-4-4-12 form,
// INTERVAL as Duration.String writes it), time.Time, []byte, []any for
// lists and map[string]any for structs.
type Conn interface {
	// Exec runs query (statements separated by ';', args bound to the
	// last one) and returns the number of rows the last one inserted,
	// updated or deleted, 0 for DDL.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// Run runs a statement of the Dialect and returns the number of rows
	// it wrote when Stmt.CountRows is set (create table as, insert), else
	// 0.
	Run(ctx context.Context, s Stmt) (int64, error)
	// Query runs query and returns its rows as a stream; close them.
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRows runs query and returns its column names and all its rows;
	// use it for small results.
	QueryRows(ctx context.Context, query string, args ...any) (cols []string, rows [][]any, err error)
	// QueryInt returns the first column of the first row of query as an
	// int64 (NULL is 0); an error when there is no row or the value is not
	// a whole number in range.
	QueryInt(ctx context.Context, query string, args ...any) (int64, error)
	// Tx runs fn in a transaction on this connection: committed when fn
	// returns nil, rolled back when it returns an error or panics (the
	// error, or panic, is passed on). A Tx inside a Tx joins the outer
	// one. Statements of fn must run on this Conn.
	Tx(ctx context.Context, fn func() error) error
	// Once runs f, which sets the database up (create ... if not exists),
	// unless an earlier Once with key succeeded on this connection outside
	// a transaction (DuckDB: on any connection of the same database, in
	// the same process).
	Once(key string, f func() error) error

	// Relations returns the tables and views of the database, sorted by
	// schema and name, with their database (catalog) name set; with
	// columns, each with its columns. System and temporary relations are
	// left out.
	Relations(ctx context.Context, columns bool) ([]RelationInfo, error)
	// RelationKind returns the kind of rel, or "" when it does not exist.
	// Names match as the database resolves unquoted identifiers.
	RelationKind(ctx context.Context, rel Relation) (Kind, error)
	// Columns returns the columns of rel in order; none when it does not
	// exist.
	Columns(ctx context.Context, rel Relation) ([]Column, error)
	// DescribeQuery returns the columns that query would yield, with
	// their types, without running it.
	DescribeQuery(ctx context.Context, query string) ([]Column, error)
	// NormalizeTypes returns each type as the database spells it in its
	// catalog (DuckDB: "text" is "VARCHAR", "numeric(12,2)" is
	// "DECIMAL(12,2)"); an error names a type the database does not know.
	NormalizeTypes(ctx context.Context, types []string) ([]string, error)

	// Bulk creates table rel with cols (in the transaction of the caller,
	// if any) and returns a writer of its rows: the fast path of the
	// database (DuckDB's appender, PostgreSQL's COPY FROM STDIN).
	Bulk(ctx context.Context, rel Relation, cols []Column) (RowWriter, error)
	// ExportCSV writes the rows of query to the file at path as CSV with a
	// header line (RFC 4180 quoting, NULL as an empty field) and returns
	// the number of rows written.
	ExportCSV(ctx context.Context, query, path string) (int64, error)

	// Store returns kiln's records in this database, on this connection.
	Store() Store

	// Close gives the connection back.
	Close() error
}

// Rows is a stream of a query's rows.
type Rows interface {
	// Columns returns the names of the columns.
	Columns() []string
	// Next advances to the next row; false at the end or on an error.
	Next() bool
	// Values returns the current row's values (plain Go, see Conn).
	Values() ([]any, error)
	// ColumnTypes returns the database type of each column, as the
	// database names it ("DATE", "TIMESTAMPTZ", "DECIMAL(10,2)", "UUID";
	// PostgreSQL's "timestamp with time zone", "numeric").
	ColumnTypes() []string
	// ExactValues returns the current row's values as Values does, but
	// DECIMAL and NUMERIC as Decimal (exact, their scale kept) and
	// INTERVAL as Duration: what a template (run_query's agate table) or
	// a preview shows, as Python's drivers give them to dbt.
	ExactValues() ([]any, error)
	// Err returns the error that ended the iteration, as *Error.
	Err() error
	// Close releases the rows.
	Close() error
}

// RowWriter writes rows to a table (see Conn.Bulk).
type RowWriter interface {
	// Write buffers one row: one value per column, nil for NULL, Go values
	// matching the columns' types (string, int64, float64, bool,
	// time.Time, ...).
	Write(values ...any) error
	// Close writes what is buffered and returns the number of rows
	// written; call it once, also after an error.
	Close() (int64, error)
}

// Stmt is a statement built by a Dialect.
type Stmt struct {
	SQL string
	// Body is the byte offset in SQL where the user's query (a model's
	// compiled SQL, a test's) starts, so that an error's position maps back
	// to the user's text; -1 when the statement holds none.
	Body int
	// CountRows says the statement writes rows and Conn.Run returns how
	// many.
	CountRows bool
}

// Plain returns s as a statement that holds no user query.
func Plain(s string) Stmt { return Stmt{SQL: s, Body: -1} }

// SoleWriter is a Conn to a database that no other process changes while
// kiln has it open (a DuckDB file, which DuckDB locks for one process):
// a relation absent when a run starts is created, until the run ends,
// only by that run.
type SoleWriter interface {
	SoleWriter() bool
}

// Pipeliner is a Conn that sends the statements of a transaction with
// fewer round trips to the server (PostgreSQL: statements held back are
// sent with the next one, as one simple query). Outside a transaction
// both methods run the statement at once.
type Pipeliner interface {
	// ExecLater holds query (statements without a result the caller
	// reads) back until the connection sends its next statement, or the
	// transaction's COMMIT; its error is then that statement's.
	ExecLater(ctx context.Context, query string) error
	// RunCommit runs s as the last statement of the transaction Tx opened
	// and commits the transaction with it; Tx then has nothing left to
	// commit. It returns what Run returns; an error rolls back.
	RunCommit(ctx context.Context, s Stmt) (int64, error)
}

// ViewBinder is a Conn to a database whose views bind to the tables they
// read, not to their names (PostgreSQL): a view follows its table when
// the table is renamed, and a table that a view reads cannot be dropped
// without dropping the view too (CASCADE). kiln then reloads a seed
// whose table views read in place (its rows truncated and inserted
// again, as dbt's seed materialization does) rather than moving it
// aside.
type ViewBinder interface {
	// DependentViews returns the views and materialized views that read
	// table rel directly, sorted by schema and name; none when rel does
	// not exist.
	DependentViews(ctx context.Context, rel Relation) ([]Relation, error)
	// DependentViewsOf is DependentViews of every relation of rels in one
	// query: an entry for each (keyed by schema and name, Database
	// empty), with the views sorted by schema and name.
	DependentViewsOf(ctx context.Context, rels []Relation) (map[Relation][]Relation, error)
}

// BoundView is a view or materialized view that reads a relation, as
// ViewKeeper reads it to create it again on the relation's next version.
type BoundView struct {
	Relation Relation
	Kind     Kind // View or MaterializedView
	// Parents are the relations it reads among the relation asked about
	// and the other views returned (schema and name).
	Parents []Relation
	// Statements create it again as it is, in order: the create (its
	// query as read before the relation was renamed), then its defaults,
	// indexes, triggers, rules, privileges, owner and comments.
	Statements []string
}

// ViewKeeper is a ViewBinder that reads the views on a relation with
// their definitions, so that a node that replaces the relation can move
// them aside and create them again on the new one (PostgreSQL).
type ViewKeeper interface {
	// BoundViews returns the views that read rel, directly or through
	// one another, parents first; none when rel does not exist. Call it
	// before rel is renamed.
	BoundViews(ctx context.Context, rel Relation) ([]BoundView, error)
	// RenameIndexes renames the indexes of rel (a materialized view moved
	// aside, whose index names its next version takes again): aside,
	// each name gets suffix; back, the names ending with suffix lose it.
	RenameIndexes(ctx context.Context, rel Relation, suffix string, aside bool) error
}

// Unlogger is a Dialect that can create unlogged tables (PostgreSQL's
// create unlogged table: not written to the write-ahead log, so faster to
// write, but emptied after a crash of the server and not replicated),
// dbt-postgres's unlogged config.
type Unlogger interface {
	// Unlogged returns s, a statement of the dialect that begins with
	// "create table" (CreateTableAs, CreateTableWith, SnapshotCreate),
	// creating the table unlogged; any other statement is returned as
	// it is.
	Unlogged(s Stmt) Stmt
}

package duck

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/kiln-build/kiln/internal/sqlq"
)

// Conn is one dedicated DuckDB connection. Statements on it run one at a
// time, in order; use one Conn per goroutine. Every method that runs SQL
// takes a context: cancelling it interrupts the running statement, which
// then returns an error matching ctx.Err() with errors.Is.
type Conn struct {
	sql  *sql.Conn
	inTx bool
	// depth is the nesting of Tx (0 outside a transaction); begun says
	// the open transaction's BEGIN was sent (Tx sends it with the
	// transaction's first statement), committed that CommitWith ran the
	// transaction's only statement on its own, in autocommit.
	depth            int
	begun, committed bool
	once             *onceSet // keys of Once that succeeded, shared by the database's connections
}

// begin sends the open transaction's BEGIN, held back by Tx until its
// first statement; a transaction that CommitWith committed sends its
// later statements in autocommit.
func (c *Conn) begin(ctx context.Context) error {
	if c.depth == 0 || c.begun || c.committed {
		return nil
	}
	// Not interrupted: a cancellation that arrived while DuckDB ran BEGIN
	// could leave the connection in a transaction that Tx, told BEGIN
	// failed, would never roll back (the connection then refused every
	// later statement: "Current transaction is aborted", then "cannot
	// start a transaction within a transaction" when the run rolled back;
	// TestInterruptAtEveryFailpoint saw it once under load). The statement
	// after BEGIN sees the cancellation, and Tx rolls back.
	if _, err := c.sql.ExecContext(context.WithoutCancel(ctx), "BEGIN TRANSACTION"); err != nil {
		return wrap(err, "BEGIN TRANSACTION", ctx)
	}
	c.begun = true
	return nil
}

// CanCommitWith reports whether CommitWith would run its statement on its
// own: inside a Tx not nested in another, before the transaction sent any
// statement.
func (c *Conn) CanCommitWith() bool { return c.depth == 1 && !c.begun && !c.committed }

// CommitWith runs f, which sends exactly one statement, as the whole of
// the open transaction when the transaction has sent nothing yet
// (CanCommitWith): DuckDB runs a statement outside BEGIN ... COMMIT in its
// own transaction, atomically, so the statement alone is the transaction,
// without the cost of BEGIN and COMMIT (about 1 ms a node). Tx then has
// nothing left to commit and returns nil, as when its COMMIT succeeds.
// Otherwise f runs in the transaction, which Tx commits.
func (c *Conn) CommitWith(f func() error) error {
	if !c.CanCommitWith() {
		return f()
	}
	c.committed = true // f's statement runs in autocommit
	if err := f(); err != nil {
		c.committed = false // nothing was committed
		return err
	}
	return nil
}

// Once runs f, which sets up the database (DDL such as "create table if
// not exists"), unless an earlier Once with key succeeded outside a
// transaction on a connection of the same DB (what it set up is committed,
// so every connection of the database sees it; a transaction may still
// roll its work back). It returns f's error. f runs without a lock held:
// connections asking at the same time may each run it, so it must be
// idempotent.
func (c *Conn) Once(key string, f func() error) error {
	if c.once == nil {
		c.once = &onceSet{}
	}
	if c.once.has(key) {
		return nil
	}
	if err := f(); err != nil {
		return err
	}
	if !c.inTx {
		c.once.add(key)
	}
	return nil
}

// onceSet holds the keys of the Once calls that succeeded on a DB.
type onceSet struct {
	mu   sync.Mutex
	done map[string]bool
}

func (o *onceSet) has(key string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.done[key]
}

func (o *onceSet) add(key string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done == nil {
		o.done = map[string]bool{}
	}
	o.done[key] = true
}

// Close gives the connection back to the database's pool. A transaction
// left open by a panic is rolled back by Tx, not here.
func (c *Conn) Close() error { return c.sql.Close() }

// Exec runs query (one or more statements separated by ';', args bound to
// the last one) and returns the number of rows the last one inserted,
// updated or deleted; 0 for DDL, CREATE TABLE AS included. DuckDB errors
// come back as *Error with Line/Col relative to query.
func (c *Conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if err := c.begin(ctx); err != nil {
		return 0, err
	}
	if len(args) == 0 && strings.IndexByte(query, ';') >= 0 {
		if spans := sqlq.StatementSpans(query); len(spans) > 1 {
			return c.execEach(ctx, query, spans)
		}
	}
	res, err := c.sql.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, wrap(err, query, ctx)
	}
	return rowsAffected(res), nil
}

// execEach runs the statements of query, at spans, one at a time, as
// DuckDB would run the whole text, so that an error's position is DuckDB's
// for the failing statement alone, moved to query: for a later statement
// of a text, DuckDB 1.5 reports a skewed line and column, and DuckDB 2.0
// none at all when a comment precedes the statement. A span holding only
// comments is skipped.
func (c *Conn) execEach(ctx context.Context, query string, spans [][2]int) (int64, error) {
	var n int64
	for _, sp := range spans {
		stmt := query[sp[0]:sp[1]]
		if blankPrefix(stmt) == len(stmt) {
			continue
		}
		res, err := c.sql.ExecContext(ctx, stmt)
		if err != nil {
			err = wrap(err, stmt, ctx)
			var e *Error
			if errors.As(err, &e) && e.Line > 0 {
				e.Line, e.Col = shiftPos(query, sp[0], stmt, e.Line, e.Col)
			}
			return 0, err
		}
		n = rowsAffected(res)
	}
	return n, nil
}

// rowsAffected is res's row count, 0 for statements without one (DDL, SET).
func rowsAffected(res sql.Result) int64 {
	n, err := res.RowsAffected()
	if err != nil {
		return 0
	}
	return n
}

// Query runs query and returns its rows as a stream; the caller closes
// them. Errors met while iterating are the driver's; pass rows.Err()
// through WrapError to get an *Error.
func (c *Conn) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := c.begin(ctx); err != nil {
		return nil, err
	}
	rows, err := c.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(err, query, ctx)
	}
	return rows, nil
}

// WrapError converts an error met while running query (for example
// rows.Err() of a Query) into *Error when it comes from DuckDB, with the
// position relative to query; other errors are returned as they are.
func WrapError(ctx context.Context, err error, query string) error { return wrap(err, query, ctx) }

// QueryRows runs query and returns its column names and all its rows, each
// row a slice of Go values as duckdb-go scans them (int64, float64, string,
// bool, time.Time, nil for NULL, ..., a UUID as duckdb.UUID, see Typed). Use it for small results; Query
// streams.
func (c *Conn) QueryRows(ctx context.Context, query string, args ...any) (cols []string, rows [][]any, err error) {
	r, err := c.Query(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	cols, err = r.Columns()
	if err != nil {
		return nil, nil, wrap(err, query, ctx)
	}
	types := ColumnTypes(r)
	for r.Next() {
		row := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			return nil, nil, wrap(err, query, ctx)
		}
		Typed(row, types)
		rows = append(rows, row)
	}
	if err := r.Err(); err != nil {
		return nil, nil, wrap(err, query, ctx)
	}
	return cols, rows, nil
}

// QueryInt runs query and returns the first column of its first row as an
// int64 (integers of any width, HUGEINT within range, integral floats and
// decimals); NULL gives 0. It fails when the query returns no row or a value
// that is not a whole number in the int64 range.
func (c *Conn) QueryInt(ctx context.Context, query string, args ...any) (int64, error) {
	r, err := c.Query(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	if !r.Next() {
		if err := r.Err(); err != nil {
			return 0, wrap(err, query, ctx)
		}
		return 0, errors.New("query returned no row")
	}
	cols, err := r.Columns()
	if err != nil {
		return 0, wrap(err, query, ctx)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := r.Scan(ptrs...); err != nil {
		return 0, wrap(err, query, ctx)
	}
	return toInt64(vals[0])
}

func toInt64(v any) (int64, error) {
	switch v := v.(type) {
	case nil:
		return 0, nil
	case int64:
		return v, nil
	case int32:
		return int64(v), nil
	case int16:
		return int64(v), nil
	case int8:
		return int64(v), nil
	case uint8:
		return int64(v), nil
	case uint16:
		return int64(v), nil
	case uint32:
		return int64(v), nil
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v), nil
		}
	case *big.Int:
		if v.IsInt64() {
			return v.Int64(), nil
		}
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<63 {
			return int64(v), nil
		}
	case duckdb.Decimal:
		f := v.Float64()
		if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			return int64(f), nil
		}
	case string:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("query returned %v (%T), not a whole number", v, v)
}

// Tx runs fn inside BEGIN TRANSACTION ... COMMIT on c. When fn returns an
// error or panics, or COMMIT fails, the transaction is rolled back and the
// error (or panic) is passed on, as it is when ctx is cancelled before
// COMMIT; a nil error means the transaction was committed (COMMIT itself
// is not interrupted). DuckDB DDL is transactional: a CREATE OR
// REPLACE TABLE inside a rolled-back Tx leaves the previous table and its
// rows. Statements of fn must run on c. A Tx inside a Tx on the same Conn
// joins the outer transaction.
//
// BEGIN is sent with fn's first statement, so a transaction that runs
// nothing sends neither BEGIN nor COMMIT, and one whose only statement
// ran through CommitWith is committed by it.
func (c *Conn) Tx(ctx context.Context, fn func() error) (err error) {
	if c.depth > 0 {
		c.depth++
		defer func() { c.depth-- }()
		return fn()
	}
	c.depth, c.begun, c.committed = 1, false, false
	c.inTx = true
	done := false // the transaction ended: committed, or nothing to end
	defer func() {
		begun := c.begun
		c.depth, c.begun, c.committed, c.inTx = 0, false, false, false
		if done {
			return
		}
		p := recover()
		// Roll back even when ctx is cancelled (the usual reason to be here).
		if begun {
			if _, rerr := c.sql.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil && err != nil {
				if rerr = wrap(rerr, "ROLLBACK", ctx); !isNoTx(rerr) {
					err = errors.Join(err, fmt.Errorf("rollback: %w", rerr))
				}
			}
		}
		if p != nil {
			panic(p)
		}
	}()
	if err := fn(); err != nil {
		return err
	}
	if c.committed {
		// CommitWith committed the transaction's only statement: what Tx
		// returns is what happened.
		done = true
		return nil
	}
	// A context cancelled by now rolls the transaction back. Once COMMIT
	// has started it is not interrupted: a cancellation that arrived during
	// it could interrupt a COMMIT that DuckDB completes anyway, and the
	// caller would take a committed change for a failed one. What Tx
	// returns is what happened.
	if err := ctx.Err(); err != nil {
		return err
	}
	if !c.begun {
		done = true // nothing was sent: nothing to commit
		return nil
	}
	if _, err := c.sql.ExecContext(context.WithoutCancel(ctx), "COMMIT"); err != nil {
		return wrap(err, "COMMIT", ctx)
	}
	done = true
	return nil
}

// isNoTx reports DuckDB's complaint about rolling back when a failed COMMIT
// already ended the transaction.
func isNoTx(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Type == "TransactionContext"
}

// Appender appends rows to one table in bulk, through DuckDB's appender on
// the Conn that made it; it is much faster than INSERT. Rows are buffered
// and written on Flush, on Close, and every 2048 rows. Use it from the
// goroutine that owns the Conn, and Close it before running other
// statements that read the table.
type Appender struct {
	a     *duckdb.Appender
	table string
}

// Appender returns an Appender for the existing table schema.table of the
// current database; schema "" means the current schema, and "temp" the
// connection's temporary tables (as in the SQL name temp.table). Values are
// appended in column order.
func (c *Conn) Appender(schema, table string) (*Appender, error) {
	catalog := ""
	if schema == "temp" {
		catalog, schema = "temp", "main"
	}
	if err := c.begin(context.Background()); err != nil {
		return nil, err
	}
	var a *duckdb.Appender
	err := c.sql.Raw(func(dc any) error {
		conn, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("unexpected driver connection %T", dc)
		}
		var err error
		a, err = duckdb.NewAppender(conn, catalog, schema, table)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cannot append to %s: %w", displayName(schema, table), wrap(err, "", nil))
	}
	return &Appender{a: a, table: displayName(schema, table)}, nil
}

func displayName(schema, table string) string {
	if schema == "" {
		return table
	}
	return schema + "." + table
}

// AppendRow buffers one row: one value per column of the table, nil for
// NULL, Go values matching the column types (string for VARCHAR, int64 for
// BIGINT, float64 for DOUBLE, bool, time.Time, ...).
func (a *Appender) AppendRow(values ...driver.Value) error {
	if err := a.a.AppendRow(values...); err != nil {
		return fmt.Errorf("cannot append to %s: %w", a.table, wrap(err, "", nil))
	}
	return nil
}

// Flush writes the buffered rows to the table.
func (a *Appender) Flush() error {
	if err := a.a.Flush(); err != nil {
		return fmt.Errorf("cannot append to %s: %w", a.table, wrap(err, "", nil))
	}
	return nil
}

// Close flushes the buffered rows and releases the appender; call it once,
// also after an error.
func (a *Appender) Close() error {
	if err := a.a.Close(); err != nil {
		return fmt.Errorf("cannot append to %s: %w", a.table, wrap(err, "", nil))
	}
	return nil
}

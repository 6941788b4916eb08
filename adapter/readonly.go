package adapter

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// BeginReadOnly starts a read-only transaction on conn, outside Conn.Tx
// (which must not be used until end), and returns its end: a rollback,
// run even when ctx is cancelled by then. In it the database refuses
// every write, whatever statement or function makes it (see
// IsReadOnlyError): DuckDB to any of the transaction's databases,
// PostgreSQL to anything but temporary tables (and nextval, setval, a
// function's INSERT). It takes the transaction's snapshot at once:
// PostgreSQL lets SET TRANSACTION READ WRITE undo READ ONLY only before
// the first query. Both databases accept the same statements.
func BeginReadOnly(ctx context.Context, conn Conn) (end func(), err error) {
	if _, err := conn.Exec(ctx, "BEGIN TRANSACTION READ ONLY"); err != nil {
		return nil, fmt.Errorf("cannot start a read-only transaction: %w", err)
	}
	end = func() { _, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK") }
	if _, err := conn.Exec(ctx, "SELECT 1"); err != nil {
		end()
		return nil, fmt.Errorf("cannot start a read-only transaction: %w", err)
	}
	return end, nil
}

// IsReadOnlyError reports whether err is the database refusing a write
// in a read-only transaction (BeginReadOnly): PostgreSQL's SQLSTATE 25006
// (read_only_sql_transaction, "cannot execute INSERT in a read-only
// transaction"), DuckDB's "Cannot write to database ... - transaction is
// launched in read-only mode".
func IsReadOnlyError(err error) bool {
	var de *Error
	if !errors.As(err, &de) {
		return false
	}
	return de.Code == "25006" || strings.Contains(de.Msg, "read-only mode") || strings.Contains(de.Msg, "read-only transaction")
}

// SessionLocks is implemented by a connection to a database whose
// sessions may keep locks past the end of a transaction, read-only or
// not (PostgreSQL's session advisory locks: pg_advisory_lock).
type SessionLocks interface {
	// ReleaseSessionLocks releases the session's locks that outlive its
	// transactions, and returns how many it held; call it outside a
	// transaction.
	ReleaseSessionLocks(ctx context.Context) (int, error)
}

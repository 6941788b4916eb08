package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/duckdb"
	"github.com/kiln-build/kiln/internal/execute"
)

// Database is the project's database, opened for a command that is not a
// run: kiln transaction, kiln runs, kiln debug. It holds the database's
// lock until Close.
type Database struct {
	db   adapter.Adapter
	conn adapter.Conn
}

// OpenDatabase opens the project's database, creating it when missing; a
// database held by another process is an error that names the holder.
func (p *Project) OpenDatabase(ctx context.Context) (*Database, error) {
	db, err := p.openDB(ctx, 0)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Database{db: db, conn: conn}, nil
}

// Close releases the database.
func (d *Database) Close() error {
	d.conn.Close()
	return d.db.Close()
}

// CommitTransaction publishes flow transaction id (see RunOptions.Transaction):
// the relations and exports its runs built. It returns the number of
// relations and of exports published, and an error when id is not open.
func (d *Database) CommitTransaction(ctx context.Context, id string) (relations, files int, err error) {
	return execute.CommitTxn(ctx, d.conn, d.db.Dialect(), id)
}

// RollbackTransaction undoes flow transaction id: every relation its runs
// replaced is restored and its staged exports deleted. It returns the
// number of relations restored, and an error when id is not open.
func (d *Database) RollbackTransaction(ctx context.Context, id string) (int, error) {
	return execute.RollbackTxn(ctx, d.conn, d.db.Dialect(), id)
}

// TransactionStatus returns "open", "committed", "rolled_back", or "" for
// an unknown flow transaction.
func (d *Database) TransactionStatus(ctx context.Context, id string) (string, error) {
	return execute.TxnStatus(ctx, d.conn, id)
}

// Runs returns the last limit runs of the history, newest first.
func (d *Database) Runs(ctx context.Context, limit int) ([]adapter.RunRecord, error) {
	return d.conn.Store().RecentRuns(ctx, limit)
}

// Unfinished describes the runs that were killed before they could commit
// or roll back, whose journal the next run will undo; "" when none.
func (d *Database) Unfinished(ctx context.Context) string {
	runs, err := execute.Unfinished(ctx, d.conn)
	if err != nil || len(runs) == 0 {
		return ""
	}
	var parts []string
	for _, r := range runs {
		parts = append(parts, fmt.Sprintf("run %s replaced %d relations", r.RunID, r.Relations))
	}
	return "a run did not finish (" + strings.Join(parts, ", ") + "); the next build restores what it replaced"
}

// DatabaseVersion returns the version of DuckDB linked in, such as
// "v1.5.6".
func DatabaseVersion() string { return duckdb.Version() }

package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/duckdb"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/execute"
)

// Database is the project's database, opened for a command that is not a
// run: kiln transaction, kiln runs, kiln debug. It holds the database's
// lock until Close.
type Database struct {
	p    *Project
	db   adapter.Adapter
	conn adapter.Conn
}

// OpenDatabase opens the project's database, creating it when missing; a
// database held by another process is an error that names the holder.
func (p *Project) OpenDatabase(ctx context.Context) (*Database, error) {
	db, err := p.openDB(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	p.opens.Add(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Database{p: p, db: db, conn: conn}, nil
}

// Close releases the database.
func (d *Database) Close() error {
	d.conn.Close()
	return d.db.Close()
}

// TxnOutcome is what CommitTransaction or RollbackTransaction did.
type TxnOutcome = execute.TxnOutcome

// CommitTransaction publishes flow transaction id (see
// RunOptions.Transaction): the relations and exports its runs built, and
// their up-to-date state; on PostgreSQL it seals the relations the
// flow's runs built that are as they left them (see sealtxn.go), so that
// the next build takes them as up to date. It first finishes what killed processes left
// (as a run does), and is idempotent: run again after a kill, or on a
// committed transaction, it finishes the publication (Already). It
// returns an error when id is unknown or rolled back.
func (d *Database) CommitTransaction(ctx context.Context, id string) (TxnOutcome, error) {
	if err := d.p.recover(ctx, d.conn, d.db.Dialect()); err != nil {
		return TxnOutcome{}, err
	}
	if st, err := d.conn.Store().TxnStatus(ctx, id); err == nil && st == "open" {
		failed, err := txnFailedRuns(ctx, d.conn.Store(), id)
		if err != nil {
			return TxnOutcome{}, err
		}
		if len(failed) > 0 {
			return TxnOutcome{}, &TxnFailedError{ID: id, Failed: failed}
		}
	}
	out, err := execute.CommitTxn(context.WithoutCancel(ctx), d.conn, d.db.Dialect(), id)
	if rs, ok := d.conn.(adapter.RelationSealer); ok && err == nil {
		// PostgreSQL: what the flow's runs built, unchanged since, is
		// sealed (see sealtxn.go); should that fail, the next build runs it.
		why, err := sealCommit(context.WithoutCancel(ctx), rs, id, d.p.InvocationID())
		switch {
		case err != nil:
			d.p.printf(Warn, "warning: kiln transaction commit did not seal the relations the flow built (%s): the next build runs them", oneLine(err))
		case why != "":
			d.p.emit(Log{Text: "kiln transaction commit seals none of the flow's relations: " + why, Debug: true})
		}
	}
	return out, err
}

// RollbackTransaction undoes flow transaction id: every relation its runs
// replaced is restored and its staged exports are removed. Like
// CommitTransaction it recovers first and is idempotent (Already when id
// was rolled back); it returns an error when id is unknown or committed.
func (d *Database) RollbackTransaction(ctx context.Context, id string) (TxnOutcome, error) {
	if err := d.p.recover(ctx, d.conn, d.db.Dialect()); err != nil {
		return TxnOutcome{}, err
	}
	out, err := execute.RollbackTxn(context.WithoutCancel(ctx), d.conn, d.db.Dialect(), id)
	if rs, ok := d.conn.(adapter.RelationSealer); ok && err == nil {
		// PostgreSQL: what it put back as the seal vouches for is sealed
		// (see sealtxn.go); should that fail, the next build runs it.
		if err := resealTxn(context.WithoutCancel(ctx), rs, out.Restored, id); err != nil {
			d.p.emit(Log{Text: "kiln transaction rollback did not seal the relations it restored: " + oneLine(err), Debug: true})
		}
	}
	return out, err
}

// FlowOf returns the flow part of flow transaction id FLOW/EXECUTION, ""
// when id has no "/".
func FlowOf(id string) string { return execute.FlowOf(id) }

// RollbackStaleTransaction rolls back the flow transaction that an
// earlier execution of the flow of id (FLOW/EXECUTION) left open, ended
// by its orchestrator without its errors branch (killed, failed by its
// SLA); see execute.RollbackStaleTxn. It returns the id it rolled back,
// "" when none was open (or id itself is), and an error, rolling back
// nothing, when the open transaction is of another flow.
func (d *Database) RollbackStaleTransaction(ctx context.Context, id string) (string, TxnOutcome, error) {
	if err := d.p.recover(ctx, d.conn, d.db.Dialect()); err != nil {
		return "", TxnOutcome{}, err
	}
	stale, out, err := execute.RollbackStaleTxn(context.WithoutCancel(ctx), d.conn, d.db.Dialect(), id)
	if rs, ok := d.conn.(adapter.RelationSealer); ok && err == nil && stale != "" {
		if err := resealTxn(context.WithoutCancel(ctx), rs, out.Restored, stale); err != nil {
			d.p.emit(Log{Text: "kiln transaction rollback --stale did not seal the relations it restored: " + oneLine(err), Debug: true})
		}
	}
	return stale, out, err
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
	if err != nil {
		return ""
	}
	var parts []string
	for _, r := range runs {
		if !r.Kept {
			parts = append(parts, fmt.Sprintf("run %s changed %s", r.RunID, plural(r.Relations, "relation")))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "a run did not finish (" + strings.Join(parts, ", ") + "); the next build restores what it changed"
}

// DatabaseVersion returns the version of DuckDB linked in, such as
// "v1.5.6".
func DatabaseVersion() string { return duckdb.Version() }

// Interval is one batch of a microbatch model as its interval state
// records it.
type Interval = adapter.Interval

// Intervals returns the interval state of the microbatch models among
// ids (see execute's microbatch: the batches built, each with the digest
// of what it was built from and the run that built it), by model. It
// opens the database only when one of ids is a microbatch model and the
// database exists, and writes nothing; a database held by another
// process is an error that names the holder (*adapter.LockError).
func (p *Project) Intervals(ctx context.Context, ids []graph.ID) (map[graph.ID][]Interval, error) {
	var models []graph.ID
	for _, id := range ids {
		if n := p.Graph().Node(id); n != nil && n.Incremental != nil && n.Incremental.Batch != nil {
			models = append(models, id)
		}
	}
	out := map[graph.ID][]Interval{}
	if len(models) == 0 || !p.DatabaseExists() {
		return out, nil
	}
	d, err := p.OpenDatabase(ctx)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	conn := d.conn
	if k, err := conn.RelationKind(ctx, adapter.Relation{Schema: adapter.HistorySchema, Name: "intervals"}); err != nil || k == "" {
		return out, err
	}
	for _, id := range models {
		ivs, err := conn.Store().Intervals(ctx, string(id))
		if err != nil {
			return nil, err
		}
		out[id] = ivs
	}
	return out, nil
}

package execute

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/failpoint"
)

// OpenTxn starts flow transaction id, or joins it when it is already open.
// It returns an error when id was committed or rolled back already, or
// when another transaction is open (one flow at a time writes a database).
func OpenTxn(ctx context.Context, conn adapter.Conn, id string) error {
	s := conn.Store()
	st, err := s.TxnStatus(ctx, id)
	if err != nil {
		return err
	}
	switch st {
	case "open":
		return nil
	case "":
	default:
		return fmt.Errorf("flow transaction %q is %s already; start a new one", id, st)
	}
	if other, err := s.OpenTxnID(ctx); err != nil {
		return err
	} else if other != "" {
		return fmt.Errorf("flow transaction %q is open (an orchestrated flow is running or failed midway); wait for it, or run kiln transaction rollback %s", other, other)
	}
	return s.OpenTxn(ctx, id, time.Now())
}

// TxnStatus returns "open", "committed", "rolled_back", or "" for an
// unknown transaction.
func TxnStatus(ctx context.Context, conn adapter.Conn, id string) (string, error) {
	return conn.Store().TxnStatus(ctx, id)
}

// OpenTxnID returns the open flow transaction, or "".
func OpenTxnID(ctx context.Context, conn adapter.Conn) (string, error) {
	return conn.Store().OpenTxnID(ctx)
}

// TxnOutcome is what CommitTxn or RollbackTxn did.
type TxnOutcome struct {
	Relations int // relations published (commit) or restored (rollback)
	Files     int // exports published (commit) or removed (rollback)
	// Already says the transaction was committed (or rolled back) by an
	// earlier call; this one only finished what that call left undone.
	Already bool
	// Restored are the journal entries a rollback undid (newest first).
	Restored []adapter.JournalEntry
}

// CommitTxn publishes flow transaction id. It first recovers (see
// Recover: runs of the flow that were killed are undone). Then, in one
// database transaction, the point of no return, it drops the previous
// versions of the relations the flow's runs replaced, makes their pending
// up-to-date state the state, marks the staged exports to publish and
// closes the transaction as committed; then it renames the exports into
// place. Called again after a kill, or on a committed transaction, it
// finishes the renames (Already). It returns an error when id is unknown
// or rolled back.
func CommitTxn(ctx context.Context, conn adapter.Conn, d adapter.Dialect, id string) (TxnOutcome, error) {
	var out TxnOutcome
	if _, err := Recover(ctx, conn, d); err != nil {
		return out, err
	}
	s := conn.Store()
	st, err := s.TxnStatus(ctx, id)
	if err != nil {
		return out, err
	}
	switch st {
	case "open":
	case "committed":
		out.Already = true
		return out, nil // Recover renamed what an interrupted commit left
	default:
		return out, fmt.Errorf("flow transaction %q is not open (%s): there is nothing to commit", id, orUnknown(st))
	}
	es, err := txnEntries(ctx, s, id)
	if err != nil {
		return out, err
	}
	err = conn.Tx(ctx, func() error {
		for _, e := range es {
			if err := dropBackup(ctx, conn, d, e); err != nil {
				return err
			}
		}
		if err := s.SetStagedFiles(ctx, id, adapter.Publish); err != nil {
			return err
		}
		if err := s.CloseTxn(ctx, id, true); err != nil {
			return err
		}
		failpoint.Hit(failpoint.TxnCommitRecorded)
		return nil
	})
	if err != nil {
		return out, err
	}
	failpoint.Hit(failpoint.TxnCommitCommitted)
	out.Relations = len(es)
	files, err := s.StagedFiles(ctx, id)
	if err != nil {
		return out, err
	}
	out.Files, _, err = settleFiles(ctx, conn, files)
	if err != nil {
		return out, fmt.Errorf("flow transaction %q is committed, but %v; kiln transaction commit %s (or the next build) tries again", id, err, id)
	}
	failpoint.Hit(failpoint.TxnCommitDone)
	return out, nil
}

// RollbackTxn undoes flow transaction id. It first recovers (runs of the
// flow that were killed are undone). Then, in one database transaction,
// every relation the flow's runs replaced is restored, their pending
// state is forgotten, their runs are marked rolled_back (their metrics
// are no baseline), the staged exports are marked to discard and the
// transaction is closed; then the staged exports are removed. Called
// again after a kill, or on a rolled-back transaction, it finishes the
// removals (Already). It returns an error when id is unknown or
// committed.
func RollbackTxn(ctx context.Context, conn adapter.Conn, d adapter.Dialect, id string) (TxnOutcome, error) {
	var out TxnOutcome
	if _, err := Recover(ctx, conn, d); err != nil {
		return out, err
	}
	s := conn.Store()
	st, err := s.TxnStatus(ctx, id)
	if err != nil {
		return out, err
	}
	switch st {
	case "open":
	case "rolled_back":
		out.Already = true
		return out, nil
	case "committed":
		return out, fmt.Errorf("flow transaction %q is committed: its tables and exports are published and cannot be rolled back", id)
	default:
		return out, fmt.Errorf("flow transaction %q is not open (unknown): there is nothing to roll back", id)
	}
	es, err := txnEntries(ctx, s, id)
	if err != nil {
		return out, err
	}
	err = conn.Tx(ctx, func() error {
		if err := undo(ctx, conn, d, es, id, nil); err != nil {
			return err
		}
		if err := s.MarkRolledBack(ctx, id); err != nil {
			return err
		}
		if err := s.SetStagedFiles(ctx, id, adapter.Discard); err != nil {
			return err
		}
		if err := s.CloseTxn(ctx, id, false); err != nil {
			return err
		}
		failpoint.Hit(failpoint.TxnRollbackUndone)
		return nil
	})
	if err != nil {
		return out, err
	}
	failpoint.Hit(failpoint.TxnRollbackCommitted)
	out.Relations, out.Restored = len(es), es
	files, err := s.StagedFiles(ctx, id)
	if err != nil {
		return out, err
	}
	_, out.Files, err = settleFiles(ctx, conn, files)
	return out, err
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// txnEntries returns the journal of flow transaction id, newest first.
func txnEntries(ctx context.Context, s adapter.Store, id string) ([]adapter.JournalEntry, error) {
	all, err := s.Journal(ctx)
	if err != nil {
		return nil, err
	}
	var out []adapter.JournalEntry
	for _, e := range all {
		if e.Txn == id && e.Done {
			out = append(out, e)
		}
	}
	return out, nil
}

// FlowOf returns the flow part of flow transaction id FLOW/EXECUTION (the
// text before its last "/"), "" when id has no "/".
func FlowOf(id string) string {
	if i := strings.LastIndex(id, "/"); i > 0 {
		return id[:i]
	}
	return ""
}

// RollbackStaleTxn rolls back the flow transaction left open by an
// earlier execution of the flow of id (FLOW/EXECUTION: see FlowOf), which
// the orchestrator ended without its errors branch (killed, failed by its
// SLA, a worker lost). The caller vouches that no other execution of the
// flow is running (Kestra's concurrency limit of 1). It returns the id it
// rolled back and what the rollback did; "" when no transaction is open,
// or id itself is. It returns an error, and rolls back nothing, when id
// names no flow, or the open transaction is of another flow (or of none:
// a run by hand), whose runs may still be going on.
func RollbackStaleTxn(ctx context.Context, conn adapter.Conn, d adapter.Dialect, id string) (string, TxnOutcome, error) {
	flow := FlowOf(id)
	if flow == "" {
		return "", TxnOutcome{}, fmt.Errorf("flow transaction %q names no flow: --stale takes FLOW/EXECUTION (the flow's id, a /, the execution's), so that kiln rolls back only an earlier execution of the same flow", id)
	}
	if _, err := Recover(ctx, conn, d); err != nil {
		return "", TxnOutcome{}, err
	}
	other, err := conn.Store().OpenTxnID(ctx)
	if err != nil || other == "" || other == id {
		return "", TxnOutcome{}, err
	}
	if FlowOf(other) != flow {
		return "", TxnOutcome{}, fmt.Errorf("flow transaction %q is open, and it is not of flow %s (whose earlier executions kiln rolls back): its runs may still be going on; wait for it, or, once it is known to have ended, run kiln transaction rollback %s", other, flow, other)
	}
	out, err := RollbackTxn(ctx, conn, d, other)
	return other, out, err
}

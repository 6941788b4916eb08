package execute

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/kiln-build/kiln/adapter"
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

// CommitTxn publishes flow transaction id: in one database transaction,
// it drops the previous versions of the relations its runs replaced,
// records its pending up-to-date state and closes it; then it renames its
// staged exports into place. It returns the number of relations and files
// committed.
func CommitTxn(ctx context.Context, conn adapter.Conn, d adapter.Dialect, id string) (int, int, error) {
	s := conn.Store()
	if st, err := s.TxnStatus(ctx, id); err != nil {
		return 0, 0, err
	} else if st != "open" {
		return 0, 0, fmt.Errorf("flow transaction %q is not open (%s)", id, orUnknown(st))
	}
	es, err := txnEntries(ctx, s, id)
	if err != nil {
		return 0, 0, err
	}
	files, err := s.StagedFiles(ctx, id)
	if err != nil {
		return 0, 0, err
	}
	err = conn.Tx(ctx, func() error {
		for _, e := range es {
			if err := dropBackup(ctx, conn, d, e); err != nil {
				return err
			}
		}
		return s.CloseTxn(ctx, id, true)
	})
	if err != nil {
		return 0, 0, err
	}
	var errs []error
	for _, f := range files {
		errs = append(errs, os.Rename(f.Staged, f.Final))
	}
	return len(es), len(files), errors.Join(errs...)
}

// RollbackTxn undoes flow transaction id, in one database transaction:
// every relation its runs replaced is restored, its pending state is
// forgotten, its runs are marked rolled_back (so their metrics are no
// baseline) and it is closed; then its staged exports are deleted. It
// returns the number of relations restored.
func RollbackTxn(ctx context.Context, conn adapter.Conn, d adapter.Dialect, id string) (int, error) {
	s := conn.Store()
	if st, err := s.TxnStatus(ctx, id); err != nil {
		return 0, err
	} else if st != "open" {
		return 0, fmt.Errorf("flow transaction %q is not open (%s)", id, orUnknown(st))
	}
	es, err := txnEntries(ctx, s, id)
	if err != nil {
		return 0, err
	}
	files, err := s.StagedFiles(ctx, id)
	if err != nil {
		return 0, err
	}
	err = conn.Tx(ctx, func() error {
		if err := undo(ctx, conn, d, es); err != nil {
			return err
		}
		if err := s.MarkRolledBack(ctx, id); err != nil {
			return err
		}
		return s.CloseTxn(ctx, id, false)
	})
	if err != nil {
		return 0, err
	}
	for _, f := range files {
		os.Remove(f.Staged)
	}
	return len(es), nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// txnEntries returns the journal of flow transaction id, newest first.
func txnEntries(ctx context.Context, s adapter.Store, id string) ([]entry, error) {
	journal, err := s.Journal(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]entry, len(journal))
	for i, e := range journal {
		out[i] = entry{rel: e.Relation, backup: e.Backup, backupKind: string(e.BackupKind)}
	}
	return out, nil
}

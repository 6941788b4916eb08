package execute

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/kiln-build/kiln/internal/duck"
	"github.com/kiln-build/kiln/internal/history"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// OpenTxn starts flow transaction id, or joins it when it is already open.
// It returns an error when id was committed or rolled back already, or
// when another transaction is open (one flow at a time writes a database).
func OpenTxn(ctx context.Context, conn *duck.Conn, id string) error {
	if err := history.Ensure(ctx, conn); err != nil {
		return err
	}
	st, err := TxnStatus(ctx, conn, id)
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
	if other, err := OpenTxnID(ctx, conn); err != nil {
		return err
	} else if other != "" {
		return fmt.Errorf("flow transaction %q is open (an orchestrated flow is running or failed midway); wait for it, or run kiln transaction rollback %s", other, other)
	}
	_, err = conn.Exec(ctx, "insert into kiln_history.transactions values (?, ?, 'open')", id, time.Now().UTC())
	return err
}

// TxnStatus returns "open", "committed", "rolled_back", or "" for an
// unknown transaction.
func TxnStatus(ctx context.Context, conn *duck.Conn, id string) (string, error) {
	if err := history.Ensure(ctx, conn); err != nil {
		return "", err
	}
	_, rows, err := conn.QueryRows(ctx, "select status from kiln_history.transactions where id = ?", id)
	if err != nil || len(rows) == 0 {
		return "", err
	}
	return fmt.Sprint(rows[0][0]), nil
}

// OpenTxnID returns the open flow transaction, or "".
func OpenTxnID(ctx context.Context, conn *duck.Conn) (string, error) {
	if err := history.Ensure(ctx, conn); err != nil {
		return "", err
	}
	_, rows, err := conn.QueryRows(ctx, "select id from kiln_history.transactions where status = 'open' order by opened_at limit 1")
	if err != nil || len(rows) == 0 {
		return "", err
	}
	return fmt.Sprint(rows[0][0]), nil
}

// CommitTxn publishes flow transaction id: it drops the previous versions
// of the relations its runs replaced, renames its staged exports into
// place and records its pending up-to-date state. It returns the number of
// relations and files committed.
func CommitTxn(ctx context.Context, conn *duck.Conn, id string) (int, int, error) {
	if st, err := TxnStatus(ctx, conn, id); err != nil {
		return 0, 0, err
	} else if st != "open" {
		return 0, 0, fmt.Errorf("flow transaction %q is not open (%s)", id, orUnknown(st))
	}
	es, err := txnEntries(ctx, conn, id)
	if err != nil {
		return 0, 0, err
	}
	_, files, err := conn.QueryRows(ctx, "select staged, final from kiln_history.staged_files where txn = ?", id)
	if err != nil {
		return 0, 0, err
	}
	err = conn.Tx(ctx, func() error {
		for _, e := range es {
			if err := dropBackup(ctx, conn, e); err != nil {
				return err
			}
		}
		for _, q := range []string{
			`delete from kiln_history.journal where txn = ?`,
			`insert or replace into kiln_history.state select unique_id, fingerprint, run_id, now()::timestamp from kiln_history.pending_state where txn = ?`,
			`delete from kiln_history.pending_state where txn = ?`,
			`delete from kiln_history.staged_files where txn = ?`,
			`update kiln_history.transactions set status = 'committed' where id = ?`,
		} {
			if _, err := conn.Exec(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	var errs []error
	for _, f := range files {
		errs = append(errs, os.Rename(fmt.Sprint(f[0]), fmt.Sprint(f[1])))
	}
	return len(es), len(files), errors.Join(errs...)
}

// RollbackTxn undoes flow transaction id: every relation its runs replaced
// is restored, its staged exports are deleted, its pending state is
// forgotten, and its runs are marked rolled_back (so their metrics are no
// baseline). It returns the number of relations restored.
func RollbackTxn(ctx context.Context, conn *duck.Conn, id string) (int, error) {
	if st, err := TxnStatus(ctx, conn, id); err != nil {
		return 0, err
	} else if st != "open" {
		return 0, fmt.Errorf("flow transaction %q is not open (%s)", id, orUnknown(st))
	}
	es, err := txnEntries(ctx, conn, id)
	if err != nil {
		return 0, err
	}
	_, files, err := conn.QueryRows(ctx, "select staged from kiln_history.staged_files where txn = ?", id)
	if err != nil {
		return 0, err
	}
	if err := undo(ctx, conn, es); err != nil {
		return 0, err
	}
	err = conn.Tx(ctx, func() error {
		for _, q := range []string{
			`delete from kiln_history.journal where txn = ?`,
			`delete from kiln_history.pending_state where txn = ?`,
			`delete from kiln_history.staged_files where txn = ?`,
			`update kiln_history.runs set status = 'rolled_back' where txn = ?`,
			`update kiln_history.transactions set status = 'rolled_back' where id = ?`,
		} {
			if _, err := conn.Exec(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	for _, f := range files {
		os.Remove(fmt.Sprint(f[0]))
	}
	return len(es), err
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// txnEntries returns the journal of flow transaction id, newest first.
func txnEntries(ctx context.Context, conn *duck.Conn, id string) ([]entry, error) {
	_, rows, err := conn.QueryRows(ctx, `select schema_name, name, coalesce(backup, ''), coalesce(backup_kind, '')
        from kiln_history.journal where txn = ? order by recorded_at desc, seq desc`, id)
	if err != nil {
		return nil, err
	}
	out := make([]entry, len(rows))
	for i, r := range rows {
		out[i] = entry{rel: sqlq.Relation{Schema: fmt.Sprint(r[0]), Name: fmt.Sprint(r[1])},
			backup: fmt.Sprint(r[2]), backupKind: fmt.Sprint(r[3])}
	}
	return out, nil
}

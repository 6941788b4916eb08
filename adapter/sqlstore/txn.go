package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// Journal returns the journal entries of flow transaction txn (every
// entry when txn is ""), newest first.
func (s *Store) Journal(ctx context.Context, txn string) ([]adapter.JournalEntry, error) {
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	where := ""
	if txn != "" {
		where = " where txn = " + s.lit(txn)
	}
	_, rows, err := s.c.QueryRows(ctx, `select run_id, schema_name, name, coalesce(backup, ''), coalesce(backup_kind, '')
        from kiln_history.journal`+where+` order by recorded_at desc, seq desc`)
	if err != nil {
		return nil, err
	}
	out := make([]adapter.JournalEntry, len(rows))
	for i, r := range rows {
		out[i] = adapter.JournalEntry{RunID: str(r[0]), Relation: adapter.Relation{Schema: str(r[1]), Name: str(r[2])},
			Backup: str(r[3]), BackupKind: adapter.Kind(str(r[4]))}
	}
	return out, nil
}

// AddJournal records entries of run runID in flow transaction txn, in one
// statement.
func (s *Store) AddJournal(ctx context.Context, runID, txn string, entries []adapter.JournalEntry) error {
	if len(entries) == 0 {
		return nil
	}
	if err := s.ensure(ctx); err != nil {
		return err
	}
	_, rows, err := s.c.QueryRows(ctx, "select coalesce(max(seq), 0) from kiln_history.journal where run_id = "+s.lit(runID))
	if err != nil {
		return err
	}
	seq := num(rows[0][0])
	now := s.ts(time.Now())
	values := make([]string, len(entries))
	for i, e := range entries {
		values[i] = fmt.Sprintf("(%s, %d, %s, %s, %s, %s, %s, true, %s)", s.lit(runID), seq+int64(i)+1,
			s.lit(e.Relation.Schema), s.lit(e.Relation.Name), s.nullable(e.Backup), s.nullable(string(e.BackupKind)), s.nullable(txn), now)
	}
	_, err = s.c.Exec(ctx, "insert into kiln_history.journal (run_id, seq, schema_name, name, backup, backup_kind, txn, done, recorded_at) values "+strings.Join(values, ", "))
	return err
}

// TxnStatus returns the status of flow transaction id, "" when unknown.
func (s *Store) TxnStatus(ctx context.Context, id string) (string, error) {
	if err := s.ensure(ctx); err != nil {
		return "", err
	}
	_, rows, err := s.c.QueryRows(ctx, "select status from kiln_history.transactions where id = "+s.lit(id))
	if err != nil || len(rows) == 0 {
		return "", err
	}
	return str(rows[0][0]), nil
}

// OpenTxnID returns the open flow transaction, or "".
func (s *Store) OpenTxnID(ctx context.Context) (string, error) {
	if err := s.ensure(ctx); err != nil {
		return "", err
	}
	_, rows, err := s.c.QueryRows(ctx, "select id from kiln_history.transactions where status = 'open' order by opened_at limit 1")
	if err != nil || len(rows) == 0 {
		return "", err
	}
	return str(rows[0][0]), nil
}

// OpenTxn records flow transaction id as open.
func (s *Store) OpenTxn(ctx context.Context, id string, at time.Time) error {
	if err := s.ensure(ctx); err != nil {
		return err
	}
	_, err := s.c.Exec(ctx, "insert into kiln_history.transactions (id, opened_at, status) values ("+s.lit(id)+", "+s.ts(at)+", 'open')")
	return err
}

// CloseTxn ends flow transaction id, in one transaction.
func (s *Store) CloseTxn(ctx context.Context, id string, committed bool) error {
	if err := s.ensure(ctx); err != nil {
		return err
	}
	t := s.lit(id)
	qs := []string{"delete from kiln_history.journal where txn = " + t}
	status := "rolled_back"
	if committed {
		status = "committed"
		qs = append(qs, `insert into kiln_history.state (unique_id, fingerprint, run_id, built_at)
            select unique_id, fingerprint, run_id, `+s.ts(time.Now())+` from kiln_history.pending_state where txn = `+t+`
            on conflict (unique_id) do update set fingerprint = excluded.fingerprint, run_id = excluded.run_id, built_at = excluded.built_at`)
	}
	qs = append(qs,
		"delete from kiln_history.pending_state where txn = "+t,
		"delete from kiln_history.staged_files where txn = "+t,
		"update kiln_history.transactions set status = '"+status+"' where id = "+t)
	return s.c.Tx(ctx, func() error {
		for _, q := range qs {
			if _, err := s.c.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}

// StagedFiles returns the exports staged by txn (by every transaction
// when txn is "").
func (s *Store) StagedFiles(ctx context.Context, txn string) ([]adapter.StagedFile, error) {
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	where := ""
	if txn != "" {
		where = " where txn = " + s.lit(txn)
	}
	_, rows, err := s.c.QueryRows(ctx, "select staged, final from kiln_history.staged_files"+where+" order by staged")
	if err != nil {
		return nil, err
	}
	out := make([]adapter.StagedFile, len(rows))
	for i, r := range rows {
		out[i] = adapter.StagedFile{Staged: str(r[0]), Final: str(r[1])}
	}
	return out, nil
}

// AddStagedFiles records exports staged by txn.
func (s *Store) AddStagedFiles(ctx context.Context, txn string, files []adapter.StagedFile) error {
	if len(files) == 0 {
		return nil
	}
	if err := s.ensure(ctx); err != nil {
		return err
	}
	values := make([]string, len(files))
	for i, f := range files {
		values[i] = fmt.Sprintf("(%s, %s, %s)", s.lit(txn), s.lit(f.Staged), s.lit(f.Final))
	}
	_, err := s.c.Exec(ctx, "insert into kiln_history.staged_files (txn, staged, final) values "+strings.Join(values, ", "))
	return err
}

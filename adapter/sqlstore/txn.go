package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// Journal returns every journal entry, newest first.
func (s *Store) Journal(ctx context.Context) ([]adapter.JournalEntry, error) {
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	_, rows, err := s.c.QueryRows(ctx, `select run_id, seq, coalesce(txn, ''), coalesce(op, ''), schema_name, name,
        coalesce(backup, ''), coalesce(backup_kind, ''), coalesce(done, false), coalesce(rows_where, ''),
        coalesce(definition, '')
        from kiln_history.journal order by recorded_at desc, seq desc`)
	if err != nil {
		return nil, err
	}
	out := make([]adapter.JournalEntry, len(rows))
	for i, r := range rows {
		done, _ := r[8].(bool)
		e := adapter.JournalEntry{RunID: str(r[0]), Seq: num(r[1]), Txn: str(r[2]), Op: adapter.JournalOp(str(r[3])),
			Relation: adapter.Relation{Schema: str(r[4]), Name: str(r[5])}, Backup: str(r[6]), BackupKind: adapter.Kind(str(r[7])), Done: done,
			Where: str(r[9])}
		if d := str(r[10]); d != "" {
			if err := json.Unmarshal([]byte(d), &e.Definition); err != nil {
				return nil, fmt.Errorf("journal entry %d of run %s: its definition: %w", e.Seq, e.RunID, err)
			}
		}
		if e.Op == "" { // recorded by an older kiln
			e.Op = adapter.Moved
			if e.Backup == "" {
				e.Op = adapter.Created
			}
		}
		out[i] = e
	}
	return out, nil
}

// AddJournal records entries, in one statement: from bulkMin entries with
// their values bound as lists, sent at once; fewer as literals, and on a
// connection that is an adapter.Pipeliner, inside a transaction, the
// statement goes with the transaction's next one.
func (s *Store) AddJournal(ctx context.Context, entries []adapter.JournalEntry) error {
	if len(entries) == 0 {
		return nil
	}
	if err := s.ensure(ctx); err != nil {
		return err
	}
	if len(entries) >= bulkMin {
		return s.addJournalBulk(ctx, entries)
	}
	now := s.ts(time.Now())
	values := make([]string, len(entries))
	for i, e := range entries {
		done := "false"
		if e.Done {
			done = "true"
		}
		values[i] = fmt.Sprintf("(%s, %d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", s.lit(e.RunID), e.Seq,
			s.lit(e.Relation.Schema), s.lit(e.Relation.Name), s.nullable(e.Backup), s.nullable(string(e.BackupKind)),
			s.nullable(e.Txn), s.lit(string(e.Op)), done, now, s.nullable(e.Where), s.nullable(definitionJSON(e)))
	}
	q := "insert into kiln_history.journal (run_id, seq, schema_name, name, backup, backup_kind, txn, op, done, recorded_at, rows_where, definition) values " +
		strings.Join(values, ", ")
	if p, ok := s.c.(adapter.Pipeliner); ok {
		// Sent with the node's next statement.
		return p.ExecLater(ctx, q)
	}
	_, err := s.c.Exec(ctx, q)
	return err
}

// definitionJSON is e.Definition as a JSON array, "" when it has none.
func definitionJSON(e adapter.JournalEntry) string {
	if len(e.Definition) == 0 {
		return ""
	}
	b, _ := json.Marshal(e.Definition) // strings only: cannot fail
	return string(b)
}

// RemoveJournal forgets entries by run and number.
func (s *Store) RemoveJournal(ctx context.Context, entries []adapter.JournalEntry) error {
	if len(entries) == 0 {
		return nil
	}
	if err := s.ensure(ctx); err != nil {
		return err
	}
	// One condition by run, its numbers in a list: a run's thousand
	// entries are one IN list, which DuckDB plans far faster than a
	// thousand OR terms; from bulkMin entries, a list bound to the
	// statement.
	var runs []string
	seqs := map[string][]int64{}
	for _, e := range entries {
		if _, ok := seqs[e.RunID]; !ok {
			runs = append(runs, e.RunID)
		}
		seqs[e.RunID] = append(seqs[e.RunID], e.Seq)
	}
	if len(entries) >= bulkMin {
		for _, r := range runs {
			if err := s.removeJournalBulk(ctx, r, seqs[r]); err != nil {
				return err
			}
		}
		return nil
	}
	keys := make([]string, len(runs))
	for i, r := range runs {
		nums := make([]string, len(seqs[r]))
		for j, n := range seqs[r] {
			nums[j] = strconv.FormatInt(n, 10)
		}
		keys[i] = fmt.Sprintf("(run_id = %s and seq in (%s))", s.lit(r), strings.Join(nums, ", "))
	}
	_, err := s.c.Exec(ctx, "delete from kiln_history.journal where "+strings.Join(keys, " or "))
	return err
}

// RemoveRunJournal forgets the entries of run runID not marked done.
func (s *Store) RemoveRunJournal(ctx context.Context, runID string) error {
	if err := s.ensure(ctx); err != nil {
		return err
	}
	_, err := s.c.Exec(ctx, "delete from kiln_history.journal where run_id = "+s.lit(runID)+" and not coalesce(done, false)")
	return err
}

// KeepJournal marks the entries of run runID done.
func (s *Store) KeepJournal(ctx context.Context, runID string) error {
	if err := s.ensure(ctx); err != nil {
		return err
	}
	_, err := s.c.Exec(ctx, "update kiln_history.journal set done = true where run_id = "+s.lit(runID))
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
            select unique_id, fingerprint, run_id, `+s.ts(time.Now())+` from kiln_history.pending_state where txn = `+t+` and fingerprint <> ''
            on conflict (unique_id) do update set fingerprint = excluded.fingerprint, run_id = excluded.run_id, built_at = excluded.built_at`,
			`delete from kiln_history.state where unique_id in
            (select unique_id from kiln_history.pending_state where txn = `+t+` and fingerprint = '')`)
	}
	qs = append(qs,
		"delete from kiln_history.pending_state where txn = "+t,
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
// and run when txn is "").
func (s *Store) StagedFiles(ctx context.Context, txn string) ([]adapter.StagedFile, error) {
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	where := ""
	if txn != "" {
		where = " where txn = " + s.lit(txn)
	}
	_, rows, err := s.c.QueryRows(ctx, "select staged, final, txn, coalesce(run_id, ''), coalesce(action, 'hold') from kiln_history.staged_files"+where+" order by staged")
	if err != nil {
		return nil, err
	}
	out := make([]adapter.StagedFile, len(rows))
	for i, r := range rows {
		out[i] = adapter.StagedFile{Staged: str(r[0]), Final: str(r[1]), Txn: str(r[2]), RunID: str(r[3]), Action: adapter.FileAction(str(r[4]))}
	}
	return out, nil
}

// AddStagedFiles records staged exports.
func (s *Store) AddStagedFiles(ctx context.Context, files []adapter.StagedFile) error {
	if len(files) == 0 {
		return nil
	}
	if err := s.ensure(ctx); err != nil {
		return err
	}
	values := make([]string, len(files))
	for i, f := range files {
		action := f.Action
		if action == "" {
			action = adapter.Hold
		}
		values[i] = fmt.Sprintf("(%s, %s, %s, %s, %s)", s.lit(f.Txn), s.lit(f.Staged), s.lit(f.Final), s.lit(f.RunID), s.lit(string(action)))
	}
	_, err := s.c.Exec(ctx, "insert into kiln_history.staged_files (txn, staged, final, run_id, action) values "+strings.Join(values, ", "))
	return err
}

// SetStagedFiles sets the action of txn's staged exports.
func (s *Store) SetStagedFiles(ctx context.Context, txn string, action adapter.FileAction) error {
	if err := s.ensure(ctx); err != nil {
		return err
	}
	_, err := s.c.Exec(ctx, "update kiln_history.staged_files set action = "+s.lit(string(action))+" where txn = "+s.lit(txn))
	return err
}

// RemoveStagedFiles forgets the staged exports at the paths staged.
func (s *Store) RemoveStagedFiles(ctx context.Context, staged []string) error {
	if len(staged) == 0 {
		return nil
	}
	if err := s.ensure(ctx); err != nil {
		return err
	}
	quoted := make([]string, len(staged))
	for i, p := range staged {
		quoted[i] = s.lit(p)
	}
	_, err := s.c.Exec(ctx, "delete from kiln_history.staged_files where staged in ("+strings.Join(quoted, ", ")+")")
	return err
}

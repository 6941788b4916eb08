package execute

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kiln-build/kiln/internal/duck"
	"github.com/kiln-build/kiln/internal/history"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// BackupSuffix is appended, with the run's short id, to a relation's name
// while a run keeps its previous version aside.
const BackupSuffix = "__kiln_prev_"

// Journal makes a run atomic: before a node replaces a relation, the
// previous one is renamed aside in the transaction that builds the new one,
// and the swap is recorded in kiln_history.journal. When the run succeeds,
// Commit drops the previous versions; when it fails or is interrupted,
// Rollback puts them back, so the database is as it was before the run. A
// run that was killed leaves its journal behind; Recover, at the start of
// the next run, undoes it.
//
// Runs may also belong to a flow transaction (kiln build --transaction ID,
// one per task of an orchestrated flow): a run that succeeds then keeps the
// first previous version of each relation, its exports staged and its
// up-to-date state pending, until CommitTxn publishes the whole flow or
// RollbackTxn undoes it.
type Journal struct {
	runID string
	txn   string
	mu    sync.Mutex
	seq   int64
	count int
	files []stagedFile // exports written aside, published at commit
}

type stagedFile struct{ staged, final string }

// NewJournal returns the journal of run runID, in flow transaction txn
// ("" for none).
func NewJournal(runID, txn string) *Journal { return &Journal{runID: runID, txn: txn} }

// Txn returns the flow transaction of the run, or "".
func (j *Journal) Txn() string { return j.txn }

// Replaced returns how many relations the run has replaced or created.
func (j *Journal) Replaced() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.count
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// Prepare moves the relation at rel aside, if there is one, and records it.
// It must run inside the transaction (conn.Tx) that builds the new
// relation, so both happen or neither does. A nil journal does nothing.
func (j *Journal) Prepare(ctx context.Context, conn *duck.Conn, rel sqlq.Relation) error {
	if j == nil {
		return nil
	}
	kind, err := conn.RelationKind(ctx, rel.Schema, rel.Name)
	if err != nil {
		return err
	}
	var backup, backupKind any
	if kind != "" {
		name := rel.Name + BackupSuffix + short(j.runID)
		if err := dropRelation(ctx, conn, sqlq.Relation{Schema: rel.Schema, Name: name}); err != nil {
			return err
		}
		if _, err := conn.Exec(ctx, fmt.Sprintf("alter %s %s rename to %s", kind, rel.String(), sqlq.Ident(name))); err != nil {
			return err
		}
		backup, backupKind = name, kind
	}
	j.mu.Lock()
	j.seq++
	seq := j.seq
	j.count++
	j.mu.Unlock()
	var txn any
	if j.txn != "" {
		txn = j.txn
	}
	_, err = conn.Exec(ctx, `insert into kiln_history.journal (run_id, seq, schema_name, name, backup, backup_kind, txn, done, recorded_at)
        values (?, ?, ?, ?, ?, ?, ?, false, ?)`, j.runID, seq, rel.Schema, rel.Name, backup, backupKind, txn, time.Now().UTC())
	return err
}

func dropRelation(ctx context.Context, conn *duck.Conn, rel sqlq.Relation) error {
	kind, err := conn.RelationKind(ctx, rel.Schema, rel.Name)
	if err != nil || kind == "" {
		return err
	}
	_, err = conn.Exec(ctx, fmt.Sprintf("drop %s %s", kind, rel.String()))
	return err
}

type entry struct {
	runID      string
	seq        int64
	rel        sqlq.Relation
	backup     string
	backupKind string
}

// entries returns journal entries, newest first.
func entries(ctx context.Context, conn *duck.Conn, where string, args ...any) ([]entry, error) {
	if err := history.Ensure(ctx, conn); err != nil {
		return nil, err
	}
	_, rows, err := conn.QueryRows(ctx, "select run_id, seq, schema_name, name, coalesce(backup, ''), coalesce(backup_kind, '') from kiln_history.journal "+
		where+" order by recorded_at desc, seq desc", args...)
	if err != nil {
		return nil, err
	}
	out := make([]entry, len(rows))
	for i, r := range rows {
		seq, _ := r[1].(int64)
		out[i] = entry{runID: fmt.Sprint(r[0]), seq: seq, rel: sqlq.Relation{Schema: fmt.Sprint(r[2]), Name: fmt.Sprint(r[3])},
			backup: fmt.Sprint(r[4]), backupKind: fmt.Sprint(r[5])}
	}
	return out, nil
}

func dropBackup(ctx context.Context, conn *duck.Conn, e entry) error {
	if e.backup == "" {
		return nil
	}
	_, err := conn.Exec(ctx, fmt.Sprintf("drop %s if exists %s", e.backupKind, sqlq.Relation{Schema: e.rel.Schema, Name: e.backup}))
	return err
}

func deleteEntry(ctx context.Context, conn *duck.Conn, e entry) error {
	_, err := conn.Exec(ctx, "delete from kiln_history.journal where run_id = ? and seq = ?", e.runID, e.seq)
	return err
}

// Commit ends a run that succeeded, in one transaction. Outside a flow
// transaction it drops the previous versions and forgets them. In one, it
// keeps the first previous version of each relation for the flow's
// rollback, drops the versions that earlier runs of the flow had built, and
// marks the run done.
func (j *Journal) Commit(ctx context.Context, conn *duck.Conn) error {
	es, err := entries(ctx, conn, "where run_id = ?", j.runID)
	if err != nil {
		return err
	}
	return conn.Tx(ctx, func() error {
		for _, e := range es {
			keep := false
			if j.txn != "" {
				earlier, err := conn.QueryInt(ctx, "select count(*) from kiln_history.journal where txn = ? and run_id <> ? and schema_name = ? and name = ?",
					j.txn, j.runID, e.rel.Schema, e.rel.Name)
				if err != nil {
					return err
				}
				keep = earlier == 0 // the flow's first change of this relation: the flow may undo it
			}
			if keep {
				continue
			}
			if err := dropBackup(ctx, conn, e); err != nil {
				return err
			}
			if err := deleteEntry(ctx, conn, e); err != nil {
				return err
			}
		}
		_, err := conn.Exec(ctx, "update kiln_history.journal set done = true where run_id = ?", j.runID)
		return err
	})
}

// Rollback undoes the run's own changes: in reverse order, each relation it
// built is dropped and the previous one renamed back, in one transaction.
// Earlier runs of its flow transaction are left alone. It returns the
// number of relations restored or removed.
func (j *Journal) Rollback(ctx context.Context, conn *duck.Conn) (int, error) {
	es, err := entries(ctx, conn, "where run_id = ?", j.runID)
	if err != nil {
		return 0, err
	}
	return len(es), undo(ctx, conn, es)
}

func undo(ctx context.Context, conn *duck.Conn, es []entry) error {
	return conn.Tx(ctx, func() error {
		for _, e := range es {
			if err := dropRelation(ctx, conn, e.rel); err != nil {
				return err
			}
			if e.backup != "" {
				backup := sqlq.Relation{Schema: e.rel.Schema, Name: e.backup}
				if _, err := conn.Exec(ctx, fmt.Sprintf("alter %s %s rename to %s", e.backupKind, backup, sqlq.Ident(e.rel.Name))); err != nil {
					return err
				}
			}
			if err := deleteEntry(ctx, conn, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// Recover undoes the runs that were killed before they could commit or roll
// back (their entries are not done) and returns their IDs and the number of
// relations restored. Done entries of open flow transactions stay.
func Recover(ctx context.Context, conn *duck.Conn) ([]string, int, error) {
	es, err := entries(ctx, conn, "where not coalesce(done, false)")
	if err != nil || len(es) == 0 {
		return nil, 0, err
	}
	seen := map[string]bool{}
	var ids []string
	for _, e := range es {
		if !seen[e.runID] {
			seen[e.runID] = true
			ids = append(ids, e.runID)
		}
	}
	if err := undo(ctx, conn, es); err != nil {
		return ids, 0, errors.Join(errors.New("cannot undo an unfinished earlier run"), err)
	}
	return ids, len(es), nil
}

// StagedPath is where an export bound for final is written during the run:
// a hidden file beside it.
func (j *Journal) StagedPath(final string) string {
	return filepath.Join(filepath.Dir(final), "."+filepath.Base(final)+".kiln-"+short(j.runID))
}

// StageFile records that staged must replace final when the run (or its
// flow transaction) commits.
func (j *Journal) StageFile(staged, final string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.files = append(j.files, stagedFile{staged, final})
}

// PublishFiles publishes the run's staged exports: it renames them into
// place, or, in a flow transaction, records them for CommitTxn. It returns
// the first error and goes on with the others.
func (j *Journal) PublishFiles(ctx context.Context, conn *duck.Conn) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	var errs []error
	for _, f := range j.files {
		if j.txn != "" {
			_, err := conn.Exec(ctx, "insert into kiln_history.staged_files values (?, ?, ?)", j.txn, f.staged, f.final)
			errs = append(errs, err)
			continue
		}
		errs = append(errs, os.Rename(f.staged, f.final))
	}
	j.files = nil
	return errors.Join(errs...)
}

// DiscardFiles removes the staged exports of a run that failed: the
// published files stay as they were.
func (j *Journal) DiscardFiles() {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, f := range j.files {
		os.Remove(f.staged)
	}
	j.files = nil
}

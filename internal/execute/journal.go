package execute

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/kiln-build/kiln/internal/duck"
	"github.com/kiln-build/kiln/internal/history"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// BackupSuffix is appended to a relation's name while a run keeps its
// previous version.
const BackupSuffix = "__kiln_prev"

// Journal makes a run atomic: before a node replaces a relation, the
// previous one is renamed aside (name + BackupSuffix) in the same
// transaction that builds the new one, and the swap is recorded in
// kiln_history.journal. When the run succeeds, Commit drops the previous
// versions; when it fails or is interrupted, Rollback puts them back, so
// the database is as it was before the run. A run that was killed leaves
// its journal behind; Recover, at the start of the next run, undoes it.
type Journal struct {
	runID string
	mu    sync.Mutex
	seq   int64
	count int
	files []stagedFile // exports written aside, published at commit
}

type stagedFile struct{ staged, final string }

// StagedPath is where an export bound for final is written during the run:
// a hidden file beside it.
func (j *Journal) StagedPath(final string) string {
	return filepath.Join(filepath.Dir(final), "."+filepath.Base(final)+".kiln-"+j.runID)
}

// StageFile records that staged must replace final when the run commits.
func (j *Journal) StageFile(staged, final string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.files = append(j.files, stagedFile{staged, final})
}

// PublishFiles renames every staged export into place, after the database
// committed; it returns the first error and goes on with the others.
func (j *Journal) PublishFiles() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	var errs []error
	for _, f := range j.files {
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

// NewJournal returns the journal of run runID.
func NewJournal(runID string) *Journal { return &Journal{runID: runID} }

// Replaced returns how many relations the run has replaced or created.
func (j *Journal) Replaced() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.count
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
		name := rel.Name + BackupSuffix
		// A backup left by an older, recovered run is stale.
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
	_, err = conn.Exec(ctx, "insert into kiln_history.journal values (?, ?, ?, ?, ?, ?)", j.runID, seq, rel.Schema, rel.Name, backup, backupKind)
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
	rel        sqlq.Relation
	backup     string
	backupKind string
}

func entries(ctx context.Context, conn *duck.Conn, where string, args ...any) ([]entry, error) {
	if err := history.Ensure(ctx, conn); err != nil {
		return nil, err
	}
	_, rows, err := conn.QueryRows(ctx, "select run_id, schema_name, name, coalesce(backup, ''), coalesce(backup_kind, '') from kiln_history.journal "+
		where+" order by run_id, seq desc", args...)
	if err != nil {
		return nil, err
	}
	out := make([]entry, len(rows))
	for i, r := range rows {
		out[i] = entry{runID: fmt.Sprint(r[0]), rel: sqlq.Relation{Schema: fmt.Sprint(r[1]), Name: fmt.Sprint(r[2])}, backup: fmt.Sprint(r[3]), backupKind: fmt.Sprint(r[4])}
	}
	return out, nil
}

// Commit keeps the run's relations and drops the previous versions, in one
// transaction.
func (j *Journal) Commit(ctx context.Context, conn *duck.Conn) error {
	es, err := entries(ctx, conn, "where run_id = ?", j.runID)
	if err != nil {
		return err
	}
	return conn.Tx(ctx, func() error {
		for _, e := range es {
			if e.backup != "" {
				if _, err := conn.Exec(ctx, fmt.Sprintf("drop %s if exists %s", e.backupKind, sqlq.Relation{Schema: e.rel.Schema, Name: e.backup})); err != nil {
					return err
				}
			}
		}
		_, err := conn.Exec(ctx, "delete from kiln_history.journal where run_id = ?", j.runID)
		return err
	})
}

// Rollback undoes the run: in reverse order, each relation it built is
// dropped and the previous one renamed back, in one transaction. It returns
// the number of relations restored or removed.
func (j *Journal) Rollback(ctx context.Context, conn *duck.Conn) (int, error) {
	es, err := entries(ctx, conn, "where run_id = ?", j.runID)
	if err != nil {
		return 0, err
	}
	return len(es), undo(ctx, conn, es)
}

func undo(ctx context.Context, conn *duck.Conn, es []entry) error {
	return conn.Tx(ctx, func() error {
		runs := map[string]bool{}
		for _, e := range es {
			runs[e.runID] = true
			if err := dropRelation(ctx, conn, e.rel); err != nil {
				return err
			}
			if e.backup == "" {
				continue
			}
			backup := sqlq.Relation{Schema: e.rel.Schema, Name: e.backup}
			if _, err := conn.Exec(ctx, fmt.Sprintf("alter %s %s rename to %s", e.backupKind, backup, sqlq.Ident(e.rel.Name))); err != nil {
				return err
			}
		}
		for id := range runs {
			if _, err := conn.Exec(ctx, "delete from kiln_history.journal where run_id = ?", id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Recover undoes the runs that left a journal behind (killed before they
// could commit or roll back) and returns their IDs and the number of
// relations restored.
func Recover(ctx context.Context, conn *duck.Conn) ([]string, int, error) {
	es, err := entries(ctx, conn, "")
	if err != nil {
		return nil, 0, err
	}
	if len(es) == 0 {
		return nil, 0, nil
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

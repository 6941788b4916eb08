package execute

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
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
// previous one is renamed aside (name + BackupSuffix + the run's short id)
// in the transaction that builds the new one. When the run succeeds,
// Commit drops the previous versions; when it fails or is interrupted,
// Rollback puts them back, so the database is as it was before the run.
// The journal of a run lives in memory; the backups' names are its record
// in the database, from which Recover, at the start of the next run, puts
// back what a killed run had replaced (the relations it had created anew
// remain, and are rebuilt by the next run).
//
// Runs may also belong to a flow transaction (kiln build --transaction ID,
// one per task of an orchestrated flow): a run that succeeds then records
// its entries in kiln_history.journal and keeps the first previous version
// of each relation, its exports staged and its up-to-date state pending,
// until CommitTxn publishes the whole flow or RollbackTxn undoes it.
type Journal struct {
	runID   string
	txn     string
	mu      sync.Mutex
	entries []entry
	files   []stagedFile // exports written aside, published at commit
}

type entry struct {
	rel        sqlq.Relation
	backup     string // "" when the run created the relation
	backupKind string
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
	return len(j.entries)
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// Prepare moves the relation at rel, of kind ("table", "view", or "" when
// there is none), aside. It must run inside the transaction (conn.Tx) that
// builds the new relation, so both happen or neither does; call Record
// once that transaction committed. A nil journal does nothing.
func (j *Journal) Prepare(ctx context.Context, conn *duck.Conn, rel sqlq.Relation, kind string) (entry, error) {
	e := entry{rel: rel}
	if j == nil || kind == "" {
		return e, nil
	}
	name := rel.Name + BackupSuffix + short(j.runID)
	if _, err := conn.Exec(ctx, fmt.Sprintf("alter %s %s rename to %s", kind, rel.String(), sqlq.Ident(name))); err != nil {
		return e, err
	}
	e.backup, e.backupKind = name, kind
	return e, nil
}

// Record adds a committed replacement to the run's journal.
func (j *Journal) Record(e entry) {
	if j == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, e)
}

func (j *Journal) snapshot() []entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]entry(nil), j.entries...)
}

func dropRelation(ctx context.Context, conn *duck.Conn, rel sqlq.Relation) error {
	kind, err := conn.RelationKind(ctx, rel.Schema, rel.Name)
	if err != nil || kind == "" {
		return err
	}
	_, err = conn.Exec(ctx, fmt.Sprintf("drop %s %s", kind, rel.String()))
	return err
}

func dropBackup(ctx context.Context, conn *duck.Conn, e entry) error {
	if e.backup == "" {
		return nil
	}
	_, err := conn.Exec(ctx, fmt.Sprintf("drop %s if exists %s", e.backupKind, sqlq.Relation{Schema: e.rel.Schema, Name: e.backup}))
	return err
}

// Commit ends a run that succeeded, in one transaction. Outside a flow
// transaction it drops the previous versions. In one, it keeps the first
// previous version of each relation for the flow's rollback and records
// it in kiln_history.journal, and drops the versions that earlier runs of
// the flow had built.
func (j *Journal) Commit(ctx context.Context, conn *duck.Conn) error {
	es := j.snapshot()
	if j.txn == "" {
		return conn.Tx(ctx, func() error {
			for _, e := range es {
				if err := dropBackup(ctx, conn, e); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := history.Ensure(ctx, conn); err != nil {
		return err
	}
	_, rows, err := conn.QueryRows(ctx, "select schema_name, name from kiln_history.journal where txn = ?", j.txn)
	if err != nil {
		return err
	}
	earlier := map[sqlq.Relation]bool{}
	for _, r := range rows {
		earlier[sqlq.Relation{Schema: fmt.Sprint(r[0]), Name: fmt.Sprint(r[1])}] = true
	}
	return conn.Tx(ctx, func() error {
		var values []string
		now := sqlq.Literal(time.Now().UTC().Format("2006-01-02 15:04:05.999999")) + "::timestamp"
		for i, e := range es {
			if earlier[sqlq.Relation{Schema: e.rel.Schema, Name: e.rel.Name}] {
				// An earlier run of the flow built this relation: the flow keeps
				// the version from before the flow, not this intermediate one.
				if err := dropBackup(ctx, conn, e); err != nil {
					return err
				}
				continue
			}
			backup, kind := "NULL", "NULL"
			if e.backup != "" {
				backup, kind = sqlq.Literal(e.backup), sqlq.Literal(e.backupKind)
			}
			values = append(values, fmt.Sprintf("(%s, %d, %s, %s, %s, %s, %s, true, %s)", sqlq.Literal(j.runID), i+1,
				sqlq.Literal(e.rel.Schema), sqlq.Literal(e.rel.Name), backup, kind, sqlq.Literal(j.txn), now))
		}
		if len(values) == 0 {
			return nil
		}
		_, err := conn.Exec(ctx, "insert into kiln_history.journal (run_id, seq, schema_name, name, backup, backup_kind, txn, done, recorded_at) values "+strings.Join(values, ", "))
		return err
	})
}

// Rollback undoes the run's own changes: in reverse order, each relation it
// built is dropped and the previous one renamed back, in one transaction.
// Earlier runs of its flow transaction are left alone. It returns the
// number of relations restored or removed.
func (j *Journal) Rollback(ctx context.Context, conn *duck.Conn) (int, error) {
	es := j.snapshot()
	for l, r := 0, len(es)-1; l < r; l, r = l+1, r-1 {
		es[l], es[r] = es[r], es[l]
	}
	return len(es), undo(ctx, conn, es)
}

// undo restores entries, in the order given, in one transaction.
func undo(ctx context.Context, conn *duck.Conn, es []entry) error {
	return conn.Tx(ctx, func() error {
		for _, e := range es {
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
		return nil
	})
}

// Recover puts back the previous versions that killed runs left aside:
// every relation whose name holds BackupSuffix and that no open flow
// transaction keeps. It returns the short ids of those runs and the number
// of relations restored.
func Recover(ctx context.Context, conn *duck.Conn, cat *Catalog) ([]string, int, error) {
	if err := history.Ensure(ctx, conn); err != nil {
		return nil, 0, err
	}
	_, rows, err := conn.QueryRows(ctx, "select schema_name, backup from kiln_history.journal where backup is not null")
	if err != nil {
		return nil, 0, err
	}
	kept := map[sqlq.Relation]bool{}
	for _, r := range rows {
		kept[sqlq.Relation{Schema: fmt.Sprint(r[0]), Name: fmt.Sprint(r[1])}] = true
	}
	var es []entry
	runs := map[string]bool{}
	for _, rel := range cat.Relations() {
		i := strings.LastIndex(rel.Name, BackupSuffix)
		if i <= 0 || kept[rel] {
			continue
		}
		run := rel.Name[i+len(BackupSuffix):]
		runs[run] = true
		es = append(es, entry{rel: sqlq.Relation{Schema: rel.Schema, Name: rel.Name[:i]}, backup: rel.Name, backupKind: cat.Kind(rel)})
	}
	if len(es) == 0 {
		return nil, 0, nil
	}
	sort.Slice(es, func(a, b int) bool { return es[a].backup < es[b].backup })
	if err := undo(ctx, conn, es); err != nil {
		return nil, 0, errors.Join(errors.New("cannot put back what an unfinished earlier run replaced"), err)
	}
	for _, e := range es {
		cat.Set(sqlq.Relation{Schema: e.rel.Schema, Name: e.backup}, "")
		cat.Set(e.rel, e.backupKind)
	}
	var ids []string
	for r := range runs {
		ids = append(ids, r)
	}
	sort.Strings(ids)
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

// UnfinishedRun is a run whose journal is still in the database: a run of
// a flow transaction that is open, or one killed before its end.
type UnfinishedRun struct {
	RunID     string
	Relations int // relations it replaced or created
}

// Unfinished returns the runs with entries in kiln_history.journal, by
// id; none when the database has no history.
func Unfinished(ctx context.Context, conn *duck.Conn) ([]UnfinishedRun, error) {
	if kind, err := conn.RelationKind(ctx, history.Schema, "journal"); err != nil || kind == "" {
		return nil, err
	}
	_, rows, err := conn.QueryRows(ctx, "select run_id, count(*) from kiln_history.journal group by run_id order by run_id")
	if err != nil {
		return nil, err
	}
	out := make([]UnfinishedRun, len(rows))
	for i, r := range rows {
		n, _ := r[1].(int64)
		out[i] = UnfinishedRun{RunID: fmt.Sprint(r[0]), Relations: int(n)}
	}
	return out, nil
}

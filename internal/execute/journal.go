package execute

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// BackupSuffix is appended, with the run's short id, to a relation's name
// while a run keeps its previous version aside.
const BackupSuffix = "__kiln_prev_"

// Journal makes a run atomic: before a node replaces a relation, the
// previous one is kept aside (name + BackupSuffix + the run's short id) in
// the transaction that builds the new one: renamed (Prepare), or copied
// (PrepareCopy) when the node builds on the relation in place, as an
// incremental model or a snapshot does. When the run succeeds,
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
func (j *Journal) Prepare(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel sqlq.Relation, kind string) (entry, error) {
	e := entry{rel: rel}
	if j == nil || kind == "" {
		return e, nil
	}
	name := j.backupName(rel)
	if _, err := conn.Run(ctx, d.RenameRelation(rel, adapter.Kind(kind), name)); err != nil {
		return e, err
	}
	e.backup, e.backupKind = name, kind
	return e, nil
}

// PrepareCopy keeps a copy of table rel aside and leaves rel in place, for
// a node that changes it in place (an incremental model, a snapshot): a
// rollback drops rel and renames the copy back. Like Prepare, it runs in
// the node's transaction; a relation that is not a table is moved aside
// (the node builds it anew).
func (j *Journal) PrepareCopy(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel sqlq.Relation, kind string) (entry, error) {
	if j == nil || kind != string(adapter.Table) {
		return j.Prepare(ctx, conn, d, rel, kind)
	}
	e := entry{rel: rel, backup: j.backupName(rel), backupKind: kind}
	if _, err := conn.Run(ctx, d.CopyTable(rel, sqlq.Relation{Schema: rel.Schema, Name: e.backup})); err != nil {
		return entry{rel: rel}, err
	}
	return e, nil
}

func (j *Journal) backupName(rel sqlq.Relation) string {
	return rel.Name + BackupSuffix + short(j.runID)
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

func dropRelation(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel sqlq.Relation) error {
	kind, err := conn.RelationKind(ctx, rel)
	if err != nil || kind == "" {
		return err
	}
	_, err = conn.Run(ctx, d.DropRelation(rel, kind, false))
	return err
}

func dropBackup(ctx context.Context, conn adapter.Conn, d adapter.Dialect, e entry) error {
	if e.backup == "" {
		return nil
	}
	_, err := conn.Run(ctx, d.DropRelation(sqlq.Relation{Schema: e.rel.Schema, Name: e.backup}, adapter.Kind(e.backupKind), true))
	return err
}

// Commit ends a run that succeeded, in one transaction. Outside a flow
// transaction it drops the previous versions. In one, it keeps the first
// previous version of each relation for the flow's rollback and records
// it in the store's journal, and drops the versions that earlier runs of
// the flow had built.
func (j *Journal) Commit(ctx context.Context, conn adapter.Conn, d adapter.Dialect) error {
	es := j.snapshot()
	if j.txn == "" {
		return conn.Tx(ctx, func() error {
			for _, e := range es {
				if err := dropBackup(ctx, conn, d, e); err != nil {
					return err
				}
			}
			return nil
		})
	}
	store := conn.Store()
	prior, err := store.Journal(ctx, j.txn)
	if err != nil {
		return err
	}
	earlier := map[sqlq.Relation]bool{}
	for _, p := range prior {
		earlier[sqlq.Relation{Schema: p.Relation.Schema, Name: p.Relation.Name}] = true
	}
	return conn.Tx(ctx, func() error {
		var keep []adapter.JournalEntry
		for _, e := range es {
			if earlier[sqlq.Relation{Schema: e.rel.Schema, Name: e.rel.Name}] {
				// An earlier run of the flow built this relation: the flow keeps
				// the version from before the flow, not this intermediate one.
				if err := dropBackup(ctx, conn, d, e); err != nil {
					return err
				}
				continue
			}
			keep = append(keep, adapter.JournalEntry{Relation: e.rel, Backup: e.backup, BackupKind: adapter.Kind(e.backupKind)})
		}
		return store.AddJournal(ctx, j.runID, j.txn, keep)
	})
}

// Rollback undoes the run's own changes: in reverse order, each relation it
// built is dropped and the previous one renamed back, in one transaction.
// Earlier runs of its flow transaction are left alone. It returns the
// number of relations restored or removed.
func (j *Journal) Rollback(ctx context.Context, conn adapter.Conn, d adapter.Dialect) (int, error) {
	es := j.snapshot()
	for l, r := 0, len(es)-1; l < r; l, r = l+1, r-1 {
		es[l], es[r] = es[r], es[l]
	}
	return len(es), undo(ctx, conn, d, es)
}

// undo restores entries, in the order given, in one transaction (or in
// the caller's).
func undo(ctx context.Context, conn adapter.Conn, d adapter.Dialect, es []entry) error {
	return conn.Tx(ctx, func() error {
		for _, e := range es {
			if err := dropRelation(ctx, conn, d, e.rel); err != nil {
				return err
			}
			if e.backup == "" {
				continue
			}
			backup := sqlq.Relation{Schema: e.rel.Schema, Name: e.backup}
			if _, err := conn.Run(ctx, d.RenameRelation(backup, adapter.Kind(e.backupKind), e.rel.Name)); err != nil {
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
func Recover(ctx context.Context, conn adapter.Conn, d adapter.Dialect, cat *Catalog) ([]string, int, error) {
	journal, err := conn.Store().Journal(ctx, "")
	if err != nil {
		return nil, 0, err
	}
	kept := map[sqlq.Relation]bool{}
	for _, e := range journal {
		if e.Backup != "" {
			kept[sqlq.Relation{Schema: e.Relation.Schema, Name: e.Backup}] = true
		}
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
	if err := undo(ctx, conn, d, es); err != nil {
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
func (j *Journal) PublishFiles(ctx context.Context, conn adapter.Conn) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	defer func() { j.files = nil }()
	if j.txn != "" {
		files := make([]adapter.StagedFile, len(j.files))
		for i, f := range j.files {
			files[i] = adapter.StagedFile{Staged: f.staged, Final: f.final}
		}
		return conn.Store().AddStagedFiles(ctx, j.txn, files)
	}
	var errs []error
	for _, f := range j.files {
		errs = append(errs, os.Rename(f.staged, f.final))
	}
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

// Unfinished returns the runs with entries in the store's journal, by id.
func Unfinished(ctx context.Context, conn adapter.Conn) ([]UnfinishedRun, error) {
	// A database without kiln's records has none (and gets none here).
	if k, err := conn.RelationKind(ctx, adapter.Relation{Schema: adapter.HistorySchema, Name: "journal"}); err != nil || k == "" {
		return nil, err
	}
	journal, err := conn.Store().Journal(ctx, "")
	if err != nil {
		return nil, err
	}
	count := map[string]int{}
	for _, e := range journal {
		count[e.RunID]++
	}
	var out []UnfinishedRun
	for id, n := range count {
		out = append(out, UnfinishedRun{RunID: id, Relations: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RunID < out[j].RunID })
	return out, nil
}

package execute

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/failpoint"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// Recovery says what Recover finished or undid.
type Recovery struct {
	// Restored counts, by run id, the relations restored (or removed, when
	// the run had created them) of runs killed before they committed.
	// Backups left by a kiln older than the store's journal are counted
	// under the 8-character id in their names.
	Restored map[string]int
	// Published counts, by run id or flow transaction, the exports renamed
	// into place for runs and flow transactions killed after they
	// committed.
	Published map[string]int
	// Removed counts the staged exports removed for rolled-back flow
	// transactions.
	Removed int
	// Staged holds the staged files the store keeps after Recover (those
	// of open flow transactions), for SweepFiles.
	Staged []adapter.StagedFile
	// CopiedBack holds the relations put back from a copy made by create
	// table as select (quoted names, in the order restored): their rows
	// and columns are as before the killed run, not the constraints,
	// defaults and indexes added outside kiln (see Journal.CopiedBack).
	CopiedBack []string
	// Catalog holds the database's relations as Recover listed them, when
	// it changed none of them (nothing to undo); nil otherwise. A run
	// starts from it instead of listing them again (Options.Catalog).
	Catalog *Catalog
}

// Changed reports whether Recover did anything.
func (r Recovery) Changed() bool { return len(r.Restored)+len(r.Published)+r.Removed > 0 }

// Recover finishes what killed processes left in the database and beside
// the exports; the caller holds the database, so no other process is
// running. It is idempotent, and a kill while it runs leaves work for the
// next call:
//
//  1. roll forward: the staged exports of runs and flow transactions
//     that committed (past their point of no return) are renamed into
//     place, those of rolled-back flow transactions removed;
//  2. roll back: the journal entries of runs killed before they
//     committed or rolled back (not Done) are undone, newest first, and
//     removed, in one transaction, with the backups that a kiln older
//     than the journal left (found by their names).
//
// Entries Done (kept for an open flow transaction) and held exports stay.
func Recover(ctx context.Context, conn adapter.Conn, d adapter.Dialect) (Recovery, error) {
	rec := Recovery{Restored: map[string]int{}, Published: map[string]int{}}
	s := conn.Store()
	files, err := s.StagedFiles(ctx, "")
	if err != nil {
		return rec, err
	}
	var settle []adapter.StagedFile
	for _, f := range files {
		if f.Action == adapter.Publish || f.Action == adapter.Discard {
			settle = append(settle, f)
		} else {
			rec.Staged = append(rec.Staged, f)
		}
	}
	if len(settle) > 0 {
		for _, f := range settle {
			if f.Action == adapter.Publish {
				owner := f.Txn
				if owner == "" {
					owner = f.RunID
				}
				rec.Published[owner]++
			}
		}
		_, removed, err := settleFiles(ctx, conn, settle)
		rec.Removed = removed
		if err != nil {
			return rec, errors.Join(errors.New("cannot finish publishing the exports of a run that committed"), err)
		}
	}

	all, err := s.Journal(ctx)
	if err != nil {
		return rec, err
	}
	var es []adapter.JournalEntry
	backups := map[sqlq.Relation]bool{}
	for _, e := range all {
		if e.Backup != "" {
			backups[sqlq.Relation{Schema: e.Relation.Schema, Name: e.Backup}] = true
		}
		if !e.Done {
			es = append(es, e)
			if e.Op == adapter.Created && e.Backup == "" || e.Op == adapter.Moved {
				// An entry of Journal.Intend whose node never built its
				// relation, or never moved it aside: undoing it changes
				// nothing (undo leaves a relation whose backup is missing
				// alone).
				changed := e.Relation
				if e.Op == adapter.Moved {
					changed = sqlq.Relation{Schema: e.Relation.Schema, Name: e.Backup}
				}
				kind, err := conn.RelationKind(ctx, changed)
				if err != nil {
					return rec, err
				}
				if kind == "" {
					continue
				}
			}
			rec.Restored[e.RunID]++
		}
	}
	legacy, rels, err := legacyBackups(ctx, conn, backups)
	if err != nil {
		return rec, err
	}
	for _, e := range legacy {
		rec.Restored[e.RunID]++
	}
	if len(es)+len(legacy) == 0 {
		rec.Catalog = newCatalog(rels)
		return rec, nil
	}
	err = conn.Tx(ctx, func() error {
		rec.CopiedBack = nil
		if err := undo(ctx, conn, d, append(es, legacy...), "", &rec.CopiedBack); err != nil {
			return err
		}
		if err := s.RemoveJournal(ctx, es); err != nil {
			return err
		}
		failpoint.Hit(failpoint.RecoverUndone)
		return nil
	})
	if err != nil {
		rec.CopiedBack = nil
		return rec, errors.Join(errors.New("cannot put back what an unfinished earlier run replaced"), err)
	}
	return rec, nil
}

// legacyBackups returns, as journal entries, the relations named as
// backups (BackupSuffix) that no journal entry holds: what a kiln older
// than the store's journal left when it was killed; and the database's
// relations it listed to find them.
func legacyBackups(ctx context.Context, conn adapter.Conn, held map[sqlq.Relation]bool) ([]adapter.JournalEntry, []adapter.RelationInfo, error) {
	rels, err := conn.Relations(ctx, false)
	if err != nil {
		return nil, nil, err
	}
	var out []adapter.JournalEntry
	for _, r := range rels {
		rel := sqlq.Relation{Schema: r.Schema, Name: r.Name}
		i := strings.LastIndex(rel.Name, BackupSuffix)
		if i <= 0 || held[rel] {
			continue
		}
		out = append(out, adapter.JournalEntry{RunID: rel.Name[i+len(BackupSuffix):], Op: adapter.Moved,
			Relation: sqlq.Relation{Schema: rel.Schema, Name: rel.Name[:i]}, Backup: rel.Name, BackupKind: r.Kind})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Backup < out[b].Backup })
	return out, rels, nil
}

// UnfinishedRun is a run whose journal is still in the database: a run of
// a flow transaction that is open, or one killed before its end.
type UnfinishedRun struct {
	RunID     string
	Relations int  // relations it replaced, changed or created
	Kept      bool // its flow transaction keeps them (the run succeeded)
}

// Unfinished returns the runs with entries in the store's journal, by id.
func Unfinished(ctx context.Context, conn adapter.Conn) ([]UnfinishedRun, error) {
	// A database without kiln's records has none (and gets none here).
	if k, err := conn.RelationKind(ctx, adapter.Relation{Schema: adapter.HistorySchema, Name: "journal"}); err != nil || k == "" {
		return nil, err
	}
	journal, err := conn.Store().Journal(ctx)
	if err != nil {
		return nil, err
	}
	runs := map[string]*UnfinishedRun{}
	for _, e := range journal {
		r := runs[e.RunID]
		if r == nil {
			r = &UnfinishedRun{RunID: e.RunID, Kept: e.Done}
			runs[e.RunID] = r
		}
		r.Relations++
	}
	out := make([]UnfinishedRun, 0, len(runs))
	for _, r := range runs {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RunID < out[j].RunID })
	return out, nil
}

package execute

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/failpoint"
	"github.com/kiln-build/kiln/internal/materialize"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// BackupSuffix is appended, with the run's short id, to a relation's name
// while a run keeps its previous version aside.
const BackupSuffix = "__kiln_prev_"

// Journal makes a run atomic; engine/COMMIT.md describes the protocol it
// is part of. Before a node changes a relation, the previous version is
// kept aside (name + BackupSuffix + the run's short id), in the
// transaction that builds the new one: renamed (Prepare), or, when the
// node changes the table in place, as an incremental model or a snapshot
// does, its rows copied (PrepareRows of AllRows: a rollback puts them
// back in the table, which keeps its definition), or the table copied
// (PrepareCopy: only where a column is dropped). The same transaction writes the journal
// entry in the store (kiln_history.journal), so an entry exists exactly
// when its change was committed, whatever the caller was told: a COMMIT
// that succeeded as an interrupt arrived is journaled like the others.
//
// When the run succeeds, Commit drops the previous versions, records the
// staged exports to publish, and the caller's state and history, in one
// database transaction: the point of no return. PublishFiles then renames
// the exports; a process killed before it finishes leaves the renames to
// the next start (Recover). When the run fails or is interrupted, Rollback
// puts the previous versions back in one transaction; a process killed
// before that leaves the entries, and the next start undoes them.
//
// A run may belong to a flow transaction (kiln build --transaction ID, one
// per task of an orchestrated flow): Commit then keeps the first previous
// version of each relation (the entries are marked Done), holds the
// exports and the state until CommitTxn publishes the whole flow, or
// RollbackTxn undoes it.
type Journal struct {
	runID string
	txn   string
	seq   atomic.Int64
	mu    sync.Mutex
	files []stagedFile // exports written aside
	// intents are the entries Intend wrote before the nodes ran, by
	// relation (schema and name).
	intents map[sqlq.Relation]*intent
	// noneStaged says that Commit committed and recorded no staged file
	// for the run: PublishFiles has nothing to look up.
	noneStaged bool
	// copiedBack are the relations Rollback put back from a copy (see
	// undo).
	copiedBack []string
	// restored are the entries the last Rollback undid.
	restored []adapter.JournalEntry
	// defined are the relations whose definition PrepareCopy kept.
	defined map[sqlq.Relation]bool
	// aside are the backups MoveAside named, made the relations Made
	// journaled ("schema.name").
	aside, made map[string]bool
	// written, when set, is called after each write of the publication
	// that commits (Commit's transaction, PublishFiles' record of the
	// renames), before its failpoint: see OnWritten.
	written func()
}

// OnWritten sets fn to be called after each database write of the
// publication once it committed: after Commit's transaction committed,
// and after PublishFiles forgot the renamed exports. The engine stamps
// the database file's identity then (engine/seal.go's pending seal), so
// that a kill at any later instant finds the file as the run left it.
func (j *Journal) OnWritten(fn func()) { j.written = fn }

func (j *Journal) wrote() {
	if j.written != nil {
		j.written()
	}
}

// CopiedBack returns the relations the last Rollback put back from a
// copy made by create table as select: their rows and columns are as
// before the run, not the constraints, defaults and indexes added to
// them outside kiln (quoted names, in the order restored).
func (j *Journal) CopiedBack() []string { return j.copiedBack }

// Restored returns the entries the last Rollback undid, newest first
// (none when it failed): the relations it put back (Moved, Copied,
// RowsCopied) or dropped (Created), for the seal (engine's sealpg.go).
func (j *Journal) Restored() []adapter.JournalEntry { return j.restored }

type stagedFile struct{ staged, final string }

// NewJournal returns the journal of run runID, in flow transaction txn
// ("" for none).
func NewJournal(runID, txn string) *Journal { return &Journal{runID: runID, txn: txn} }

// Txn returns the flow transaction of the run, or "".
func (j *Journal) Txn() string { return j.txn }

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func (j *Journal) entry(rel sqlq.Relation) adapter.JournalEntry {
	return adapter.JournalEntry{RunID: j.runID, Seq: j.seq.Add(1), Txn: j.txn, Op: adapter.Created,
		Relation: sqlq.Relation{Schema: rel.Schema, Name: rel.Name}}
}

func (j *Journal) backupName(rel sqlq.Relation) string {
	return rel.Name + BackupSuffix + short(j.runID)
}

// Intent is a relation a run may change, as Intend journals it before the
// nodes run: Kind is "" for a relation absent now (the run may create
// it), else the kind of the relation there now ("table" or "view"), which
// the node that rebuilds it moves aside.
type Intent struct {
	Relation sqlq.Relation
	Kind     string
}

// intent is the entry Intend wrote for a relation.
type intent struct {
	seq  int64
	kind string // "" for a creation, else the kind moved aside
	used bool   // a node's Prepare used it
}

// Intend journals, before the run's nodes run and in one statement, what
// the run may do to the relations of intents: create a relation absent
// now (a Created entry, which a rollback, or the next start after a kill,
// undoes by dropping the relation when it exists), or move a relation
// there now aside to build it anew (a Moved entry naming the backup the
// node will rename it to, which an undo restores only when that backup
// exists: a node that did not run moved nothing). A node that then finds
// its relation as Intend did needs no entry of its own (Prepare writes
// none), so its transaction is its statements alone.
//
// It does so only on a database that no other process changes during the
// run (adapter.SoleWriter): there, a relation absent at the start that
// exists after a kill, or a backup with the run's name, can only be the
// run's. Elsewhere, or for a nil journal, it does nothing and every node
// journals its own change. An error leaves the journal as it was (the
// nodes journal their changes).
func (j *Journal) Intend(ctx context.Context, conn adapter.Conn, intents []Intent) error {
	if j == nil || len(intents) == 0 {
		return nil
	}
	if sw, ok := conn.(adapter.SoleWriter); !ok || !sw.SoleWriter() {
		return nil
	}
	byRel := make(map[sqlq.Relation]*intent, len(intents))
	es := make([]adapter.JournalEntry, 0, len(intents))
	for _, in := range intents {
		key := sqlq.Relation{Schema: in.Relation.Schema, Name: in.Relation.Name}
		if _, dup := byRel[key]; dup {
			continue
		}
		e := j.entry(key)
		if in.Kind != "" {
			e.Op, e.Backup, e.BackupKind = adapter.Moved, j.backupName(key), adapter.Kind(in.Kind)
		}
		byRel[key] = &intent{seq: e.Seq, kind: in.Kind}
		es = append(es, e)
	}
	if err := conn.Store().AddJournal(ctx, es); err != nil {
		return err
	}
	j.mu.Lock()
	j.intents = byRel
	j.mu.Unlock()
	return nil
}

// intended reports whether Intend journaled what a node is about to do to
// rel, of kind ("" when absent), and records that the node uses the entry.
func (j *Journal) intended(rel sqlq.Relation, kind string) bool {
	key := sqlq.Relation{Schema: rel.Schema, Name: rel.Name}
	j.mu.Lock()
	defer j.mu.Unlock()
	in, ok := j.intents[key]
	if !ok || in.used || in.kind != kind {
		return false
	}
	in.used = true
	return true
}

// intentOf returns the intent e is, or nil when e is not an entry Intend
// wrote.
func (j *Journal) intentOf(e adapter.JournalEntry) *intent {
	if e.RunID != j.runID {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if in, ok := j.intents[e.Relation]; ok && in.seq == e.Seq {
		return in
	}
	return nil
}

// unusedIntents splits es into the entries Intend wrote that no node used
// (their relations were never built nor moved: undoing them changes
// nothing) and the others.
func (j *Journal) unusedIntents(es []adapter.JournalEntry) (unused, used []adapter.JournalEntry) {
	for _, e := range es {
		if in := j.intentOf(e); in != nil && !in.used {
			unused = append(unused, e)
		} else {
			used = append(used, e)
		}
	}
	return unused, used
}

// unbuilt returns how many of es are entries Intend wrote, used by a node
// that failed before its change was committed (its relation does not
// exist, or its backup does not): undoing them changes nothing, and they
// count as no change (as the entry of such a node, rolled back with its
// transaction, would not exist). It reads the database only for the
// entries Intend wrote.
func (j *Journal) unbuilt(ctx context.Context, conn adapter.Conn, es []adapter.JournalEntry) (int, error) {
	n := 0
	for _, e := range es {
		if j.intentOf(e) == nil {
			continue
		}
		rel := e.Relation
		if e.Op == adapter.Moved {
			rel = sqlq.Relation{Schema: e.Relation.Schema, Name: e.Backup}
		}
		kind, err := conn.RelationKind(ctx, rel)
		if err != nil {
			return 0, err
		}
		if kind == "" {
			n++
		}
	}
	return n, nil
}

// Prepare moves the relation at rel, of kind ("table", "view", or "" when
// there is none), aside and journals it. It must run inside the
// transaction (conn.Tx) that builds the new relation, so that the backup,
// the journal entry and the new relation are committed together or not
// at all. What Intend journaled already is not journaled again. A nil
// journal does nothing.
func (j *Journal) Prepare(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel sqlq.Relation, kind string) error {
	if j == nil {
		return nil
	}
	intended := j.intended(rel, kind)
	e := j.entry(rel)
	if kind != "" {
		e.Op, e.Backup, e.BackupKind = adapter.Moved, j.backupName(rel), adapter.Kind(kind)
		if err := runLater(ctx, conn, d.RenameRelation(rel, e.BackupKind, e.Backup)); err != nil {
			return err
		}
	}
	if !intended {
		if err := conn.Store().AddJournal(ctx, []adapter.JournalEntry{e}); err != nil {
			return err
		}
	}
	failpoint.Hit(failpoint.NodePrepared)
	return nil
}

// MoveAside moves view rel, of kind (adapter.View or
// adapter.MaterializedView), aside and journals it (a Moved entry), in
// the transaction of a node that creates it again on the relation it
// reads (keepViews): a rollback, or the next start after a kill, drops
// the view created again and renames this one back, which still reads
// the relation's previous version. A view kept twice in one run (it reads
// two relations the run replaces) gets a backup name of its own each
// time.
func (j *Journal) MoveAside(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel sqlq.Relation, kind adapter.Kind) error {
	e := j.entry(rel)
	e.Op, e.Backup, e.BackupKind = adapter.Moved, j.backupName(rel), kind
	j.mu.Lock()
	if j.aside == nil {
		j.aside = map[string]bool{}
	}
	key := rel.Schema + "." + e.Backup
	if j.aside[key] {
		e.Backup = fmt.Sprintf("%s_%d", e.Backup, e.Seq)
		key = rel.Schema + "." + e.Backup
	}
	j.aside[key] = true
	j.mu.Unlock()
	if err := runLater(ctx, conn, d.RenameRelation(rel, kind, e.Backup)); err != nil {
		return err
	}
	if vk, ok := conn.(adapter.ViewKeeper); ok && kind == adapter.MaterializedView {
		// Its next version takes its index names again: undo gives
		// them back (see undo).
		if err := vk.RenameIndexes(ctx, sqlq.Relation{Schema: rel.Schema, Name: e.Backup}, indexSuffix(e), true); err != nil {
			return err
		}
	}
	return conn.Store().AddJournal(ctx, []adapter.JournalEntry{e})
}

// indexSuffix is what MoveAside appends to the index names of the
// materialized view of entry e moved aside.
func indexSuffix(e adapter.JournalEntry) string {
	return "__kiln_prev_" + strings.TrimPrefix(e.Backup, e.Relation.Name+BackupSuffix)
}

// Made journals rel, a relation absent at the run's start that a node's
// hooks made in its transaction (a view on the node's relation), as a
// Created entry, in that transaction: a rollback, or the next start after
// a kill, drops it with the rest of the run's work, before the relation
// it reads.
// A relation journaled so already is not journaled again.
func (j *Journal) Made(ctx context.Context, conn adapter.Conn, rel sqlq.Relation) error {
	key := rel.Schema + "." + rel.Name
	j.mu.Lock()
	done := j.made[key]
	j.mu.Unlock()
	if done {
		return nil
	}
	if err := conn.Store().AddJournal(ctx, []adapter.JournalEntry{j.entry(rel)}); err != nil {
		return err
	}
	j.mu.Lock()
	if j.made == nil {
		j.made = map[string]bool{}
	}
	j.made[key] = true
	j.mu.Unlock()
	return nil
}

// PrepareCopy keeps a copy of table rel aside and leaves rel in place, for
// a node that changes it in place and drops a column of it (an
// incremental model's on_schema_change: sync_all_columns). Where the
// dialect reads a table's definition (adapter.TableDefiner: DuckDB,
// PostgreSQL), the entry keeps it, and a rollback creates rel again from
// it with the copy's rows (recreate); else (or for a table whose
// definition cannot be read back: a generated column, a partition) it
// drops rel and renames the copy back,
// which has the rows and columns of rel but not its constraints,
// defaults, indexes or grants (the caller gives the copy those kiln
// declares). Where no column is dropped, PrepareRows of AllRows keeps
// the table itself. Like Prepare, it runs in the
// node's transaction; a relation that is not a table is moved aside (the
// node builds it anew).
func (j *Journal) PrepareCopy(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel sqlq.Relation, kind string) error {
	return j.prepareCopy(ctx, conn, d, rel, kind, nil)
}

// prepareCopy is PrepareCopy keeping the definition known read already
// (when not nil) instead of reading it.
func (j *Journal) prepareCopy(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel sqlq.Relation, kind string, known *reshapePlan) error {
	if j == nil || kind != string(adapter.Table) {
		return j.Prepare(ctx, conn, d, rel, kind)
	}
	e := j.entry(rel)
	e.Op, e.Backup, e.BackupKind = adapter.Copied, j.backupName(rel), adapter.Table
	if _, err := conn.Run(ctx, d.CopyTable(rel, sqlq.Relation{Schema: rel.Schema, Name: e.Backup})); err != nil {
		return err
	}
	var err error
	if known != nil {
		e.Definition = known.def
	} else if e.Definition, err = definition(ctx, conn, d, rel); err != nil {
		return err
	}
	if err := conn.Store().AddJournal(ctx, []adapter.JournalEntry{e}); err != nil {
		return err
	}
	if len(e.Definition) > 0 {
		j.mu.Lock()
		if j.defined == nil {
			j.defined = map[sqlq.Relation]bool{}
		}
		j.defined[sqlq.Relation{Schema: rel.Schema, Name: rel.Name}] = true
		j.mu.Unlock()
	}
	failpoint.Hit(failpoint.NodePrepared)
	return nil
}

// Defines reports whether PrepareCopy kept rel's definition with its
// copy: a rollback then creates rel again from it, with its indexes and
// privileges, and the copy needs none of its own (keepIndexes).
func (j *Journal) Defines(rel sqlq.Relation) bool {
	if j == nil {
		return false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.defined[sqlq.Relation{Schema: rel.Schema, Name: rel.Name}]
}

// PrepareRows keeps aside the rows of table rel that where (a condition
// on rel's columns, in the dialect's SQL) selects, for a node that
// deletes rows where selects and inserts rows where selects, changing no
// other row and no column: a microbatch model replacing its batches. A
// rollback deletes the rows where selects and inserts the copy back
// (adapter.RowsCopied), so keeping the previous version costs the rows
// the node replaces, not the whole table. Like Prepare, it runs in the
// node's transaction, before the node changes rel. A nil journal does
// nothing.
func (j *Journal) PrepareRows(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel sqlq.Relation, where string) error {
	return j.prepareRows(ctx, conn, d, rel, where, false, nil)
}

// PrepareReshape is PrepareRows of AllRows or AllRowsGranted for a node
// that then changes rel's columns (on_schema_change, a snapshot's new
// columns): the entry also keeps rel's definition where the dialect
// reads it (adapter.TableDefiner) and an index can forbid altering a
// table's columns (adapter.ColumnDropGuard: DuckDB), for a rollback that
// cannot give rel its columns back in place and creates it again instead
// (recreate). On PostgreSQL, which gives a table that lost no column its
// columns back in place, nothing more is read. Reading the definition is a
// catalog query (about 5 ms on DuckDB, 20 ms among 500 tables), paid
// only by the runs that change a table's columns.
func (j *Journal) PrepareReshape(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel sqlq.Relation, where string) error {
	return j.prepareRows(ctx, conn, d, rel, where, true, nil)
}

// prepareRows is PrepareRows, or PrepareReshape (reshape), keeping the
// definition known read already (when not nil) instead of reading it.
func (j *Journal) prepareRows(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel sqlq.Relation, where string, reshape bool, known *reshapePlan) error {
	if j == nil {
		return nil
	}
	e := j.entry(rel)
	e.Op, e.Backup, e.BackupKind, e.Where = adapter.RowsCopied, j.backupName(rel), adapter.Table, where
	backup := sqlq.Relation{Schema: rel.Schema, Name: e.Backup}
	if _, err := conn.Run(ctx, d.CreateTableAs(backup, d.SelectAll(rel, "")+"\nwhere "+where)); err != nil {
		return err
	}
	if _, guarded := d.(adapter.ColumnDropGuard); reshape && guarded && (where == AllRows || where == AllRowsGranted) {
		// A rollback may have to create the table again (see undoRows):
		// only where an index can forbid giving the table its columns
		// back in place (DuckDB); elsewhere (PostgreSQL) a table that
		// lost no column always gets them back in place.
		var err error
		if known != nil {
			e.Definition = known.def
		} else if e.Definition, err = definition(ctx, conn, d, rel); err != nil {
			return err
		}
	}
	if err := conn.Store().AddJournal(ctx, []adapter.JournalEntry{e}); err != nil {
		return err
	}
	failpoint.Hit(failpoint.NodePrepared)
	return nil
}

// AllRows is the condition of a PrepareRows that keeps every row of its
// table: the journal of a table that a node changes in place (an
// incremental model, a snapshot). A rollback then puts the rows back in
// the table itself, which keeps its definition: its constraints (primary
// key, not null, unique, check), column defaults, indexes, grants,
// comments, and whatever a hook or a hand added, as kiln cannot rebuild
// them from a copy.
const AllRows = "1 = 1"

// AllRowsGranted is AllRows for a table whose node sets grants, which
// the node may change on the table: the copy also holds the privileges
// the current role had granted on the table (keepGrants), and a rollback
// gives the table those privileges back.
const AllRowsGranted = "1 = 1 and 2 = 2"

// runLater runs s, whose result is not read, or holds it back until the
// transaction's next statement on a connection that can (an
// adapter.Pipeliner): one round trip less.
func runLater(ctx context.Context, conn adapter.Conn, s adapter.Stmt) error {
	if p, ok := conn.(adapter.Pipeliner); ok {
		return p.ExecLater(ctx, s.SQL)
	}
	_, err := conn.Run(ctx, s)
	return err
}

// pending returns the entries of run runID that are not Done, newest
// first.
func pending(ctx context.Context, s adapter.Store, runID string) ([]adapter.JournalEntry, error) {
	all, err := s.Journal(ctx)
	if err != nil {
		return nil, err
	}
	var out []adapter.JournalEntry
	for _, e := range all {
		if e.RunID == runID && !e.Done {
			out = append(out, e)
		}
	}
	return out, nil
}

func dropRelation(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel sqlq.Relation) error {
	kind, err := conn.RelationKind(ctx, rel)
	if err != nil || kind == "" {
		return err
	}
	_, err = conn.Run(ctx, d.DropRelation(rel, kind, false))
	return err
}

// dropUndone drops rel, which an undo replaces by its previous version or
// removes (the run made it); kind is what the journal says it was before
// the run ("" when it did not exist), which tells a materialized view
// from a view. The views that read rel were undone first when the run
// made them or moved them aside (their entries are newer); a view that
// still reads it (made outside the run's journal: by hand, or by a kiln
// older than this one) is not dropped: the undo fails with a
// *BlockedUndo naming the views and how to drop them.
func dropUndone(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel sqlq.Relation, kind adapter.Kind) error {
	have, err := conn.RelationKind(ctx, rel)
	if err != nil || have == "" {
		return err
	}
	if kind == adapter.MaterializedView && have == adapter.View {
		have = kind
	}
	if vb, ok := conn.(adapter.ViewBinder); ok {
		deps, err := vb.DependentViews(ctx, rel)
		if err != nil {
			return err
		}
		if len(deps) > 0 {
			b := &BlockedUndo{Relation: d.QuoteRelation(rel), Views: quoteAll(d, deps)}
			for _, v := range deps {
				b.Drops = append(b.Drops, d.DropRelation(v, adapter.View, false).SQL+";")
			}
			return b
		}
	}
	_, err = conn.Run(ctx, d.DropRelation(rel, have, false))
	return err
}

func quoteAll(d adapter.Dialect, rels []sqlq.Relation) []string {
	out := make([]string, len(rels))
	for i, r := range rels {
		out[i] = d.QuoteRelation(r)
	}
	return out
}

// BlockedUndo is the error of an undo that would have to drop views the
// journal does not hold: they read Relation as the run left it.
type BlockedUndo struct {
	Relation string   // quoted
	Views    []string // quoted
	Drops    []string // the statements that drop them
}

func (b *BlockedUndo) Error() string {
	drops := b.Drops
	return fmt.Sprintf("%s %s %s as the unfinished run left it, and kiln does not drop views it did not make; "+
		"to let kiln put back the previous %s, drop %s (%s) and run kiln again; kiln show still runs meanwhile",
		strings.Join(b.Views, ", "), reads(len(b.Views)), b.Relation, b.Relation, map[bool]string{true: "it", false: "them"}[len(b.Views) == 1], strings.Join(drops, " "))
}

func dropBackup(ctx context.Context, conn adapter.Conn, d adapter.Dialect, e adapter.JournalEntry) error {
	if e.Backup == "" {
		return nil
	}
	_, err := conn.Run(ctx, d.DropRelation(sqlq.Relation{Schema: e.Relation.Schema, Name: e.Backup}, e.BackupKind, true))
	return err
}

// undo restores entries, in the order given (newest first), in the
// caller's transaction (or one of its own): the relation is dropped and
// its backup renamed back; a Created relation is dropped; a RowsCopied
// entry's rows are put back (undoRows); comments that keepDocs kept on a
// copy are put back too (restoreComments). An entry whose backup is missing
// is left alone (its relation is not dropped): the entry and its backup
// were committed together, so only a hand outside kiln removes one
// without the other. The batches of microbatch models that the entries'
// runs built are forgotten (their tables are as before those runs), and
// so are those of flow transaction txn's runs when txn is not "".
//
// copied, when not nil, gets the relations put back from a copy made by
// create table as select (their rows and columns, not the constraints,
// defaults and indexes added outside kiln): the Copied entries' and the
// RowsCopied entries' whose table could not be given its columns back,
// when the entry holds no definition to create the table again from
// (recreate).
func undo(ctx context.Context, conn adapter.Conn, d adapter.Dialect, es []adapter.JournalEntry, txn string, copied *[]string) error {
	return conn.Tx(ctx, func() error {
		var runs []string
		seen := map[string]bool{}
		for _, e := range es {
			if !seen[e.RunID] {
				seen[e.RunID] = true
				runs = append(runs, e.RunID)
			}
		}
		if len(runs) > 0 || txn != "" {
			if err := conn.Store().ForgetRunIntervals(ctx, runs, txn); err != nil {
				return err
			}
		}
		for _, e := range es {
			if e.Op == adapter.RowsCopied {
				whole, err := undoRows(ctx, conn, d, e)
				if err != nil {
					return err
				}
				if whole && copied != nil {
					*copied = append(*copied, d.QuoteRelation(e.Relation))
				}
				continue
			}
			if e.Backup == "" {
				if err := dropUndone(ctx, conn, d, e.Relation, ""); err != nil {
					return err
				}
				continue
			}
			backup := sqlq.Relation{Schema: e.Relation.Schema, Name: e.Backup}
			kind, err := conn.RelationKind(ctx, backup)
			if err != nil {
				return err
			}
			if kind == "" {
				continue
			}
			if e.BackupKind == adapter.MaterializedView {
				kind = e.BackupKind // the catalog says view
			}
			if e.Op == adapter.Copied {
				again, err := recreate(ctx, conn, d, e, backup)
				if err != nil {
					return err
				}
				if again {
					continue
				}
				if copied != nil {
					*copied = append(*copied, d.QuoteRelation(e.Relation))
				}
			}
			if kind == adapter.Table {
				// A copy that keepDocs wrote the comments on is given
				// them as the table's.
				if err := restoreComments(ctx, conn, d, backup, backup); err != nil {
					return err
				}
			}
			if err := dropUndone(ctx, conn, d, e.Relation, e.BackupKind); err != nil {
				return err
			}
			if _, err := conn.Run(ctx, d.RenameRelation(backup, kind, e.Relation.Name)); err != nil {
				return err
			}
			if vk, ok := conn.(adapter.ViewKeeper); ok && e.BackupKind == adapter.MaterializedView {
				if err := vk.RenameIndexes(ctx, e.Relation, indexSuffix(e), false); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// undoRows undoes RowsCopied entry e: the rows of the relation that
// e.Where selects are deleted, the backup's rows inserted, the backup
// dropped. A missing backup leaves the relation alone (see undo). An
// entry of AllRows first gives the table back its previous columns
// (restoreColumns).
func undoRows(ctx context.Context, conn adapter.Conn, d adapter.Dialect, e adapter.JournalEntry) (whole bool, err error) {
	backup := sqlq.Relation{Schema: e.Relation.Schema, Name: e.Backup}
	if kind, err := conn.RelationKind(ctx, backup); err != nil || kind == "" {
		return false, err
	}
	cols, err := conn.Columns(ctx, backup)
	if err != nil {
		return false, err
	}
	if e.Where == AllRows || e.Where == AllRowsGranted {
		inPlace := false
		if !alterUnsafe(d, e.Definition) {
			// A table whose columns must not be altered (its CHECK or
			// DEFAULT calls a function, adapter.Reshaper) is created
			// again from its definition instead, columns changed or not.
			if inPlace, err = restoreColumns(ctx, conn, d, e.Relation, cols); err != nil {
				return false, err
			}
		}
		if !inPlace {
			// The table is gone, lost a column or has an index that
			// forbids altering it: it is created again from its saved
			// definition with the copy's rows, or, without one, the
			// copy, which has every row and column, takes its place
			// (its definition is what a create table as select gives).
			if again, err := recreate(ctx, conn, d, e, backup); err != nil || again {
				return false, err
			}
			if err := restoreComments(ctx, conn, d, backup, backup); err != nil {
				return false, err
			}
			if err := dropRelation(ctx, conn, d, e.Relation); err != nil {
				return false, err
			}
			_, err := conn.Run(ctx, d.RenameRelation(backup, adapter.Table, e.Relation.Name))
			return true, err
		}
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	if _, err := conn.Run(ctx, d.DeleteWhere(e.Relation, e.Where)); err != nil {
		return false, err
	}
	if _, err := conn.Run(ctx, d.InsertColumns(e.Relation, backup, names, "")); err != nil {
		return false, err
	}
	if err := restoreComments(ctx, conn, d, e.Relation, backup); err != nil {
		return false, err
	}
	if g, ok := d.(adapter.Granter); ok && e.Where == AllRowsGranted {
		if err := restoreGrants(ctx, conn, g, e.Relation, backup); err != nil {
			return false, err
		}
	}
	_, err = conn.Run(ctx, d.DropRelation(backup, adapter.Table, false))
	return false, err
}

// restoreColumns gives table rel the columns was (the columns of its
// copy) back when a node's on_schema_change changed them: it drops the
// columns was lacks and gives the others their types in was; the
// columns, their order and their definitions are then those before the
// node. It reports false, changing nothing, when rel is not a table,
// lacks a column of was (a column dropped cannot be put back in its
// place with its definition) or has an index that forbids altering its
// columns (adapter.ColumnDropGuard): the caller puts the copy in its
// place.
func restoreColumns(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel sqlq.Relation, was []adapter.Column) (bool, error) {
	if kind, err := conn.RelationKind(ctx, rel); err != nil || kind != adapter.Table {
		return false, err
	}
	now, err := conn.Columns(ctx, rel)
	if err != nil {
		return false, err
	}
	ch := materialize.DiffColumns(was, now)
	if len(ch.Removed) > 0 {
		return false, nil
	}
	if g, ok := d.(adapter.ColumnDropGuard); ok && len(ch.Added)+len(ch.Retyped) > 0 {
		// DuckDB: an index (a hand's, a hook's) forbids altering any
		// column; the copy goes back rather than the rollback failing
		// at every start.
		if n, err := conn.QueryInt(ctx, g.IndexCount(rel).SQL); err != nil || n > 0 {
			return false, err
		}
	}
	if len(ch.Added) > 0 {
		names := make([]string, len(ch.Added))
		for i, c := range ch.Added {
			names[i] = c.Name
		}
		if _, err := conn.Run(ctx, d.DropColumns(rel, names)); err != nil {
			return false, err
		}
	}
	if len(ch.Retyped) > 0 {
		types := map[string]string{}
		for _, c := range was {
			types[strings.ToLower(c.Name)] = c.Type
		}
		back := make([]adapter.Column, len(ch.Retyped))
		for i, c := range ch.Retyped {
			back[i] = adapter.Column{Name: c.Name, Type: types[strings.ToLower(c.Name)]}
		}
		if _, err := conn.Run(ctx, d.AlterColumnTypes(rel, back)); err != nil {
			return false, err
		}
	}
	return true, nil
}

// restoreGrants makes the privileges the current role granted on rel
// those it granted on from (the journal's copy, given them by
// keepGrants): the others are revoked, the missing granted.
func restoreGrants(ctx context.Context, conn adapter.Conn, g adapter.Granter, rel, from sqlq.Relation) error {
	was, err := showGrants(ctx, conn, g, from)
	if err != nil {
		return err
	}
	now, err := showGrants(ctx, conn, g, rel)
	if err != nil {
		return err
	}
	revoke, grant := diffGrants(now, was), diffGrants(was, now)
	for _, p := range sortedPrivileges(revoke) {
		if _, err := conn.Run(ctx, g.Revoke(rel, p, revoke[p])); err != nil {
			return err
		}
	}
	for _, p := range sortedPrivileges(grant) {
		if _, err := conn.Run(ctx, g.Grant(rel, p, grant[p])); err != nil {
			return err
		}
	}
	return nil
}

// Commit ends a run that succeeded, or that failed with --no-rollback
// (publish false): it is the point of no return. In one database
// transaction it drops the previous versions of the relations the run
// changed (outside a flow transaction) or keeps them for the flow
// (dropping those of relations an earlier run of the flow had built
// already), records the staged exports (to publish, or held for the
// flow), and runs record, the caller's writes (state, history). Without
// publish, the staged exports are removed first. It returns the number
// of relations the run changed; after it, call PublishFiles.
func (j *Journal) Commit(ctx context.Context, conn adapter.Conn, d adapter.Dialect, publish bool, record func() error) (int, error) {
	s := conn.Store()
	es, err := pending(ctx, s, j.runID)
	if err != nil {
		return 0, err
	}
	if !publish {
		j.DiscardFiles()
	}
	files := j.takeFiles()
	unused, es := j.unusedIntents(es)
	changed := len(es)
	if !publish {
		// A failed run kept: the nodes that failed built nothing.
		n, err := j.unbuilt(ctx, conn, es)
		if err != nil {
			return 0, err
		}
		changed -= n
	}
	var superseded []adapter.StagedFile
	err = conn.Tx(ctx, func() error {
		if j.txn == "" {
			for _, e := range es {
				if err := dropBackup(ctx, conn, d, e); err != nil {
					return err
				}
			}
			// The entries used and unused are all the run's pending ones.
			if err := s.RemoveRunJournal(ctx, j.runID); err != nil {
				return err
			}
		} else {
			if err := s.RemoveJournal(ctx, unused); err != nil {
				return err
			}
			if err := j.keep(ctx, conn, d, es); err != nil {
				return err
			}
		}
		failpoint.Hit(failpoint.PublishBackupsDropped)
		rows := make([]adapter.StagedFile, len(files))
		for i, f := range files {
			rows[i] = adapter.StagedFile{Staged: f.staged, Final: f.final, Txn: j.txn, RunID: j.runID, Action: adapter.Publish}
			if j.txn != "" {
				rows[i].Action = adapter.Hold
			}
		}
		if j.txn != "" && len(rows) > 0 {
			// A later run of the flow wrote an export again (a retried task):
			// its file replaces the earlier one.
			held, err := s.StagedFiles(ctx, j.txn)
			if err != nil {
				return err
			}
			finals := map[string]bool{}
			for _, f := range files {
				finals[f.final] = true
			}
			var gone []string
			for _, h := range held {
				if finals[h.Final] {
					superseded = append(superseded, h)
					gone = append(gone, h.Staged)
				}
			}
			if err := s.RemoveStagedFiles(ctx, gone); err != nil {
				return err
			}
		}
		if err := s.AddStagedFiles(ctx, rows); err != nil {
			return err
		}
		if record != nil {
			if err := record(); err != nil {
				return err
			}
		}
		failpoint.Hit(failpoint.PublishRecorded)
		return nil
	})
	if err != nil {
		// Nothing was committed: the staged files go, the entries stay for
		// the rollback that follows (or the next start).
		for _, f := range files {
			os.Remove(f.staged)
		}
		return 0, err
	}
	j.wrote()
	failpoint.Hit(failpoint.PublishCommitted)
	j.noneStaged = len(files) == 0
	for _, f := range superseded {
		os.Remove(f.Staged) // the next start's sweep removes it when this does not
	}
	return changed, nil
}

// keep marks the run's entries Done for its flow transaction, in the
// caller's transaction; an entry of a relation whose version from before
// the flow an earlier run of the flow kept whole (moved, copied or
// created) is dropped with its backup: undoing that earlier entry puts
// the version from before the flow back, whatever came after. Behind an
// earlier RowsCopied entry, which undoes only its own rows, the entry is
// kept: a rollback undoes both, newest first.
func (j *Journal) keep(ctx context.Context, conn adapter.Conn, d adapter.Dialect, es []adapter.JournalEntry) error {
	s := conn.Store()
	all, err := s.Journal(ctx)
	if err != nil {
		return err
	}
	earlier := map[sqlq.Relation]bool{}
	for _, e := range all {
		if e.Txn == j.txn && e.Done && e.Op != adapter.RowsCopied {
			earlier[e.Relation] = true
		}
	}
	var drop []adapter.JournalEntry
	for _, e := range es {
		if earlier[e.Relation] {
			if err := dropBackup(ctx, conn, d, e); err != nil {
				return err
			}
			drop = append(drop, e)
		}
	}
	if err := s.RemoveJournal(ctx, drop); err != nil {
		return err
	}
	return s.KeepJournal(ctx, j.runID)
}

// Rollback undoes the run's own changes: its staged exports are removed,
// then, in one database transaction, every relation it changed is
// restored (newest first), its journal entries are removed and record
// (the caller's writes: the history) runs. Earlier runs of its flow
// transaction are left alone. It returns the number of relations
// restored or removed. Run again after a kill, the next start's Recover
// does the same.
func (j *Journal) Rollback(ctx context.Context, conn adapter.Conn, d adapter.Dialect, record func() error) (int, error) {
	j.DiscardFiles()
	failpoint.Hit(failpoint.RollbackFilesDiscarded)
	s := conn.Store()
	es, err := pending(ctx, s, j.runID)
	if err != nil {
		return 0, err
	}
	// The relations of the entries no node used were never built.
	_, es = j.unusedIntents(es)
	unbuilt, err := j.unbuilt(ctx, conn, es)
	if err != nil {
		return 0, err
	}
	err = conn.Tx(ctx, func() error {
		j.copiedBack = nil
		if err := undo(ctx, conn, d, es, "", &j.copiedBack); err != nil {
			return err
		}
		// The entries used and unused are all the run's pending ones.
		if err := s.RemoveRunJournal(ctx, j.runID); err != nil {
			return err
		}
		if record != nil {
			if err := record(); err != nil {
				return err
			}
		}
		failpoint.Hit(failpoint.RollbackUndone)
		return nil
	})
	if err != nil {
		return 0, err
	}
	j.restored = es
	failpoint.Hit(failpoint.RollbackCommitted)
	return len(es) - unbuilt, nil
}

// StagedPath is where an export bound for final is written during the run:
// a hidden file beside it.
func (j *Journal) StagedPath(final string) string {
	return filepath.Join(filepath.Dir(final), "."+filepath.Base(final)+".kiln-"+short(j.runID))
}

// StageFile records that staged (written and synced) must replace final
// when the run (or its flow transaction) commits.
func (j *Journal) StageFile(staged, final string) {
	j.mu.Lock()
	j.files = append(j.files, stagedFile{staged, final})
	j.mu.Unlock()
	failpoint.Hit(failpoint.ExportStaged)
}

// StagedFor returns the staged file of final, or "" when the run staged
// none.
func (j *Journal) StagedFor(final string) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, f := range j.files {
		if f.final == final {
			return f.staged
		}
	}
	return ""
}

func (j *Journal) takeFiles() []stagedFile {
	j.mu.Lock()
	defer j.mu.Unlock()
	files := j.files
	j.files = nil
	return files
}

// DiscardFiles removes the staged exports of the run: the published files
// stay as they were.
func (j *Journal) DiscardFiles() {
	for _, f := range j.takeFiles() {
		os.Remove(f.staged)
	}
}

// PublishFiles renames the exports that Commit recorded to publish (none
// in a flow transaction: CommitTxn publishes the flow's) and forgets
// them. It returns the number of files published; a failure is returned
// and the next start tries again.
func (j *Journal) PublishFiles(ctx context.Context, conn adapter.Conn) (int, error) {
	if j.txn != "" {
		return 0, nil
	}
	if j.noneStaged {
		failpoint.Hit(failpoint.PublishDone)
		return 0, nil
	}
	all, err := conn.Store().StagedFiles(ctx, "")
	if err != nil {
		return 0, err
	}
	var mine []adapter.StagedFile
	for _, f := range all {
		if f.RunID == j.runID && f.Txn == "" {
			mine = append(mine, f)
		}
	}
	published, _, err := settleFiles(ctx, conn, mine)
	if err == nil {
		j.wrote()
		failpoint.Hit(failpoint.PublishDone)
	}
	return published, err
}

// settleFiles carries out the action of staged files whose run or flow
// transaction has decided: Publish renames the staged file over its final
// one (a staged file already gone was renamed by an earlier attempt),
// Discard removes it. The folders are synced, so the renames survive a
// power cut, then the rows are removed. Held files are left alone. It
// returns the number of files published and removed.
func settleFiles(ctx context.Context, conn adapter.Conn, files []adapter.StagedFile) (published, removed int, err error) {
	var done []string
	var errs []error
	dirs := map[string]bool{}
	for _, f := range files {
		switch f.Action {
		case adapter.Publish:
			err := os.Rename(f.Staged, f.Final)
			switch {
			case err == nil:
				published++
				dirs[filepath.Dir(f.Final)] = true
				failpoint.Hit(failpoint.ExportRenamed)
			case errors.Is(err, os.ErrNotExist):
				// renamed by an earlier attempt (or removed by hand)
			default:
				errs = append(errs, fmt.Errorf("cannot publish %s: %w", f.Final, err))
				continue
			}
		case adapter.Discard:
			if err := os.Remove(f.Staged); err == nil {
				removed++
				failpoint.Hit(failpoint.FileRemoved)
			} else if !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
				continue
			}
		default:
			continue
		}
		done = append(done, f.Staged)
	}
	for dir := range dirs {
		if err := syncDir(dir); err != nil {
			errs = append(errs, err)
		}
	}
	if err := conn.Store().RemoveStagedFiles(ctx, done); err != nil {
		errs = append(errs, err)
	}
	return published, removed, errors.Join(errs...)
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// BackupOf returns where Prepare or PrepareCopy keeps rel's previous
// version during the run.
func (j *Journal) BackupOf(rel sqlq.Relation) sqlq.Relation {
	return sqlq.Relation{Schema: rel.Schema, Name: j.backupName(rel)}
}

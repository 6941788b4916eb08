package engine

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// OpenTransaction is a flow transaction that is open, as kiln transaction
// status lists it for a user who lost its id.
type OpenTransaction struct {
	ID string
	// Started is when its first run started (it opened the transaction);
	// zero when the history holds none of its runs.
	Started time.Time
	// Runs are its runs, oldest first: the command, the selection as
	// flags, the status and the counts of nodes.
	Runs []adapter.RunRecord
	// Relations are the relations its successful runs replaced or
	// created, pending its commit, sorted by schema.name.
	Relations []adapter.Relation
	// Exports are the exports staged for it (their final paths, relative
	// to the project when under it), sorted.
	Exports []string
}

// txnRunsScanned bounds the runs of the history OpenTransactions reads
// for the runs of a transaction (newest first).
const txnRunsScanned = 1000

// OpenTransactions returns the flow transactions that are open (kiln
// opens one at a time, so at most one), with their runs (among the last
// 1000 of the history), the relations and the exports pending their
// commit; none when no transaction is open.
func (d *Database) OpenTransactions(ctx context.Context) ([]OpenTransaction, error) {
	s := d.conn.Store()
	id, err := s.OpenTxnID(ctx)
	if err != nil || id == "" {
		return nil, err
	}
	t := OpenTransaction{ID: id}
	runs, err := s.RecentRuns(ctx, txnRunsScanned)
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		if r.Txn == id {
			t.Runs = append(t.Runs, r)
		}
	}
	slices.Reverse(t.Runs)
	if len(t.Runs) > 0 {
		t.Started = t.Runs[0].Started
	}
	journal, err := s.Journal(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[adapter.Relation]bool{}
	for _, e := range journal {
		if e.Txn == id && e.Done && !seen[e.Relation] {
			seen[e.Relation] = true
			t.Relations = append(t.Relations, e.Relation)
		}
	}
	sort.Slice(t.Relations, func(i, j int) bool { return t.Relations[i].Display() < t.Relations[j].Display() })
	files, err := s.StagedFiles(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		t.Exports = append(t.Exports, Rel(d.p.Dir, f.Final))
	}
	sort.Strings(t.Exports)
	return []OpenTransaction{t}, nil
}

package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/execute"
	"github.com/kiln-build/kiln/internal/run"
)

// The seal on PostgreSQL (see seal.go), where there is no file: each
// relation of a node is sealed by its print, from the catalog and the
// cumulative statistics:
//
//	oid/relfilenode/xmin of its pg_class row/n_tup_ins/n_tup_upd/n_tup_del/xmin of its view rule
//
// A relation dropped and created again has another oid; truncated,
// another relfilenode; altered (a column, a grant), another pg_class
// xmin; a view replaced, another rule xmin; and any insert, update or
// delete, committed or not, adds to its counters. Kiln flushes its own
// sessions' counters (pg_stat_force_next_flush, PostgreSQL 15) before it
// reads the prints, once the run is committed, and keeps them in
// kiln_history.seal. The next build compares: a node whose relation's
// print changed is not up to date (nor, by the parent rule, its
// children and tests).
//
// What is left: another session's counters reach the shared statistics
// when its transaction ends, unless it flushed less than 1 s before;
// then within 10 s when it is idle, or at its next transaction end after
// that second, and always when it disconnects (psql -c: at once;
// measured: an idle session's second insert reached them 10.1 s later). A
// build started in that window after a write by a long-lived session
// (a BI tool) does not see the write. With track_counts off (or the
// statistics reset to the same values) the counters say nothing: a
// build then runs every node.

// serverSeal is the row of kiln_history.seal.
type serverSeal struct {
	RunID    string            `json:"run_id"`
	Command  string            `json:"command"`
	SealedAt time.Time         `json:"sealed_at"`
	Prints   map[string]string `json:"prints"` // "schema.name" -> print
	// Dirty holds the relations ("schema.name" -> the flow transaction)
	// that a run of a flow transaction found changed since the seal
	// before the flow changed them: kiln transaction rollback does not
	// take what it puts back of them for what the seal vouches for.
	Dirty map[string]string `json:"dirty,omitempty"`
	// Flow is what the runs of the open flow transaction leave for kiln
	// transaction commit to seal (see sealtxn.go).
	Flow *flowSeal `json:"flow,omitempty"`
}

// serverPrints reads the prints of the relations in the schemas of g's
// stateful nodes (see newWriteWatch), by "schema.name"; counts reports
// whether the database counts writes.
func (r *runner) serverPrints(ctx context.Context, rs adapter.RelationSealer) (prints map[string]string, counts bool, err error) {
	return rs.RelationPrints(ctx, r.sealSchemas())
}

// sealSchemas returns the schemas of g's stateful nodes (see
// newWriteWatch), sorted: those whose relations the seal holds.
func (r *runner) sealSchemas() []string {
	seen := map[string]bool{}
	var schemas []string
	for _, ns := range r.writes.byName {
		for _, n := range ns {
			if !seen[n.Relation.Schema] {
				seen[n.Relation.Schema] = true
				schemas = append(schemas, n.Relation.Schema)
			}
		}
	}
	sort.Strings(schemas)
	return schemas
}

// serverOutside reads the seal and the relations' prints as the run
// starts (r.pg), and sets r.changed to the nodes whose relation's print
// differs from the seal's (planned or not: a test run alone must not
// take its parent's changed table as the one it passed on), or r.outside when there is no seal or
// the counters are off.
func (r *runner) serverOutside(ctx context.Context) error {
	rs, ok := r.ex.Conn(0).(adapter.RelationSealer)
	if !ok {
		r.outside = "this database cannot tell whether its relations were changed outside kiln"
		return nil
	}
	var s serverSeal
	text, err := rs.LoadSeal(ctx)
	if err != nil {
		return err
	}
	if text != "" && json.Unmarshal([]byte(text), &s) != nil {
		s = serverSeal{}
	}
	prints, counts, err := r.serverPrints(ctx, rs)
	if err != nil {
		return err
	}
	r.pg = &pgSeal{old: s.Prints, start: prints, dirty: s.Dirty}
	if s.Prints == nil {
		r.outside = "the database has no seal of its last build (" + adapter.HistorySchema + ".seal), so kiln cannot tell whether its relations were changed outside kiln"
		return nil
	}
	if !counts {
		r.outside = "track_counts is off: kiln cannot tell whether the relations were changed outside kiln"
		return nil
	}
	g := r.p.Graph()
	r.changed = map[graph.ID]string{}
	var names []string
	written := map[string]string{}
	for _, n := range g.Nodes() {
		id := n.ID
		if n.Relation.IsZero() || n.Kind == graph.Test || !n.IsExecutable() {
			continue
		}
		k := n.Relation.Schema + "." + n.Relation.Name
		if s.Prints[k] != prints[k] {
			r.changed[id] = k
			if by, ok := strings.CutPrefix(s.Prints[k], writtenPrefix); ok {
				written[k] = by
			} else {
				names = append(names, k)
			}
		}
	}
	r.pg.note = writtenLine(written, r.changed)
	if count := len(names); count > 0 {
		sort.Strings(names)
		if len(names) > 5 {
			names = append(names[:5], "...")
		}
		r.pg.note = sentences(fmt.Sprintf("%s changed outside kiln since the last %s at %s (%s): their nodes run; a table or view rebuilt loses the privileges granted on it by hand (configure them with +grants)",
			plural(count, "relation"), s.Command, s.SealedAt.Local().Format("2006-01-02 15:04:05"), strings.Join(names, ", ")), r.pg.note)
	}
	return nil
}

// writtenPrefix starts the print that the seal records for a relation
// written outside its node's build (sealwritten.go), followed by what
// wrote it.
const writtenPrefix = "written: "

// pgSeal is what a run on PostgreSQL found as it started.
type pgSeal struct {
	old, start map[string]string // the seal's prints; the prints at the start
	dirty      map[string]string // the seal's Dirty, which the run's seal keeps
	note       string            // the relations changed, for a build's info line
}

// sealServer flushes the statistics of the run's sessions and records
// the prints of the nodes' relations in kiln_history.seal. A relation
// changed outside kiln before the run (its print at the start is not the
// seal's) or during it (its print at the end is not the start's) keeps
// the seal's print, unless its node ran in the run (results) or the run's
// rollback put it back as the run found it (restored, see vouched): the
// next build runs it.
func (r *runner) sealServer(ctx context.Context, results []run.Result, restored []adapter.JournalEntry) error {
	if r.pg == nil {
		return nil
	}
	for i := 0; i < r.ex.Conns(); i++ {
		if c, ok := r.ex.Conn(i).(adapter.RelationSealer); ok {
			if err := c.FlushStats(ctx); err != nil {
				return err
			}
		}
	}
	rs, ok := r.ex.Conn(0).(adapter.RelationSealer)
	if !ok {
		return nil
	}
	prints, counts, err := r.serverPrints(ctx, rs)
	if err != nil || !counts {
		return err
	}
	g := r.p.Graph()
	ran := map[string]bool{}
	for _, x := range results {
		if n := g.Node(x.ID); n != nil && !n.Relation.IsZero() && (x.Status == run.Success || x.Status == run.Pass) {
			ran[n.Relation.Schema+"."+n.Relation.Name] = true
		}
	}
	asFound := func(k string) bool { s, ok := r.pg.start[k]; return ok && s == r.pg.old[k] }
	back := vouched(rs, restored, r.pg.old, prints, asFound, true)
	for k, p := range prints {
		if ran[k] || back[k] {
			continue
		}
		if old, ok := r.pg.old[k]; !ok || old != r.pg.start[k] || r.pg.start[k] != p {
			prints[k] = old // "" when the seal had none: a change
		}
	}
	keepOtherSchemas(prints, r.pg.old, r.sealSchemas())
	// A relation a statement of the run wrote outside its node's build
	// (sealwritten.go) gets a print no relation has: the next build runs
	// its node, and the print stays until a run builds it.
	for k, what := range r.writes.wrote() {
		prints[k] = writtenPrefix + writtenBy(what, r.opts.Command, r.p.InvocationID(), time.Now())
	}
	b, err := json.Marshal(serverSeal{RunID: r.p.InvocationID(), Command: r.opts.Command, SealedAt: time.Now(), Prints: prints, Dirty: r.pg.dirty})
	if err != nil {
		return err
	}
	return rs.SaveSeal(ctx, string(b))
}

// vouched returns the relations ("schema.name") that a rollback of
// entries es (newest first) put back as the seal vouches for them, whose
// prints now the seal may take: those whose print in the seal (old) is
// the one the flow found (asSealed: as the run found it, or as no run of
// the flow found it changed), put back
//
//   - renamed back (Moved): the very relation, unwritten since the seal
//     (Renamed: the same oid, storage, counters and view definition);
//   - from the copy of its rows a node took in its transaction, before
//     changing it (Copied, RowsCopied of every row): its rows are the
//     copy's, whatever was written since;
//   - from the copy of some of its rows (RowsCopied of a microbatch
//     model's batches) only by a run's own rollback (inRun): the rows it
//     did not copy are as the run found them, unless another session
//     wrote them during the run, as it may write any node's relation
//     while a run builds it.
//
// A relation changed outside kiln before the run (or the flow) is never
// vouched for: the rollback puts that change back. One changed by
// another session during the run, before its node copied or moved it,
// is taken for what the run found, as a node that runs takes it (see
// the window in the comment at the top).
func vouched(rs adapter.RelationSealer, es []adapter.JournalEntry, old, now map[string]string, asSealed func(string) bool, inRun bool) map[string]bool {
	first := map[string]adapter.JournalEntry{} // the oldest entry of each relation
	for _, e := range es {
		first[e.Relation.Schema+"."+e.Relation.Name] = e
	}
	out := map[string]bool{}
	for k, e := range first {
		o, sealed := old[k]
		p, there := now[k]
		if !sealed || !there || !asSealed(k) {
			continue
		}
		switch e.Op {
		case adapter.Moved:
			if rs.Renamed(o, p) {
				out[k] = true
			}
		case adapter.Copied:
			out[k] = true
		case adapter.RowsCopied:
			if inRun || e.Where == execute.AllRows || e.Where == execute.AllRowsGranted {
				out[k] = true
			}
		}
	}
	return out
}

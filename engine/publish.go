package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/execute"
	"github.com/kiln-build/kiln/internal/export"
	"github.com/kiln-build/kiln/internal/failpoint"
	"github.com/kiln-build/kiln/internal/materialize"
	"github.com/kiln-build/kiln/internal/run"
	"github.com/kiln-build/kiln/internal/state"
)

// publish ends a run that ran its nodes, and is the one place that does
// so. It follows the commit protocol of COMMIT.md:
//
//  1. the decision: the run commits when it succeeded (or failed with
//     NoRollback) and was not interrupted before this point, else it rolls
//     back;
//  2. commit, in one database transaction (the point of no return): the
//     previous versions of the relations are dropped (or kept for the
//     flow transaction), the staged exports recorded to publish (or held),
//     the up-to-date state of the nodes that succeeded and the run's
//     history written; then the exports are renamed into place. A kill
//     after the transaction leaves the renames to the next start;
//  3. or roll back: the staged exports are removed and, in one database
//     transaction, the previous relations restored and the history
//     written. A kill before it leaves the journal to the next start;
//  4. run_results.json.
//
// Nothing after the decision is interrupted: an interrupt that arrives
// then makes the exit code 130 and the message says what was done.
func (r *runner) publish(ctx context.Context, results []run.Result) *Result {
	failpoint.Hit(failpoint.PublishStart)
	p := r.p
	res := &Result{Command: r.opts.Command, Graph: p.Graph(), Results: results, Interrupted: ctx.Err() != nil}
	res.Failed = RunStatus(results, res.Interrupted) != "success" || r.hookErr != ""
	commit := !res.Failed || r.opts.NoRollback && !r.startRefused
	wctx := context.WithoutCancel(ctx)
	r.carryOver(results)
	// on-run-end runs in the commit's transaction (runhooks.go), or after
	// the rollback; not after an interrupt.
	endRan := res.Interrupted
	if commit {
		endRan = true
		res.Outcome = r.commit(wctx, res, func() error {
			if res.Interrupted {
				return nil
			}
			if err := r.runHooks(wctx, compiler.OnRunEnd, r.hookContext(results)); err != nil {
				return fmt.Errorf("on-run-end failed: %w", err)
			}
			return nil
		})
	}
	if !commit || res.RolledBack {
		res.RolledBack = true
		for i, x := range results {
			if x.Status == run.Success {
				results[i].Message = "rolled back: the run failed, its previous version was restored"
			}
		}
		res.Outcome = r.rollback(wctx, res, res.Outcome)
		if !endRan {
			// After a failure, on-run-end runs once the run is rolled
			// back, and what it does stays.
			if err := r.ex.Conn(0).Tx(wctx, func() error {
				return r.runHooks(wctx, compiler.OnRunEnd, r.hookContext(results))
			}); err != nil {
				r.hookErr = strings.TrimPrefix(r.hookErr+"; "+hookFailed("on-run-end", err), "; ")
			}
		}
	}
	if r.hookErr != "" {
		res.Outcome = sentences(r.hookErr, res.Outcome)
	}
	if ctx.Err() != nil && !res.Interrupted {
		// The interrupt came after the decision: what was decided is done.
		res.Interrupted = true
		what := "committed: its tables, exports and up-to-date state are published"
		if res.RolledBack {
			what = "rolled back"
		}
		res.Outcome = sentences("interrupted after the run had "+what, res.Outcome)
	}
	if r.runStatus(res) != "success" {
		// Its observations join no history (runRecord): the messages
		// of the gates --accept-deviations accepted say so.
		for i := range results {
			results[i].Message = execute.UnacceptedMessage(results[i].Message)
		}
	}
	res.Elapsed = time.Since(r.start)
	r.history.finish(wctx, r.ex.Conn(0).Store())
	r.sealed(wctx, results, res.RolledBack)
	r.writeResults(res)
	res.Deviated = deviated(p.Graph(), results) && !r.opts.AcceptDeviations
	res.StaleInputs = staleInputs(p.Graph(), results)
	return res
}

// writeResults starts writing run_results.json of res, the run recorded
// and published: Run waits for it (waitResults) after closing the
// database, whose close it overlaps (W1 1,000's 2,500 results take 80-90
// ms to encode and write). It is given its own copy of the results.
func (r *runner) writeResults(res *Result) {
	done := make(chan struct{})
	r.resultsWritten = done
	out := *res
	out.Results = slices.Clone(res.Results)
	acceptedOnly(out.Results, r.runStatus(res))
	go func() {
		defer close(done)
		r.p.writeResults(r.opts, &out)
		failpoint.Hit(failpoint.RunRecorded)
	}()
}

// waitResults waits until run_results.json is written, when publish
// started writing it.
func (r *runner) waitResults() {
	if r.resultsWritten != nil {
		<-r.resultsWritten
	}
}

// publishRefused records a run refused before its nodes ran: nothing
// changed, so only the records are written.
func (r *runner) publishRefused(ctx context.Context, results []run.Result) *Result {
	res := &Result{Command: r.opts.Command, Graph: r.p.Graph(), Results: results, Refused: true, Failed: true,
		Elapsed: time.Since(r.start)}
	if err := r.recordHistory(context.WithoutCancel(ctx), res); err != nil {
		r.p.printf(Warn, "warning: the run was not recorded in the history: %v", err)
	}
	r.history.finish(context.WithoutCancel(ctx), r.ex.Conn(0).Store())
	r.sealed(context.WithoutCancel(ctx), results, false)
	r.p.writeResults(r.opts, res)
	return res
}

// recordHistory writes the run's record and its nodes' in the history,
// and the hashes of the input files computed in this run, in the
// caller's transaction when there is one.
func (r *runner) recordHistory(ctx context.Context, res *Result) error {
	p := r.p
	store := r.ex.Conn(0).Store()
	status := r.runStatus(res)
	h, nodes := runRecord(adapter.RunRecord{ID: p.InvocationID(), Command: r.opts.Command, Selection: r.opts.describe(p.cfg.VarsText),
		Started: r.start, Finished: time.Now(), Status: status, Txn: r.opts.Transaction,
		Vars: varsJSON(p.cfg.Vars)}, res.Results)
	if err := store.FinishRun(ctx, h, nodes); err != nil {
		return err
	}
	return store.SaveHashes(ctx, p.newHashes)
}

// runStatus returns the status the history records for the run of res:
// RunStatus's, or "refused" when the run stopped before any node ran
// (on-run-start failed, or a planned input file cannot be read: nothing
// changed), or "rolled_back" when it succeeded but its commit failed.
func (r *runner) runStatus(res *Result) string {
	status := RunStatus(res.Results, res.Interrupted)
	switch {
	case (r.startRefused || res.Refused) && !res.Interrupted:
		status = "refused" // no node ran
	case status == "success" && res.RolledBack:
		status = "rolled_back" // its commit failed: no baseline
	}
	return status
}

// acceptedOnly clears, in results (run_results.json's copy), the accepted
// flag of the gates whose values the history does not accept: all of a
// run whose status is not "success", as runRecord records them.
func acceptedOnly(results []run.Result, status string) {
	for i, x := range results {
		if len(x.Gates) == 0 {
			continue
		}
		gates := slices.Clone(x.Gates)
		for j := range gates {
			gates[j].Accepted = gates[j].Accepted && gateLearns(status, x.Status)
		}
		results[i].Gates = gates
	}
}

// commit commits the run (step 2 of publish) and says what it did; when
// the commit transaction fails, nothing was committed: res.RolledBack is
// set and the caller rolls back.
func (r *runner) commit(ctx context.Context, res *Result, hooks func() error) string {
	j, conn := r.journal, r.ex.Conn(0)
	built, forget := r.state(res.Results)
	// Once committed, a kill must not cost the next build its up-to-date
	// state: the file is stamped after each write (seal.go).
	j.OnWritten(func() {
		if r.fileSealable(res.Results) {
			r.written = r.carryWritten(res.Results)
			r.stampPending()
		}
	})
	n, err := j.Commit(ctx, conn, r.d, !res.Failed, func() error {
		if err := hooks(); err != nil {
			return err
		}
		if err := conn.Store().SaveState(ctx, r.p.InvocationID(), r.opts.Transaction, built, forget); err != nil {
			return err
		}
		return r.recordHistory(ctx, res)
	})
	if err != nil {
		res.Failed, res.RolledBack = true, true
		return fmt.Sprintf("error: the run could not be committed (%v), so it was rolled back", oneLine(err))
	}
	if _, err := j.PublishFiles(ctx, conn); err != nil {
		return fmt.Sprintf("error: the run is committed, but its exports are not all published: %v; the next run publishes them", oneLine(err))
	}
	switch {
	case j.Txn() != "" && !res.Failed:
		return fmt.Sprintf("flow transaction %s: kept; kiln transaction commit %s publishes it (its tables and exports), or rollback undoes it.", j.Txn(), j.Txn())
	case res.Failed && n > 0:
		return fmt.Sprintf("--no-rollback: the %s built before the failure are kept; the exports are as they were.", plural(n, "relation"))
	}
	return ""
}

// rollback restores what the run changed (step 3 of publish) and says
// what it did; why is the commit's error, when it was the reason.
func (r *runner) rollback(ctx context.Context, res *Result, why string) string {
	n, err := r.journal.Rollback(ctx, r.ex.Conn(0), r.d, func() error { return r.recordHistory(ctx, res) })
	if err != nil {
		var bu *execute.BlockedUndo
		if errors.As(err, &bu) {
			// The next run cannot either, until the view is dropped.
			return sentences(why, fmt.Sprintf("error: the run failed and its relations could not all be restored: %v", oneLine(err)))
		}
		return sentences(why, fmt.Sprintf("error: the run failed and its relations could not all be restored: %v; the next run restores them", oneLine(err)))
	}
	what := "the run failed"
	if res.Interrupted {
		what = "interrupted"
	}
	if n == 0 {
		return sentences(why, what+": no table or view had been replaced; the tables, views and exports are as they were before the run.")
	}
	kept := ""
	tables, views := storedFailures(res)
	if tables {
		kept = ", but for the failing rows kept in the audit schema"
	}
	if views {
		// A failing-row view reads the relations, now as before the run.
		kept += "; the failing-row views (store_failures_as: view) read the restored relations, not the failing rows: store_failures_as: table keeps them"
	}
	if c := r.journal.CopiedBack(); len(c) > 0 {
		kept += "; " + copiedBack(c)
	}
	return sentences(why, fmt.Sprintf("%s: the %s it had changed %s restored; the tables, views and exports are as they were before the run%s (--no-rollback keeps what succeeded).",
		what, plural(n, "relation"), wereWas(n), kept))
}

// storedFailures reports whether a test of the run with store_failures
// found failing rows: the audit tables it wrote stay after a rollback
// (tables), and whether one kept them as a view (views), which then
// reads the restored relations.
func storedFailures(res *Result) (tables, views bool) {
	for _, r := range res.Results {
		if r.Failures == 0 || (r.Status != run.Fail && r.Status != run.Warn) {
			continue
		}
		if n := res.Graph.Node(r.ID); n != nil && n.Kind == graph.Test && n.StoresFailures() {
			if n.FailuresAsView() {
				views = true
			} else {
				tables = true
			}
		}
	}
	return tables, views
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// sentences joins texts, each one sentence or more ("" left out), into
// one: a part that does not end its sentence (with ".", "!" or "?") is
// given a period, and each part after the first begins with a capital
// letter, as the sentence it begins ("error: on-run-start failed: Table
// x does not exist! The run failed: ..."); the first part is left as it
// is (kiln's messages begin in lower case).
func sentences(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			if !strings.ContainsAny(b.String()[b.Len()-1:], ".!?") {
				b.WriteByte('.')
			}
			b.WriteByte(' ')
			r, size := utf8.DecodeRuneInString(p)
			p = string(unicode.ToUpper(r)) + p[size:]
		}
		b.WriteString(p)
	}
	return b.String()
}

// upToDate marks the planned nodes that need not run, in a build (not
// with FullRefresh), and keeps the current fingerprints for saveState.
// The other commands run every node they plan, as dbt does: kiln test
// runs the tests, kiln run the models, kiln seed the seeds.
func (r *runner) upToDate(ctx context.Context) error {
	p := r.p
	g := p.Graph()
	readers := p.deferredReaders()
	r.noOwn = readers
	saved, err := r.ex.Conn(0).Store().LoadState(ctx, r.opts.Transaction)
	if err != nil {
		return err
	}
	// Each node's state where it writes now (state.Key): a backfill's
	// build into other schemas leaves the state of the main ones.
	r.stored = make(map[graph.ID]string, len(saved))
	if len(saved) > 0 {
		for _, n := range g.Nodes() {
			if fp := state.Lookup(saved, g, n.ID); fp != "" {
				r.stored[n.ID] = fp
			}
		}
	}
	if r.opts.FullRefresh || r.opts.Command != "build" {
		return nil
	}
	if r.outside != "" && len(r.stored) > 0 {
		p.printf(Info, "%s: every node runs", r.outside)
	} else if r.pg != nil && r.pg.note != "" && len(r.stored) > 0 {
		p.printf(Info, "%s", r.pg.note)
	} else if note := r.writtenNote(); note != "" && len(r.stored) > 0 {
		p.printf(Info, "%s", note)
	}
	if note := r.deferredNote(readers); note != "" {
		p.printf(Info, "%s", note)
	}
	if len(r.stored) == 0 {
		// No node can be up to date: the fingerprints are needed only
		// when the run records its state (r.fps), and the run does not
		// wait for them to start (0.03 s of W1 1,000's start, built from
		// nothing).
		return nil
	}
	r.fingerprints = p.chained(readers)
	// An export is up to date only if its file is the one kiln wrote:
	// the planned exports' files are hashed, not every export's.
	// An anomaly test is never up to date: its verdict depends on the run
	// history and on the month it checks, not only on its inputs (a month
	// whose file did not change is the stale input input_freshness is
	// there to catch).
	utd := r.decide()
	if len(utd) > 0 {
		// The skip candidates' queries (and their ancestors') may read
		// the clock or tables kiln does not build: those have no
		// fingerprint of their own, as a source without a file.
		why, err := r.unprovable(ctx, utd)
		if err != nil {
			return err
		}
		if len(why) > 0 {
			for id, w := range readers {
				if _, ok := why[id]; !ok {
					why[id] = w
				}
			}
			r.fingerprints = p.chained(why)
			utd = r.decide()
			for _, id := range sortedIDs(why) {
				p.emit(Log{Node: g.Node(id), Text: fmt.Sprintf("%s %s runs every build: %s", g.Node(id).Kind, g.Node(id).DisplayName(), why[id]), Debug: true})
			}
		}
	}
	r.ex.SetUpToDate(utd)
	return nil
}

// fps returns the nodes' fingerprints now: r.fingerprints, computed on
// first use when upToDate did not need them.
func (r *runner) fps() map[graph.ID]string {
	if r.fingerprints == nil {
		r.fingerprints = r.p.chained(r.noOwn)
	}
	return r.fingerprints
}

// decide returns the planned nodes that are up to date under
// r.fingerprints (see upToDate).
func (r *runner) decide() map[graph.ID]bool {
	p := r.p
	g := p.Graph()
	// An export is up to date only if its file is the one kiln wrote:
	// the planned exports' files are hashed, not every export's.
	// An anomaly test is never up to date: its verdict depends on the run
	// history and on the month it checks, not only on its inputs (a month
	// whose file did not change is the stale input input_freshness is
	// there to catch).
	if r.outside != "" {
		return map[graph.ID]bool{}
	}
	decided := make(map[graph.ID]string, len(r.plan.IDs()))
	for _, id := range r.plan.IDs() {
		if n := g.Node(id); n.Kind == graph.Test && n.Test != nil && execute.IsAnomalyTest(n.Test.Generic) {
			continue
		}
		fp := r.fingerprints[id]
		decided[id] = fp
		if n := g.Node(id); n.Kind == graph.Export && fp != "" {
			decided[id] = p.exportPrint(n, fp)
		}
	}
	exists := func(id graph.ID) bool {
		n := g.Node(id)
		switch {
		case n.Kind == graph.Export:
			return fileExists(export.Path(p.Target, n))
		case n.Relation.IsZero():
			return true
		case r.changed[id] != "":
			return false
		}
		return r.ex.Catalog().Kind(n.Relation) != ""
	}
	utd := state.Decide(r.plan.IDs(), decided, r.stored, exists)
	// A node whose planned parent runs runs too: its relation (or a
	// test's verdict) was made from the parent's previous one; so does
	// one whose parent's relation changed outside kiln (PostgreSQL's
	// seal), planned or not.
	for _, id := range r.plan.IDs() {
		if utd[id] && !r.parentsHold(id, func(par graph.ID) bool { return (!r.plan.Planned(par) || utd[par]) && r.changed[par] == "" }) {
			delete(utd, id)
		}
	}
	return utd
}

// unprovable returns, for the nodes up to date by their fingerprints
// (utd) and their ancestors that have a fingerprint, those whose compiled
// query may give another result though nothing kiln fingerprints changed,
// with the reason (adapter.ReadChecker): it calls a function that is not
// immutable (now(), current_date, random(), a macro), reads a relation
// that is none of its refs', sources' or its own, or cannot be analysed.
// An adapter without a ReadChecker proves nothing: every one of them is
// returned. The analysis is one batch of a few queries, run only when
// some node could be skipped; the parse trees' findings and the verdicts
// on functions are kept in the target path (ReadsCacheFile), so only new
// or changed queries are parsed, and the database's functions are read
// again only when they may have changed (adapter.FuncCache).
func (r *runner) unprovable(ctx context.Context, utd map[graph.ID]bool) (map[graph.ID]string, error) {
	g := r.p.Graph()
	seen := map[graph.ID]bool{}
	var ids []graph.ID
	var visit func(id graph.ID)
	visit = func(id graph.ID) {
		if seen[id] {
			return
		}
		seen[id] = true
		n := g.Node(id)
		if n == nil || r.fingerprints[id] == "" {
			return
		}
		if n.IsExecutable() && (n.Kind == graph.Model || n.Kind == graph.Snapshot || n.Kind == graph.Test) && (n.CompiledCode != "" || n.RenderAtRun) {
			ids = append(ids, id)
		}
		for _, par := range g.Parents(id) {
			visit(par)
		}
	}
	for _, id := range sortedIDs(utd) {
		visit(id)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	why := make([]string, len(ids))
	// Each node's statements as run, flattened: stmts[k] belongs to
	// ids[owner[k]]. A node that renders at run time or has hooks is
	// judged without its queries.
	var stmts []string
	var owner []int
	// The texts that only an invocation renders (a query holding one
	// gives another result in every invocation, as one calling now();
	// its fingerprint hashes them as placeholders, see
	// artifact.Fingerprint.Code): the invocation's id, and run_started_at
	// to the second (its every rendering begins with one of those).
	var perRun [][2]string // text, why
	if inv := r.p.InvocationID(); inv != "" {
		perRun = append(perRun, [2]string{inv, "renders invocation_id"})
	}
	for _, t := range r.p.Manifest.RunStartedAt() {
		if len(t) == len("2006-01-02 15:04:05") {
			perRun = append(perRun, [2]string{t, "renders run_started_at"})
		}
	}
	for i, id := range ids {
		n := g.Node(id)
		if w := unprovableAsIs(n); w != "" {
			why[i] = w
			continue
		}
		sqls := r.statements(n)
		if w := rendersPerRun(sqls, perRun); w != "" {
			why[i] = w
			continue
		}
		for _, sql := range sqls {
			stmts = append(stmts, sql)
			owner = append(owner, i)
		}
	}
	rc, ok := r.ex.Conn(0).(adapter.ReadChecker)
	if !ok {
		for i := range why {
			if why[i] == "" {
				why[i] = "this database cannot analyse its query"
			}
		}
	} else if len(stmts) > 0 {
		cache := r.loadReadsCache()
		uses, added, err := queryUses(ctx, rc, cache, stmts)
		if err != nil {
			return nil, err
		}
		qs := make([]adapter.ReadCheck, len(stmts))
		for k := range stmts {
			qs[k] = adapter.ReadCheck{Use: uses[k], Reads: r.p.mayRead(ids[owner[k]])}
		}
		state, known := cache.Funcs.State, len(cache.Funcs.Immutable)
		each, err := rc.CheckReads(ctx, qs, &cache.Funcs)
		if err != nil {
			return nil, err
		}
		if added || cache.Funcs.State != state || len(cache.Funcs.Immutable) != known {
			r.saveReadsCache(cache)
		}
		for k, w := range each {
			if i := owner[k]; w != "" && why[i] == "" {
				why[i] = ownRead(g.Node(ids[i]), w)
			}
		}
	}
	out := map[graph.ID]string{}
	for i, id := range ids {
		if why[i] != "" {
			out[id] = why[i]
		}
	}
	return out, nil
}

// rendersPerRun returns the why of the first text of perRun (text, why)
// that one of sqls holds, "" when none does.
func rendersPerRun(sqls []string, perRun [][2]string) string {
	for _, p := range perRun {
		for _, s := range sqls {
			if strings.Contains(s, p[0]) {
				return p[1]
			}
		}
	}
	return ""
}

// unprovableAsIs returns why node n's result may change though nothing
// kiln fingerprints did, without reading its queries ("" when its
// queries decide): it renders with the database at run time (its SQL is
// not known before), or it has pre- or post-hooks or a sql_header, which
// dbt runs on every build (an audit row a post-hook inserts must be
// inserted each build).
func unprovableAsIs(n *graph.Node) string {
	if n.RenderAtRun {
		return "renders with the database at run time"
	}
	if w := notIdempotent(n); w != "" {
		return w
	}
	if h, _ := n.Config.Extra["sql_header"].(string); strings.TrimSpace(h) != "" {
		return "has hooks"
	}
	for _, phase := range []string{"pre", "post"} {
		for _, inTx := range []bool{true, false} {
			for _, h := range compiler.NodeHooks(n, phase, inTx) {
				if strings.TrimSpace(h) != "" {
					return "has hooks"
				}
			}
		}
	}
	return ""
}

// notIdempotent returns why incremental model n adds rows again when it
// runs on unchanged input ("" when it does not): the append strategy, and
// delete+insert or merge without unique_key (which append every new row),
// insert their query's rows at every run, as dbt does at every build, so
// the table depends on how many runs there were, not only on its inputs.
// incremental_predicates narrow what delete+insert deletes and what merge
// matches (dbt-adapters' get_delete_insert_merge_sql, get_merge_sql): a
// row of the same key outside them is inserted again at every run.
// delete+insert and merge with a unique_key and no predicates replace the
// rows of the same keys, and microbatch replaces each batch's rows (or,
// on PostgreSQL, merges them on unique_key, as merge does): run
// again on the same input, they leave the same table, unless the query
// reads the model's own table (see mayRead and ownRead). (insert_overwrite
// is refused at compile time.)
func notIdempotent(n *graph.Node) string {
	inc := n.Incremental
	if inc == nil || n.Kind != graph.Model {
		return ""
	}
	switch inc.Strategy {
	case "append":
		return "incremental_strategy append adds its rows again at every run"
	case "delete+insert", "merge":
		if len(inc.UniqueKey) == 0 {
			return "incremental_strategy " + inc.Strategy + " without unique_key adds its rows again at every run"
		}
		if len(inc.Predicates) > 0 {
			return "incremental_predicates keep rows of the same keys from being replaced, so its rows can be added again at every run"
		}
	case "microbatch":
		if inc.Batch != nil && inc.Batch.Merge && len(inc.Predicates) > 0 {
			// PostgreSQL merges each batch on unique_key, with the
			// predicates in its condition, as merge does.
			return "incremental_predicates keep rows of the same keys from being replaced, so its rows can be added again at every run"
		}
	}
	return ""
}

// ownRead rewrites why, a read check's reason for incremental model n,
// when the relation it names is n's own ({{ this }}), which mayRead does
// not allow an incremental model: its query builds on what the last run
// left (a counter, a first-seen date carried over), so dbt's run at every
// build can change the table on unchanged input. Other reasons are
// returned as they are.
func ownRead(n *graph.Node, why string) string {
	if n.Incremental == nil || n.Relation.Name == "" {
		return why
	}
	read, ok := strings.CutPrefix(why, "reads ")
	if !ok {
		return why
	}
	read, ok = strings.CutSuffix(read, ", not a ref or source")
	parts := strings.Split(read, ".")
	if !ok || !strings.EqualFold(parts[len(parts)-1], n.Relation.Name) {
		return why
	}
	return "reads its own table (this) when incremental: each run builds on the last one's rows"
}

// statements returns the queries node n runs, as their text before kiln
// wraps them in DDL: a test's query as run (fail_calc and limit over its
// SQL, materialize.TestQuery), a model's or snapshot's compiled SQL and,
// for an incremental model, its is_incremental() rendering and its
// microbatch codes, with each batch input's marker replaced by the
// input's relation (the executor puts a subquery of the same relation
// there, filtered by constants).
func (r *runner) statements(n *graph.Node) []string {
	if n.Kind == graph.Test {
		return []string{materialize.TestQuery(r.d, n).SQL}
	}
	out := []string{n.CompiledCode}
	if inc := n.Incremental; inc != nil {
		codes := []string{inc.Code}
		if b := inc.Batch; b != nil {
			for _, c := range []string{b.Code, b.IncrementalCode} {
				for _, in := range b.Inputs {
					rel := adapter.Relation{}
					if pn := r.p.Graph().Node(in); pn != nil {
						rel = pn.Relation
					}
					c = strings.ReplaceAll(c, graph.BatchMarker(in), r.d.QuoteRelation(rel))
				}
				codes = append(codes, c)
			}
		}
		for _, c := range codes {
			if strings.TrimSpace(c) != "" && c != n.CompiledCode {
				out = append(out, c)
			}
		}
	}
	return out
}

// mayRead returns the relations the query of node id may read without
// escaping its fingerprint: its own for a snapshot (this; a model
// reading itself is not allowed), its
// parents' (refs and sources, through ephemeral models to theirs), and
// the state's relations --defer reads for them.
func (p *Project) mayRead(id graph.ID) []adapter.Relation {
	g := p.Graph()
	var out []adapter.Relation
	add := func(n *graph.Node) {
		if !n.Relation.IsZero() {
			out = append(out, n.Relation)
		}
		if rel, ok := p.deferred[n.ID]; ok {
			out = append(out, rel)
		}
	}
	// Only a snapshot reads what it built before without its result
	// depending on it (its check compares, it does not build on it); a
	// table, view or incremental model reading {{ this }} reads its own
	// last build, which its fingerprint does not hold (see ownRead).
	if n := g.Node(id); n.Kind == graph.Snapshot {
		add(n)
	}
	seen := map[graph.ID]bool{id: true}
	var parents func(id graph.ID)
	parents = func(id graph.ID) {
		for _, par := range g.Parents(id) {
			n := g.Node(par)
			if n == nil || seen[par] {
				continue
			}
			seen[par] = true
			add(n)
			if n.Kind == graph.Model && n.Config.Materialized == graph.Ephemeral {
				parents(par)
			}
		}
	}
	parents(id)
	return out
}

// sortedIDs returns m's keys in ascending order.
func sortedIDs[V any](m map[graph.ID]V) []graph.ID {
	out := make([]graph.ID, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// parentsHold reports whether ok holds for every parent of id that
// executes, looking through the parents that do not (ephemeral models,
// sources without a file) to theirs.
func (r *runner) parentsHold(id graph.ID, ok func(graph.ID) bool) bool {
	g := r.p.Graph()
	for _, par := range g.Parents(id) {
		n := g.Node(par)
		if n == nil {
			continue
		}
		if !n.IsExecutable() {
			if !r.parentsHold(par, ok) {
				return false
			}
			continue
		}
		if !ok(par) {
			return false
		}
	}
	return true
}

// chained returns the nodes' up-to-date fingerprints: their own
// (Fingerprints) chained through the graph (package state); the nodes of
// none (whose query may change on its own, see unprovable) have none of
// their own, as a source without a file.
func (p *Project) chained(none map[graph.ID]string) map[graph.ID]string {
	g := p.Graph()
	own := state.Own(g, p.Fingerprints(), p.Inputs())
	for id := range none {
		delete(own, id)
	}
	fps := state.Fingerprints(g, own)
	if tz := p.Project.Config.TimeZone; tz != "" {
		state.Salt(fps, "timezone="+tz) // UTC, the default, keeps the fingerprints as they were
	}
	return fps
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// exportPrint is the state recorded for an export: its fingerprint and the
// sha256 of its file, so an export edited or replaced by hand runs again.
func (p *Project) exportPrint(n *graph.Node, fp string) string {
	return filePrint(fp, export.Path(p.Target, n))
}

func filePrint(fp, file string) string {
	sum, _, err := hashFile(file)
	if err != nil {
		return fp + "/missing"
	}
	return fp + "/" + sum
}

// state returns the fingerprints to record for the nodes that succeeded
// (tests: passed) and the nodes to forget (those that did not), so they
// run next time. An export's print holds the sha256 of the file it
// staged, which the commit renames into place.
//
// A node's fingerprint says it was made from its parents' current
// definitions, so it is recorded only when each parent that executes
// succeeded or was up to date in this run, or, outside the run, holds what
// its current fingerprint says (its stored one equals it): a test that
// kiln test runs on tables a failed build left as before its change, or a
// model kiln run builds over a parent changed since it was built, is
// forgotten instead, and runs again at the next build.
func (r *runner) state(results []run.Result) (built map[string]string, forget []string) {
	p := r.p
	fps := r.fps()
	built = map[string]string{}
	ran := make(map[graph.ID]bool, len(results))
	for _, x := range results {
		ran[x.ID] = x.Status == run.Success || x.Status == run.Pass || x.Status == run.UpToDate
	}
	current := func(par graph.ID) bool {
		if ok, in := ran[par]; in {
			return ok
		}
		fp := fps[par]
		return fp != "" && r.stored[par] == fp
	}
	g := p.Graph()
	forgetNode := func(id graph.ID) {
		forget = append(forget, state.Key(g, id))
		if l := state.Legacy(id); l != state.Key(g, id) {
			forget = append(forget, l)
		}
	}
	for _, x := range results {
		switch x.Status {
		case run.Success, run.Pass:
			if !r.parentsHold(x.ID, current) {
				forgetNode(x.ID)
				continue
			}
			fp := fps[x.ID]
			if n := p.Graph().Node(x.ID); fp != "" && n.Kind == graph.Export {
				file := export.Path(p.Target, n)
				if staged := r.journal.StagedFor(file); staged != "" {
					file = staged
				}
				fp = filePrint(fp, file)
			}
			if fp != "" {
				built[state.Key(g, x.ID)] = fp
				// The state a kiln before state.Key kept for the node
				// described its last build, wherever it was.
				if l := state.Legacy(x.ID); l != state.Key(g, x.ID) {
					forget = append(forget, l)
				}
			}
		case run.UpToDate:
		default:
			forgetNode(x.ID)
		}
	}
	return built, forget
}

// carryOver gives the up-to-date (no-op) results the figures of the last
// run that did run them (rows, failures, expected and actual), read from
// the previous run_results.json, so reports and docs keep showing them.
func (r *runner) carryOver(results []run.Result) {
	prev, err := artifact.ReadRunResults(filepath.Join(r.p.Target, artifact.RunResultsFile))
	if err != nil {
		return
	}
	last := map[graph.ID]artifact.NodeResult{}
	for _, x := range prev.Results {
		last[x.UniqueID] = x
	}
	for i, x := range results {
		prev, ok := last[x.ID]
		if x.Status != run.UpToDate || !ok {
			continue
		}
		results[i].Expected, results[i].Actual = prev.Expected, prev.Actual
		if prev.Rows != nil {
			results[i].Rows = *prev.Rows
		}
		if prev.Failures != nil {
			results[i].Failures = *prev.Failures
		}
	}
}

// writeResults writes run_results.json; a failure to write is reported but
// does not change the run's outcome.
func (p *Project) writeResults(o RunOptions, res *Result) {
	args := map[string]any{"which": o.Command, "threads": p.Threads(o.Threads), "fail_fast": o.FailFast,
		"select": o.Selection.Select, "exclude": o.Selection.Exclude, "indirect_selection": indirect(o.Selection),
		"full_refresh": o.FullRefresh, "no_rollback": o.NoRollback, "rolled_back": res.RolledBack,
		"store_failures": p.cfg.StoreFailures, "warn_error": p.cfg.WarnError}
	if o.Selection.Selector != "" {
		args["selector"] = o.Selection.Selector
	}
	if p.cfg.WarnOptions != nil {
		args["warn_error_options"] = p.cfg.WarnOptions.Args() // kiln retry applies them again
	}
	if p.cfg.VarsText != "" {
		args["vars"] = p.cfg.VarsText
	}
	if t := p.Profile; t != nil && filepath.Base(t.File) == "profiles.yml" { // the output it built into, for retry (dbt's args.profile, target, profiles_dir)
		args["profile"], args["target"], args["profiles_dir"] = t.ProfileName, t.Name, filepath.Dir(t.File)
	}
	err := artifact.WriteRunResults(p.Target, res.Results, artifact.RunMeta{
		InvocationID: p.InvocationID(), Elapsed: res.Elapsed, Args: args, Graph: p.Graph(),
	})
	if err != nil {
		p.printf(Error, "error: cannot write run_results.json: %v", err)
	}
}

func indirect(s Selection) string {
	if s.Indirect == "" {
		return "eager"
	}
	return s.Indirect
}

// deviated reports whether a deviation test (volume_change,
// metric_change, an anomaly test other than input_freshness) failed.
func deviated(g *graph.Graph, results []run.Result) bool {
	for _, x := range results {
		n := g.Node(x.ID)
		if x.Status == run.Fail && n != nil && n.Test != nil && execute.IsDeviationGate(n) && n.Test.Generic != "input_freshness" && !coldStartOnly(x) {
			return true
		}
	}
	return false
}

// coldStartOnly reports whether x is a gate's warning in its cold start
// that --warn-error failed: nothing deviated.
func coldStartOnly(x run.Result) bool {
	if !x.WarnError {
		return false
	}
	for _, g := range x.Gates {
		if g.Verdict != "pass" && g.Verdict != "cold_start" {
			return false
		}
	}
	return true
}

// staleInputs returns the failed input_freshness tests of results, but
// those whose file --accept-deviations accepted (a warning that
// --warn-error made a failure).
func staleInputs(g *graph.Graph, results []run.Result) []StaleInput {
	var out []StaleInput
	for _, x := range results {
		n := g.Node(x.ID)
		if x.Status != run.Fail || n == nil || n.Test == nil || n.Test.Generic != "input_freshness" ||
			!slices.ContainsFunc(x.Gates, func(g run.Gate) bool { return !g.Accepted }) {
			continue
		}
		s := StaleInput{Source: string(n.Test.Attached)}
		if a := g.Node(n.Test.Attached); a != nil && a.Source != nil {
			s.Source = a.Source.SourceName + "." + a.Name
		}
		for _, gate := range x.Gates {
			if gate.SameAs != "" {
				s.SameAs = gate.SameAs
			}
		}
		if h, ok := n.Test.Args["repeat_hint"].(string); ok && s.SameAs != "" {
			s.Hint = strings.TrimSpace(h)
		}
		out = append(out, s)
	}
	return out
}

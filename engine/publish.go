package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/execute"
	"github.com/kiln-build/kiln/internal/export"
	"github.com/kiln-build/kiln/internal/run"
	"github.com/kiln-build/kiln/internal/state"
)

// publish ends a run that ran its nodes, in this order, and is the one
// place that does so:
//
//  1. the database: the relations the run replaced are committed (their
//     previous versions dropped, or kept for the flow transaction), or,
//     when the run failed and NoRollback is not set, restored;
//  2. the exports: staged files are renamed into place (or recorded for
//     the flow transaction), or discarded when the run failed;
//  3. the up-to-date state of the nodes that succeeded;
//  4. run_results.json, the run history and the input files' hashes.
//
// Each step after the first runs even when ctx was cancelled (an
// interrupted run is published as such). A failure of steps 2 to 4 is
// reported (Result.Outcome, or a warning) without changing the run's
// status.
func (r *runner) publish(ctx context.Context, results []run.Result) *Result {
	p := r.p
	res := &Result{Command: r.opts.Command, Graph: p.Graph(), Results: results, Interrupted: ctx.Err() != nil}
	res.Failed = RunStatus(results, res.Interrupted) != "success"
	res.Outcome = r.finishJournal(ctx, res.Failed, res.Interrupted)
	res.RolledBack = res.Failed && !r.opts.NoRollback
	if res.RolledBack {
		for i, x := range results {
			if x.Status == run.Success {
				results[i].Message = "rolled back: the run failed, its previous version was restored"
			}
		}
	}
	if !res.Failed || r.opts.NoRollback {
		r.saveState(ctx, results)
	}
	res.Elapsed = time.Since(r.start)
	r.carryOver(results)
	r.record(ctx, res)
	res.Deviated = deviated(p.Graph(), results) && !r.opts.AcceptDeviations
	return res
}

// publishRefused records a run refused before its nodes ran: nothing
// changed, so only the records are written.
func (r *runner) publishRefused(ctx context.Context, results []run.Result) *Result {
	res := &Result{Command: r.opts.Command, Graph: r.p.Graph(), Results: results, Refused: true, Failed: true,
		Elapsed: time.Since(r.start)}
	r.record(ctx, res)
	return res
}

// record writes run_results.json, the run history and the hashes of the
// input files computed in this run.
func (r *runner) record(ctx context.Context, res *Result) {
	ctx = context.WithoutCancel(ctx)
	p := r.p
	p.writeResults(r.opts, res)
	store := r.ex.Conn(0).Store()
	h, nodes := runRecord(adapter.RunRecord{ID: p.InvocationID(), Command: r.opts.Command, Selection: r.opts.describe(p.cfg.VarsText),
		Started: r.start, Finished: time.Now(), Status: RunStatus(res.Results, res.Interrupted), Txn: r.opts.Transaction,
		Vars: varsJSON(p.cfg.Vars)}, res.Results)
	if err := store.FinishRun(ctx, h, nodes); err != nil {
		p.printf(Warn, "warning: the run was not recorded in the history: %v", err)
	}
	if err := store.SaveHashes(ctx, p.newHashes); err != nil {
		p.printf(Warn, "warning: could not record the input files' hashes: %v", err)
	}
}

// finishJournal commits the run's relations, or restores the previous
// ones when the run failed (unless NoRollback), and says what it did.
func (r *runner) finishJournal(ctx context.Context, failed, interrupted bool) string {
	ctx = context.WithoutCancel(ctx)
	j, conn := r.journal, r.ex.Conn(0)
	if !failed || r.opts.NoRollback {
		if err := j.Commit(ctx, conn, r.d); err != nil {
			j.DiscardFiles()
			return fmt.Sprintf("error: cannot drop the previous versions of the relations: %v", err)
		}
		if !failed {
			if err := j.PublishFiles(ctx, conn); err != nil {
				return fmt.Sprintf("error: cannot publish the exports: %v", err)
			}
			if j.Txn() != "" {
				return fmt.Sprintf("flow transaction %s: kept; kiln transaction commit %s publishes it (its tables and exports), or rollback undoes it.", j.Txn(), j.Txn())
			}
		} else {
			j.DiscardFiles()
		}
		if failed && j.Replaced() > 0 {
			return fmt.Sprintf("--no-rollback: the %s built before the failure are kept.", plural(j.Replaced(), "relation"))
		}
		return ""
	}
	j.DiscardFiles()
	n, err := j.Rollback(ctx, conn, r.d)
	if err != nil {
		return fmt.Sprintf("error: the run failed and its relations could not all be restored: %v; the next run restores them", err)
	}
	what := "the run failed"
	if interrupted {
		what = "interrupted"
	}
	if n == 0 {
		return what + ": no table or view had been replaced; the database is as it was before."
	}
	verb := "were"
	if n == 1 {
		verb = "was"
	}
	return fmt.Sprintf("%s: the %s it had replaced %s restored; the tables, views and exports are as they were before the run, but for the failing rows kept in the audit schema (--no-rollback keeps what succeeded).",
		what, plural(n, "relation"), verb)
}

// upToDate marks the planned nodes that need not run, in a build (not
// with FullRefresh), and keeps the current fingerprints for saveState.
// The other commands run every node they plan, as dbt does: kiln test
// runs the tests, kiln run the models, kiln seed the seeds.
func (r *runner) upToDate(ctx context.Context) error {
	p := r.p
	g := p.Graph()
	r.fingerprints = p.chained()
	if r.opts.FullRefresh || r.opts.Command != "build" {
		return nil
	}
	// An export is up to date only if its file is the one kiln wrote:
	// the planned exports' files are hashed, not every export's.
	decided := make(map[graph.ID]string, len(r.plan.IDs()))
	for _, id := range r.plan.IDs() {
		fp := r.fingerprints[id]
		decided[id] = fp
		if n := g.Node(id); n.Kind == graph.Export && fp != "" {
			decided[id] = p.exportPrint(n, fp)
		}
	}
	saved, err := r.ex.Conn(0).Store().LoadState(ctx, r.opts.Transaction)
	if err != nil {
		return err
	}
	stored := make(map[graph.ID]string, len(saved))
	for id, fp := range saved {
		stored[graph.ID(id)] = fp
	}
	exists := func(id graph.ID) bool {
		n := g.Node(id)
		switch {
		case n.Kind == graph.Export:
			return fileExists(export.Path(p.Target, n))
		case n.Relation.IsZero():
			return true
		}
		return r.ex.Catalog().Kind(n.Relation) != ""
	}
	r.ex.SetUpToDate(state.Decide(r.plan.IDs(), decided, stored, exists))
	return nil
}

// chained returns the nodes' up-to-date fingerprints: their own
// (Fingerprints) chained through the graph (package state).
func (p *Project) chained() map[graph.ID]string {
	g := p.Graph()
	fps := state.Fingerprints(g, state.Own(g, p.Fingerprints(), p.Inputs()))
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
	sum, _, err := hashFile(export.Path(p.Target, n))
	if err != nil {
		return fp + "/missing"
	}
	return fp + "/" + sum
}

// saveState records the fingerprints of the nodes that succeeded (tests:
// passed) and forgets those that did not, so they run next time.
func (r *runner) saveState(ctx context.Context, results []run.Result) {
	p := r.p
	built := map[string]string{}
	var forget []string
	for _, x := range results {
		switch x.Status {
		case run.Success, run.Pass:
			fp := r.fingerprints[x.ID]
			if n := p.Graph().Node(x.ID); fp != "" && n.Kind == graph.Export {
				fp = p.exportPrint(n, fp)
			}
			if fp != "" {
				built[string(x.ID)] = fp
			}
		case run.UpToDate:
		default:
			forget = append(forget, string(x.ID))
		}
	}
	if err := r.ex.Conn(0).Store().SaveState(context.WithoutCancel(ctx), p.InvocationID(), r.opts.Transaction, built, forget); err != nil {
		p.printf(Warn, "warning: cannot record which nodes are up to date: %v", err)
	}
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
		"full_refresh": o.FullRefresh, "no_rollback": o.NoRollback, "rolled_back": res.RolledBack}
	if o.Selection.Selector != "" {
		args["selector"] = o.Selection.Selector
	}
	if p.cfg.VarsText != "" {
		args["vars"] = p.cfg.VarsText
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

// deviated reports whether a volume_change or metric_change test failed.
func deviated(g *graph.Graph, results []run.Result) bool {
	for _, x := range results {
		n := g.Node(x.ID)
		if x.Status == run.Fail && n != nil && n.Test != nil && execute.IsChangeTest(n.Test.Generic) {
			return true
		}
	}
	return false
}

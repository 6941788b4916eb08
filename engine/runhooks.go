package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/execute"
	"github.com/kiln-build/kiln/internal/run"
)

// dbt's on-run-start and on-run-end, where kiln runs them (README,
// "Hooks"):
//
//   - on-run-start runs after the schemas are created and before the
//     first node, all its statements in one transaction on the run's
//     first connection, committed before the nodes start (they must see
//     what it creates). A failed run does not undo it. When it fails,
//     nothing is committed of it, no node runs (each is skipped) and the
//     run fails.
//   - on-run-end runs after the last node. When the run commits, it runs
//     inside the commit's transaction (before the run's records): what it
//     does is published with the run, and when it fails the run rolls
//     back instead, whole. When the run failed (and rolls back), it runs
//     after the rollback, in its own transaction, with the results of the
//     failed run, and what it does stays.
//
// Hooks run in dbt's order (compiler.Manifest.OnRunHooks) with execute true.

// errHookInterrupted is a hook's error when the run was interrupted while
// it ran.
var errHookInterrupted = errors.New("interrupted while it ran")

// hookSession is the session hooks run on: the run's first connection.
func (r *runner) hookSession() adapter.Session {
	return adapter.Session{Conn: r.ex.Conn(0), Dialect: r.d, Type: r.p.DatabaseTarget().Type}
}

// runHooks runs the hooks of event, in the caller's transaction when
// there is one; the first failing hook stops them and is returned.
//
// A hook that renders no SQL (a check such as BottleNeck's history_guard,
// or one that only logs) and passes prints nothing at the default level:
// its line goes to the run's log file (level debug), so that a nightly
// log holds what changed. A hook that runs SQL prints dbt's lines
// ("Running 2 on-run-start hooks", "1 of 2 OK hook ..."), and a failing
// hook its error, whole, with the heading before it; but a failing
// on-run-start hook, which refuses the run, says only that: its error is
// printed once, in the summary (Result.StartError).
func (r *runner) runHooks(ctx context.Context, event string, hc *compiler.HookContext) error {
	hooks := r.p.Manifest.OnRunHooks(event)
	if len(hooks) == 0 {
		return nil
	}
	heading := fmt.Sprintf("Running %s", plural(len(hooks), event+" hook"))
	shown, logged := false, false // the heading on the terminal, in the log file only
	say := func(level Level, format string, args ...any) {
		switch {
		case level == Debug && !logged:
			r.p.printf(Debug, "%s", heading)
			logged = true
		case level != Debug && !shown:
			r.p.printf(Info, "%s", heading)
			shown = true
		}
		r.p.printf(level, format, args...)
	}
	s := r.watch(r.hookSession(), nil, event+" hook")
	for i, h := range hooks {
		start := time.Now()
		ran, err := r.p.Manifest.ExecRunHook(ctx, h, s, hc, func(l graph.LogLine) { r.p.log(nil, l) })
		if err != nil && ctx.Err() != nil {
			// Interrupted: the hook's own error is the cancelled
			// context (a run_query or a catalog read), not its fault.
			say(Error, "%d of %d ERROR hook %s: interrupted while it ran", i+1, len(hooks), h.Name())
			return errHookInterrupted
		}
		if err != nil {
			if event == compiler.OnRunStart {
				// The run is refused: its error, often long (BottleNeck's
				// history guard), is printed once, in the summary.
				say(Error, "%d of %d ERROR hook %s in %.2fs: the run is refused (the error is in the summary below)", i+1, len(hooks), h.Name(), time.Since(start).Seconds())
			} else {
				say(Error, "%d of %d ERROR hook %s: %v", i+1, len(hooks), h.Name(), err)
			}
			var he *compiler.HookError
			if errors.As(err, &he) {
				if hint := execute.HookHint(nil, nil, he); hint != "" {
					r.p.printf(Info, "  hint: %s", hint)
				}
			}
			return err
		}
		level := Info
		if !ran {
			level = Debug
		}
		say(level, "%d of %d OK hook %s in %.2fs", i+1, len(hooks), h.Name(), time.Since(start).Seconds())
	}
	return nil
}

// onRunStart runs on-run-start in one transaction.
func (r *runner) onRunStart(ctx context.Context) error {
	if len(r.p.Manifest.OnRunHooks(compiler.OnRunStart)) == 0 {
		return nil
	}
	hc := &compiler.HookContext{Start: true, Selected: r.selected}
	if err := r.ex.Conn(0).Tx(ctx, func() error { return r.runHooks(ctx, compiler.OnRunStart, hc) }); err != nil {
		return err
	}
	// The hooks may have created a relation a node builds over (a table
	// with constraints an incremental model appends to): the nodes must
	// see it, not replace it as if it were missing.
	if err := r.ex.Catalog().Reload(ctx, r.ex.Conn(0)); err != nil {
		return err
	}
	// Or dropped the relation of a node found up to date: it runs. (A
	// relation they created never makes a node up to date: it is not the
	// one the node built.)
	if utd := r.ex.UpToDate(); len(utd) > 0 {
		still := r.decide()
		kept := make(map[graph.ID]bool, len(utd))
		for id := range utd {
			if still[id] {
				kept[id] = true
			}
		}
		r.ex.SetUpToDate(kept)
	}
	return nil
}

// skipAll is the results of a run whose on-run-start failed: every
// planned node skipped.
func (r *runner) skipAll(err error) []run.Result {
	var out []run.Result
	now := time.Now()
	for _, id := range r.plan.IDs() {
		out = append(out, run.Result{ID: id, Status: run.Skipped, Rows: -1, Started: now, Completed: now,
			Message: "skipped: on-run-start failed: " + oneLine(err)})
	}
	return out
}

// hookContext is on-run-end's results, schemas and database_schemas
// (dbt's: the schemas of the relations built without error).
func (r *runner) hookContext(results []run.Result) *compiler.HookContext {
	g := r.p.Graph()
	hc := &compiler.HookContext{Selected: r.selected}
	seen := map[[2]string]bool{}
	for _, x := range results {
		n := g.Node(x.ID)
		if n == nil {
			continue
		}
		hc.Results = append(hc.Results, compiler.HookResult{UniqueID: string(n.ID), Name: n.Name, ResourceType: string(n.Kind),
			Package: n.Package, Database: n.Relation.Database, Schema: n.Relation.Schema, Alias: n.Relation.Name,
			Status: hookStatus(x.Status), Message: x.Message, ExecutionTime: x.Duration().Seconds(),
			Failures: x.Failures, Rows: x.Rows, ThreadID: x.Thread})
		built := x.Status == run.Success || x.Status == run.UpToDate
		if built && !n.Relation.IsZero() && n.Kind != graph.Test && n.Config.Materialized != "ephemeral" {
			k := [2]string{n.Relation.Database, n.Relation.Schema}
			if !seen[k] {
				seen[k] = true
				hc.DatabaseSchemas = append(hc.DatabaseSchemas, k)
			}
		}
	}
	sort.Slice(hc.DatabaseSchemas, func(i, j int) bool {
		a, b := hc.DatabaseSchemas[i], hc.DatabaseSchemas[j]
		return a[0] < b[0] || a[0] == b[0] && a[1] < b[1]
	})
	names := map[string]bool{}
	for _, k := range hc.DatabaseSchemas {
		if !names[k[1]] {
			names[k[1]] = true
			hc.Schemas = append(hc.Schemas, k[1])
		}
	}
	return hc
}

// hookStatus is a result's status as dbt's results give it, and as
// run_results.json writes it: success, error, skipped, pass, fail, warn,
// and no-op (dbt's NodeStatus.NoOp) for a node kiln found up to date.
func hookStatus(s run.Status) string { return string(s) }

// hookFailed is the outcome's text for a failed hook.
func hookFailed(event string, err error) string {
	return fmt.Sprintf("error: %s failed: %s", event, oneLine(err))
}

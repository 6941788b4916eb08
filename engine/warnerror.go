package engine

import (
	"context"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/run"
)

// warnErrorExecutor is dbt's --warn-error at run time: a node whose
// result is warn (a test over its warn_if, a deviation gate) fails, so its
// descendants are skipped and the run exits 1, as dbt's test task makes
// a warning test's status fail under --warn-error.
type warnErrorExecutor struct{ run.Executor }

// Execute runs n with the wrapped executor and turns a warn into a fail.
func (w warnErrorExecutor) Execute(ctx context.Context, worker int, n *graph.Node) run.Result {
	r := w.Executor.Execute(ctx, worker, n)
	if r.Status == run.Warn {
		r.Status = run.Fail
		if r.Message != "" {
			r.Message += " (a failure with --warn-error)"
		} else {
			r.Message = "a warning, a failure with --warn-error"
		}
	}
	return r
}

package engine

import (
	"context"
	"slices"
	"strings"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/run"
)

// warnErrorExecutor is dbt's --warn-error at run time: a node whose
// result is warn (a test over its warn_if, a deviation gate) fails, so its
// descendants are skipped and the run exits 1, as dbt's test task makes
// a warning test's status fail under --warn-error.
type warnErrorExecutor struct{ run.Executor }

// Execute runs n with the wrapped executor and turns a warn into a fail
// (Result.WarnError), whose message, and its gates' first explanation
// line, say that --warn-error failed it (warnErrorText).
func (w warnErrorExecutor) Execute(ctx context.Context, worker int, n *graph.Node) run.Result {
	r := w.Executor.Execute(ctx, worker, n)
	if r.Status == run.Warn {
		r.Status, r.WarnError = run.Fail, true
		r.Message = warnErrorText(r.Message)
		r.Gates = slices.Clone(r.Gates)
		for i, g := range r.Gates {
			if g.Verdict != "pass" && len(g.Explain) > 0 && strings.Contains(g.Explain[0], coldStartWarns) {
				r.Gates[i].Explain = slices.Clone(g.Explain)
				r.Gates[i].Explain[0] = strings.Replace(g.Explain[0], coldStartWarns, coldStartFails, 1)
			}
		}
	}
	return r
}

// coldStartWarns is what a gate in its cold start says of itself
// (anomaly.Result.Summary), coldStartFails what it says under
// --warn-error.
const (
	coldStartWarns = "it warns and does not fail"
	coldStartFails = "it warns, and this warning failed the run because of --warn-error"
)

// warnErrorText is the message of a warning that --warn-error failed:
// msg saying so (run.WarnErrorNote), without the cold start's "it warns
// and does not fail".
func warnErrorText(msg string) string {
	switch {
	case strings.Contains(msg, coldStartWarns):
		return strings.Replace(msg, coldStartWarns, coldStartFails, 1)
	case msg == "":
		return run.WarnErrorNote
	}
	return msg + "; " + run.WarnErrorNote
}

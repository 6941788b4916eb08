package cli

import (
	"fmt"

	"github.com/kiln-build/kiln/engine"
	"github.com/kiln-build/kiln/internal/kestra"
)

// kestraNode writes, with --log-format kestra, a finished node's metrics
// as a Kestra ::{"metrics": [...]}:: line on stdout.
func (a *app) kestraNode(ev engine.NodeFinished) {
	if a.kestraOut != nil {
		fmt.Fprintln(a.kestraOut, kestra.NodeMetrics(ev.Node, ev.Result))
	}
}

// kestraRun writes, with --log-format kestra, the run's counts as a Kestra
// ::{"outputs": {...}}:: line on stdout.
func (a *app) kestraRun(ev engine.RunFinished) {
	if a.kestraOut != nil && ev.Result != nil {
		fmt.Fprintln(a.kestraOut, kestra.RunOutputs(ev.Result.Results, ev.Result.Elapsed))
	}
}

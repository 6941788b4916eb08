package cli

import (
	"fmt"

	"github.com/kiln-build/kiln/engine"
	"github.com/kiln-build/kiln/internal/artifact"
)

// killedSince returns the newest run of the project's run history when it
// is not the run of rr and was killed (SIGKILL, a crash, the machine
// stopping) before it wrote its run_results.json: rr is then an older
// run's, and retrying it would retry what that older run left. It returns
// false when the history cannot be read (no database, a database held by
// a build running now): retry then goes on with rr as before.
func (a *app) killedSince(rr *artifact.RunResults) (engine.RunSummary, bool) {
	p, err := a.loadConfig()
	if err != nil || !p.DatabaseExists() {
		return engine.RunSummary{}, false
	}
	h, err := p.History(a.ctx, 1)
	if err != nil || len(h.Runs) == 0 {
		return engine.RunSummary{}, false
	}
	r := h.Runs[0]
	if r.ID == rr.Metadata.InvocationID {
		return r, false
	}
	switch {
	case r.Status == "killed":
		return r, true
	case r.Status == "running":
		// Still running in the history: killed, unless it is the build
		// that holds the database now (kiln runs' rule).
		return r, !(h.Held && h.CopyByHolder && r.ID == h.Current)
	}
	return r, false
}

// killedMessage says that the last run was killed before it recorded
// results, so retry has nothing of it to run again.
func killedMessage(r engine.RunSummary, rr *artifact.RunResults) string {
	what := "the last run"
	if r.Command != "" && r.Command[0] != '(' {
		what = "the last " + r.Command
	}
	id := r.ID
	if len(id) > 8 {
		id = id[:8]
	}
	return fmt.Sprintf("nothing to retry: %s (run %s, started %s UTC) was killed before it wrote run_results.json, so it recorded no result to retry "+
		"(run_results.json is the earlier %s's, invocation %s); run it again: it first restores what the killed run replaced",
		what, id, r.Started.UTC().Format("2006-01-02 15:04:05"), rr.Command(), rr.Metadata.InvocationID)
}

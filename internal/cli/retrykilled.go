package cli

import (
	"fmt"
	"strings"

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
// results, so retry has nothing of it to run again, and prints the command
// to run it again, with its selection, --vars and flags as recorded.
func killedMessage(r engine.RunSummary, rr *artifact.RunResults) string {
	what, cmd := "the last run", "kiln "+rr.Command()
	if r.Command != "" && r.Command[0] != '(' {
		what, cmd = "the last "+r.Command, "kiln "+r.Command
	}
	selection := r.Selection
	if strings.HasPrefix(selection, "retry of ") {
		// A retry of another run: its command with the same flags.
		what = "the last retry"
		_, selection, _ = strings.Cut(strings.TrimPrefix(selection, "retry of "), " ")
	}
	if again := commandLine(selection); again != "" {
		cmd += " " + again
	}
	return fmt.Sprintf("nothing to retry: %s (run %s, started %s UTC) was killed before it wrote run_results.json, so it recorded no result to retry "+
		"(run_results.json is the earlier %s's, invocation %s); run it again, it first restores what the killed run replaced: %s",
		what, shortID(r.ID), r.Started.UTC().Format("2006-01-02 15:04:05"), rr.Command(), rr.Metadata.InvocationID, cmd)
}

// shortID is the first 8 characters of an invocation id, as kiln runs
// shows it.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// commandLine returns the history's selection of a run (see
// engine.RunOptions: --select, --exclude and --selector words, then
// --vars and its text, then --full-refresh, --accept-deviations and
// --no-rollback) as shell words, the vars' text quoted.
func commandLine(selection string) string {
	var flags []string
	for _, f := range []string{" --no-rollback", " --full-refresh", " --accept-deviations"} {
		if strings.HasSuffix(" "+selection, f) {
			flags = append([]string{strings.TrimSpace(f)}, flags...)
			selection = strings.TrimSpace(strings.TrimSuffix(" "+selection, f))
		}
	}
	sel, vars := selection, ""
	if i := strings.Index(" "+selection, " --vars "); i >= 0 {
		sel, vars = strings.TrimSpace(selection[:max(i-1, 0)]), selection[i+len("--vars "):]
		if i == 0 {
			sel = ""
		}
	}
	var out []string
	if sel != "" {
		out = append(out, sel)
	}
	if vars != "" {
		out = append(out, "--vars '"+strings.ReplaceAll(vars, "'", `'\''`)+"'")
	}
	return strings.Join(append(out, flags...), " ")
}

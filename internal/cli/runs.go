package cli

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kiln-build/kiln/engine"
)

func (a *app) runsCommand() *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List the recent runs recorded in the database's run history",
		Long: `runs lists the last runs of build, run, test and seed, newest first, from
the history kiln keeps in the database (schema kiln_history): when they ran,
their command and selection, their status and their counts. The deviation
gates compare with it: volume_change and metric_change with the last
successful run, the anomaly tests with the accepted months. A run that
failed under --no-rollback, which kept what it built before the failure,
is "error, kept" (or "interrupted, kept").

DuckDB lets no other process open a database while a build writes it, so
each build also keeps a copy of the recent history beside the database
(<database>.runs.json, replaced atomically when a build starts and ends,
its progress rewritten in place as each node finishes): while a
build runs, kiln runs lists that copy, the build in progress as running
with its nodes done so far (NODES done/planned).

Before a build records itself (it opens the database and recovers what
killed runs left first, and may wait for a database another process
holds), kiln runs lists it as starting, or queued while it waits for the
database, from the start record it keeps locked beside the database
(<database>.runs.start.json); a build that dies before it records itself
is not listed.

VARS shows the --vars each run was given, compactly (key=value, sorted
by key, cut at ` + fmt.Sprint(varsWidth) + ` characters with "…"; "-" for none): the
month a monthly pipeline built, say. SELECTION holds them in full, as
typed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The project file names the database: a broken model does
			// not keep its runs from being listed.
			e, err := a.loadConfig()
			if err != nil {
				return err
			}
			var h *engine.History
			if !e.DatabaseExists() {
				r, ok := e.StartingRun()
				if !ok {
					a.ui.Printf("no runs yet: %s does not exist", e.DatabaseName())
					return nil
				}
				// The first run, before it has created the database.
				a.ui.Printf("no runs recorded yet: %s does not exist; the run below is starting", e.DatabaseName())
				h = &engine.History{Runs: []engine.RunSummary{r}}
			} else if h, err = e.History(a.ctx, limit); err != nil {
				if engine.IsLocked(err) {
					return &exitError{ExitCannotStart, err.Error()}
				}
				return &exitError{ExitFailure, err.Error()}
			}
			switch {
			case h.Held && h.NoCopy:
				a.ui.Printf("the database is held by %s and has no copy of its history beside it yet; the run below is from its start record (%s)",
					h.Holder, engine.Rel(e.Dir, h.File))
			case h.Held:
				a.ui.Printf("the database is held by %s; the runs below are the copy of the history kept beside it (%s), as of %s UTC",
					h.Holder, engine.Rel(e.Dir, h.File), h.WrittenAt.UTC().Format("2006-01-02 15:04:05"))
			}
			w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "RUN\tSTARTED (UTC)\tDURATION\tCOMMAND\tSTATUS\tNODES\tERRORS\tWARNINGS\tSKIPPED\tVARS\tSELECTION")
			dead, kept := false, false
			for _, r := range h.Runs {
				status, took, counts := r.Status, fmt.Sprintf("%.1fs", r.Finished.Sub(r.Started).Seconds()),
					fmt.Sprintf("%d\t%d\t%d\t%d", r.Nodes, r.Errors, r.Warnings, r.Skipped)
				switch {
				case r.Status == "starting" || r.Status == "queued":
					// Opening the database and recovering, or waiting
					// for it: no node has run yet.
					took = fmt.Sprintf("%.1fs+", max(0, time.Since(r.Started).Seconds()))
					counts = fmt.Sprintf("0/%d\t0\t0\t0", r.Total)
				case r.Status == "running" && h.Held && r.ID == h.Current && h.CopyByHolder:
					// The build holding the database: its progress so far.
					took = fmt.Sprintf("%.1fs+", h.WrittenAt.Sub(r.Started).Seconds())
					counts = fmt.Sprintf("%d/%d\t%d\t%d\t%d", r.Done, r.Total, r.Errors, r.Warnings, r.Skipped)
				case r.Status == "running":
					// No kiln holds it, so a run still "running" was
					// killed; the next build restores what it replaced.
					status, dead = "killed*", true
					took, counts = "?", "?\t?\t?\t?"
				case r.Status == "killed":
					took, counts = "?", "?\t?\t?\t?"
				case (r.Status == "error" || r.Status == "interrupted") && keptByNoRollback(r.Selection):
					status, kept = r.Status+", kept", true
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID[:min(8, len(r.ID))], r.Started.UTC().Format("2006-01-02 15:04:05"),
					took, r.Command, status, counts, compactVars(r.Vars, varsWidth), r.Selection)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if dead {
				a.ui.Printf("* killed before its end; the next kiln command that takes the database (build, run, test, seed, snapshot, show, run-operation, transaction commit or rollback) restores the relations it replaced")
			}
			if kept {
				a.ui.Printf("kept: the run failed under --no-rollback, which kept the tables and views it built before the failure (no export)")
			}
			return nil
		},
	}
	cmd.Flags().IntVarP(&limit, "limit", "n", 20, "how many runs to list")
	return cmd
}

// keptByNoRollback reports whether a run's selection (RunOptions'
// description: the run's flags last, sorted) holds --no-rollback: a run
// that failed with it kept what it built.
func keptByNoRollback(selection string) bool {
	return selection == "--no-rollback" || strings.HasSuffix(selection, " --no-rollback")
}

// varsWidth is the widest VARS cell of kiln runs, in characters.
const varsWidth = 48

// compactVars shows a run's vars (a JSON object with sorted keys, "" for
// none) as "key=value key=value": strings bare, other values as compact
// JSON, cut at width characters with "…"; "-" for none. Text that is no
// JSON object is shown as it is, cut alike.
func compactVars(js string, width int) string {
	if js == "" {
		return "-"
	}
	out := js
	var vars map[string]json.RawMessage
	if json.Unmarshal([]byte(js), &vars) == nil && vars != nil {
		keys := slices.Sorted(maps.Keys(vars))
		parts := make([]string, len(keys))
		for i, k := range keys {
			v := string(vars[k])
			var s string
			if json.Unmarshal(vars[k], &s) == nil && s != "" && !strings.ContainsAny(s, " \t\n") {
				v = s
			}
			parts[i] = k + "=" + v
		}
		out = strings.Join(parts, " ")
	}
	if r := []rune(out); len(r) > width {
		out = strings.TrimRight(string(r[:width-1]), " ") + "…"
	}
	return out
}

package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func (a *app) runsCommand() *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List the recent runs recorded in the database's run history",
		Long: `runs lists the last runs of build, run, test and seed, newest first, from
the history kiln keeps in the database (schema kiln_history): when they ran,
their command and selection, their status and their counts. Tests such as
volume_change and metric_change compare against the last successful run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := a.load()
			if err != nil {
				return err
			}
			if !e.DatabaseExists() {
				a.ui.Printf("no runs yet: %s does not exist", e.DatabaseName())
				return nil
			}
			db, err := e.OpenDatabase(a.ctx)
			if err != nil {
				return a.startError(err)
			}
			defer db.Close()
			runs, err := db.Runs(a.ctx, limit)
			if err != nil {
				return &exitError{ExitFailure, err.Error()}
			}
			w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "RUN\tSTARTED (UTC)\tDURATION\tCOMMAND\tSTATUS\tNODES\tERRORS\tWARNINGS\tSKIPPED\tSELECTION")
			dead := false
			for _, r := range runs {
				// kiln holds the database, so a run still "running" was
				// killed; the next build restores what it replaced.
				status, took, counts := r.Status, fmt.Sprintf("%.1fs", r.Finished.Sub(r.Started).Seconds()),
					fmt.Sprintf("%d\t%d\t%d\t%d", r.Nodes, r.Errors, r.Warnings, r.Skipped)
				switch r.Status {
				case "running":
					status, dead = "killed*", true
					fallthrough
				case "killed":
					took, counts = "?", "?\t?\t?\t?"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID[:min(8, len(r.ID))], r.Started.UTC().Format("2006-01-02 15:04:05"),
					took, r.Command, status, counts, r.Selection)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if dead {
				a.ui.Printf("* killed before its end; the next build, run, test or seed restores the relations it replaced")
			}
			return nil
		},
	}
	cmd.Flags().IntVarP(&limit, "limit", "n", 20, "how many runs to list")
	return cmd
}

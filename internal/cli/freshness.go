package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/engine"
)

func (a *app) sourceCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "source",
		Short: "Commands on sources: freshness",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(a.freshnessCommand())
	return cmd
}

func (a *app) freshnessCommand() *cobra.Command {
	rf := &runFlags{}
	var output string
	cmd := &cobra.Command{
		Use:   "freshness",
		Short: "Check how recently the sources were loaded, against their warn_after and error_after",
		Long: `freshness checks the sources that declare a freshness (dbt's source
freshness): the newest value of their loaded_at_field (over the rows
matching freshness.filter), the time their loaded_at_query gives, or, for
a file-backed source without either, its file's modification time,
against warn_after and
error_after ({count: N, period: minute|hour|day}). A null newest time (no
rows, or a load time null in every row) counts as loaded infinitely long
ago, as in dbt: ERROR with error_after, WARN with only warn_after. The
results go to
<target>/sources.json (dbt's format; --output PATH elsewhere). Exit code 1
when a source is older than its error_after or its time cannot be read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := a.load()
			if err != nil {
				return err
			}
			sel := rf.selection()
			sel.Kinds = map[graph.Kind]bool{graph.Source: true}
			ids, err := e.Select(sel)
			if err != nil {
				return a.startError(err)
			}
			start := time.Now()
			results, err := e.Freshness(a.ctx, ids)
			if err != nil {
				if engine.IsLocked(err) || errors.Is(err, engine.ErrNoDatabase) {
					return &exitError{ExitCannotStart, err.Error()}
				}
				return &exitError{ExitFailure, err.Error()}
			}
			if len(results) == 0 {
				a.ui.Printf("no selected source has a freshness (freshness: {warn_after: ..., error_after: ...} with loaded_at_field or loaded_at_query)")
			}
			counts := map[string]int{}
			for _, r := range results {
				counts[r.Status]++
				f := r.Node.Source.Freshness
				name := r.Node.Source.SourceName + "." + r.Node.Name
				if r.Err != nil {
					pos := f.Pos
					if f.LoadedAtQuery != "" {
						pos = f.QueryPos // the query failed, or gave no time
					}
					a.ui.Printf("ERROR freshness of %s (%s): %v", name, pos, r.Err)
					continue
				}
				var limits []string
				if f.WarnAfter != nil {
					limits = append(limits, "warn after "+after(f.WarnAfter))
				}
				if f.ErrorAfter != nil {
					limits = append(limits, "error after "+after(f.ErrorAfter))
				}
				if r.Null != "" {
					pos := f.Pos
					if f.LoadedAtQuery != "" {
						pos = f.QueryPos
					}
					a.ui.Printf("%s freshness of %s (%s): no load time, max_loaded_at is null: %s; stale, as dbt counts a source never loaded (%s)",
						strings.ToUpper(r.Status), name, pos, r.Null, strings.Join(limits, ", "))
					continue
				}
				ago := r.Age.Round(time.Second).String() + " ago"
				if r.MaxLoadedAt.After(r.Snapshotted) {
					ago = "in the future" // dbt's negative age
				}
				a.ui.Printf("%s freshness of %s: loaded %s, at %s UTC (%s)", strings.ToUpper(r.Status), name,
					ago, r.MaxLoadedAt.Format("2006-01-02 15:04:05"), strings.Join(limits, ", "))
			}
			path, err := e.WriteSources(output, results, time.Since(start))
			if err != nil {
				return &exitError{ExitFailure, err.Error()}
			}
			a.ui.Printf("Done. PASS=%d WARN=%d ERROR=%d RUNTIME_ERROR=%d; wrote %s", counts["pass"], counts["warn"], counts["error"],
				counts["runtime error"], engine.Rel(e.Dir, path))
			if counts["error"]+counts["runtime error"] > 0 {
				return exit(ExitFailure)
			}
			return nil
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "", "where to write the results (default: <target>/sources.json)")
	return cmd
}

func after(a *graph.FreshnessAfter) string {
	if a.Count == 1 {
		return "1 " + a.Period
	}
	return fmt.Sprintf("%d %ss", a.Count, a.Period)
}

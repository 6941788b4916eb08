package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/engine"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/run"
)

func (a *app) retryCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "retry",
		Short: "Run again the nodes of the last run that errored, failed or were skipped, with that run's options",
		Long: `retry reads the last run's run_results.json and runs again, with the same
command, vars, threads and flags (--full-refresh, --fail-fast,
--store-failures, --warn-error) and into the same profile's target
(--profiles-dir, --profile and --target given to retry win), the nodes
that errored, failed or were skipped. When the last run failed and was rolled back (the default), the
nodes it had built were undone too, so they run again as well; the ones
whose inputs did not change since their last successful build are up to
date and cost nothing. A run killed before it wrote run_results.json
(SIGKILL, a crash) recorded no result: retry says so, with exit code 2,
and the run is to be started again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := a.started // run_started_at's instant (engine.Config.StartedAt)
			dir, err := filepath.Abs(a.projectDir)
			if err != nil {
				return &exitError{ExitCannotStart, err.Error()}
			}
			target := a.targetPath
			if target == "" {
				target = "target"
				if p, _ := a.peekTarget(dir); p != "" {
					target = p
				}
			}
			rr, err := artifact.ReadRunResults(filepath.Join(engine.AbsUnder(dir, target), "run_results.json"))
			if errors.Is(err, os.ErrNotExist) {
				return &exitError{ExitCannotStart, "nothing to retry: there is no run_results.json from an earlier run"}
			}
			if err != nil {
				return &exitError{ExitCannotStart, err.Error()}
			}
			command := rr.Command()
			kinds := engine.CommandKinds(command)
			if kinds == nil {
				return &exitError{ExitCannotStart, fmt.Sprintf("cannot retry a %q run; retry follows build, run, test and seed", command)}
			}
			rf := a.applyArgs(rr.Args)
			if killed, ok := a.killedSince(rr); ok {
				if !strings.HasPrefix(killed.Selection, engine.RetryOfPrefix(rr.Metadata.InvocationID)) {
					return &exitError{ExitCannotStart, killedMessage(killed, rr)}
				}
				// A retry of this very run, killed: the state it changed
				// is restored before this retry runs a node, and
				// run_results.json is still the run's to retry (as dbt
				// retries from it).
				a.ui.Printf("the last retry (run %s) was killed before it wrote run_results.json; what it changed is restored first, then the %s it retried is retried again", shortID(killed.ID), command)
			}
			rolledBack, _ := rr.Args["rolled_back"].(bool)
			var ids []graph.ID
			for _, r := range rr.Results {
				switch r.Status {
				case run.Error, run.Fail, run.Skipped:
					ids = append(ids, r.UniqueID)
				case run.Success, run.Pass, run.Warn:
					if rolledBack {
						ids = append(ids, r.UniqueID)
					}
				}
			}
			if len(ids) == 0 {
				a.ui.Printf("nothing to retry: the last %s succeeded", command)
				return nil
			}
			e, err := a.load()
			if err != nil {
				return err
			}
			var keep []graph.ID
			for _, id := range e.Graph().Sorted(toSet(ids)) {
				if kinds[e.Graph().Node(id).Kind] {
					keep = append(keep, id)
				}
			}
			e.NodeWarnings(keep)
			a.ui.Printf("Retrying %d nodes of the last %s (invocation %s)", len(keep), command, rr.Metadata.InvocationID)
			rf.retryOf = rr.Metadata.InvocationID
			return a.runNodes(e, command, rf, keep, start)
		},
	}
}

func toSet(ids []graph.ID) map[graph.ID]bool {
	s := map[graph.ID]bool{}
	for _, id := range ids {
		s[id] = true
	}
	return s
}

// applyArgs restores the options of an earlier run from its args.
func (a *app) applyArgs(args map[string]any) *runFlags {
	rf := &runFlags{indirect: "eager"}
	if v, ok := args["vars"].(string); ok && a.varsText == "" {
		a.varsText = v
	}
	if v, ok := args["threads"].(float64); ok && a.threads == 0 {
		a.threads = int(v)
	}
	if v, ok := args["fail_fast"].(bool); ok && v {
		a.failFast = true
	}
	// dbt retry builds its flags from the previous invocation's args
	// (dbt/task/retry.py: Flags.from_dict(cli_command, previous_args)).
	if v, ok := args["store_failures"].(bool); ok && v {
		a.storeFailures = true // flags.STORE_FAILURES of the templates
	}
	if v, ok := args["warn_error"].(bool); ok && v {
		a.warnError = true
	}
	if v, ok := args["warn_error_options"].(map[string]any); ok && a.warnErrorOptions == "" && !a.warnError {
		if text, err := json.Marshal(v); err == nil {
			a.warnErrorOptions = string(text) // parsed with the flag's (parseWarnOptions)
		}
	}
	// The profile's output the run built into, unless the retry names
	// one: not DBT_TARGET's nor the profile's default of now.
	for _, f := range []struct {
		key  string
		flag *string
	}{{"profiles_dir", &a.profilesDir}, {"profile", &a.profile}, {"target", &a.target}} {
		if v, ok := args[f.key].(string); ok && v != "" && *f.flag == "" {
			*f.flag = v
		}
	}
	rf.noRollback, _ = args["no_rollback"].(bool)
	rf.fullRefresh, _ = args["full_refresh"].(bool)
	a.fullRefresh = rf.fullRefresh // flags.FULL_REFRESH of the templates
	a.noRollback = rf.noRollback   // flags.NO_ROLLBACK
	return rf
}

// peekTarget returns the target-path of the project in dir.
func (a *app) peekTarget(dir string) (string, error) {
	p, l := project.Load(os.DirFS(dir))
	if l.HasErrors() {
		return "", l.Err()
	}
	return p.Config.TargetPath, nil
}

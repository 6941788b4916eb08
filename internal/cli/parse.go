package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/engine"
)

func (a *app) parseCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "parse",
		Short: "Parse and check the project and write target/manifest.json, without the database",
		Long: `parse reads and compiles the project as dbt parse does: every problem of
its files is reported (exit code 2), and the graph is written to
<target>/manifest.json (with the compiled SQL under <target>/compiled/).
The database is not opened.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := a.load()
			if err != nil {
				return err
			}
			e.NodeWarnings(nil) // dbt parse prints every node's
			a.warnVarsDiffer(e, "parse")
			if err := e.WriteManifest(); err != nil {
				return &exitError{ExitFailure, err.Error()}
			}
			a.ui.Printf("parsed %d nodes; wrote %s", e.Graph().Len(), engine.Rel(e.Dir, e.Target)+"/manifest.json")
			return nil
		},
	}
}

func (a *app) runOperationCommand() *cobra.Command {
	var args string
	cmd := &cobra.Command{
		Use:   "run-operation MACRO",
		Short: "Run a macro against the database, as dbt's run-operation",
		Long: `run-operation calls a macro of the project, of an installed package
(package.macro names one) or of kiln's built-ins, with --args as its keyword
arguments (a YAML or JSON mapping), as dbt does: the macro renders with
execute true, and the statements it runs (run_query, statement, the adapter's
methods) run in one transaction, committed when it ends without error and
rolled back otherwise. var() reads the vars of the macro's package. Its
log() and print() messages go to stderr; what it returns (or renders), when
not blank, to stdout. Exit code 0 on success, 1 when the macro fails.`,
		Example: `  kiln run-operation grant_select --args '{role: reporter}'
  kiln run-operation dbt_utils.log_info --args '{message: hello}'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, pos []string) error {
			kwargs := map[string]any{}
			if strings.TrimSpace(args) != "" {
				var m map[string]any
				if err := yaml.Unmarshal([]byte(args), &m); err != nil || m == nil {
					return &exitError{ExitCannotStart, "--args is not a YAML or JSON mapping; write --args '{role: reporter}'"}
				}
				kwargs = m
			}
			e, err := a.load()
			if err != nil {
				return err
			}
			out, err := e.Operation(a.ctx, pos[0], kwargs)
			if err != nil {
				if engine.IsLocked(err) || errors.Is(err, engine.ErrInterrupted) {
					return a.startError(err)
				}
				return &exitError{ExitFailure, err.Error()}
			}
			if s := strings.TrimSpace(out); s != "" {
				fmt.Fprintln(a.stdout, s)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&args, "args", "", "the macro's keyword arguments, a YAML or JSON mapping")
	return cmd
}

package cli

import (
	"github.com/spf13/cobra"

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
		Short: "dbt's run-operation: not supported yet",
		Long: `run-operation would call a macro with --args against the database, as dbt
does. kiln does not support it yet: it renders templates that query the
database only inside a model's run. Put the statement in a model, or run it
with the DuckDB CLI.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, pos []string) error {
			return &exitError{ExitCannotStart, "kiln run-operation " + pos[0] + " is not supported yet: kiln runs macros that query the database only inside a model's run; put the statement in a model, or run it with the DuckDB CLI"}
		},
	}
	cmd.Flags().StringVar(&args, "args", "", "the macro's arguments as YAML (not supported yet)")
	return cmd
}

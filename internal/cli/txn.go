package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) transactionCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "transaction",
		Short: "Commit or roll back a flow transaction (the runs of one orchestrated flow)",
		Long: `An orchestrator runs a project as many kiln build tasks (kiln export kestra).
Each task passes --transaction ID (the flow execution's id): what it builds
stays pending, so the flow as a whole is all or nothing. The flow's last
task runs "kiln transaction commit ID", which publishes the tables and the
exports; its errors branch runs "kiln transaction rollback ID", which
restores every table and export as it was before the flow. While a flow
transaction is open, runs outside it are refused.`,
	}
	for _, action := range []string{"commit", "rollback", "status"} {
		action := action
		sub := &cobra.Command{
			Use:   action + " ID",
			Short: map[string]string{"commit": "Publish what the flow's runs built", "rollback": "Undo what the flow's runs built", "status": "Say whether a flow transaction is open, committed or rolled back"}[action],
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				e, err := a.load()
				if err != nil {
					return err
				}
				db, err := e.OpenDatabase(a.ctx)
				if err != nil {
					return a.startError(err)
				}
				defer db.Close()
				id := args[0]
				switch action {
				case "commit":
					out, err := db.CommitTransaction(a.ctx, id)
					if err != nil {
						return &exitError{ExitFailure, err.Error()}
					}
					if out.Already {
						a.ui.Printf("flow transaction %s was committed already: its tables and exports are published", id)
					} else {
						a.ui.Printf("flow transaction %s committed: %d relations and %d exports published", id, out.Relations, out.Files)
					}
				case "rollback":
					out, err := db.RollbackTransaction(a.ctx, id)
					if err != nil {
						return &exitError{ExitFailure, err.Error()}
					}
					if out.Already {
						a.ui.Printf("flow transaction %s was rolled back already: the tables and exports are as they were before it", id)
					} else {
						a.ui.Printf("flow transaction %s rolled back: %d relations restored; the exports are as they were", id, out.Relations)
					}
				default:
					st, err := db.TransactionStatus(a.ctx, id)
					if err != nil {
						return &exitError{ExitFailure, err.Error()}
					}
					if st == "" {
						st = "unknown"
					}
					fmt.Fprintln(a.stdout, st)
				}
				return nil
			},
		}
		cmd.AddCommand(sub)
	}
	return cmd
}

package cli

import (
	"fmt"

	"github.com/kiln-build/kiln/engine"

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
transaction is open, runs outside it are refused.

An execution the orchestrator ends without its errors branch (killed,
failed by its SLA, a worker lost) leaves its transaction open. The flow's
first task runs "kiln transaction rollback --stale FLOW/EXECUTION", which
rolls back a transaction left open by an earlier execution of the same
flow (FLOW/... ids; the flow runs one execution at a time); its errors
branch runs "kiln transaction rollback --if-open ID", which does nothing
when the execution opened no transaction.`,
	}
	for _, action := range []string{"commit", "rollback", "status"} {
		action := action
		var stale, ifOpen bool
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
					if stale {
						return a.rollbackStale(db, id)
					}
					if ifOpen {
						if st, err := db.TransactionStatus(a.ctx, id); err != nil {
							return &exitError{ExitFailure, err.Error()}
						} else if st == "" {
							a.ui.Printf("flow transaction %s was never opened (its execution built nothing): there is nothing to roll back", id)
							return nil
						}
					}
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
		if action == "rollback" {
			sub.Flags().BoolVar(&stale, "stale", false, "roll back the flow transaction an earlier execution of the same flow left open (ID is FLOW/EXECUTION, this execution's); nothing when none is open; refused when the open one is of another flow")
			sub.Flags().BoolVar(&ifOpen, "if-open", false, "do nothing (exit 0) when ID was never opened, as in a flow's errors branch when the execution failed before its first build")
			sub.MarkFlagsMutuallyExclusive("stale", "if-open")
		}
		cmd.AddCommand(sub)
	}
	return cmd
}

// rollbackStale is kiln transaction rollback --stale ID: it rolls back the
// transaction an earlier execution of ID's flow left open, and says which
// (or that none was open).
func (a *app) rollbackStale(db *engine.Database, id string) error {
	stale, out, err := db.RollbackStaleTransaction(a.ctx, id)
	if err != nil {
		return &exitError{ExitFailure, err.Error()}
	}
	if stale == "" {
		a.ui.Printf("no flow transaction of an earlier execution is open: nothing to roll back")
		return nil
	}
	a.ui.Printf("flow transaction %s, left open by an earlier execution of %s that ended without its errors branch (killed, or failed by its SLA), rolled back: %d relations restored; the exports are as they were", stale, engine.FlowOf(id), out.Relations)
	return nil
}

package cli

import (
	"fmt"
	"strings"

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
exports; it is refused, publishing nothing, while a build of the
transaction failed or was refused and was not run again with success
since (same command and selection). Its errors branch runs "kiln transaction rollback ID", which
restores every table and export as it was before the flow. While a flow
transaction is open, runs outside it are refused.

An execution the orchestrator ends without its errors branch (killed,
failed by its SLA, a worker lost) leaves its transaction open. The flow's
first task runs "kiln transaction rollback --stale FLOW/EXECUTION", which
rolls back a transaction left open by an earlier execution of the same
flow (FLOW/... ids; the flow runs one execution at a time); its errors
branch runs "kiln transaction rollback --if-open ID", which does nothing
when the execution opened no transaction.

"kiln transaction status ID" prints open, committed, rolled_back or
unknown. Without an ID (lost), it lists the open flow transactions: each
id, when it started, its runs, and the relations and exports pending its
commit.`,
	}
	for _, action := range []string{"commit", "rollback", "status"} {
		action := action
		var stale, ifOpen bool
		use, nargs := action+" ID", cobra.ExactArgs(1)
		if action == "status" {
			use, nargs = "status [ID]", cobra.MaximumNArgs(1)
		}
		sub := &cobra.Command{
			Use:   use,
			Short: map[string]string{"commit": "Publish what the flow's runs built", "rollback": "Undo what the flow's runs built", "status": "Say whether a flow transaction is open, committed or rolled back; without ID, list the open ones"}[action],
			Args:  nargs,
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
				if len(args) == 0 {
					return a.listOpenTransactions(db)
				}
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

// listOpenTransactions is kiln transaction status without an ID: on
// stdout, each open flow transaction (id, when it started, its runs, the
// relations and exports pending its commit) and how to end it, or that
// none is open.
func (a *app) listOpenTransactions(db *engine.Database) error {
	open, err := db.OpenTransactions(a.ctx)
	if err != nil {
		return &exitError{ExitFailure, err.Error()}
	}
	if len(open) == 0 {
		fmt.Fprintln(a.stdout, "no flow transaction is open")
		return nil
	}
	const stamp = "2006-01-02 15:04:05 UTC"
	for _, t := range open {
		started := "unknown (no run of it in the history)"
		if !t.Started.IsZero() {
			started = t.Started.UTC().Format(stamp)
		}
		fmt.Fprintf(a.stdout, "%s  open, started %s\n", t.ID, started)
		fmt.Fprintf(a.stdout, "  %s:\n", plural(len(t.Runs), "run", "runs"))
		for _, r := range t.Runs {
			what := strings.TrimSpace(r.Command + " " + r.Selection)
			fmt.Fprintf(a.stdout, "    %s  %s  %s  (%s, %s)\n", shortID(r.ID), r.Started.UTC().Format(stamp), what, r.Status, plural(r.Nodes, "node", "nodes"))
		}
		var rels []string
		for _, r := range t.Relations {
			rels = append(rels, r.Display())
		}
		fmt.Fprintf(a.stdout, "  %s pending its commit: %s\n", plural(len(rels), "relation", "relations"), orNone(rels))
		fmt.Fprintf(a.stdout, "  %s pending its commit: %s\n", plural(len(t.Exports), "export", "exports"), orNone(t.Exports))
		fmt.Fprintf(a.stdout, "  kiln transaction commit %s publishes them; kiln transaction rollback %s undoes them\n", t.ID, t.ID)
	}
	return nil
}

// orNone joins items with ", ", or is "none".
func orNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}

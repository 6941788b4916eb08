package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// TxnFailedError refuses kiln transaction commit of a flow transaction
// one of whose builds failed, was refused or was cut short, and was not
// run again with success since: the commit would publish part of the flow
// (the README sells a flow as all or nothing). Failed are the runs, in
// the order they started: "<command> <selection> (run <id8>, <status>)".
type TxnFailedError struct {
	ID     string
	Failed []string
}

func (e *TxnFailedError) Error() string {
	return fmt.Sprintf("flow transaction %s has %s that did not succeed: %s. Nothing was published: roll it back (kiln transaction rollback %s: every table and export as before the flow), or run the failed builds again with --transaction %s until they succeed, then commit",
		e.ID, plural(len(e.Failed), "build"), strings.Join(e.Failed, "; "), e.ID, e.ID)
}

// txnFailedRuns returns the runs of flow transaction id whose last
// attempt did not succeed: for each command and selection (a task of the
// flow; a task's retry has the same), the latest run, when its status is
// not success; a `kiln retry` of a run stands for that run.
func txnFailedRuns(ctx context.Context, st adapter.Store, id string) ([]string, error) {
	// While a flow transaction is open, runs outside it are refused: its
	// runs are the latest ones.
	recent, err := st.RecentRuns(ctx, 1000)
	if err != nil {
		return nil, err
	}
	var rows []adapter.RunRecord
	for i := len(recent) - 1; i >= 0; i-- { // oldest first
		if recent[i].Txn == id {
			rows = append(rows, recent[i])
		}
	}
	type run struct{ id, command, selection, status string }
	last := map[string]run{}
	var order []string
	for _, r := range rows {
		x := run{r.ID, r.Command, r.Selection, r.Status}
		if x.status == "running" {
			continue // this commit's recovery marked killed runs already
		}
		key := x.command + "\x00" + x.selection
		if rest, ok := strings.CutPrefix(x.selection, "retry of "); ok && len(rest) >= 8 {
			// kiln retry of run P: the run it retries is settled by it.
			for k, p := range last {
				if strings.HasPrefix(p.id, rest[:8]) {
					key = k
				}
			}
		}
		if _, ok := last[key]; !ok {
			order = append(order, key)
		}
		last[key] = x
	}
	var out []string
	for _, k := range order {
		x := last[k]
		if x.status == "success" {
			continue
		}
		what := x.command
		if x.selection != "" {
			what += " " + x.selection
		}
		short := x.id
		if len(short) > 8 {
			short = short[:8]
		}
		out = append(out, fmt.Sprintf("%s (run %s, %s)", what, short, x.status))
	}
	return out, nil
}

// recordRefusedInTxn records a run of flow transaction o.Transaction that
// was refused before it started (status refused), so that kiln
// transaction commit sees it; errors are left (the run fails anyway).
func recordRefusedInTxn(ctx context.Context, s adapter.Store, id string, o RunOptions, selection, vars string, start time.Time) {
	if o.Transaction == "" {
		return
	}
	_ = s.FinishRun(ctx, adapter.RunRecord{ID: id, Command: o.Command, Selection: selection, Started: start,
		Finished: time.Now().UTC(), Status: "refused", Txn: o.Transaction, Vars: vars}, nil)
}

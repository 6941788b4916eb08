package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kiln-build/kiln/engine"
)

// runFlags are the node selection flags, shared by the commands that
// select nodes, and the flags of the commands that run them.
type runFlags struct {
	// retryOf is the invocation kiln retry retries ("" for other commands).
	retryOf       string
	selects       []string
	models        []string // -m/--models, dbt's older name of --select
	excludes      []string
	selectorName  string
	resourceTypes []string
	// excludeTypes is --exclude-resource-type.
	excludeTypes []string
	indirect     string
	state        string
	noRollback   bool
	fullRefresh  bool
	eventStart   string
	eventEnd     string
	eventTimes   [2]time.Time
	junitXML     string
	retries      int
	acceptDev    bool
	transaction  string
	deferTo      bool
	deferState   string
	favorState   bool
}

func (rf *runFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVarP(&rf.selects, "select", "s", nil, "nodes to include, in dbt's selection syntax: several after one flag (-s a b), the flag repeated, or a quoted space-separated list (default: all)")
	f.StringArrayVarP(&rf.models, "models", "m", nil, "the same as --select (dbt's older name)")
	f.StringArrayVar(&rf.excludes, "exclude", nil, "nodes to leave out, in dbt's selection syntax")
	f.StringVar(&rf.selectorName, "selector", "", "a named selector of selectors.yml")
	f.StringSliceVar(&rf.resourceTypes, "resource-type", nil, "only these resource types: model, snapshot, source, seed, test, unit_test, export, exposure; all or default: every type the command runs")
	f.StringSliceVar(&rf.excludeTypes, "exclude-resource-type", nil, "leave out these resource types (after --resource-type), as dbt 1.8: --exclude-resource-type unit_test")
	f.StringVar(&rf.indirect, "indirect-selection", "eager", "how tests of selected nodes are added: eager, cautious, buildable or empty")
	f.StringVar(&rf.state, "state", "", "folder holding the manifest.json (and run_results.json) of a previous run, for state: and result: selectors")
}

// addExec adds the flags of the commands that run nodes.
func (rf *runFlags) addExec(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&rf.noRollback, "no-rollback", false, "when the run fails, keep the relations built before the failure (dbt's behaviour) instead of restoring the previous ones")
	cmd.Flags().StringVar(&rf.eventStart, "event-time-start", "", "microbatch models build the batches from this time (a date, or a date and time, UTC unless it has an offset)")
	cmd.Flags().StringVar(&rf.eventEnd, "event-time-end", "", "microbatch models build the batches before this time (exclusive)")
	cmd.Flags().BoolVar(&rf.fullRefresh, "full-refresh", false, "run every selected node, even those that are up to date, and rebuild incremental models whole")
	cmd.Flags().IntVar(&rf.retries, "retries", 0, retriesHelp())
	cmd.Flags().StringVar(&rf.transaction, "transaction", "", "run inside flow transaction ID (one per orchestrated flow): what this run builds is published, or undone, by kiln transaction commit|rollback ID")
	cmd.Flags().BoolVar(&rf.acceptDev, "accept-deviations", false, "let the deviation gates (volume_change, metric_change, the anomaly tests) pass with a warning, so this run's values become their baseline or join their history (after a real change of level); an input file with the content of another month's (input_freshness) still fails")
	cmd.Flags().StringVar(&rf.junitXML, "junit-xml", "", "also write a JUnit XML report of the run to PATH (one test case per node), for CI test reporters")
	cmd.Flags().BoolVar(&rf.deferTo, "defer", false, "read the parents that are not selected and not built in this target from the relations of the run in --state (its DuckDB file, attached read-only; on PostgreSQL, its relations on the same server)")
	cmd.Flags().StringVar(&rf.deferState, "defer-state", "", "the run to defer to, when it is not the one of --state (dbt's --defer-state)")
	cmd.Flags().BoolVar(&rf.favorState, "favor-state", false, "with --defer, read every parent that is not selected from the state when it has it, even when this target has built it")
}

// addStoreFailures adds dbt's --store-failures (build and test) to cmd.
func (a *app) addStoreFailures(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&a.storeFailures, "store-failures", false, "every data test of the run keeps its failing rows in a table, as the store_failures config (a test's own store_failures or store_failures_as wins)")
}

// deferOptions returns the engine's DeferOptions of --defer, or nil when
// it is not set; --favor-state or --defer-state without it is an error.
func (rf *runFlags) deferOptions() (*engine.DeferOptions, error) {
	if !rf.deferTo {
		if rf.favorState || rf.deferState != "" {
			return nil, &exitError{ExitCannotStart, "--favor-state and --defer-state apply only with --defer"}
		}
		return nil, nil
	}
	dir := rf.deferState
	if dir == "" {
		dir = rf.state
	}
	return &engine.DeferOptions{StateDir: dir, FavorState: rf.favorState}, nil
}

// selected returns --select and -m/--models, which dbt takes as one.
func (rf *runFlags) selected() []string {
	if len(rf.models) == 0 {
		return rf.selects
	}
	return append(append([]string(nil), rf.selects...), rf.models...)
}

// selection turns the selection flags into the engine's Selection.
func (rf *runFlags) selection() engine.Selection {
	return engine.Selection{Select: rf.selected(), Exclude: rf.excludes, Selector: rf.selectorName,
		ResourceTypes: rf.resourceTypes, ExcludeResourceTypes: rf.excludeTypes, Indirect: rf.indirect, StateDir: rf.state}
}

// options turns the run flags (and the global ones) into the engine's
// RunOptions.
func (rf *runFlags) options(command string, a *app, start time.Time) engine.RunOptions {
	return engine.RunOptions{Command: command, Selection: rf.selection(), Threads: a.threads, FailFast: a.failFast,
		FullRefresh: rf.fullRefresh, NoRollback: rf.noRollback, AcceptDeviations: rf.acceptDev, Retries: rf.retries,
		Transaction: rf.transaction, Start: start, EventTimeStart: rf.eventTimes[0], EventTimeEnd: rf.eventTimes[1],
		RetryOf: rf.retryOf}
}

// parseEventTimes reads --event-time-start and --event-time-end: a date
// or a date and time (RFC 3339, or with a space), UTC without an offset.
func (rf *runFlags) parseEventTimes() error {
	for i, v := range []string{rf.eventStart, rf.eventEnd} {
		if v == "" {
			continue
		}
		var t time.Time
		var err error
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
			if t, err = time.ParseInLocation(layout, v, time.UTC); err == nil {
				break
			}
		}
		if err != nil {
			flag := []string{"--event-time-start", "--event-time-end"}[i]
			return &exitError{ExitCannotStart, fmt.Sprintf("%s %q is not a date or a date and time such as 2024-03-01 or 2024-03-01T06:00:00Z", flag, v)}
		}
		rf.eventTimes[i] = t
	}
	if !rf.eventTimes[0].IsZero() && !rf.eventTimes[1].IsZero() && !rf.eventTimes[0].Before(rf.eventTimes[1]) {
		return &exitError{ExitCannotStart, "--event-time-start must be before --event-time-end"}
	}
	return nil
}

// spreadSelections gives the selection flags dbt's form of several
// values after one flag (`--select a b c`, argparse's nargs='+'): each
// argument that follows -s/--select, -m/--models or --exclude and is not
// a flag becomes a value of that flag, as if the flag were repeated.
// Every command that selects nodes takes no positional argument, so
// nothing else could have meant them. Arguments after "--" are left as
// they are.
func spreadSelections(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		out = append(out, a)
		if a == "--" {
			return append(out, args[i+1:]...)
		}
		switch a {
		case "-s", "--select", "-m", "--models", "--exclude":
		default:
			continue
		}
		if i+1 >= len(args) {
			continue
		}
		i++
		out = append(out, args[i])
		for i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			i++
			out = append(out, a, args[i])
		}
	}
	return out
}

// retriesHelp is --retries' help: the waits of engine.LockWait, so that
// the help says what the code does (README's "One writer" says the same).
func retriesHelp() string {
	secs := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s" }
	return fmt.Sprintf("try a node again up to N times after a transient error (I/O, a lock or a transaction conflict), waiting 0.5s, 1s, 2s, 4s, 8s, then 10s before each try; "+
		"a database another process holds is waited for %s, then tried again N times with the same waits: at most %s in all with --retries 3, %s with 5, %s with 10, 10s more a retry beyond",
		secs(engine.LockWait(0)), secs(engine.LockWait(3)), secs(engine.LockWait(5)), secs(engine.LockWait(10)))
}

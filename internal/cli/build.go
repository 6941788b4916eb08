package cli

import (
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/engine"
)

func (a *app) buildCommand() *cobra.Command {
	rf := &runFlags{}
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Load sources and seeds, build models, run tests and write exports, in DAG order",
		Long: `build runs every selected node in dependency order: file-backed sources
and seeds are loaded, models are materialized, each model's tests run right
after it, and exports are written once their models and tests passed. A node
that errors or fails turns its descendants into skipped nodes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.execute("build", rf) },
	}
	rf.add(cmd)
	rf.addExec(cmd)
	a.addStoreFailures(cmd)
	return cmd
}

func (a *app) runCommand() *cobra.Command {
	rf := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Load file-backed sources and build models (no tests, no exports)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.execute("run", rf) },
	}
	rf.add(cmd)
	rf.addExec(cmd)
	return cmd
}

func (a *app) testCommand() *cobra.Command {
	rf := &runFlags{}
	cmd := &cobra.Command{
		Use:   "test",
		Short: "Run data tests against the built relations",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.execute("test", rf) },
	}
	rf.add(cmd)
	rf.addExec(cmd)
	a.addStoreFailures(cmd)
	return cmd
}

func (a *app) seedCommand() *cobra.Command {
	rf := &runFlags{}
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Load the CSV files of the seed paths into tables",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.execute("seed", rf) },
	}
	rf.add(cmd)
	rf.addExec(cmd)
	return cmd
}

func (a *app) snapshotCommand() *cobra.Command {
	rf := &runFlags{}
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Run the snapshots: record the changes of their sources as type 2 history",
		Long: `snapshot runs every selected snapshot (and the file-backed sources they
read): the first run creates its table, later ones close the versions that
changed, or whose key left the source (hard_deletes), and insert the new
ones, all at the run's one clock. build runs snapshots too, in graph order.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.execute("snapshot", rf) },
	}
	rf.add(cmd)
	rf.addExec(cmd)
	return cmd
}

// execute is the body of build, run, test, seed and snapshot.
func (a *app) execute(command string, rf *runFlags) error {
	start := a.started // run_started_at's instant (engine.Config.StartedAt)
	if err := rf.parseEventTimes(); err != nil {
		return err
	}
	a.fullRefresh = rf.fullRefresh // flags.FULL_REFRESH of the templates
	a.noRollback = rf.noRollback   // flags.NO_ROLLBACK
	p, err := a.load()
	if err != nil {
		return err
	}
	sel := rf.selection()
	sel.Kinds = engine.CommandKinds(command)
	ids, err := p.Select(sel)
	if err != nil {
		return a.startError(err)
	}
	if err := a.deferRefs(p, rf, ids); err != nil {
		return err
	}
	return a.runNodes(p, command, rf, ids, start)
}

// deferRefs applies --defer to the selected nodes' refs (dbt's defer).
func (a *app) deferRefs(p *engine.Project, rf *runFlags, ids []graph.ID) error {
	o, err := rf.deferOptions()
	if err != nil || o == nil {
		return err
	}
	if _, err := p.Defer(a.ctx, ids, *o); err != nil {
		return a.startError(err)
	}
	return nil
}

// runNodes runs the selected nodes with the engine and maps the outcome
// to an exit code.
func (a *app) runNodes(p *engine.Project, command string, rf *runFlags, ids []graph.ID, start time.Time) error {
	a.junitXML = rf.junitXML
	res, err := p.Run(a.ctx, p.Plan(ids), rf.options(command, a, start))
	a.closeRunLog()
	if errors.Is(err, engine.ErrInterrupted) {
		return &exitError{ExitInterrupted, err.Error()}
	}
	if err != nil {
		return a.startError(err)
	}
	if code := exitCode(res); code != ExitOK {
		return exit(code)
	}
	return nil
}

// exitCode maps a run's result to kiln's exit codes: a run refused
// because input files cannot be read could not start (2).
func exitCode(res *engine.Result) int {
	switch {
	case res.Interrupted:
		return ExitInterrupted
	case res.Refused:
		return ExitCannotStart
	case res.Failed:
		return ExitFailure
	}
	return ExitOK
}

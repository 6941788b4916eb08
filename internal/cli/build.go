package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/duck"
	"github.com/kiln-build/kiln/internal/execute"
	"github.com/kiln-build/kiln/internal/export"
	"github.com/kiln-build/kiln/internal/history"
	"github.com/kiln-build/kiln/internal/load"
	"github.com/kiln-build/kiln/internal/run"
	"github.com/kiln-build/kiln/internal/state"
	"github.com/kiln-build/kiln/internal/ui"
)

var (
	buildKinds = map[graph.Kind]bool{graph.Source: true, graph.Seed: true, graph.Model: true, graph.Test: true, graph.UnitTest: true, graph.Export: true}
	runKinds   = map[graph.Kind]bool{graph.Source: true, graph.Model: true}
	testKinds  = map[graph.Kind]bool{graph.Test: true, graph.UnitTest: true}
	seedKinds  = map[graph.Kind]bool{graph.Seed: true}
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
		RunE: func(cmd *cobra.Command, _ []string) error { return a.execute("build", buildKinds, rf) },
	}
	rf.add(cmd)
	rf.addExec(cmd)
	return cmd
}

func (a *app) runCommand() *cobra.Command {
	rf := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Load file-backed sources and build models (no tests, no exports)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.execute("run", runKinds, rf) },
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
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.execute("test", testKinds, rf) },
	}
	rf.add(cmd)
	rf.addExec(cmd)
	return cmd
}

func (a *app) seedCommand() *cobra.Command {
	rf := &runFlags{}
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Load the CSV files of the seed paths into tables",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.execute("seed", seedKinds, rf) },
	}
	rf.add(cmd)
	rf.addExec(cmd)
	return cmd
}

// execute is the body of build, run, test and seed.
func (a *app) execute(command string, kinds map[graph.Kind]bool, rf *runFlags) error {
	start := time.Now()
	e, err := a.load()
	if err != nil {
		return err
	}
	ids, err := a.selectNodes(e, rf, kinds)
	if err != nil {
		return err
	}
	return a.runNodes(e, command, rf, ids, start)
}

// runNodes runs the selected nodes: it writes the manifest, checks the
// inputs, opens the database, runs the plan atomically, and reports.
func (a *app) runNodes(e *env, command string, rf *runFlags, ids []graph.ID, start time.Time) error {
	rf.vars = a.varsText
	plan := run.NewPlan(e.manifest.Graph, ids)
	if len(plan.IDs()) == 0 {
		a.ui.Printf("nothing to %s: the selection matches no node that runs", command)
		return nil
	}
	// The database first: a run that cannot have it changes nothing, not
	// even the artifacts of the run that holds it.
	db, err := a.openDB(e, rf.retries)
	if err != nil {
		return err
	}
	defer db.Close()
	a.loadHashes(e, db)
	waitCompiled, err := a.startArtifacts(e)
	if err != nil {
		return &exitError{ExitCannotStart, err.Error()}
	}
	defer func() {
		if err := waitCompiled(); err != nil {
			a.ui.Printf("warning: could not write the compiled SQL under %s: %v", rel(e.dir, e.target), err)
		}
	}()
	threads := a.threadCount(e)
	journal := execute.NewJournal(a.invocationID(), rf.transaction)
	ex, err := execute.New(a.ctx, db, e.manifest.Graph, threads, execute.Options{
		ProjectDir: e.dir, TargetDir: e.target, ProjectName: e.project.Config.Name, Journal: journal,
		AcceptDeviations: rf.acceptDev})
	if err != nil {
		return &exitError{ExitCannotStart, err.Error()}
	}
	defer ex.Close()
	if err := a.recover(e, ex); err != nil {
		return err
	}
	if err := a.joinTxn(ex, rf.transaction); err != nil {
		return err
	}
	if err := history.Start(a.ctx, ex.Conn(0), history.Run{ID: a.invocationID(), Command: command, Selection: rf.describe(),
		Started: start, Txn: rf.transaction}); err != nil {
		return &exitError{ExitCannotStart, err.Error()}
	}
	g := e.manifest.Graph
	jl, closeLog := a.eventLog(e)
	defer closeLog()
	jl.RunStarted(ui.RunStart{Command: command, Select: rf.selects, Exclude: rf.excludes, Nodes: len(plan.IDs()),
		Threads: threads, InvocationID: a.invocationID(), Target: rel(e.dir, e.target)})
	if problems := a.checkInputs(e, plan); len(problems) > 0 {
		results := a.refuseRun(e, plan, problems)
		for i, r := range results {
			jl.NodeFinished(r, g.Node(r.ID), i+1, len(results))
		}
		elapsed := time.Since(start)
		a.writeResults(e, command, rf, results, elapsed)
		a.writeJUnit(e, command, rf, results, elapsed)
		a.recordHistory(ex, command, rf, start, results)
		a.ui.Summary(g, results, elapsed)
		a.ui.Printf("")
		a.ui.Printf("nothing was built: fix the inputs above and run again; the previous tables and exports are unchanged")
		jl.RunFinished(results, elapsed, ExitFailure, false)
		return exit(ExitFailure)
	}
	fingerprints, err := a.upToDate(e, ex, plan, rf)
	if err != nil {
		return &exitError{ExitCannotStart, err.Error()}
	}
	if err := ex.CreateSchemas(a.ctx, plan.IDs()); err != nil {
		return &exitError{ExitCannotStart, err.Error()}
	}
	a.ui.Printf("Running %d nodes with %d thread(s) on %s%s", len(plan.IDs()), threads, rel(e.dir, e.dbPath), a.inputsNote(e, plan))
	results := run.Run(a.ctx, plan, ex, run.Options{
		Threads:   threads,
		FailFast:  a.failFast,
		Retries:   rf.retries,
		RetriesOf: nodeRetries,
		OnRetry: func(n *graph.Node, attempt int, r run.Result, wait time.Duration) {
			a.ui.Printf("RETRY %s %s: attempt %d failed (%s); trying again in %s", n.Kind, n.DisplayName(), attempt, r.Message, wait)
		},
		OnStart: func(n *graph.Node, w int) { jl.NodeStarted(n, w) },
		OnResult: func(r run.Result, done, total int) {
			jl.NodeFinished(r, g.Node(r.ID), done, total)
			a.ui.Result(r, g.Node(r.ID), done, total)
		},
	})
	failed := history.Status(results, a.ctx.Err() != nil) != "success"
	outcome := a.finishJournal(ex, journal, failed, rf.noRollback)
	rf.rolledBack = failed && !rf.noRollback
	if rf.rolledBack {
		for i, r := range results {
			if r.Status == run.Success {
				results[i].Message = "rolled back: the run failed, its previous version was restored"
			}
		}
	}
	if !failed || rf.noRollback {
		a.saveState(e, ex, rf.transaction, results, fingerprints)
	}
	elapsed := time.Since(start)
	a.carryOver(e, results)
	a.writeResults(e, command, rf, results, elapsed)
	a.writeJUnit(e, command, rf, results, elapsed)
	a.recordHistory(ex, command, rf, start, results)
	a.saveHashes(e, ex)
	a.ui.Summary(g, results, elapsed)
	if outcome != "" {
		a.ui.Printf("")
		a.ui.Printf("%s", outcome)
	}
	if deviated(g, results) && !rf.acceptDev {
		a.ui.Printf("")
		a.ui.Printf("a volume or metric deviated from the last successful run: check the inputs; if the change is real (a new level of activity), build again with --accept-deviations to make it the new baseline")
	}
	code := ExitOK
	switch {
	case a.ctx.Err() != nil:
		code = ExitInterrupted
	case failed:
		code = ExitFailure
	}
	jl.RunFinished(results, elapsed, code, a.ctx.Err() != nil)
	if code != ExitOK {
		return exit(code)
	}
	return nil
}

// eventLog returns the JSON event log of the run: always appended to
// <target>/kiln.log, and also on stderr with --log-format json.
func (a *app) eventLog(e *env) (*ui.JSONLog, func()) {
	var w io.Writer = io.Discard
	var f *os.File
	if err := os.MkdirAll(e.target, 0o755); err == nil {
		if f, err = os.OpenFile(filepath.Join(e.target, "kiln.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err == nil {
			w = f
		} else {
			a.ui.Printf("warning: cannot write %s: %v", filepath.Join(rel(e.dir, e.target), "kiln.log"), err)
		}
	}
	if a.ui.JSON() {
		w = io.MultiWriter(w, a.jsonOut)
	}
	return ui.NewJSONLog(w), func() {
		if f != nil {
			f.Close()
		}
	}
}

// writeJUnit writes the --junit-xml report; a failure to write is reported
// without changing the exit code.
func (a *app) writeJUnit(e *env, command string, rf *runFlags, results []run.Result, elapsed time.Duration) {
	if rf.junitXML == "" {
		return
	}
	path := absUnder(mustAbs("."), rf.junitXML)
	if err := artifact.WriteJUnit(path, e.manifest.Graph, results, e.project.Config.Name+" "+command, elapsed); err != nil {
		a.ui.Printf("warning: cannot write the JUnit report %s: %v", rf.junitXML, err)
	}
}

// openDB opens the project's database; a database held by another process
// is exit code 2, after retries attempts 0.5 s, 1 s, 2 s... apart.
func (a *app) openDB(e *env, retries int) (*duck.DB, error) {
	db, err := duck.Open(a.ctx, e.dbPath)
	wait := 500 * time.Millisecond
	for attempt := 1; err != nil && attempt <= retries && a.ctx.Err() == nil; attempt++ {
		var le *duck.LockError
		if !errors.As(err, &le) {
			break
		}
		a.ui.Printf("RETRY the database is locked (attempt %d of %d); trying again in %s", attempt, retries+1, wait)
		select {
		case <-a.ctx.Done():
		case <-time.After(wait):
		}
		wait = min(wait*2, 10*time.Second)
		db, err = duck.Open(a.ctx, e.dbPath)
	}
	if err == nil {
		return db, nil
	}
	var le *duck.LockError
	if errors.As(err, &le) {
		return nil, &exitError{ExitCannotStart, le.Error()}
	}
	return nil, &exitError{ExitCannotStart, fmt.Sprintf("cannot open the database %s: %v", e.dbPath, err)}
}

// recover undoes a run that was killed before it could finish.
func (a *app) recover(e *env, ex *execute.Executor) error {
	ids, n, err := execute.Recover(a.ctx, ex.Conn(0), ex.Catalog())
	if err != nil {
		return &exitError{ExitCannotStart, err.Error()}
	}
	var finals []string
	for _, node := range e.manifest.Graph.Nodes() {
		if node.Kind == graph.Export && node.Export != nil {
			finals = append(finals, export.Path(e.target, node))
		}
	}
	now := time.Now()
	swept, err := execute.SweepFiles(a.ctx, ex.Conn(0), finals, now)
	if err != nil {
		return &exitError{ExitCannotStart, err.Error()}
	}
	swept = append(swept, execute.SweepTemps(e.target, now)...)
	if len(swept) > 0 {
		a.ui.Printf("removed %s that killed runs left in %s", plural(len(swept), "unfinished file"), rel(e.dir, e.target))
	}
	killed, err := history.MarkKilled(a.ctx, ex.Conn(0), a.invocationID(), time.Now())
	if err != nil {
		return &exitError{ExitCannotStart, err.Error()}
	}
	// The backups name their run by its first 8 characters; a run of an
	// older kiln has no row of its own and is recorded now.
	for _, short := range ids {
		if !slices.ContainsFunc(killed, func(id string) bool { return strings.HasPrefix(id, short) }) {
			now := time.Now()
			r := history.Run{ID: short, Command: "(killed)", Started: now, Finished: now, Status: "killed"}
			if err := history.Record(a.ctx, ex.Conn(0), r, nil); err != nil {
				a.ui.Printf("warning: cannot record the killed run %s: %v", short, err)
			}
			killed = append(killed, short)
		}
	}
	switch {
	case n > 0:
		a.ui.Printf("warning: an earlier run (%s) did not finish; its %d replaced relations were restored first", strings.Join(killed, ", "), n)
	case len(killed) > 0:
		a.ui.Printf("warning: an earlier run (%s) did not finish; it had replaced no relation", strings.Join(killed, ", "))
	}
	return nil
}

// finishJournal commits the run's relations, or restores the previous
// ones when the run failed (unless --no-rollback), and says what it did.
func (a *app) finishJournal(ex *execute.Executor, j *execute.Journal, failed, noRollback bool) string {
	ctx := context.WithoutCancel(a.ctx)
	if !failed || noRollback {
		if err := j.Commit(ctx, ex.Conn(0)); err != nil {
			j.DiscardFiles()
			return fmt.Sprintf("error: cannot drop the previous versions of the relations: %v", err)
		}
		if !failed {
			if err := j.PublishFiles(ctx, ex.Conn(0)); err != nil {
				return fmt.Sprintf("error: cannot publish the exports: %v", err)
			}
			if j.Txn() != "" {
				return fmt.Sprintf("flow transaction %s: kept; kiln transaction commit %s publishes it (its tables and exports), or rollback undoes it.", j.Txn(), j.Txn())
			}
		} else {
			j.DiscardFiles()
		}
		if failed && j.Replaced() > 0 {
			return fmt.Sprintf("--no-rollback: the %s built before the failure are kept.", plural(j.Replaced(), "relation"))
		}
		return ""
	}
	j.DiscardFiles()
	n, err := j.Rollback(ctx, ex.Conn(0))
	if err != nil {
		return fmt.Sprintf("error: the run failed and its relations could not all be restored: %v; the next run restores them", err)
	}
	what := "the run failed"
	if a.ctx.Err() != nil {
		what = "interrupted"
	}
	if n == 0 {
		return what + ": no table or view had been replaced; the database is as it was before."
	}
	verb := "were"
	if n == 1 {
		verb = "was"
	}
	return fmt.Sprintf("%s: the %s it had replaced %s restored; the tables, views and exports are as they were before the run, but for the failing rows kept in the audit schema (--no-rollback keeps what succeeded).",
		what, plural(n, "relation"), verb)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// inputsNote names the folders the run's sources are read from.
func (a *app) inputsNote(e *env, plan *run.Plan) string {
	dirs := map[string]bool{}
	for _, id := range plan.IDs() {
		if n := e.manifest.Graph.Node(id); n.Kind == graph.Source && n.Source.External != nil {
			dirs[rel(e.dir, filepath.Dir(n.Source.External.Path))] = true
		}
	}
	if len(dirs) == 0 {
		return ""
	}
	var list []string
	for d := range dirs {
		list = append(list, d)
	}
	sort.Strings(list)
	return ", reading " + strings.Join(list, ", ")
}

// recordHistory appends the run to the history in the database; it runs
// even after an interruption, and a failure to record is reported without
// changing the exit code.
func (a *app) recordHistory(ex *execute.Executor, command string, rf *runFlags, start time.Time, results []run.Result) {
	ctx := context.WithoutCancel(a.ctx)
	r := history.Run{ID: a.invocationID(), Command: command, Selection: rf.describe(), Started: start, Finished: time.Now(),
		Status: history.Status(results, a.ctx.Err() != nil), Txn: rf.transaction}
	if err := history.Record(ctx, ex.Conn(0), r, results); err != nil {
		a.ui.Printf("warning: the run was not recorded in the history: %v", err)
	}
}

// checkInputs verifies, before anything runs, that every selected
// file-backed source and seed can be read.
func (a *app) checkInputs(e *env, plan *run.Plan) map[graph.ID]error {
	problems := map[graph.ID]error{}
	g := e.manifest.Graph
	for _, id := range plan.IDs() {
		n := g.Node(id)
		var spec load.Spec
		switch {
		case n.Kind == graph.Source && n.Source.External != nil:
			spec = execute.SourceSpec(n.Source.External)
		case n.Kind == graph.Seed:
			spec = execute.SeedSpec(e.dir, n)
		default:
			continue
		}
		if err := load.Check(spec); err != nil {
			problems[id] = err
		}
	}
	return problems
}

// refuseRun reports unreadable inputs as errors and every other planned
// node as skipped: a month with a missing export builds nothing.
func (a *app) refuseRun(e *env, plan *run.Plan, problems map[graph.ID]error) []run.Result {
	var results []run.Result
	var first graph.ID
	for _, id := range plan.IDs() {
		if err, bad := problems[id]; bad {
			if first == "" {
				first = id
			}
			n := e.manifest.Graph.Node(id)
			r := run.Result{ID: id, Status: run.Error, Rows: -1, Message: fmt.Sprintf("%s %q: %v", n.Kind, n.DisplayName(), err)}
			results = append(results, r)
		}
	}
	for _, id := range plan.IDs() {
		if _, bad := problems[id]; !bad {
			results = append(results, run.Result{ID: id, Status: run.Skipped, Rows: -1, SkippedBy: first,
				Message: "skipped: an input file cannot be read"})
		}
	}
	g := e.manifest.Graph
	for i, r := range results {
		a.ui.Result(r, g.Node(r.ID), i+1, len(results))
	}
	return results
}

// rel returns p relative to dir when it is below dir or beside it, else p.
func rel(dir, p string) string {
	if r, err := relPath(dir, p); err == nil && !strings.HasPrefix(r, "../..") {
		return r
	}
	return p
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// upToDate marks the planned nodes that need not run (unless fullRefresh)
// and returns the current fingerprints.
func (a *app) upToDate(e *env, ex *execute.Executor, plan *run.Plan, rf *runFlags) (map[graph.ID]string, error) {
	inputs := map[graph.ID]string{}
	for id, f := range a.inputs(e) {
		inputs[id] = f.SHA256
	}
	g := e.manifest.Graph
	current := state.Fingerprints(g, inputs)
	if rf.fullRefresh {
		return current, nil
	}
	// An export is up to date only if its file is the one kiln wrote:
	// the planned exports' files are hashed, not every export's.
	decided := make(map[graph.ID]string, len(plan.IDs()))
	for _, id := range plan.IDs() {
		fp := current[id]
		decided[id] = fp
		if n := g.Node(id); n.Kind == graph.Export && fp != "" {
			decided[id] = exportPrint(e, n, fp)
		}
	}
	conn := ex.Conn(0)
	stored, err := history.LoadState(a.ctx, conn, rf.transaction)
	if err != nil {
		return nil, err
	}
	exists := func(id graph.ID) bool {
		n := g.Node(id)
		switch {
		case n.Kind == graph.Export:
			return fileExists(export.Path(e.target, n))
		case n.Relation.IsZero():
			return true
		}
		return ex.Catalog().Kind(n.Relation) != ""
	}
	ex.SetUpToDate(state.Decide(plan.IDs(), decided, stored, exists))
	return current, nil
}

// exportPrint is the state recorded for an export: its fingerprint and the
// sha256 of its file, so an export edited or replaced by hand runs again.
func exportPrint(e *env, n *graph.Node, fp string) string {
	sum, _, err := hashFile(export.Path(e.target, n))
	if err != nil {
		return fp + "/missing"
	}
	return fp + "/" + sum
}

// saveState records the fingerprints of the nodes that succeeded (tests:
// passed) and forgets those that did not, so they run next time.
func (a *app) saveState(e *env, ex *execute.Executor, txn string, results []run.Result, fingerprints map[graph.ID]string) {
	built := map[graph.ID]string{}
	var forget []graph.ID
	for _, r := range results {
		switch r.Status {
		case run.Success, run.Pass:
			fp := fingerprints[r.ID]
			if n := e.manifest.Graph.Node(r.ID); fp != "" && n.Kind == graph.Export {
				fp = exportPrint(e, n, fp)
			}
			if fp != "" {
				built[r.ID] = fp
			}
		case run.UpToDate:
		default:
			forget = append(forget, r.ID)
		}
	}
	if err := history.SaveState(context.WithoutCancel(a.ctx), ex.Conn(0), a.invocationID(), txn, built, forget); err != nil {
		a.ui.Printf("warning: cannot record which nodes are up to date: %v", err)
	}
}

// nodeRetries reads a node's retries config.
func nodeRetries(n *graph.Node) int {
	switch v := n.Config.Extra["retries"].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		return int(v)
	}
	return 0
}

// joinTxn opens or joins flow transaction txn; a run outside any
// transaction is refused while one is open.
func (a *app) joinTxn(ex *execute.Executor, txn string) error {
	if txn != "" {
		if err := execute.OpenTxn(a.ctx, ex.Conn(0), txn); err != nil {
			return &exitError{ExitCannotStart, err.Error()}
		}
		return nil
	}
	open, err := execute.OpenTxnID(a.ctx, ex.Conn(0))
	if err != nil {
		return &exitError{ExitCannotStart, err.Error()}
	}
	if open != "" {
		return &exitError{ExitCannotStart, fmt.Sprintf("flow transaction %q is open (an orchestrated flow is running, or failed midway); wait for it, or run kiln transaction rollback %s", open, open)}
	}
	return nil
}

// carryOver gives the up-to-date (no-op) results the figures of the last
// run that did run them (rows, failures, expected and actual), read from
// the previous run_results.json, so reports and docs keep showing them.
func (a *app) carryOver(e *env, results []run.Result) {
	prev, err := artifact.ReadRunResults(filepath.Join(e.target, artifact.RunResultsFile))
	if err != nil {
		return
	}
	last := map[graph.ID]artifact.NodeResult{}
	for _, r := range prev.Results {
		last[r.UniqueID] = r
	}
	for i, r := range results {
		p, ok := last[r.ID]
		if r.Status != run.UpToDate || !ok {
			continue
		}
		results[i].Expected, results[i].Actual = p.Expected, p.Actual
		if p.Rows != nil {
			results[i].Rows = *p.Rows
		}
		if p.Failures != nil {
			results[i].Failures = *p.Failures
		}
	}
}

// deviated reports whether a volume_change or metric_change test failed.
func deviated(g *graph.Graph, results []run.Result) bool {
	for _, r := range results {
		n := g.Node(r.ID)
		if r.Status == run.Fail && n != nil && n.Test != nil && execute.IsChangeTest(n.Test.Generic) {
			return true
		}
	}
	return false
}

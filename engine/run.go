package engine

import (
	"context"
	"errors"
	"fmt"
	"github.com/kiln-build/kiln/compiler/diag"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/duckdb"     // the default adapter
	_ "github.com/kiln-build/kiln/adapter/postgres" // type: postgres targets
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/execute"
	"github.com/kiln-build/kiln/internal/failpoint"
	"github.com/kiln-build/kiln/internal/load"
	"github.com/kiln-build/kiln/internal/run"
)

// RunOptions say how to run a plan.
type RunOptions struct {
	Command   string    // build, run, test or seed: recorded, and the JUnit suite's name
	Selection Selection // the selection as given, for the history and the event log
	Threads   int       // workers; 0: see Project.Threads
	FailFast  bool      // stop at the first node that errors or fails
	// FullRefresh runs every planned node, even those up to date.
	FullRefresh bool
	// NoRollback keeps what a failed run built (dbt's behaviour) instead of
	// restoring the previous relations.
	NoRollback bool
	// AcceptDeviations lets the deviation tests (volume_change,
	// metric_change, the anomaly tests) pass with a warning, so that this
	// run's values become their baseline or join their history; an
	// input_freshness failure on a file with another accepted month's
	// content still fails (the month's export was not delivered).
	AcceptDeviations bool
	// Retries is how many times a node is tried again after a transient
	// error, and the database opened again while another process holds it.
	Retries int
	// Transaction is the flow transaction the run belongs to ("" none).
	Transaction string
	// Start is when the command started, the run's recorded start; zero
	// is the invocation's (Config.StartedAt, run_started_at in the
	// templates), which it should be.
	Start time.Time
	// EventTimeStart and EventTimeEnd limit the batches microbatch models
	// build (dbt's --event-time-start and --event-time-end).
	EventTimeStart, EventTimeEnd time.Time
	// RetryOf is, for kiln retry, the invocation id of the run it
	// retries: recorded in the history's selection as "retry of <its
	// first 8 characters>" (RetryOfPrefix), so that a retry that is
	// killed can be told from a new run of the command.
	RetryOf string
}

// RetryOfPrefix returns how the history's selection of a retry of the
// invocation id starts: "retry of " and the id's first 8 characters.
func RetryOfPrefix(id string) string {
	if len(id) > 8 {
		id = id[:8]
	}
	return "retry of " + id
}

// describe returns the options as flags, for the run history.
func (o RunOptions) describe(varsText string) string {
	parts := []string{}
	if o.RetryOf != "" {
		parts = append(parts, RetryOfPrefix(o.RetryOf))
	}
	if s := o.Selection.Describe(); s != "" {
		parts = append(parts, s)
	}
	if varsText != "" {
		parts = append(parts, "--vars "+varsText)
	}
	var flags []string
	for flag, on := range map[string]bool{"--full-refresh": o.FullRefresh, "--accept-deviations": o.AcceptDeviations, "--no-rollback": o.NoRollback} {
		if on {
			flags = append(flags, flag)
		}
	}
	sort.Strings(flags)
	return strings.Join(append(parts, flags...), " ")
}

// Result is the outcome of a run.
type Result struct {
	Command string
	Graph   *graph.Graph
	// Results holds one result per planned node, in the order they
	// finished; empty when nothing was planned (Empty).
	Results []run.Result
	Elapsed time.Duration
	// Empty is a selection with no node to run: nothing was done.
	Empty bool
	// Refused is a run that did not start its nodes because input files
	// cannot be read: the errors name them, every other node is skipped,
	// and nothing changed.
	Refused bool
	// Interrupted is a run whose context was cancelled.
	Interrupted bool
	// Failed is a run in which a node errored or a test failed (or that was
	// interrupted or refused).
	Failed bool
	// RolledBack is a failed run whose changes were undone.
	RolledBack bool
	// Outcome says what the publication did when it is worth saying (a
	// rollback, a flow transaction kept open, an error while publishing);
	// "" otherwise.
	Outcome string
	// Deviated is a run in which a deviation test (volume_change,
	// metric_change, an anomaly test other than input_freshness) failed;
	// AcceptDeviations was not set.
	Deviated bool
	// StaleInputs are the failed input_freshness tests, in the order they
	// finished: a file read is not the month's export. They are not
	// deviations (Deviated), and AcceptDeviations accepts none whose
	// content is another month's (SameAs).
	StaleInputs []StaleInput
	// StartFailed is a run whose on-run-start failed: no node ran, each
	// planned one is skipped, and the history records it as refused;
	// StartError is the hook's error, on one line (Outcome and the
	// hook's progress line do not repeat it: a listener prints it once).
	StartFailed bool
	StartError  string
}

// StaleInput is a failed input_freshness test.
type StaleInput struct {
	// Source names the source whose file failed: "raw.erp".
	Source string
	// SameAs is the month (YYYY-MM) of the accepted file whose content the
	// file has: that month's export again, this month's was not delivered.
	// "" when the file's time broke the rule (a file not newer than the
	// last accepted month's, or older than max_age_days).
	SameAs string
	// Hint is the test's repeat_hint: the way to accept a file with
	// another month's content when the export really did not change;
	// "" when the test gives none.
	Hint string
}

// runner is one run in progress.
type runner struct {
	p    *Project
	opts RunOptions
	plan *run.Plan
	// selected is selected_resources in on-run-start and on-run-end.
	selected []string
	threads  int
	start    time.Time
	ex       *execute.Executor
	d        adapter.Dialect
	journal  *execute.Journal
	// fingerprints are the nodes' fingerprints now (see package state).
	fingerprints map[graph.ID]string
	// noOwn are the nodes with no fingerprint of their own in this run
	// (they read the --defer state's database), with why.
	noOwn map[graph.ID]string
	// stored are the fingerprints of the nodes' last successful builds
	// (tests: passes), as the run found them.
	stored map[graph.ID]string
	// history is the copy of the run history beside the database.
	history *historyCopy
	// hookErr says which run hook failed ("" none): the run failed.
	hookErr string
	// startRefused says that on-run-start failed: no node ran.
	startRefused bool
	// resultsWritten is closed once run_results.json is written (nil
	// until publish starts writing it).
	resultsWritten chan struct{}
	// outside says why no node is up to date: the database was changed
	// since the last run sealed it (see seal.go); "" when it was not.
	outside string
	// changed are the nodes whose relation was changed since the last
	// run sealed the database, with why (PostgreSQL, see sealpg.go).
	changed map[graph.ID]string
	// pg is the seal and the prints a run on PostgreSQL found at its
	// start (see sealpg.go).
	pg *pgSeal
	// writes watches the statements of hooks and run_query for writes
	// to other nodes' relations, which leave the database unsealed.
	writes *writeWatch
	// seal is set when the run is published and may seal the database;
	// unsealed says why it may not, when a statement of its own may have
	// written another node's relation (DuckDB: the next build says so).
	seal     bool
	unsealed string
	// sealWritten are the relations the seal the run found does not vouch
	// for (fileSeal.Written; nil when it vouches for none); written, those
	// the run's seal will not (carryWritten).
	sealWritten, written map[string]string
}

// Run runs plan as one run and publishes it: on
// success, the relations it built, its exports and its up-to-date state;
// on failure or interruption, the previous relations are restored (unless
// NoRollback). The run history and run_results.json record it either way.
// Run returns an error only when the run could not start (the database is
// held by another process, the target path cannot be written, a flow
// transaction is open...): nothing changed then.
func (p *Project) Run(ctx context.Context, plan *Plan, o RunOptions) (*Result, error) {
	r := &runner{p: p, opts: o, start: o.Start, threads: p.Threads(o.Threads)}
	if r.start.IsZero() {
		r.start = p.cfg.StartedAt
	}
	if r.start.IsZero() {
		r.start = time.Now()
	}
	g := p.Graph()
	r.plan, r.selected = plan.p, plan.selected
	if len(r.plan.IDs()) == 0 {
		p.printf(Info, "nothing to %s: the selection matches no node that runs", o.Command)
		return &Result{Command: o.Command, Graph: g, Empty: true}, nil
	}
	p.startFingerprints()
	// The start record of a run that may hold the database, before this
	// run's replaces it: a wait for the database names that run.
	before, beforeOK := readRunStart(RunStartPath(p.DBPath))
	// kiln runs shows the run as starting until it is recorded.
	start := r.announceStart()
	defer start.release()
	failpoint.Hit(failpoint.RunStarting)
	// The database first: a run that cannot have it changes nothing, not
	// even the artifacts of the run that holds it.
	holder := func(pid int) lockHolder { return p.holderOf(pid, before, beforeOK) }
	var pending *pendingCheck // the files as the successful attempt found them
	db, err := p.openWaiting(ctx, o.Retries, LockGrace, holder, func() (adapter.Adapter, error) {
		pending = p.checkPending()
		return adapter.Open(ctx, p.DatabaseTarget())
	})
	if err != nil {
		return nil, err
	}
	closeDB := sync.OnceValue(db.Close)
	defer closeDB()
	start.reclaim()
	r.d = db.Dialect()
	// Before kiln writes anything: was the database changed since the
	// last run sealed it?
	r.outside = p.fileOutside(pending)
	r.readWritten()
	if path := SealWALPath(p.DBPath); path != "" && !p.OnServer() {
		removeStale(path) // the pending seal's WAL, checked: this run writes its own
	}
	r.writes = newWriteWatch(g)
	// Then the target folder, which a kiln compile or clean may be writing
	// (they refuse to while a run holds it).
	unlock, err := p.lockTarget(ctx, o.Command)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var catalog *execute.Catalog
	if err := p.withConn(ctx, db, func(c adapter.Conn) (err error) {
		if catalog, err = p.recoverCatalog(ctx, c, r.d); err != nil {
			return err
		}
		p.hashes, _ = c.Store().LoadHashes(ctx)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, ErrInterrupted
	}
	waitArtifacts, writeCompiled, err := p.startArtifacts()
	if err != nil {
		return nil, err
	}
	var executed map[graph.ID]string // the SQL that ran of nodes rendered at run time
	defer func() {
		err := waitArtifacts()
		if err == nil && len(executed) > 0 {
			err = p.writeExecuted(executed)
		}
		if err != nil {
			p.printf(Warn, "warning: could not write manifest.json or the compiled SQL under %s: %v", Rel(p.Dir, p.Target), err)
		}
	}()
	r.journal = execute.NewJournal(p.InvocationID(), o.Transaction)
	r.ex, err = execute.New(ctx, db, g, r.threads, execute.Options{
		ProjectDir: p.Dir, TargetDir: p.Target, ProjectName: p.Name(), Journal: r.journal,
		AcceptDeviations: o.AcceptDeviations, Render: r.watchRender(p.cfg.Render), Hooks: r.watchHooks(p.Manifest.RunHooks), FullRefresh: o.FullRefresh, Clock: r.start,
		EventTimeStart: o.EventTimeStart, EventTimeEnd: o.EventTimeEnd,
		Location: p.location(), Month: p.runMonth(), Inputs: p.Inputs(), Catalog: catalog,
		Progress:    func(n *graph.Node, pr load.Progress) { p.emit(NodeProgress{Node: n, Progress: pr}) },
		Warn:        func(n *graph.Node, text string) { p.emit(Message{Level: Warn, Text: "warning: " + text}) },
		CatalogHint: p.CatalogHint, Deferred: p.deferred})
	if err != nil {
		return nil, interrupted(ctx, err)
	}
	// On the way out: the connections, then the database, whose close
	// (DuckDB's checkpoint: W1 1,000's last 1.2-1.7 s) goes on while
	// run_results.json is written, then that; the target stays locked
	// until both are done.
	defer func() {
		r.ex.Close()
		// The compiled tree, written beside the nodes, is complete before
		// the close (a kill from here on finds it; its error is printed
		// by the deferred call above).
		_ = waitArtifacts()
		var hdr *duckdb.Header
		if r.seal {
			hdr = r.stampPending() // the file as the run leaves it, before the close's checkpoint
			failpoint.Hit(failpoint.RunClosing)
		}
		err := closeDB()
		hdr.Close() // after the database: closing it before would drop DuckDB's lock
		if r.seal {
			failpoint.Hit(failpoint.RunClosed)
		}
		if err == nil && (r.seal || r.unsealed != "") {
			if err := p.writeFileSeal(p.InvocationID(), o.Command, r.unsealed, o.Transaction, r.written); err != nil {
				p.printf(Warn, "warning: cannot write %s (the next build runs every node): %v", Rel(p.Dir, SealFilePath(p.DBPath)), err)
			}
		}
		r.waitResults()
	}()
	if err := r.joinTxn(ctx); err != nil {
		return nil, interrupted(ctx, err)
	}
	if err := r.checkBuiltWith(ctx); err != nil {
		recordRefusedInTxn(ctx, r.ex.Conn(0).Store(), p.InvocationID(), o, o.describe(p.cfg.VarsText), varsJSON(p.cfg.Vars), r.start)
		return nil, err
	}
	if err := r.ex.Conn(0).Store().StartRun(ctx, adapter.RunRecord{ID: p.InvocationID(), Command: o.Command,
		Selection: o.describe(p.cfg.VarsText), Started: r.start, Txn: o.Transaction, Vars: varsJSON(p.cfg.Vars)}); err != nil {
		return nil, interrupted(ctx, err)
	}
	failpoint.Hit(failpoint.RunRecovered)
	r.history = r.startHistoryCopy(ctx)
	p.emit(RunStarted{Command: o.Command, Select: o.Selection.Select, Exclude: o.Selection.Exclude, Nodes: len(r.plan.IDs()),
		Threads: r.threads, InvocationID: p.InvocationID(), Target: Rel(p.Dir, p.Target)})
	problems := r.checkInputs()
	if err := r.checkDistribution(ctx, problems); err != nil {
		return nil, interrupted(ctx, err)
	}
	r.warnGrants()
	r.warnIndexes()
	r.warnIndexesUnused()
	r.warnUnloggedUnused()
	if len(problems) > 0 {
		return r.refuse(ctx, problems), nil
	}
	// From here on, an interrupt goes through the run and its publication
	// (nothing runs after it; the run is recorded as interrupted).
	if p.OnServer() {
		if err := r.serverOutside(ctx); err != nil && ctx.Err() == nil {
			return nil, err
		}
		// Before any node changes anything: what a flow's rollback must
		// not take as kiln left it (see sealtxn.go).
		if err := r.markDirty(ctx); err != nil && ctx.Err() == nil {
			return nil, err
		}
	}
	if err := r.upToDate(ctx); err != nil && ctx.Err() == nil {
		return nil, err
	}
	if err := r.ex.CreateSchemas(ctx, r.plan.IDs()); err != nil && ctx.Err() == nil {
		return nil, err
	}
	p.printf(Info, "Running %s with %s on %s%s", plural(len(r.plan.IDs()), "node"), plural(r.threads, "thread"), p.DatabaseName(), r.inputsNote())
	if err := r.onRunStart(ctx); err != nil {
		// Refused: no node runs, nothing is kept (not even with
		// --no-rollback), the compiled SQL of the nodes it skips is not
		// written, and the history records the run as refused.
		writeCompiled(false)
		r.startRefused = true
		r.hookErr = "error: on-run-start failed (its error is above)" // once, in the summary (Result.StartError)
		res := r.publish(ctx, r.skipAll(err))
		res.StartFailed, res.StartError = true, oneLine(err)
		p.emit(RunFinished{Result: res})
		return res, nil
	}
	// on-run-start passed: the compiled SQL tree is written beside the
	// nodes (not after the database's close, where it would add W1
	// 1,000's 2,500 file creations to the wall time).
	writeCompiled(true)
	// The relations the run creates are journaled at once, not one by one
	// in each node's transaction (on DuckDB: see execute.Journal.Intend).
	// Should that fail, the nodes journal their own changes, as elsewhere.
	_ = r.ex.Intend(ctx, r.plan.IDs())
	r.ex.SetPlanned(r.plan.IDs())
	// On PostgreSQL, the views that read the relations the run replaces,
	// in one query; should it fail, each node reads its own.
	_ = r.ex.ReadBoundViews(ctx)
	var ex run.Executor = r.ex
	if p.promotes(diag.EventTestResult) { // dbt's LogTestResult
		ex = warnErrorExecutor{ex}
	}
	// The events go to the listener beside the nodes' statements, at
	// most one node behind them (see eventQueue); the progress record,
	// which a kill leaves for kiln runs, is written before the next node
	// starts.
	events := startEventQueue()
	p.events.Store(events)
	stopEvents := sync.OnceFunc(func() {
		p.events.Store(nil)
		events.close()
	})
	defer stopEvents()
	var lastFinished, beforeLast uint64 // the marks of the last two NodeFinished events
	results := run.Run(ctx, r.plan, ex, run.Options{
		Threads:   r.threads,
		FailFast:  o.FailFast,
		Retries:   o.Retries,
		RetriesOf: nodeRetries,
		OnRetry: func(n *graph.Node, attempt int, res run.Result, wait time.Duration) {
			p.emit(NodeRetry{Node: n, Attempt: attempt, Result: res, Wait: wait})
		},
		OnStart: func(n *graph.Node, w int) {
			events.wait(beforeLast)
			p.emit(NodeStarted{Node: n, Worker: w})
			p.nodeLogs(n)
		},
		OnResult: func(res run.Result, done, total int) {
			r.history.progress(res, done)
			p.emit(NodeFinished{Result: res, Node: g.Node(res.ID), Done: done, Total: total})
			beforeLast, lastFinished = lastFinished, events.mark()
		},
	})
	stopEvents()
	executed = p.executedSQL(results)
	res := r.publish(ctx, results)
	named := p.recordDeferredViews(res.Results, res.RolledBack)
	p.emit(RunFinished{Result: res})
	p.warnDeferredViews(named)
	return res, nil
}

// DatabaseTarget returns the database the project builds in, in the
// session time zone of timezone: DuckDB, in the file of database-path (or
// of the profile's target, with its schema, settings and extensions), or
// the PostgreSQL database of the profile's target (or of project.yml's
// target:), its schema first on the search path.
func (p *Project) DatabaseTarget() adapter.Target {
	t := adapter.Target{Type: "duckdb", Path: p.DBPath, TimeZone: p.Project.Config.TimeZone, Attach: p.attach}
	if p.DBPath == ":memory:" {
		t.Path = ""
	}
	if pr := p.Profile; pr != nil {
		t.Type, t.Schema = pr.Type, pr.Schema
		t.Settings, t.Extensions = pr.Settings(), pr.Extensions()
		if pr.Type != "duckdb" {
			t.Path, t.DSN = "", pr.DSN
		}
	}
	return t
}

// OnServer reports whether the project builds in a database server's
// database (PostgreSQL) rather than a DuckDB file.
func (p *Project) OnServer() bool { return p.Profile != nil && p.Profile.Type != "duckdb" }

// DatabaseName names the project's database for messages: its DuckDB
// file relative to the project, or "PostgreSQL database <dbname> (target
// dev)" (the server's address is in the connection errors).
func (p *Project) DatabaseName() string {
	if !p.OnServer() {
		return Rel(p.Dir, p.DBPath)
	}
	db := p.Profile.Database
	if db == "" {
		db = "(PGDATABASE)"
	}
	host, _ := p.Profile.Fields["host"].(string)
	if host == "" {
		return fmt.Sprintf("%s database %s", p.Profile.Type, db)
	}
	return fmt.Sprintf("%s database %s on %s", p.Profile.Type, db, host)
}

// DatabaseExists reports whether the project's database exists: its
// DuckDB file, or always a server's database (kiln does not create it).
func (p *Project) DatabaseExists() bool {
	return p.OnServer() || fileExists(p.DBPath)
}

// openDB opens the project's database; a database held by another process
// is waited for up to grace (waitUnlocked), then tried again retries
// times, 0.5 s, 1 s, 2 s... apart, before openDB gives up with its
// *adapter.LockError.
func (p *Project) openDB(ctx context.Context, retries int, grace time.Duration) (adapter.Adapter, error) {
	return p.openWaiting(ctx, retries, grace, nil, func() (adapter.Adapter, error) { return adapter.Open(ctx, p.DatabaseTarget()) })
}

// openWaiting is openDB with open to open the database; when holder is
// not nil, a run that waits (grace or retries) says so at once, naming
// the holder (announceWait).
func (p *Project) openWaiting(ctx context.Context, retries int, grace time.Duration, holder func(pid int) lockHolder, open func() (adapter.Adapter, error)) (adapter.Adapter, error) {
	if holder != nil && (grace > 0 || retries > 0) {
		open = p.announceWait(open, holder)
	}
	db, err := waitUnlocked(ctx, grace, open)
	for attempt := 1; err != nil && attempt <= retries && ctx.Err() == nil; attempt++ {
		wait := run.RetryWait(attempt)
		var le *adapter.LockError
		if !errors.As(err, &le) {
			break
		}
		p.printf(Info, "RETRY the database is locked (attempt %d of %d); trying again in %s", attempt, retries+1, wait)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		db, err = open()
	}
	if err == nil {
		return db, nil
	}
	var le *adapter.LockError
	if errors.As(err, &le) {
		return nil, le
	}
	return nil, fmt.Errorf("cannot open the database %s: %v", p.DatabaseName(), err)
}

// withConn runs f on a connection of db.
func (p *Project) withConn(ctx context.Context, db adapter.Adapter, f func(adapter.Conn) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return interrupted(ctx, err)
	}
	defer conn.Close()
	return f(conn)
}

// ErrInterrupted is returned by Run when the context was cancelled before
// any node ran: nothing changed (but for what a recovery of killed runs
// restored, which it reported).
var ErrInterrupted = errors.New("interrupted before the run started: it changed nothing")

// interrupted returns ErrInterrupted when ctx was cancelled, else err.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ErrInterrupted
	}
	return err
}

// joinTxn opens or joins the run's flow transaction; a run outside any
// transaction is refused while one is open.
func (r *runner) joinTxn(ctx context.Context) error {
	conn := r.ex.Conn(0)
	if txn := r.opts.Transaction; txn != "" {
		return execute.OpenTxn(ctx, conn, txn)
	}
	open, err := execute.OpenTxnID(ctx, conn)
	if err != nil {
		return err
	}
	if open != "" {
		return fmt.Errorf("flow transaction %q is open (an orchestrated flow is running, or failed midway); wait for it, or run kiln transaction rollback %s", open, open)
	}
	return nil
}

// checkInputs verifies, before anything runs, that every planned
// file-backed source and seed can be read.
func (r *runner) checkInputs() map[graph.ID]error {
	problems := map[graph.ID]error{}
	g := r.p.Graph()
	for _, id := range r.plan.IDs() {
		if err := r.p.CheckInput(g.Node(id)); err != nil {
			problems[id] = err
		}
	}
	return problems
}

// checkDistribution adds to problems the planned models whose
// distributed_by the database cannot apply (execute.CheckDistribution),
// and the planned models and snapshots whose unlogged it cannot
// (execute.CheckUnlogged):
// it asks the database whether it can distribute tables only when a
// planned model sets distributed_by.
func (r *runner) checkDistribution(ctx context.Context, problems map[graph.ID]error) error {
	g := r.p.Graph()
	var asked, can bool
	for _, id := range r.plan.IDs() {
		n := g.Node(id)
		if n.Kind != graph.Model || execute.DistributionOf(n) == (execute.Distribution{}) {
			continue
		}
		d := r.ex.Dialect()
		if dist, ok := d.(adapter.Distributor); ok && !asked {
			asked = true
			_, rows, err := r.ex.Conn(0).QueryRows(ctx, dist.CanDistribute().SQL)
			if err != nil {
				return err
			}
			can = len(rows) == 1 && len(rows[0]) == 1 && rows[0][0] == true
		}
		if err := execute.CheckDistribution(n, r.ex.Type(), d, can); err != nil {
			problems[id] = err
		}
	}
	for _, id := range r.plan.IDs() {
		if _, seen := problems[id]; seen {
			continue
		}
		if err := execute.CheckUnlogged(g.Node(id), r.ex.Type(), r.ex.Dialect()); err != nil {
			problems[id] = err
		}
	}
	return nil
}

// CheckInput returns why the file behind file-backed source or seed n
// cannot be loaded (missing, unreadable, not the format it claims), or nil
// (also for a node of another kind).
func (p *Project) CheckInput(n *graph.Node) error {
	switch {
	case n.Kind == graph.Source && n.Source.External != nil:
		return load.Check(execute.SourceSpec(n.Source.External))
	case n.Kind == graph.Seed:
		err := load.Check(execute.SeedSpec(p.Dir, n))
		if ne := execute.SeedError(n, err); ne != nil {
			return ne // at the seed's line and column
		}
		return err
	}
	return nil
}

// refuse ends a run whose inputs cannot be read before any node runs:
// the unreadable inputs are errors (one NodeFinished event each) and every
// other planned node is skipped (in the results, the history and
// run_results.json, without an event each); a month with a missing export
// builds nothing.
func (r *runner) refuse(ctx context.Context, problems map[graph.ID]error) *Result {
	g := r.p.Graph()
	var results []run.Result
	var first graph.ID
	for _, id := range r.plan.IDs() {
		if err, bad := problems[id]; bad {
			if first == "" {
				first = id
			}
			n := g.Node(id)
			ne, ok := err.(*run.NodeError) // positioned already (distributed_by)
			if !ok {
				ne = &run.NodeError{Pos: n.Pos, Msg: fmt.Sprintf("%s %q: %v", n.Kind, n.DisplayName(), err), Err: err}
			}
			results = append(results, run.Result{ID: id, Status: run.Error, Rows: -1, Message: ne.Error(), Err: ne})
		}
	}
	why := "an input file cannot be read"
	if n := g.Node(first); n.Kind == graph.Model {
		why = "a model cannot be built on this database"
	}
	for _, id := range r.plan.IDs() {
		if _, bad := problems[id]; !bad {
			results = append(results, run.Result{ID: id, Status: run.Skipped, Rows: -1, SkippedBy: first,
				Message: "skipped: " + why})
		}
	}
	for i, res := range results[:len(problems)] {
		r.p.emit(NodeFinished{Result: res, Node: g.Node(res.ID), Done: i + 1, Total: len(problems)})
	}
	res := r.publishRefused(ctx, results)
	r.p.emit(RunFinished{Result: res})
	return res
}

// inputsNote names the folders the run's sources are read from: as
// written when the location is absolute (an absolute raw_dir), else
// relative to the project.
func (r *runner) inputsNote() string {
	dirs := map[string]bool{}
	for _, id := range r.plan.IDs() {
		if n := r.p.Graph().Node(id); n.Kind == graph.Source && n.Source.External != nil {
			ext := n.Source.External
			if filepath.IsAbs(ext.Location) {
				// As given (--vars '{raw_dir: /abs/path}'), not relative
				// to the project.
				dirs[filepath.Dir(ext.Location)] = true
				continue
			}
			dirs[Rel(r.p.Dir, filepath.Dir(ext.Path))] = true
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

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// LockGrace is how long a run waits, without a word, for a database that
// another process holds before it reports the lock (or, with --retries,
// retries): kiln runs, kiln show and kiln debug hold a DuckDB file for a
// moment, and a script that polls kiln runs must not make the nightly
// build fail to start. A build held off by another build still fails,
// 3 s later.
const LockGrace = 3 * time.Second

// waitUnlocked calls open until it returns anything but an
// *adapter.LockError or grace has passed (or ctx is done), waiting 50 ms
// between calls, then twice as long each time, at most 500 ms; it returns
// open's last result. A zero grace calls open once.
func waitUnlocked(ctx context.Context, grace time.Duration, open func() (adapter.Adapter, error)) (adapter.Adapter, error) {
	deadline := time.Now().Add(grace)
	wait := 50 * time.Millisecond
	for {
		db, err := open()
		var le *adapter.LockError
		if err == nil || !errors.As(err, &le) || ctx.Err() != nil || !time.Now().Add(wait).Before(deadline) {
			return db, err
		}
		select {
		case <-ctx.Done():
			return db, err
		case <-time.After(wait):
		}
		wait = min(wait*2, 500*time.Millisecond)
	}
}

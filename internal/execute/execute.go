// Package execute runs graph nodes on a database through its adapter: it
// loads file-backed sources and seeds, materializes models, evaluates data
// tests and writes exports. It implements run.Executor with one adapter
// connection per worker on one open database, kept for the whole run.
// Every statement it runs is the user's SQL or comes from the adapter's
// Dialect.
package execute

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/anomaly"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/export"
	"github.com/kiln-build/kiln/internal/failpoint"
	"github.com/kiln-build/kiln/internal/load"
	"github.com/kiln-build/kiln/internal/materialize"
	"github.com/kiln-build/kiln/internal/run"
)

// Options locate the files a run reads and writes.
type Options struct {
	ProjectDir  string // seeds are read relative to it
	TargetDir   string // exports are written under it
	ProjectName string // compiled files live under <target>/compiled/<project>/
	// Journal, when set, keeps the previous version of every relation the
	// run replaces, so the run can be committed or rolled back as a whole.
	Journal *Journal
	// UpToDate are the nodes that need not run (see package state): they
	// finish at once with status run.UpToDate.
	UpToDate map[graph.ID]bool
	// Catalog, when set, is the database's relations as the run starts
	// (Recovery.Catalog): New does not list them again.
	Catalog *Catalog
	// AcceptDeviations turns the failures of volume_change and
	// metric_change into warnings, so their new values become the baseline,
	// and those of the anomaly tests, whose values join their history;
	// not that of input_freshness on a file with the content of another
	// accepted month (Gate.SameAs): the month's export was not delivered.
	AcceptDeviations bool
	// Progress, when set, receives the progress of the loads of sources
	// and seeds (see load.Spec.Progress), from the workers' goroutines.
	Progress func(n *graph.Node, p load.Progress)
	// Warn, when set, receives the warnings of a node as it runs (a
	// workbook's column of dates typed as text, which loads as VARCHAR),
	// from the workers' goroutines: one line, without "warning: ".
	Warn func(n *graph.Node, text string)
	// CatalogHint, when set, returns the hint for a node's database error
	// msg that kiln's own hints leave without one ("" for none): for
	// DuckDB's missing catalog, the views built with --defer that name it.
	CatalogHint func(msg string) string
	// Render, when set, renders a model again at run time, on its
	// worker's session, before it is built (see Renderer).
	Render Renderer
	// Hooks, when set, runs the pre- and post-hooks of models and seeds.
	Hooks Hooks
	// FullRefresh rebuilds incremental models whole (--full-refresh),
	// unless their full_refresh config says otherwise.
	FullRefresh bool
	// Clock is the run's clock, the one instant that microbatch batches
	// and snapshots' validity timestamps are computed from; zero is the
	// time the executor was made.
	Clock time.Time
	// EventTimeStart and EventTimeEnd limit the batches of microbatch
	// models (--event-time-start, --event-time-end); zero: from begin, to
	// the batch holding Clock.
	EventTimeStart, EventTimeEnd time.Time
	// Location is the time zone the anomaly tests count months in (the
	// month of Clock, unless a test gives its period or Month is set);
	// time.Local when nil.
	Location *time.Location
	// Month is the run's month, the month an anomaly test without a
	// period records and checks (engine: the value of the project's var
	// of type month); nil: the month of Clock in Location.
	Month *anomaly.Month
	// Inputs are the input files' hashes by source or seed (see
	// engine.Project.Inputs); input_freshness hashes a file missing here.
	Inputs map[graph.ID]artifact.InputFile
	// Deferred are the relations --defer reads instead of these nodes'
	// own (the state's, in the database the run attached): export sheets
	// and unit tests' given inputs read them, as ref() does in the
	// compiled SQL. Nil when the run defers nothing.
	Deferred map[graph.ID]adapter.Relation
}

// Hooks runs the pre-hooks (phase "pre") or post-hooks ("post") of
// node n on its worker's session (dbt's pre-hook and post-hook): those
// that run inside n's transaction (inTx), or those configured
// transaction: false.
type Hooks func(ctx context.Context, n *graph.Node, phase string, inTx bool, s adapter.Session) error

// HasHooks reports whether n has pre- or post-hooks.
func HasHooks(n *graph.Node) bool {
	for _, k := range []string{"pre-hook", "pre_hook", "post-hook", "post_hook"} {
		switch v := n.Config.Extra[k].(type) {
		case nil:
		case []any:
			if len(v) > 0 {
				return true
			}
		case []string:
			if len(v) > 0 {
				return true
			}
		case string:
			if strings.TrimSpace(v) != "" {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// errNodeFailed rolls back the transaction of a node whose build failed
// (its result says why).
var errNodeFailed = errors.New("the node failed")

// withHooks runs build between n's pre-hooks and, when it succeeded, its
// post-hooks, all in one transaction as dbt does: a failing hook fails
// the node, and nothing of it (hooks and build) is committed. Hooks
// configured transaction: false run before the transaction begins and
// after it commits. A microbatch model's pre-hooks see as model.batch
// the first batch its run builds, its post-hooks the last (Session.Batch;
// none when it builds none), as dbt runs them with its first and last
// batch.
func (e *Executor) withHooks(ctx context.Context, conn adapter.Conn, n *graph.Node, build func(context.Context, adapter.Conn, *graph.Node) run.Result) run.Result {
	if e.opts.Hooks == nil || !HasHooks(n) {
		return build(ctx, conn, n)
	}
	s := adapter.Session{Conn: conn, Dialect: e.d, Type: e.typ}
	pre, post := s, s
	if n.Kind == graph.Model && n.Incremental != nil && n.Incremental.Batch != nil {
		// dbt runs a microbatch model's pre-hooks with its first batch and
		// its post-hooks with its last (model.batch): what the run builds
		// is read first.
		plan, err := e.batchPlan(ctx, conn, n)
		if err != nil {
			return failed(err)
		}
		pre.Batch, post.Batch = plan.hookBatch(n, "pre"), plan.hookBatch(n, "post")
		build = func(ctx context.Context, conn adapter.Conn, n *graph.Node) run.Result {
			return e.modelPlanned(ctx, conn, n, plan)
		}
	}
	kindBefore := e.cat.Kind(n.Relation)
	hookErr := func(phase string, err error) run.Result {
		var he *compiler.HookError
		if errors.As(err, &he) {
			// At the hook (the failing token when it can be told), in
			// the file that declares it.
			return failed(&run.NodeError{Pos: he.Pos, Msg: fmt.Sprintf("%s %q: %s: %s", n.Kind, n.Name, he.What, oneLine(he.Err.Error())),
				Err: err, Hint: HookHint(e.g, n, he)})
		}
		return failed(&run.NodeError{Pos: n.Pos, Msg: fmt.Sprintf("%s %q: %s-hook: %v", n.Kind, n.Name, phase, err), Err: err})
	}
	if err := e.opts.Hooks(ctx, n, "pre", false, pre); err != nil {
		return hookErr("pre", err)
	}
	var r run.Result
	err := conn.Tx(ctx, func() error {
		if err := e.opts.Hooks(ctx, n, "pre", true, pre); err != nil {
			r = hookErr("pre", err)
			return err
		}
		r = build(ctx, conn, n)
		if r.Status != run.Success {
			return errNodeFailed
		}
		if err := e.opts.Hooks(ctx, n, "post", true, post); err != nil {
			r = hookErr("post", err)
			return err
		}
		if err := e.journalHookViews(ctx, conn, n); err != nil {
			r = failed(err)
			return err
		}
		if e.grantsAfterHooks(n) {
			if err := e.applyGrants(ctx, conn, n, e.carried(n, kindBefore)); err != nil {
				r = failed(err)
				return err
			}
		}
		return nil
	})
	// The hooks may have dropped or created relations, and a rollback
	// undoes what the build did: the catalog reads n's relation again.
	if kind, kerr := conn.RelationKind(ctx, n.Relation); kerr == nil {
		e.cat.Set(n.Relation, string(kind))
	}
	if err != nil {
		if r.Status == run.Success {
			r = failed(err) // the commit failed
		}
		return r
	}
	if err := e.opts.Hooks(ctx, n, "post", false, post); err != nil {
		return hookErr("post", err)
	}
	// The views that post-hooks of transaction: false made on n's
	// relation, after its commit.
	if _, binds := conn.(adapter.ViewBinder); binds && e.opts.Journal != nil {
		if err := conn.Tx(ctx, func() error { return e.journalHookViews(ctx, conn, n) }); err != nil {
			return failed(err)
		}
	}
	return r
}

// Renderer renders node n again when it runs, against the database
// (dbt's execute phase: a template that calls run_query or the adapter
// object). It returns the SQL to build n from instead of its compiled
// code, or ok false to keep that. An error fails the node.
type Renderer func(ctx context.Context, n *graph.Node, s adapter.Session) (sql string, ok bool, err error)

// Executor runs nodes through an adapter; see run.Executor.
type Executor struct {
	g       *graph.Graph
	typ     string // the adapter's type
	d       adapter.Dialect
	conns   []adapter.Conn
	opts    Options
	cat     *Catalog
	schemas bool // CreateSchemas ran: every schema of the run exists
	// referrers are, by referenced node, the table models not planned in
	// this run whose foreign keys reference it (SetPlanned).
	referrers map[graph.ID][]*graph.Node
	// planned are the nodes of the run (SetPlanned).
	planned map[graph.ID]bool
	// boundViews are, by relation (schema and name), the views that read
	// it at the run's start (ReadBoundViews); nil when not read.
	boundViews map[adapter.Relation][]adapter.Relation
	// cells are the cells digests of the workbooks the run loaded, by
	// source (load.Result.Cells), for input_freshness.
	cells sync.Map
	// texts are the text columns of the workbooks the run loaded, by
	// source (*loadedText), to locate a cell in a model's conversion
	// error or in schema_changes' retyped columns.
	texts sync.Map
}

// New opens threads connections on db.
func New(ctx context.Context, db adapter.Adapter, g *graph.Graph, threads int, opts Options) (*Executor, error) {
	if opts.Clock.IsZero() {
		opts.Clock = time.Now()
	}
	opts.Clock = opts.Clock.UTC()
	e := &Executor{g: g, typ: db.Type(), d: db.Dialect(), opts: opts}
	for i := 0; i < threads; i++ {
		c, err := db.Conn(ctx)
		if err != nil {
			e.Close()
			return nil, err
		}
		e.conns = append(e.conns, c)
	}
	e.cat = opts.Catalog
	if e.cat == nil {
		cat, err := LoadCatalog(ctx, e.conns[0])
		if err != nil {
			e.Close()
			return nil, err
		}
		e.cat = cat
	}
	return e, nil
}

// Catalog returns the run's view of the database's relations.
func (e *Executor) Catalog() *Catalog { return e.cat }

// Dialect returns the dialect of the run's database.
func (e *Executor) Dialect() adapter.Dialect { return e.d }

// Type returns the adapter's type ("duckdb", "postgres").
func (e *Executor) Type() string { return e.typ }

// CreateSchemas creates, on worker 0's connection, every schema that the
// nodes write to, before the run: DuckDB refuses concurrent creations of one
// schema by two workers (a write-write conflict).
func (e *Executor) CreateSchemas(ctx context.Context, ids []graph.ID) error {
	seen := map[string]bool{}
	for _, id := range ids {
		n := e.g.Node(id)
		if n == nil || n.Relation.IsZero() || seen[n.Relation.Schema] {
			continue
		}
		seen[n.Relation.Schema] = true
		if _, err := e.conns[0].Run(ctx, e.d.CreateSchema(n.Relation.Schema)); err != nil {
			return err
		}
	}
	for _, id := range ids {
		if n := e.g.Node(id); n != nil && n.Kind == graph.Test && n.StoresFailures() && !seen[n.AuditRelation().Schema] {
			seen[n.AuditRelation().Schema] = true
			if _, err := e.conns[0].Run(ctx, e.d.CreateSchema(n.AuditRelation().Schema)); err != nil {
				return err
			}
		}
	}
	e.schemas = true
	return nil
}

// Intend journals, in one statement before the run, what the nodes ids
// (not those up to date) would do to their relations: create those absent
// from the database (models but ephemeral ones, seeds, file-backed
// sources, snapshots), move aside those there to rebuild them (table and
// view models, seeds, file-backed sources: the nodes that replace their
// relation whole); see Journal.Intend. It does nothing without a journal.
func (e *Executor) Intend(ctx context.Context, ids []graph.ID) error {
	if e.opts.Journal == nil {
		return nil
	}
	var intents []Intent
	for _, id := range ids {
		n := e.g.Node(id)
		if n == nil || n.Relation.IsZero() || e.opts.UpToDate[id] {
			continue
		}
		fileSource := n.Kind == graph.Source && n.Source != nil && n.Source.External != nil
		kind := e.cat.Kind(n.Relation)
		switch {
		case kind == "" && (n.Kind == graph.Model && n.Config.Materialized != graph.Ephemeral ||
			n.Kind == graph.Seed || n.Kind == graph.Snapshot || fileSource):
			intents = append(intents, Intent{Relation: n.Relation})
		case n.Kind == graph.Seed && kind == string(adapter.Table) && KeepsSeedTable(n):
			// Reloaded in place: the node journals its copy of the rows.
		case (kind == string(adapter.Table) || kind == string(adapter.View)) &&
			(n.Kind == graph.Model && n.Incremental == nil &&
				(n.Config.Materialized == graph.Table || n.Config.Materialized == graph.View) ||
				n.Kind == graph.Seed || fileSource):
			intents = append(intents, Intent{Relation: n.Relation, Kind: kind})
		}
	}
	return e.opts.Journal.Intend(ctx, e.conns[0], intents)
}

// SetPlanned tells the executor the nodes of the run, before it starts:
// a model, seed or file-backed source it rebuilds then checks the foreign
// keys that reference it from table models not planned (checkReferrers).
// Without it, no such check is made.
func (e *Executor) SetPlanned(ids []graph.ID) {
	planned := make(map[graph.ID]bool, len(ids))
	for _, id := range ids {
		planned[id] = true
	}
	e.planned = planned
	e.referrers = map[graph.ID][]*graph.Node{}
	for _, n := range e.g.Nodes() {
		if n.Kind != graph.Model || planned[n.ID] || !materialize.HasForeignKeys(n) {
			continue
		}
		seen := map[graph.ID]bool{}
		for _, fk := range materialize.ForeignKeys(e.d, n) {
			if to := fk.Constraint.ToNode; to != "" && to != n.ID && planned[to] && !seen[to] {
				seen[to] = true
				e.referrers[to] = append(e.referrers[to], n)
			}
		}
	}
}

// SetUpToDate sets the nodes that need not run; call it before the run.
func (e *Executor) SetUpToDate(ids map[graph.ID]bool) { e.opts.UpToDate = ids }

// UpToDate returns the nodes SetUpToDate set (nil when none).
func (e *Executor) UpToDate() map[graph.ID]bool { return e.opts.UpToDate }

// Conn returns worker w's connection.
func (e *Executor) Conn(w int) adapter.Conn { return e.conns[w] }

// Conns returns the number of connections (workers).
func (e *Executor) Conns() int { return len(e.conns) }

// Close closes the connections.
func (e *Executor) Close() error {
	var errs []error
	for _, c := range e.conns {
		errs = append(errs, c.Close())
	}
	e.conns = nil
	return errors.Join(errs...)
}

// Execute runs n on worker w's connection.
func (e *Executor) Execute(ctx context.Context, w int, n *graph.Node) run.Result {
	conn := e.conns[w]
	start := time.Now()
	var r run.Result
	if e.opts.UpToDate[n.ID] {
		now := time.Now()
		return run.Result{ID: n.ID, Status: run.UpToDate, Rows: -1, Message: "up to date", Started: now, Completed: now,
			Thread: fmt.Sprintf("Thread-%d", w+1)}
	}
	switch n.Kind {
	case graph.Source:
		r = e.loadSource(ctx, conn, n)
	case graph.Seed:
		r = e.withHooks(ctx, conn, n, e.loadSeed)
	case graph.Model:
		r = e.withHooks(ctx, conn, n, e.model)
	case graph.Test:
		r = e.test(ctx, conn, n)
	case graph.UnitTest:
		r = e.unitTest(ctx, conn, n)
	case graph.Export:
		r = e.export(ctx, conn, n)
	case graph.Snapshot:
		r = e.snapshot(ctx, conn, n)
	default:
		r = run.Result{Status: run.Error, Message: fmt.Sprintf("cannot run a %s", n.Kind)}
	}
	r.ID = n.ID
	r.Started, r.Completed = start, time.Now()
	r.Thread = fmt.Sprintf("Thread-%d", w+1)
	if r.Status == run.Error && ctx.Err() != nil {
		r = interrupted(r)
	}
	return r
}

// interrupted returns r, the result of a node whose run was interrupted,
// in kiln's words: its message, and its error's (which the summary
// prints, at its position), say it was interrupted and rolled back, not
// the database's "INTERRUPT Error: Interrupted!"; the database's error
// stays the cause (Unwrap).
func interrupted(r run.Result) run.Result {
	r.Message = "interrupted: the node's transaction was rolled back"
	var ne *run.NodeError
	if errors.As(r.Err, &ne) {
		r.Err = &run.NodeError{Pos: ne.Pos, Msg: r.Message, Err: r.Err}
	}
	return r
}

// failed is the result of a node that errored with err: its message is
// err's text, err is kept as a value (Result.Err), and a transient cause
// (adapter.IsTransient) makes it retryable.
func failed(err error) run.Result {
	return run.Result{Status: run.Error, Rows: -1, Message: oneLine(err.Error()), Err: err, Retryable: adapter.IsTransient(err)}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// fileLoader is an adapter connection that reads input files itself, in
// the caller's transaction: the DuckDB adapter, with internal/load. An
// adapter without it loads the rows that a file reader writes into
// adapter.Conn.Bulk.
type fileLoader interface {
	LoadFile(ctx context.Context, spec load.Spec, rel adapter.Relation) (load.Result, error)
}

// replace loads spec into the relation of node of in one transaction that
// first moves the previous relation aside in the journal and ends with
// the check of the foreign keys that reference it (checkReferrers) and,
// for a seed, its grants, indexes and persist_docs comments, as dbt's
// seed materialization.
func (e *Executor) replace(ctx context.Context, conn adapter.Conn, spec load.Spec, of *graph.Node, seed bool) (load.Result, error) {
	rel := of.Relation
	fl, ok := conn.(fileLoader)
	if !ok {
		return load.Result{}, fmt.Errorf("this database's adapter cannot load input files yet")
	}
	var res load.Result
	err := conn.Tx(ctx, func() error {
		if !e.schemas {
			if _, err := conn.Run(ctx, e.d.CreateSchema(rel.Schema)); err != nil {
				return err
			}
		}
		kind := e.cat.Kind(rel)
		var err error
		inPlace := false
		// A seed's table is reloaded through place when PostgreSQL may
		// have views bound to it, or when its full_refresh: false keeps
		// it (KeepsSeedTable); otherwise it is moved aside and loaded anew.
		_, binds := conn.(adapter.ViewBinder)
		if il, ok := conn.(placedLoader); ok && seed && kind == string(adapter.Table) && (binds || KeepsSeedTable(of)) {
			res, err = il.LoadFileInto(ctx, spec, rel, func(ctx context.Context, have, want []adapter.Column) (load.Placement, error) {
				p, err := e.placeSeed(ctx, conn, of, kind, have, want)
				inPlace = p == load.InPlace
				return p, err
			})
		} else {
			if err := e.opts.Journal.Prepare(ctx, conn, e.d, rel, kind); err != nil {
				return e.asideError(of, err)
			}
			res, err = fl.LoadFile(ctx, spec, rel)
		}
		if err != nil {
			return err
		}
		if err := e.checkReferrers(ctx, conn, of); err != nil {
			return err
		}
		if seed {
			if err := e.applyGrants(ctx, conn, of, inPlace || e.carried(of, kind)); err != nil {
				return err
			}
			if !inPlace { // a table kept in place keeps its indexes, as dbt's seed materialization
				if err := e.createIndexes(ctx, conn, of); err != nil {
					return err
				}
			}
			if err := persistDocs(ctx, conn, e.d, of); err != nil {
				return err
			}
		}
		failpoint.Hit(failpoint.NodeBuilt)
		return nil
	})
	if err == nil {
		failpoint.Hit(failpoint.NodeCommitted)
		e.cat.Set(rel, "table")
	}
	return res, err
}

func (e *Executor) loadSource(ctx context.Context, conn adapter.Conn, n *graph.Node) run.Result {
	x := n.Source.External
	res, err := e.replace(ctx, conn, e.withProgress(n, SourceSpec(x)), n, false)
	if err != nil {
		return failed(fmt.Errorf("source %q: %w", n.DisplayName(), err))
	}
	if res.Cells != "" {
		e.cells.Store(n.ID, res.Cells)
	}
	e.keepText(n, res)
	e.warnDatesAsText(n, res)
	return run.Result{Status: run.Success, Rows: res.Rows, Message: fmt.Sprintf("loaded %d rows from %s", res.Rows, x.Location),
		AdapterResponse: map[string]any{"_message": fmt.Sprintf("LOAD %d", res.Rows), "rows_affected": res.Rows},
		Metrics:         map[string]float64{"rows": float64(res.Rows)}}
}

// withProgress reports the progress of loading spec for n to
// Options.Progress.
func (e *Executor) withProgress(n *graph.Node, spec load.Spec) load.Spec {
	if f := e.opts.Progress; f != nil {
		spec.Progress = func(p load.Progress) { f(n, p) }
	}
	return spec
}

// SourceSpec is the load specification of a file-backed source.
func SourceSpec(x *graph.External) load.Spec {
	return load.Spec{Path: x.Path, Format: x.Format, Sheet: x.Sheet, ColumnTypes: x.ColumnTypes, Declared: x.Declared, Delimiter: x.Delimiter}.WithReadOptions(x.Read)
}

// SeedError returns err, seed n's file that cannot be read at a line of
// it (a *load.InputError with Line), as a *run.NodeError at the seed
// file's line and column (project-relative), with the load's hint on its
// own line; nil when err names no line. The InputError stays the cause.
func SeedError(n *graph.Node, err error) *run.NodeError {
	var ie *load.InputError
	if !errors.As(err, &ie) || ie.Line == 0 {
		return nil
	}
	return &run.NodeError{Pos: diag.Pos{File: n.Path, Line: ie.Line, Col: ie.Col},
		Msg: fmt.Sprintf("seed %q: %s", n.Name, oneLine(ie.Problem)), Err: err, Hint: ie.Hint}
}

// SeedSpec is the load specification of a seed in projectDir.
func SeedSpec(projectDir string, n *graph.Node) load.Spec {
	return load.Spec{Path: filepath.Join(projectDir, filepath.FromSlash(n.Path)), Format: "csv", Seed: true,
		Delimiter: n.Seed.Delimiter, ColumnTypes: n.Seed.ColumnTypes, Inferred: n.Seed.Inferred}.WithReadOptions(n.Seed.Read)
}

func (e *Executor) loadSeed(ctx context.Context, conn adapter.Conn, n *graph.Node) run.Result {
	res, err := e.replace(ctx, conn, e.withProgress(n, SeedSpec(e.opts.ProjectDir, n)), n, true)
	var ne *run.NodeError
	if errors.As(err, &ne) {
		return failed(ne)
	}
	if err != nil {
		if ne := SeedError(n, err); ne != nil {
			return failed(ne)
		}
		return failed(fmt.Errorf("seed %q: %w", n.Name, err))
	}
	return run.Result{Status: run.Success, Rows: res.Rows,
		AdapterResponse: map[string]any{"_message": fmt.Sprintf("INSERT %d", res.Rows), "code": "INSERT", "rows_affected": res.Rows}, // dbt's seed: noop_statement(code ~ ' ' ~ rows, code, rows)
		Metrics:         map[string]float64{"rows": float64(res.Rows)}}
}

func (e *Executor) model(ctx context.Context, conn adapter.Conn, n *graph.Node) run.Result {
	return e.modelPlanned(ctx, conn, n, nil)
}

// modelPlanned builds model n; plan, when not nil, is what its run
// builds of a microbatch model (read before its hooks ran).
func (e *Executor) modelPlanned(ctx context.Context, conn adapter.Conn, n *graph.Node, plan *batchPlan) run.Result {
	// A microbatch model renders again for each batch (microbatch).
	if e.opts.Render != nil && (n.Incremental == nil || n.Incremental.Batch == nil) {
		r, res, done := e.renderModel(ctx, conn, n)
		if done {
			return res
		}
		n = r
	}
	if n.ContractEnforced() {
		if err := checkContract(ctx, conn, e.d, n); err != nil {
			// The query's own error (a missing parent, a column), at its
			// position in the model, as when it runs.
			// DuckDB describes the query inside its Describe statement,
			// PostgreSQL prepares it as written.
			described := adapter.Stmt{SQL: n.CompiledCode}
			if e.typ == "duckdb" {
				described = e.d.Describe(n.CompiledCode)
			}
			return failed(e.sqlError(n, err, described))
		}
	}
	if n.Incremental != nil {
		return e.incremental(ctx, conn, n, plan)
	}
	rows := int64(-1)
	build := func() error {
		kind := e.cat.Kind(n.Relation)
		carried := e.carried(n, kind)
		// Read before the relation is moved aside (their queries name it).
		kept, err := e.viewsToKeep(ctx, conn, n, kind)
		if err != nil {
			return err
		}
		if e.opts.Journal != nil {
			if err := e.opts.Journal.Prepare(ctx, conn, e.d, n.Relation, kind); err != nil {
				return e.asideError(n, err)
			}
			kind = "" // moved aside
		}
		if err := e.asideViews(ctx, conn, kept); err != nil {
			return err
		}
		stmts, err := materialize.Model(e.d, n, kind)
		if err != nil {
			return err
		}
		if e.schemas {
			stmts = stmts[1:] // the schema exists
		}
		// The last statement goes with the COMMIT when nothing follows it
		// (adapter.Pipeliner): one round trip per node on PostgreSQL.
		pl, commitWith := conn.(adapter.Pipeliner)
		_, _, grants := e.granted(n)
		commitWith = commitWith && !(n.Config.Materialized == graph.Table && DistributionOf(n).Column != "") && !persistsDocs(n) && !grants && !e.indexed(n) &&
			!materialize.HasForeignKeys(n) && len(e.referrers[n.ID]) == 0 && len(kept) == 0 // checked after the rows are written, before the commit
		for i, s := range stmts {
			last := i == len(stmts)-1
			var c int64
			var err error
			if last && commitWith {
				c, err = pl.RunCommit(ctx, s)
			} else {
				c, err = conn.Run(ctx, s)
			}
			if err != nil {
				if last {
					return e.sqlError(n, err, s)
				}
				return err
			}
			if last && s.CountRows {
				rows = c
			}
		}
		if err := e.keepViews(ctx, conn, n, kept); err != nil {
			return err
		}
		if err := e.checkForeignKeys(ctx, conn, n); err != nil {
			return err
		}
		if err := e.checkReferrers(ctx, conn, n); err != nil {
			return err
		}
		if n.Config.Materialized == graph.Table {
			if err := e.createIndexes(ctx, conn, n); err != nil {
				return err
			}
			if err := e.distribute(ctx, conn, n); err != nil {
				return err
			}
		}
		if err := persistDocs(ctx, conn, e.d, n); err != nil {
			return err
		}
		if !e.grantsAfterHooks(n) {
			if err := e.applyGrants(ctx, conn, n, carried); err != nil {
				return err
			}
		}
		failpoint.Hit(failpoint.NodeBuilt)
		return nil
	}
	// The relation, its backup and the journal entry are committed together.
	if err := conn.Tx(ctx, build); err != nil {
		return failed(err)
	}
	failpoint.Hit(failpoint.NodeCommitted)
	e.cat.Set(n.Relation, n.Config.Materialized)
	r := run.Result{Status: run.Success, Rows: rows, CompiledCode: n.CompiledCode,
		AdapterResponse: map[string]any{"_message": "OK"}}
	if rows >= 0 {
		r.AdapterResponse = map[string]any{"_message": fmt.Sprintf("SELECT %d", rows), "rows_affected": rows}
		r.Metrics = map[string]float64{"rows": float64(rows)}
	}
	return r
}

// compiledFile returns where the compiled SQL of n is, relative to the
// project directory when it is below it.
func (e *Executor) compiledFile(n *graph.Node) string {
	p := filepath.Join(e.opts.TargetDir, filepath.FromSlash(artifact.CompiledPath(e.opts.ProjectName, n)))
	if r, err := filepath.Rel(e.opts.ProjectDir, p); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return p
}

// sqlError returns the error of statement s, which nests n's compiled
// SQL (s.Body), as a *run.NodeError: at the failing token's position in
// n's .sql file (or an ephemeral parent's) when it maps back there, else
// at n's position; with the token's position in the compiled file under
// the target path as a second note; the database's error as its cause
// (so a transient one is retried). Other errors are returned as they are.
func (e *Executor) sqlError(n *graph.Node, err error, s adapter.Stmt) error {
	var de *adapter.Error
	if !errors.As(err, &de) {
		return err
	}
	ne := &run.NodeError{Pos: n.Pos, Msg: de.Error(), Err: err, Hint: sqlHint(e.g, n, de)}
	if ne.Hint == "" && e.opts.CatalogHint != nil {
		ne.Hint = e.opts.CatalogHint(de.Msg) // a view built with --defer, its state not attached
	}
	if ne.Hint == "" {
		e.locateConversion(n, de, ne) // a value of a workbook's cell that did not convert
	}
	off, ok := bodyOffset(s.SQL, s.Body, de.Line, de.Col, n.CompiledCode)
	syntaxAt := -1 // where in the trimmed body a syntax error is
	if de.Class == adapter.Syntax && s.Body >= 0 {
		syntaxAt = off
		if !ok {
			syntaxAt = afterBody(s.SQL, s.Body, de, n.CompiledCode)
		}
	}
	lead := strings.Index(n.CompiledCode, materialize.Body(n.CompiledCode))
	var mapped diag.Pos // the position in a project file, when the token maps there
	if syntaxAt >= 0 && !ok {
		// After the body: the error is at its last token.
		toks, _ := lexSQL(materialize.Body(n.CompiledCode))
		if len(toks) > 0 {
			off, ok = toks[len(toks)-1].start, true
		}
	}
	if ok {
		l, c := diag.Offset(n.CompiledCode, lead+off)
		ne.Compiled = diag.Pos{File: e.compiledFile(n), Line: l, Col: c}
		if pos, ok := e.sourcePos(n, n.CompiledCode, lead+off, e.inlined(n)); ok {
			ne.Pos, mapped = pos, pos
			if n.Kind == graph.Test && n.Test != nil && n.Test.Where != "" && pos == n.Test.WhereAt {
				ne.Msg = fmt.Sprintf("in its where config (%s): %s", n.Test.Where, ne.Msg)
			}
		} else if pos, ok := argPos(n, n.CompiledCode, lead+off); ok {
			ne.Pos = pos // a generic test's argument: field: of a relationships test
		}
	}
	if syntaxAt >= 0 {
		ne.Hint = e.syntaxHint(n, de, lead, syntaxAt, mapped, e.compiledFile(n))
	}
	return ne
}

// afterBody returns len(materialize.Body(query)) when the syntax error de
// of statement sql, which nests that text at byte body, is just after it:
// at kiln's text that follows it, past closing parentheses only, or at the
// end of the statement ("at end of input", which has no position); else -1.
func afterBody(sql string, body int, de *adapter.Error, query string) int {
	n := len(materialize.Body(query))
	if de.Line == 0 {
		if strings.Contains(de.Msg, "end of input") {
			return n
		}
		return -1
	}
	// The parser must have stopped at kiln's text right after the body,
	// past nothing but closing parentheses (which the body's unclosed ones
	// took): a later token is in a clause of kiln's (a config's), not
	// the body's.
	p, ok := diag.ByteOffset(sql, de.Line, max(de.Col, 1))
	if ok && p >= body+n && strings.Trim(sql[body+n:p], " \t\r\n)") == "" {
		return n
	}
	return -1
}

// syntaxHint returns the hint for the syntax error de of node n's
// compiled SQL (trimmed, at byte lead of it), stopped at byte off of it
// (its length when after it), which maps to pos in a project file (zero
// when it maps to none); compiled is the compiled file's path, "" when
// none was written.
func (e *Executor) syntaxHint(n *graph.Node, de *adapter.Error, lead, off int, pos diag.Pos, compiled string) string {
	return e.syntaxHintIn(n, n.CompiledCode, e.inlined(n), de, lead, off, pos, compiled)
}

// syntaxHintIn is syntaxHint for SQL code that holds n's (a unit test's
// query: n's SQL on the given rows, ctes), rather than n's compiled SQL.
func (e *Executor) syntaxHintIn(n *graph.Node, code string, ctes []cte, de *adapter.Error, lead, off int, pos diag.Pos, compiled string) string {
	body := materialize.Body(code)
	in := syntaxInput{sql: body, off: off, compiled: compiled}
	in.at = func(i int) string {
		l, c := diag.Offset(code, lead+i)
		if p, ok := e.sourcePos(n, code, lead+i, ctes); ok {
			if p.Col == 0 {
				return fmt.Sprintf("%s (column %d as compiled)", p, c)
			}
			return p.String()
		}
		if compiled == "" {
			return fmt.Sprintf("line %d, column %d of the compiled SQL", l, c)
		}
		return diag.Pos{File: compiled, Line: l, Col: c}.String()
	}
	if pos.Line > 0 {
		// The line as rendered, when rendering changed it up to the
		// token's end (or anywhere, when the SQL ends early: what a
		// variable or macro left out).
		at := min(off, max(len(body)-1, 0))
		cl, cc := diag.Offset(code, lead+at)
		compiled := lineOf(code, cl)
		upTo := compiled
		if off < len(body) {
			end := cc - 1
			for end < len(compiled) && isWordByte(compiled[end]) {
				end++
			}
			upTo = compiled[:max(end, min(cc, len(compiled)))]
		}
		raw := e.rawLine(n, pos)
		if raw != "" && strings.TrimSpace(raw) != strings.TrimSpace(compiled) && (off >= len(body) || !strings.HasPrefix(raw, upTo)) {
			in.rendered = compiled
		}
	}
	return syntaxHint(de, in)
}

// rawLine returns the line of the project file at pos when it is node n's
// file or an inlined ephemeral model's, else "".
func (e *Executor) rawLine(n *graph.Node, pos diag.Pos) string {
	if pos.File == n.Path {
		return lineOf(n.RawCode, pos.Line)
	}
	for _, c := range e.inlined(n) {
		if c.node.Path == pos.File {
			return lineOf(c.node.RawCode, pos.Line)
		}
		if s := e.rawLine(c.node, pos); s != "" {
			return s
		}
	}
	return ""
}

// lineOf returns 1-based line l of s, "" when there is none.
func lineOf(s string, l int) string {
	lines := strings.Split(s, "\n")
	if l < 1 || l > len(lines) {
		return ""
	}
	return strings.TrimRight(lines[l-1], "\r")
}

// export writes the export's file aside; the journal publishes it (renames
// it into place) only when the whole run commits.
func (e *Executor) export(ctx context.Context, conn adapter.Conn, n *graph.Node) run.Result {
	final := export.Path(e.opts.TargetDir, n)
	out := final
	if e.opts.Journal != nil {
		out = e.opts.Journal.StagedPath(final)
	}
	rows, err := export.Write(ctx, conn, e.d, e.reads, n, out)
	if err != nil {
		if why := unwritable(filepath.Dir(out)); why != nil {
			// Not the temporary file's name: the folder, and why.
			dir := filepath.Dir(final)
			if r, err := filepath.Rel(e.opts.ProjectDir, dir); err == nil && !strings.HasPrefix(r, "..") {
				dir = r
			}
			return failed(fmt.Errorf("cannot write export %s (%s) to folder %s: %v; check its permissions", n.Name, n.Pos, dir, why))
		}
		return failed(fmt.Errorf("export %q: %w", n.Name, err))
	}
	if e.opts.Journal != nil {
		e.opts.Journal.StageFile(out, final)
	}
	return run.Result{Status: run.Success, Rows: rows, Message: "wrote " + path.Join(filepath.ToSlash(e.opts.TargetDir), n.Export.Path),
		Metrics: map[string]float64{"rows": float64(rows)}}
}

// unwritable returns why no file can be created in dir (the operating
// system's reason, such as "permission denied"), nil when one can: it
// creates and removes a hidden empty file there.
func unwritable(dir string) error {
	f, err := os.CreateTemp(dir, ".kiln-probe-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return pe.Err
		}
		return err
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// asideError is the error of moving node n's relation aside in the
// journal: a database error with kiln's hint (sqlHint: an index made by
// hand that forbids it) as a *run.NodeError at n, others as they are.
func (e *Executor) asideError(n *graph.Node, err error) error {
	var de *adapter.Error
	if !errors.As(err, &de) {
		return err
	}
	if h := sqlHint(e.g, n, de); h != "" {
		return &run.NodeError{Pos: n.Pos, Msg: de.Error(), Err: err, Hint: h}
	}
	return err
}

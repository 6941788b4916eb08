package execute

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/materialize"
	"github.com/kiln-build/kiln/internal/run"
)

// AuditSchema is where store_failures keeps the failing rows of tests.
const AuditSchema = graph.AuditSchema

// test evaluates a data test: it counts the failing rows (keeping them in
// the audit schema with store_failures), decides pass, warn or fail from
// severity, warn_if and error_if, and says what was expected and found.
func (e *Executor) test(ctx context.Context, conn adapter.Conn, n *graph.Node) run.Result {
	if n.Test != nil && IsChangeTest(n.Test.Generic) {
		return e.changeTest(ctx, conn, n)
	}
	if n.Test != nil && IsAnomalyTest(n.Test.Generic) {
		return e.anomalyTest(ctx, conn, n)
	}
	if e.opts.Render != nil && n.RenderAtRun {
		sql, ok, err := e.opts.Render(ctx, n, adapter.Session{Conn: conn, Dialect: e.d, Type: e.typ})
		if err != nil {
			return failed(&run.NodeError{Pos: n.Pos, Msg: fmt.Sprintf("test %q: rendering at run time: %v", n.Name, err), Err: err})
		}
		if ok {
			rendered := *n
			rendered.CompiledCode = sql
			n = &rendered
		}
	}
	failures, stmt, err := e.countFailures(ctx, conn, n)
	if err != nil {
		return failed(e.testError(ctx, conn, n, err, stmt))
	}
	warnIf, _ := n.Config.Extra["warn_if"].(string)
	errorIf, _ := n.Config.Extra["error_if"].(string)
	outcome, err := materialize.Outcome(float64(failures), n.Config.Severity, warnIf, errorIf)
	if err != nil {
		return failed(fmt.Errorf("%s: %w", n.Pos, err))
	}
	r := run.Result{Status: run.Status(outcome), Failures: failures, Rows: -1,
		CompiledCode:    n.CompiledCode,
		AdapterResponse: map[string]any{"_message": fmt.Sprintf("SELECT %d", failures)},
		Metrics:         map[string]float64{"failures": float64(failures)}}
	r.Expected, r.Actual = e.describe(ctx, conn, n, failures, r.Metrics)
	if outcome != "pass" {
		r.Message = fmt.Sprintf("expected %s, found %s", r.Expected, r.Actual)
		// A warn_if or error_if of its own decided: say it, as "expected
		// no failing rows" would be false ("error_if <1: found 0 failing
		// rows").
		key, cond := "warn_if", warnIf
		if outcome == "fail" {
			key, cond = "error_if", errorIf
		}
		if !materialize.DefaultCondition(cond) {
			r.Condition = key + " " + strings.TrimSpace(cond)
			r.Expected = fmt.Sprintf("not %s (%s)", strings.TrimSpace(cond), key)
			r.Message = fmt.Sprintf("%s: found %s", r.Condition, r.Actual)
		}
		if n.StoresFailures() {
			r.Message = fmt.Sprintf("the failing rows are in %s", n.AuditRelation().Display())
			if rows := e.firstFailingRows(ctx, conn, n.AuditRelation()); rows != "" {
				r.Message += ": " + rows
			}
		}
		if outcome == "fail" && e.opts.AcceptDeviations && IsDeviationGate(n) {
			r.Status = run.Warn
			r.Message += acceptedJoins
		}
	}
	return r
}

// countFailures runs the test query; with store_failures the failing rows
// first replace the test's audit table (dropped and created again), or
// with store_failures_as: view its audit view (a view of the test's query,
// as dbt's), in one transaction; a relation of the other kind under that
// name (the test's previous setting) is dropped first.
func (e *Executor) countFailures(ctx context.Context, conn adapter.Conn, n *graph.Node) (int64, adapter.Stmt, error) {
	q := materialize.TestQuery(e.d, n)
	if !n.StoresFailures() {
		c, err := conn.QueryInt(ctx, q.SQL)
		return c, q, err
	}
	rel := n.AuditRelation()
	var failures int64
	// What dbt's test materialization stores: the test's query with its
	// limit (the count then reads the stored rows).
	code := e.d.LimitRows(n.CompiledCode, materialize.TestLimit(n))
	keep := e.d.CreateTableAs(rel, code.SQL)
	if n.FailuresAsView() {
		keep = e.d.CreateViewAs(rel, code.SQL)
	}
	keep.Body += code.Body // errors point into the test's own SQL
	err := conn.Tx(ctx, func() error {
		if _, err := conn.Run(ctx, e.d.CreateSchema(rel.Schema)); err != nil {
			return err
		}
		// The previous run's failing rows: CreateTableAs replaces nothing
		// on every database (PostgreSQL has no create or replace table).
		kind, err := conn.RelationKind(ctx, rel)
		if err != nil {
			return err
		}
		if kind != "" {
			if _, err := conn.Run(ctx, e.d.DropRelation(rel, kind, true)); err != nil {
				return err
			}
		}
		if _, err := conn.Run(ctx, keep); err != nil {
			return err
		}
		stored := *n
		stored.CompiledCode = e.d.SelectAll(rel, "")
		failures, err = conn.QueryInt(ctx, materialize.TestQuery(e.d, &stored).SQL)
		return err
	})
	return failures, keep, err
}

// testError explains a failing test query: a test on a column the model
// does not have is reported at the test's YAML position (once: a
// *run.NodeError) with the model's columns, and the nearest as a hint.
func (e *Executor) testError(ctx context.Context, conn adapter.Conn, n *graph.Node, err error, s adapter.Stmt) error {
	var de *adapter.Error
	if n.Test == nil || n.Test.Column() == "" || !errors.As(err, &de) || de.Class != adapter.Semantic {
		return e.sqlError(n, err, s)
	}
	on := e.g.Node(n.Test.Attached)
	if on == nil || on.Relation.IsZero() {
		return e.sqlError(n, err, s)
	}
	cols, cerr := conn.Columns(ctx, on.Relation)
	if cerr != nil || len(cols) == 0 {
		return e.sqlError(n, err, s)
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		if strings.EqualFold(c.Name, n.Test.Column()) {
			return e.sqlError(n, err, s) // the column exists: another problem
		}
		names[i] = c.Name
	}
	return &run.NodeError{
		Pos:  n.Pos,
		Msg:  fmt.Sprintf("test %q is on column %q, which %s %q does not have (columns: %s)", n.Test.Generic, n.Test.Column(), on.Kind, on.DisplayName(), strings.Join(names, ", ")),
		Err:  err,
		Hint: diag.DidYouMean(n.Test.Column(), names),
	}
}

// Package run is kiln's scheduler: it runs the selected nodes of the graph
// on a pool of workers in dependency order, runs a model's tests right
// after it, turns the descendants of a failed node into skipped nodes that
// name it, and honours cancellation and --fail-fast. What running a node
// means is the Executor's business; the scheduler never touches a database.
package run

import (
	"time"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
)

// Status is a node's outcome, with dbt's names: models, seeds, sources and
// exports end in success, error or skipped; tests in pass, fail, warn,
// error or skipped.
type Status string

// The statuses.
const (
	Success Status = "success"
	Error   Status = "error"
	Skipped Status = "skipped"
	Pass    Status = "pass"
	Fail    Status = "fail"
	Warn    Status = "warn"
	// UpToDate is a node that did not need to run: dbt's "no-op".
	UpToDate Status = "no-op"
)

// Failed reports whether s stops the node's descendants.
func (s Status) Failed() bool { return s == Error || s == Fail || s == Skipped }

// Result is what running one node gave.
type Result struct {
	ID      graph.ID
	Status  Status
	Message string // one line: what failed, or what was done ("825 rows")
	// Started and Completed bound the node's execution; zero when skipped.
	Started, Completed time.Time
	// Thread is the worker that ran the node ("Thread-1"); empty when skipped.
	Thread string
	// Rows is the number of rows written (models, seeds, sources, exports),
	// or -1 when unknown.
	Rows int64
	// Failures is the number of failing rows of a test.
	Failures int64
	// Expected and Actual describe a test's check in words ("0 rows",
	// "3 rows where revenue < 0"), for the summary and run_results.json.
	Expected, Actual string
	// Condition is the warn_if or error_if that made a test warn or fail
	// when it is not dbt's default ("error_if <1"), "" otherwise: the
	// test's Expected then does not hold the rule that decided.
	Condition string
	// Metrics are values a node computed (row counts, test metrics), kept in
	// the run history.
	Metrics map[string]float64
	// Gates are what a deviation gate found, a series each (see Gate).
	Gates []Gate
	// WarnError is a warning that dbt's --warn-error made a failure
	// (Status Fail): its Message says so (WarnErrorNote).
	WarnError bool
	// SkippedBy names the failed node that caused a skip.
	SkippedBy graph.ID
	// Attempts is the number of times the node was tried (retries).
	Attempts int
	// Err is the error of a node that errored (Status Error), as a value:
	// a *NodeError holding the source position and the typed cause, or the
	// cause itself; nil otherwise. Message is its text.
	Err error
	// Retryable says the error may pass on another try (an I/O error, a
	// transaction conflict): the scheduler retries such errors.
	Retryable bool
	// AdapterResponse is DuckDB's answer, in dbt's shape
	// ({"_message": ..., "rows_affected": ...}).
	AdapterResponse map[string]any
	// CompiledCode is the SQL that ran, for run_results.json.
	CompiledCode string
	// Batches are the batches of a microbatch model this run built or
	// failed to build (run_results.json's batch_results); nil for other
	// nodes.
	Batches *Batches
}

// Batches are what a microbatch model's run did with its batches. The
// model is built in one transaction: when a batch fails, Successful is
// empty (nothing of the run is kept) and Failed holds that batch.
type Batches struct {
	Successful, Failed []Batch
}

// Batch is one batch, [Start, End) in UTC.
type Batch struct {
	Start, End time.Time
}

// WarnErrorNote is said of a warning that --warn-error made a failure
// (Result.WarnError).
const WarnErrorNote = "this warning failed the run because of --warn-error"

// Duration returns the execution time.
func (r Result) Duration() time.Duration {
	if r.Completed.IsZero() {
		return 0
	}
	return r.Completed.Sub(r.Started)
}

// NodeError is why a node errored, as a value: where in the project the
// problem is (the model's .sql line and column, a test's YAML entry),
// first, as the compiler's diagnostics; what happened; where in the SQL
// kiln ran it is (the compiled file, a second note); and the cause (the
// database's *adapter.Error, an input file's error...), which errors.As
// reaches, so that a transient cause is retried.
type NodeError struct {
	Pos      diag.Pos // the position in a project file; zero when unknown
	Msg      string   // one line, lower case, without the position
	Compiled diag.Pos // the position in the compiled SQL under the target path; zero when none
	Err      error    // the cause; nil when Msg says it all
	Hint     string   // what to do about it, printed on a line of its own; "" when none
}

// Error returns "pos: msg (compiled SQL: pos)", without the parts that
// are unknown, on one line.
func (e *NodeError) Error() string {
	s := e.Msg
	if e.Pos.File != "" {
		s = e.Pos.String() + ": " + s
	}
	if e.Compiled.File != "" {
		s += " (compiled SQL: " + e.Compiled.String() + ")"
	}
	return s
}

// Unwrap returns the cause.
func (e *NodeError) Unwrap() error { return e.Err }

package ui

import (
	"encoding/json"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/run"
)

// JSONLog writes kiln's events as JSON lines (https://jsonlines.org): one
// object per line, each written with a single Write, so that lines from
// concurrent calls never interleave (nor, on a local file opened with
// O_APPEND, lines of several kiln processes). Its methods are safe for
// concurrent use.
//
// Every line is a flat object that starts with three keys:
//
//	{"ts": "2026-03-02T05:00:01.123456789Z", "level": "info", "event": "node_finished", ...}
//
// ts is RFC 3339 with nanoseconds, in UTC; level is "debug", "info",
// "warn" or "error"; event is one of run_started, node_started,
// node_finished, run_finished and message. The other keys use the names of
// dbt's artifacts (unique_id, resource_type, status, thread_id,
// execution_time, failures) and invocation_id, once a run has started,
// ties the lines of one run together.
//
// The shape is flat, rather than dbt's {"info": {...}, "data": {...}}, so
// that jq filters (select(.event == "node_finished" and .status ==
// "error")) and log shippers, which index top-level keys, read it without
// knowing a nesting; the keys are the same across events, so one schema
// covers them all.
type JSONLog struct {
	mu         sync.Mutex
	w          io.Writer
	invocation string
	err        error
	now        func() time.Time
}

// NewJSONLog returns a JSONLog writing to w.
func NewJSONLog(w io.Writer) *JSONLog {
	return &JSONLog{w: w, now: time.Now}
}

// Err returns the first write error, if any; a JSONLog keeps going after
// one, as logging must not stop a run.
func (l *JSONLog) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// SetInvocation sets the invocation_id of the lines that follow.
func (l *JSONLog) SetInvocation(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.invocation = id
}

// RunStart describes a run that starts.
type RunStart struct {
	Command      string   // "build", "run", "test", "seed"
	Select       []string // --select arguments
	Exclude      []string // --exclude arguments
	Nodes        int      // nodes planned
	Threads      int
	InvocationID string
	Target       string // the target path
}

// header is the start of every line.
type header struct {
	TS           string `json:"ts"`
	Level        string `json:"level"`
	Event        string `json:"event"`
	InvocationID string `json:"invocation_id,omitempty"`
}

// RunStarted logs
//
//	{"ts", "level": "info", "event": "run_started", "invocation_id", "command", "select", "exclude", "node_count", "threads", "target_path"}
//
// and sets the invocation_id of the lines that follow.
func (l *JSONLog) RunStarted(s RunStart) {
	l.mu.Lock()
	l.invocation = s.InvocationID
	l.mu.Unlock()
	l.write("info", "run_started", struct {
		Command string   `json:"command"`
		Select  []string `json:"select"`
		Exclude []string `json:"exclude"`
		Nodes   int      `json:"node_count"`
		Threads int      `json:"threads,omitempty"`
		Target  string   `json:"target_path,omitempty"`
	}{s.Command, emptyIfNil(s.Select), emptyIfNil(s.Exclude), s.Nodes, s.Threads, s.Target})
}

// nodeFields identify a node on node_started and node_finished lines.
type nodeFields struct {
	UniqueID     graph.ID `json:"unique_id"`
	Name         string   `json:"name"`
	ResourceType string   `json:"resource_type"`
	Path         string   `json:"path,omitempty"`
}

func fieldsOf(id graph.ID, n *graph.Node) nodeFields {
	if n == nil {
		return nodeFields{UniqueID: id, Name: string(id)}
	}
	return nodeFields{UniqueID: n.ID, Name: n.DisplayName(), ResourceType: string(n.Kind), Path: n.Path}
}

// NodeStarted logs
//
//	{"ts", "level": "info", "event": "node_started", "unique_id", "name", "resource_type", "path", "thread_id"}
//
// with worker counted from 0 and written as dbt's "Thread-1".
func (l *JSONLog) NodeStarted(n *graph.Node, worker int) {
	l.write("info", "node_started", struct {
		nodeFields
		Thread string `json:"thread_id"`
	}{fieldsOf(n.ID, n), threadName(worker)})
}

// NodeFinished logs
//
//	{"ts", "level", "event": "node_finished", "unique_id", "name", "resource_type", "path",
//	 "status", "thread_id", "started_at", "completed_at", "execution_time",
//	 "rows", "failures", "message", "expected", "actual", "skipped_by", "attempts",
//	 "index", "total"}
//
// level is "error" for error and fail, "warn" for warn, else "info";
// started_at and completed_at are RFC 3339 with nanoseconds in UTC (null
// for a node that did not run), execution_time is in seconds, rows is null
// when unknown, failures null unless a test ran; index counts the finished
// nodes, total the planned ones. n may be nil when the graph lacks r.ID.
func (l *JSONLog) NodeFinished(r run.Result, n *graph.Node, index, total int) {
	level := "info"
	switch r.Status {
	case run.Error, run.Fail:
		level = "error"
	case run.Warn:
		level = "warn"
	}
	var rows, failures *int64
	if r.Rows >= 0 {
		rows = &r.Rows
	}
	if n != nil && (n.Kind == graph.Test || n.Kind == graph.UnitTest) && r.Status != run.Skipped && r.Status != run.Error {
		failures = &r.Failures
	}
	l.write(level, "node_finished", struct {
		nodeFields
		Status    run.Status `json:"status"`
		Thread    string     `json:"thread_id,omitempty"`
		Started   *string    `json:"started_at"`
		Completed *string    `json:"completed_at"`
		Seconds   float64    `json:"execution_time"`
		Rows      *int64     `json:"rows"`
		Failures  *int64     `json:"failures"`
		Message   string     `json:"message,omitempty"`
		Expected  string     `json:"expected,omitempty"`
		Actual    string     `json:"actual,omitempty"`
		SkippedBy graph.ID   `json:"skipped_by,omitempty"`
		Attempts  int        `json:"attempts,omitempty"`
		Index     int        `json:"index"`
		Total     int        `json:"total"`
	}{fieldsOf(r.ID, n), r.Status, r.Thread, timeText(r.Started), timeText(r.Completed), r.Duration().Seconds(),
		rows, failures, r.Message, r.Expected, r.Actual, r.SkippedBy, r.Attempts, index, total})
}

// RunFinished logs
//
//	{"ts", "level", "event": "run_finished", "elapsed", "exit_code", "interrupted",
//	 "counts": {"success", "pass", "warn", "error", "fail", "skipped", ...}, "total"}
//
// with elapsed in seconds, counts by status (only the statuses seen), and
// level "error" when exitCode is not 0.
func (l *JSONLog) RunFinished(results []run.Result, elapsed time.Duration, exitCode int, interrupted bool) {
	counts := map[run.Status]int{}
	for _, r := range results {
		counts[r.Status]++
	}
	level := "info"
	if exitCode != 0 {
		level = "error"
	}
	l.write(level, "run_finished", struct {
		Elapsed     float64            `json:"elapsed"`
		ExitCode    int                `json:"exit_code"`
		Interrupted bool               `json:"interrupted"`
		Counts      map[run.Status]int `json:"counts"`
		Total       int                `json:"total"`
	}{elapsed.Seconds(), exitCode, interrupted, counts, len(results)})
}

// Message logs a line of text, such as a diagnostic or a warning:
//
//	{"ts", "level", "event": "message", "message"}
func (l *JSONLog) Message(level, text string) {
	l.write(level, "message", struct {
		Message string `json:"message"`
	}{text})
}

// write encodes the header and the event's fields as one object on one
// line: both encode to objects, and the second's opening brace replaces
// the first's closing one.
func (l *JSONLog) write(level, event string, fields any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, err := json.Marshal(header{TS: l.now().UTC().Format(time.RFC3339Nano), Level: level, Event: event, InvocationID: l.invocation})
	if err != nil {
		l.fail(err)
		return
	}
	f, err := json.Marshal(fields)
	if err != nil {
		l.fail(err)
		return
	}
	line := h[:len(h)-1]
	if len(f) > 2 { // not {}
		line = append(append(line, ','), f[1:]...)
	} else {
		line = append(line, '}')
	}
	line = append(line, '\n')
	if _, err := l.w.Write(line); err != nil {
		l.fail(err)
	}
}

func (l *JSONLog) fail(err error) {
	if l.err == nil {
		l.err = err
	}
}

func timeText(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

func threadName(worker int) string { return "Thread-" + strconv.Itoa(worker+1) }

func emptyIfNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

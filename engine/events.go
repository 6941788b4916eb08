package engine

import (
	"time"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/load"
	"github.com/kiln-build/kiln/internal/run"
)

// Event is what the engine tells its listeners: one of Message, Log,
// Diagnostics, RunStarted, NodeStarted, NodeRetry, NodeProgress,
// NodeFinished and RunFinished.
type Event interface{ event() }

// Listener receives a run's events. The engine calls it from one goroutine
// at a time, in the order the events happen. While a run's nodes execute,
// that goroutine is one of the engine's own, and the events reach the
// listener up to one node behind the run (the next node's statement does
// not wait for them); every event of a run is delivered before Project.Run
// publishes it and returns. A slow listener holds the run back: a node
// starts only once the events of the nodes before the last one that
// finished are delivered.
type Listener func(Event)

// Level is a Message's severity.
type Level string

// The levels of a Message, as the JSON log writes them.
// Debug is for the run's log file only (the command line writes it to
// kiln.log, not to the terminal), as dbt's debug events.
const (
	Debug Level = "debug"
	Info  Level = "info"
	Warn  Level = "warn"
	Error Level = "error"
)

// Message is a line of text for the user: a note ("removed 2 unfinished
// files"), a warning or an error. Text is complete ("warning: ..."), one
// line or a short paragraph, without a trailing newline.
type Message struct {
	Level Level
	Text  string
}

// Log is a message of a template's log() or print() (dbt's JinjaLogInfo
// and JinjaLogDebug): Debug is set for log(msg) without info=True, which
// dbt writes to its log file only. Node is the node whose rendering
// logged it, nil for a hook of the run or an operation. A node's messages
// come when it starts (from its compile rendering), or as it renders
// again at run time when its template reads execute.
type Log struct {
	Node  *graph.Node
	Text  string
	Debug bool
}

// Diagnostics are the problems found in the project's files, sorted by
// position; a list holding errors stops the command.
type Diagnostics struct{ List diag.List }

// RunStarted opens a run, once the database is held and the run is in the
// history.
type RunStarted struct {
	Command      string   // build, run, test or seed
	Select       []string // --select
	Exclude      []string // --exclude
	Nodes        int      // nodes planned
	Threads      int
	InvocationID string
	Target       string // the target path, relative to the project when below it
}

// NodeStarted is a node that a worker (counted from 0) starts.
type NodeStarted struct {
	Node   *graph.Node
	Worker int
}

// NodeRetry is a node whose attempt failed with a transient error and that
// runs again after Wait.
type NodeRetry struct {
	Node    *graph.Node
	Attempt int // the attempt that failed, from 1
	Result  run.Result
	Wait    time.Duration
}

// NodeProgress is the progress of a node that loads a file (a source or
// a seed): rows read, rows per second and the share of the file, at most
// every 200 ms while the rows stream.
type NodeProgress struct {
	Node     *graph.Node
	Progress load.Progress
}

// NodeFinished is a node that finished, was skipped or was up to date;
// Done counts the finished nodes of the run, Total the planned ones.
type NodeFinished struct {
	Result      run.Result
	Node        *graph.Node
	Done, Total int
}

// RunFinished closes a run, after its publication (see Result).
type RunFinished struct{ Result *Result }

func (Message) event()      {}
func (Log) event()          {}
func (Diagnostics) event()  {}
func (RunStarted) event()   {}
func (NodeStarted) event()  {}
func (NodeRetry) event()    {}
func (NodeProgress) event() {}
func (NodeFinished) event() {}
func (RunFinished) event()  {}

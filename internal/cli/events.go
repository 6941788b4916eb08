package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/engine"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/run"
	"github.com/kiln-build/kiln/internal/scrub"
	"github.com/kiln-build/kiln/internal/ui"
)

// listen is the engine's listener: it prints the events on stderr (text
// or JSON lines), appends a run's events to <target>/kiln.log and writes
// the --junit-xml report when a run finishes.
//
// With --quiet only errors are printed: error messages and diagnostics,
// the nodes that errored or failed, and the details of those at the end.
func (a *app) listen(ev engine.Event) {
	if m, ok := ev.(engine.Message); ok && m.Level == engine.Debug {
		// The run's log file only, as a template's debug log().
		if a.fileLog != nil {
			a.fileLog.Message(string(engine.Debug), m.Text)
		}
		return
	}
	if a.quiet && a.quietDrops(ev) {
		return
	}
	switch ev := ev.(type) {
	case engine.Message:
		a.ui.Printf("%s", ev.Text)
	case engine.Log:
		a.jinjaLog(ev)
	case engine.Diagnostics:
		a.ui.Diagnostics(ev.List)
	case engine.RunStarted:
		a.openRunLog(ev.Target)
		a.fileLog.SetInvocation(ev.InvocationID)
		a.runLog.RunStarted(ui.RunStart{Command: ev.Command, Select: ev.Select, Exclude: ev.Exclude, Nodes: ev.Nodes,
			Threads: ev.Threads, InvocationID: ev.InvocationID, Target: ev.Target})
	case engine.NodeStarted:
		a.runLog.NodeStarted(ev.Node, ev.Worker)
	case engine.NodeRetry:
		a.ui.Printf("RETRY %s %s: attempt %d failed (%s); trying again in %s", ev.Node.Kind, ev.Node.DisplayName(), ev.Attempt, ev.Result.Message, ev.Wait)
	case engine.NodeProgress:
		pr := ev.Progress
		a.ui.Progress(ev.Node, pr.Rows, pr.RowsPerSecond(), pr.Share, pr.Elapsed, pr.Done)
	case engine.NodeFinished:
		a.runLog.NodeFinished(ev.Result, ev.Node, ev.Done, ev.Total)
		a.ui.Result(ev.Result, ev.Node, ev.Done, ev.Total)
		a.kestraNode(ev)
	case engine.RunFinished:
		a.runFinished(ev.Result)
		a.kestraRun(ev)
	}
}

// note prints a line for the user on stderr, unless --quiet: what a
// command says besides its data and its errors (kiln show's heading).
func (a *app) note(format string, args ...any) {
	if !a.quiet {
		a.ui.Printf(format, args...)
	}
}

// quietDrops reports whether --quiet leaves ev out of the terminal: the
// events that are neither errors nor a run's start and end (which the run
// log needs), and the warnings among diagnostics, which it prints itself.
// A run's events still go to its kiln.log.
func (a *app) quietDrops(ev engine.Event) bool {
	switch ev := ev.(type) {
	case engine.Message:
		return ev.Level != engine.Error
	case engine.Diagnostics:
		if errs := ev.List.Errors(); len(errs) > 0 {
			a.ui.Diagnostics(errs)
		}
		return true
	case engine.NodeStarted:
		a.runLog.NodeStarted(ev.Node, ev.Worker)
		return true
	case engine.NodeRetry, engine.NodeProgress:
		return true
	case engine.NodeFinished:
		a.runLog.NodeFinished(ev.Result, ev.Node, ev.Done, ev.Total)
		if ev.Result.Status == run.Error || ev.Result.Status == run.Fail {
			a.ui.Result(ev.Result, ev.Node, ev.Done, ev.Total)
		}
		a.kestraNode(ev)
		return true
	}
	return false
}

// jinjaLog shows a template's log() or print() message as dbt does: on
// the console (kiln's is stderr, or a JSON message event with --log-format
// json) unless it is a debug message, and in the run's kiln.log at level
// info or debug (nowhere else outside a run).
func (a *app) jinjaLog(ev engine.Log) {
	level := "info"
	if ev.Debug {
		level = "debug"
	} else {
		a.ui.Printf("%s", ev.Text)
	}
	if a.fileLog != nil {
		a.fileLog.Message(level, ev.Text)
	}
}

// runFinished reports a finished run: the JUnit report, the summary, what
// the publication did, and the run_finished event.
func (a *app) runFinished(res *engine.Result) {
	if a.junitXML != "" {
		path := engine.AbsUnder(mustAbs("."), a.junitXML)
		if err := artifact.WriteJUnit(path, res.Graph, res.Results, a.project.Name()+" "+res.Command, res.Elapsed); err != nil {
			a.ui.Printf("warning: cannot write the JUnit report %s: %v", a.junitXML, err)
		}
	}
	if res.Refused {
		// One error per unreadable input and a count, not a line per node.
		var bad []run.Result
		models := 0 // models the database cannot build (distributed_by)
		for _, r := range res.Results {
			if r.Status == run.Error {
				bad = append(bad, r)
				if n := res.Graph.Node(r.ID); n != nil && n.Kind == graph.Model {
					models++
				}
			}
		}
		a.ui.Problems(res.Graph, bad)
		a.ui.Printf("")
		what := plural(len(bad), "input file cannot be read", "input files cannot be read")
		if models == len(bad) {
			what = plural(len(bad), "model cannot be built on this database", "models cannot be built on this database")
		} else if models > 0 {
			what = plural(len(bad), "node cannot run", "nodes cannot run")
		}
		a.ui.Printf("nothing was built: %s, so none of the %d nodes of the run ran; fix %s and run again (the previous tables and exports are unchanged)",
			what, len(res.Results), map[bool]string{true: "it", false: "them"}[len(bad) == 1])
		a.runLog.RunFinished(res.Results, res.Elapsed, exitCode(res), res.Interrupted)
		return
	}
	if res.StartFailed {
		// The refusal's error, printed once (in the summary), is kept in
		// kiln.log (and the JSON log) as a message of its own.
		a.runLog.Message("error", "on-run-start failed: "+res.StartError)
	}
	if a.quiet {
		// The errors and failures, without the count line and warnings.
		var bad []run.Result
		for _, r := range res.Results {
			if r.Status == run.Error || r.Status == run.Fail {
				bad = append(bad, r)
			}
		}
		a.ui.Problems(res.Graph, bad)
		if res.StartFailed {
			a.ui.Printf("error: on-run-start failed, so no node ran: %s", res.StartError)
		}
		a.runLog.RunFinished(res.Results, res.Elapsed, exitCode(res), res.Interrupted)
		return
	}
	notRun, why := "", ""
	if res.StartFailed {
		notRun, why = "on-run-start failed", res.StartError
	}
	a.ui.Summary(res.Graph, res.Results, res.Elapsed, notRun, why)
	switch {
	case res.Outcome != "":
		a.ui.Printf("")
		a.ui.Printf("%s", res.Outcome)
	}
	for _, h := range gateHints(res) {
		a.ui.Printf("")
		a.ui.Printf("%s", h)
	}
	a.runLog.RunFinished(res.Results, res.Elapsed, exitCode(res), res.Interrupted)
}

// openRunLog opens the JSON event log of a run: always appended to
// <target>/kiln.log, and also on stdout with --log-format json. It is
// opened when the run starts, so that a run that cannot start (a locked
// database) writes nothing.
func (a *app) openRunLog(target string) {
	var w io.Writer = io.Discard
	dir := engine.AbsUnder(a.project.Dir, target)
	if err := os.MkdirAll(dir, 0o755); err == nil {
		if f, err := os.OpenFile(filepath.Join(dir, "kiln.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err == nil {
			w, a.runLogFile = scrub.NewWriter(f, a.secrets), f
			a.runLogOut = w
		} else {
			a.ui.Printf("warning: cannot write %s: %v", filepath.Join(target, "kiln.log"), err)
		}
	}
	a.fileLog = ui.NewJSONLog(w)
	if a.ui.JSON() {
		w = io.MultiWriter(w, a.jsonOut)
	}
	a.runLog = ui.NewJSONLog(w)
}

// closeRunLog closes the run's event log file.
func (a *app) closeRunLog() {
	if a.runLogFile != nil {
		scrub.FlushOf(a.runLogOut)
		a.runLogOut = nil
		a.runLogFile.Close()
		a.runLogFile = nil
	}
	a.runLog = ui.NewJSONLog(io.Discard)
	a.fileLog = nil
}

// plural is "1 <one>" or "n <many>".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func mustAbs(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return abs
}

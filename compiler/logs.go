package compiler

import (
	"sync"

	"github.com/kiln-build/kiln/compiler/graph"
)

// logSink collects the log() and print() messages of one rendering of a
// node, in order.
type logSink struct {
	mu    sync.Mutex
	lines []graph.LogLine
}

func (s *logSink) info(msg string)  { s.add(graph.LogLine{Text: msg}) }
func (s *logSink) debug(msg string) { s.add(graph.LogLine{Text: msg, Debug: true}) }

func (s *logSink) add(l graph.LogLine) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, l)
}

// take returns the lines collected and empties the sink.
func (s *logSink) take() []graph.LogLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.lines
	s.lines = nil
	return out
}

// SetLog has fn receive the log() and print() messages of the templates
// that render at run time (Manifest.RenderAtRun), each with its node, as
// they render; fn may be called from several workers at once. The
// messages of a node's compile rendering are in its Node.Logs.
func (m *Manifest) SetLog(fn func(n *graph.Node, l graph.LogLine)) {
	if m.c != nil {
		m.c.logFn = fn
	}
}

// emitLogs gives lines of node n to the function set by SetLog.
func (c *compiler) emitLogs(n *graph.Node, lines []graph.LogLine) {
	if c.logFn == nil {
		return
	}
	for _, l := range lines {
		c.logFn(n, l)
	}
}

// logInfo and logDebug adapt fn to template.Context's Log and Debug.
func logInfo(fn func(graph.LogLine)) func(string) {
	if fn == nil {
		return nil
	}
	return func(msg string) { fn(graph.LogLine{Text: msg}) }
}

func logDebug(fn func(graph.LogLine)) func(string) {
	if fn == nil {
		return nil
	}
	return func(msg string) { fn(graph.LogLine{Text: msg, Debug: true}) }
}

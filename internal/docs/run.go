package docs

import (
	"sort"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/artifact"
)

// siteRun is the last run (run_results.json) as the timeline and the test
// table show it. Times are milliseconds since the first node started.
type siteRun struct {
	InvocationID string         `json:"invocation_id"`
	GeneratedAt  string         `json:"generated_at"`
	Command      string         `json:"command"`
	Elapsed      float64        `json:"elapsed_s"`
	Start        string         `json:"start"`
	Span         float64        `json:"span_ms"`
	Threads      []string       `json:"threads"`
	Results      []int          `json:"results"`
	Statuses     map[string]int `json:"statuses"`
	Unknown      int            `json:"unknown"`
}

// rolledBackPrefix starts the message of a node that a rolled-back run
// had built (engine: publish).
const rolledBackPrefix = "rolled back: "

// siteResult is one node's result of the last run.
type siteResult struct {
	Status    string  `json:"status"`
	Thread    string  `json:"thread,omitempty"`
	Started   string  `json:"started_at,omitempty"`
	Completed string  `json:"completed_at,omitempty"`
	Start     float64 `json:"start_ms"`
	End       float64 `json:"end_ms"`
	Seconds   float64 `json:"execution_time"`
	Message   string  `json:"message,omitempty"`
	Failures  *int64  `json:"failures,omitempty"`
	Expected  string  `json:"expected,omitempty"`
	Actual    string  `json:"actual,omitempty"`
	Rows      *int64  `json:"rows,omitempty"`
	SkippedBy int     `json:"skipped_by"`
	// RolledBack is a node the run built, then undid with the run: its
	// relation holds an earlier build.
	RolledBack bool `json:"rolled_back,omitempty"`
	// Gates are a deviation gate's series, drawn as charts (gates.js).
	Gates []artifact.GateResult `json:"gates,omitempty"`
}

// buildRun attaches each result of rr to its node and returns the run, or
// nil without run results. Results of nodes the project no longer has are
// counted in Unknown.
func buildRun(rr *artifact.RunResults, nodes []*siteNode, at func(graph.ID) int) *siteRun {
	if rr == nil {
		return nil
	}
	run := &siteRun{
		InvocationID: rr.Metadata.InvocationID, GeneratedAt: rr.Metadata.GeneratedAt,
		Command: rr.Command(), Elapsed: rr.ElapsedTime,
		Threads: []string{}, Results: []int{}, Statuses: map[string]int{},
	}
	var first time.Time
	type timed struct {
		i          int
		start, end time.Time
	}
	var times []timed
	threads := map[string]bool{}
	for _, r := range rr.Results {
		i := at(r.UniqueID)
		if i < 0 {
			run.Unknown++
			continue
		}
		sr := &siteResult{
			Status: string(r.Status), Thread: r.ThreadID, Seconds: r.ExecutionTime,
			Failures: r.Failures, Expected: r.Expected, Actual: r.Actual, Rows: r.Rows, SkippedBy: -1, Gates: r.Gates,
		}
		if r.Message != nil {
			sr.Message = *r.Message
			sr.RolledBack = strings.HasPrefix(sr.Message, rolledBackPrefix)
		}
		if r.SkippedBy != "" {
			sr.SkippedBy = at(r.SkippedBy)
		}
		for _, t := range r.Timing {
			if t.Name != "execute" {
				continue
			}
			sr.Started, sr.Completed = t.StartedAt, t.CompletedAt
			s, err1 := time.Parse(time.RFC3339Nano, t.StartedAt)
			e, err2 := time.Parse(time.RFC3339Nano, t.CompletedAt)
			if err1 == nil && err2 == nil {
				times = append(times, timed{i, s, e})
				if first.IsZero() || s.Before(first) {
					first = s
				}
			}
		}
		if r.ThreadID != "" {
			threads[r.ThreadID] = true
		}
		nodes[i].Result = sr
		run.Results = append(run.Results, i)
		run.Statuses[sr.Status]++
	}
	for _, t := range times {
		res := nodes[t.i].Result
		res.Start = ms(t.start.Sub(first))
		res.End = ms(t.end.Sub(first))
		run.Span = max(run.Span, res.End)
	}
	if !first.IsZero() {
		run.Start = first.UTC().Format(time.RFC3339Nano)
	}
	for t := range threads {
		run.Threads = append(run.Threads, t)
	}
	sort.Slice(run.Threads, func(i, j int) bool { return naturalLess(run.Threads[i], run.Threads[j]) })
	return run
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// naturalLess orders "Thread-2" before "Thread-10".
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := a[:da], b[:db]
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

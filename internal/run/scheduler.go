package run

import (
	"container/heap"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
)

// Executor runs one node. It is called from Options.Threads goroutines at
// once, each with its own worker number in [0, Threads), so it can keep one
// database connection per worker. It must return promptly once ctx is done.
type Executor interface {
	Execute(ctx context.Context, worker int, n *graph.Node) Result
}

// Options tune a run.
type Options struct {
	// Threads is the number of workers (at least 1).
	Threads int
	// FailFast stops scheduling new nodes after the first error or failure.
	FailFast bool
	// OnStart is called when a node starts on a worker.
	OnStart func(n *graph.Node, worker int)
	// Retries is how many times a node whose error is Retryable is tried
	// again, after 0.5 s, 1 s, 2 s... (capped at 10 s); RetriesOf, when
	// set, gives a node's own number (its retries config), and the larger
	// of the two applies.
	Retries   int
	RetriesOf func(n *graph.Node) int
	// OnRetry is called before a node is tried again.
	OnRetry func(n *graph.Node, attempt int, r Result, wait time.Duration)
	// OnResult is called once per node when it finishes (or is skipped),
	// with the count of finished nodes and the total. Callbacks run on the
	// scheduler's goroutine, one at a time.
	OnResult func(r Result, done, total int)
}

// Plan is the execution graph of a selection: the nodes to run and, for
// each, the nodes it waits for.
type Plan struct {
	g     *graph.Graph
	ids   []graph.ID // in topological order
	in    map[graph.ID]bool
	waits map[graph.ID][]graph.ID
	order map[graph.ID]int
}

// NewPlan builds the execution graph of the selected nodes of g. Nodes that
// do not execute (ephemeral models, sources without a file, disabled nodes)
// are left out, and dependencies pass through them; a source's readers
// also wait for the planned nodes that write its relation (Node.After).
// Outside the selection,
// nodes are assumed built. As in dbt's build, the children of a node wait
// for its tests (a test with several parents belongs to the last one in
// topological order), so a failing test skips them. Unit tests wait for
// the inputs they mock and their model waits for them. Exports wait for
// every other planned node: they are written only when the whole run
// succeeded (warnings allowed), so a failure leaves every export file of the
// previous run in place.
func NewPlan(g *graph.Graph, selected []graph.ID) *Plan {
	p := &Plan{g: g, in: map[graph.ID]bool{}, waits: map[graph.ID][]graph.ID{}, order: map[graph.ID]int{}}
	for _, id := range g.Sorted(toSet(selected)) {
		if n := g.Node(id); n != nil && n.IsExecutable() {
			p.in[id] = true
			p.ids = append(p.ids, id)
		}
	}
	for i, id := range p.ids {
		p.order[id] = i
	}
	// Effective parents: the nearest planned ancestors through non-executing nodes.
	eff := map[graph.ID][]graph.ID{}
	var effective func(id graph.ID, seen map[graph.ID]bool) []graph.ID
	effective = func(id graph.ID, seen map[graph.ID]bool) []graph.ID {
		var out []graph.ID
		// A source's After (the seed, model or snapshot that writes its
		// relation) orders its readers like a parent.
		pars := g.Parents(id)
		if after := g.After(id); len(after) > 0 {
			pars = slices.Concat(pars, after)
		}
		for _, par := range pars {
			if seen[par] {
				continue
			}
			seen[par] = true
			switch {
			case p.in[par]:
				out = append(out, par)
			case !g.Node(par).IsExecutable():
				out = append(out, effective(par, seen)...)
			}
		}
		return out
	}
	for _, id := range p.ids {
		eff[id] = effective(id, map[graph.ID]bool{})
	}
	// Unit tests run on literal rows typed like their inputs: they wait for
	// the planned inputs they mock (for the columns' types, never the data),
	// and their model waits for them, so a failing unit test skips the model
	// (as in dbt). An input: this is the model itself: its columns are its
	// table's as the last build left it (none before the first).
	unitsOf := map[graph.ID][]graph.ID{}
	for _, id := range p.ids {
		if n := g.Node(id); n.Kind == graph.UnitTest {
			eff[id] = nil
			if n.UnitTest == nil {
				continue
			}
			unitsOf[n.UnitTest.Model] = append(unitsOf[n.UnitTest.Model], id)
			for _, in := range n.UnitTest.Given {
				if p.in[in.Node] && in.Node != n.UnitTest.Model {
					eff[id] = append(eff[id], in.Node)
				}
			}
		}
	}
	// Tests block the children of their last parent. A test none of whose
	// parents is planned (a test on a source without a file, or on a node
	// outside the selection) blocks the planned nodes that read through
	// those parents (dbt's Linker.add_test_edges: a source's tests run
	// before the source's children, whose failure skips them).
	testsOf := map[graph.ID][]graph.ID{}
	testsOfUnplanned := map[graph.ID][]graph.ID{}
	for _, id := range p.ids {
		if g.Node(id).Kind != graph.Test {
			continue
		}
		if len(eff[id]) == 0 {
			for _, par := range g.Parents(id) {
				if !p.in[par] {
					testsOfUnplanned[par] = append(testsOfUnplanned[par], id)
				}
			}
			continue
		}
		last := eff[id][0]
		for _, par := range eff[id] {
			if g.Index(par) > g.Index(last) {
				last = par
			}
		}
		testsOf[last] = append(testsOf[last], id)
	}
	for _, id := range p.ids {
		w := toSet(eff[id])
		for _, u := range unitsOf[id] {
			w[u] = true
		}
		if g.Node(id).Kind != graph.Test {
			for _, par := range eff[id] {
				for _, t := range testsOf[par] {
					w[t] = true
				}
			}
			if len(testsOfUnplanned) > 0 {
				for _, par := range p.unplannedAbove(id, map[graph.ID]bool{}) {
					for _, t := range testsOfUnplanned[par] {
						w[t] = true
					}
				}
			}
		}
		p.waits[id] = g.Sorted(w)
	}
	// Exports publish a whole run or nothing: each waits for every other
	// planned node, so one failure anywhere skips them all and the files on
	// disk never mix two months.
	var others []graph.ID
	for _, id := range p.ids {
		if g.Node(id).Kind != graph.Export {
			others = append(others, id)
		}
	}
	for _, id := range p.ids {
		if g.Node(id).Kind == graph.Export {
			p.waits[id] = others
		}
	}
	return p
}

// unplannedAbove returns the unplanned nodes id reads through: its
// unplanned parents, and theirs through the non-executing ones (as the
// effective parents pass through them).
func (p *Plan) unplannedAbove(id graph.ID, seen map[graph.ID]bool) []graph.ID {
	var out []graph.ID
	for _, par := range p.g.Parents(id) {
		if p.in[par] || seen[par] {
			continue
		}
		seen[par] = true
		out = append(out, par)
		if !p.g.Node(par).IsExecutable() {
			out = append(out, p.unplannedAbove(par, seen)...)
		}
	}
	return out
}

// IDs returns the planned nodes in topological order.
func (p *Plan) IDs() []graph.ID { return p.ids }

// Planned reports whether id is one of the planned nodes.
func (p *Plan) Planned(id graph.ID) bool { return p.in[id] }

// Waits returns the nodes id waits for.
func (p *Plan) Waits(id graph.ID) []graph.ID { return p.waits[id] }

func toSet(ids []graph.ID) map[graph.ID]bool {
	s := make(map[graph.ID]bool, len(ids))
	for _, id := range ids {
		s[id] = true
	}
	return s
}

// Run executes the plan and returns one result per planned node, in the
// order they finished. A node whose wait failed, errored or was skipped is
// skipped, naming the failed node at the root. When ctx is cancelled, or
// after a failure with FailFast, no new node starts and the rest are
// skipped. With Threads == 1 the order is deterministic: a model's tests run
// right after it, then the next node in topological order.
func Run(ctx context.Context, p *Plan, ex Executor, opts Options) []Result {
	threads := opts.Threads
	if threads < 1 {
		threads = 1
	}
	total := len(p.ids)
	remaining := map[graph.ID]int{}
	dependents := map[graph.ID][]graph.ID{}
	for _, id := range p.ids {
		remaining[id] = len(p.waits[id])
		for _, w := range p.waits[id] {
			dependents[w] = append(dependents[w], id)
		}
	}
	ready := &readyQueue{p: p}
	for _, id := range p.ids {
		if remaining[id] == 0 {
			heap.Push(ready, id)
		}
	}

	runNode := func(w int, id graph.ID) Result {
		r := executeWithRetries(ctx, ex, w, p.g.Node(id), opts)
		r.ID = id
		if r.Thread == "" {
			r.Thread = fmt.Sprintf("Thread-%d", w+1)
		}
		return r
	}
	// With one thread, nodes run on this goroutine: a worker goroutine
	// would add two goroutine hand-offs per node and nothing else.
	inline := threads == 1
	var jobs []chan graph.ID
	done := make(chan Result)
	for w := 0; w < threads && !inline; w++ {
		job := make(chan graph.ID)
		jobs = append(jobs, job)
		go func(w int) {
			for id := range job {
				done <- runNode(w, id)
			}
		}(w)
	}
	defer func() {
		for _, j := range jobs {
			close(j)
		}
	}()

	idle := make([]int, 0, threads)
	for w := threads - 1; w >= 0; w-- {
		idle = append(idle, w)
	}
	results := make([]Result, 0, total)
	status := map[graph.ID]Result{}
	running := map[int]graph.ID{}
	var stopReason string

	finish := func(r Result) {
		status[r.ID] = r
		results = append(results, r)
		if opts.OnResult != nil {
			opts.OnResult(r, len(results), total)
		}
		if opts.FailFast && stopReason == "" && (r.Status == Error || r.Status == Fail) {
			stopReason = fmt.Sprintf("--fail-fast: %s failed", p.g.Node(r.ID).DisplayName())
		}
		for _, d := range dependents[r.ID] {
			remaining[d]--
			if remaining[d] == 0 {
				heap.Push(ready, d)
			}
		}
	}
	skipReason := func(id graph.ID) (graph.ID, bool) {
		for _, w := range p.waits[id] {
			if r := status[w]; r.Status.Failed() {
				if r.Status == Skipped && r.SkippedBy != "" {
					return r.SkippedBy, true
				}
				return w, true
			}
		}
		return "", false
	}

	for len(results) < total {
		if stopReason == "" && ctx.Err() != nil {
			stopReason = "interrupted"
		}
		// Dispatch what is ready; skips resolve at once.
		for ready.Len() > 0 && (len(idle) > 0 || stopReason != "") {
			id := heap.Pop(ready).(graph.ID)
			if stopReason != "" {
				finish(Result{ID: id, Status: Skipped, Rows: -1, Message: "skipped: " + stopReason})
				continue
			}
			if by, skip := skipReason(id); skip {
				msg := fmt.Sprintf("skipped: %s %s did not succeed", p.g.Node(by).Kind, p.g.Node(by).DisplayName())
				if p.g.Node(id).Kind == graph.Export {
					msg = fmt.Sprintf("skipped: exports are published only when the whole run succeeds, and %s %s did not", p.g.Node(by).Kind, p.g.Node(by).DisplayName())
				}
				finish(Result{ID: id, Status: Skipped, SkippedBy: by, Rows: -1, Message: msg})
				continue
			}
			w := idle[len(idle)-1]
			idle = idle[:len(idle)-1]
			running[w] = id
			if opts.OnStart != nil {
				opts.OnStart(p.g.Node(id), w)
			}
			if inline {
				r := runNode(w, id)
				delete(running, w)
				idle = append(idle, w)
				finish(r)
				if stopReason == "" && ctx.Err() != nil {
					stopReason = "interrupted"
				}
				continue
			}
			jobs[w] <- id
		}
		if len(results) == total {
			break
		}
		if len(running) == 0 {
			// Nothing runs and nothing is ready: only possible after a stop.
			for _, id := range p.ids {
				if _, ok := status[id]; !ok {
					finish(Result{ID: id, Status: Skipped, Rows: -1, Message: "skipped: " + stopReason})
				}
			}
			break
		}
		var r Result
		select {
		case r = <-done:
		case <-ctx.Done():
			if stopReason == "" {
				stopReason = "interrupted"
			}
			r = <-done // running nodes see ctx and return
		}
		for w, id := range running {
			if id == r.ID {
				delete(running, w)
				idle = append(idle, w)
				break
			}
		}
		finish(r)
	}
	return results
}

// readyQueue orders ready nodes: tests first (so they follow their model),
// then topological order.
type readyQueue struct {
	p   *Plan
	ids []graph.ID
}

func (q *readyQueue) Len() int { return len(q.ids) }
func (q *readyQueue) Less(i, j int) bool {
	ti := q.p.g.Node(q.ids[i]).Kind == graph.Test
	tj := q.p.g.Node(q.ids[j]).Kind == graph.Test
	if ti != tj {
		return ti
	}
	return q.p.order[q.ids[i]] < q.p.order[q.ids[j]]
}
func (q *readyQueue) Swap(i, j int) { q.ids[i], q.ids[j] = q.ids[j], q.ids[i] }
func (q *readyQueue) Push(x any)    { q.ids = append(q.ids, x.(graph.ID)) }
func (q *readyQueue) Pop() any {
	x := q.ids[len(q.ids)-1]
	q.ids = q.ids[:len(q.ids)-1]
	return x
}

// Elapsed is a helper for executors: it fills Started and Completed around
// fn.
func Elapsed(fn func() Result) Result {
	start := time.Now()
	r := fn()
	r.Started, r.Completed = start, time.Now()
	return r
}

// executeWithRetries runs n, and runs it again while its error is
// Retryable and retries remain, waiting longer each time.
func executeWithRetries(ctx context.Context, ex Executor, w int, n *graph.Node, opts Options) Result {
	retries := opts.Retries
	if opts.RetriesOf != nil {
		retries = max(retries, opts.RetriesOf(n))
	}
	for attempt := 1; ; attempt++ {
		r := ex.Execute(ctx, w, n)
		r.Attempts = attempt
		if r.Status != Error || !r.Retryable || attempt > retries || ctx.Err() != nil {
			if attempt > 1 {
				r.Message = fmt.Sprintf("%s (attempt %d of %d)", r.Message, attempt, retries+1)
			}
			return r
		}
		wait := RetryWait(attempt)
		if opts.OnRetry != nil {
			opts.OnRetry(n, attempt, r, wait)
		}
		select {
		case <-ctx.Done():
			return r
		case <-time.After(wait):
		}
	}
}

package run

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
)

type fakeNode struct {
	id   string
	kind graph.Kind
	deps []string
	mat  string
}

func build(t *testing.T, specs ...fakeNode) *graph.Graph {
	t.Helper()
	var nodes []*graph.Node
	for _, s := range specs {
		n := &graph.Node{ID: graph.ID(s.id), Kind: s.kind, Name: s.id, Config: graph.Config{Enabled: true, Materialized: s.mat}}
		if s.kind == graph.Test {
			n.Test = &graph.TestInfo{}
		}
		for _, d := range s.deps {
			n.DependsOn = append(n.DependsOn, graph.ID(d))
		}
		nodes = append(nodes, n)
	}
	g, err := graph.New(nodes)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// fake records the order of execution and returns the scripted status.
type fake struct {
	mu       sync.Mutex
	order    []string
	finished map[graph.ID]bool
	outcome  map[string]Status
	g        *graph.Graph
	plan     *Plan
	errs     []string
	block    chan struct{}
	blockOn  string
}

func (f *fake) Execute(ctx context.Context, worker int, n *graph.Node) Result {
	f.mu.Lock()
	for _, w := range f.plan.Waits(n.ID) {
		if !f.finished[w] {
			f.errs = append(f.errs, fmt.Sprintf("%s started before %s finished", n.ID, w))
		}
	}
	f.order = append(f.order, string(n.ID))
	f.mu.Unlock()
	if string(n.ID) == f.blockOn {
		<-ctx.Done()
		return Result{Status: Error, Message: "interrupted"}
	}
	st := f.outcome[string(n.ID)]
	if st == "" {
		st = Success
		if n.Kind == graph.Test {
			st = Pass
		}
	}
	f.mu.Lock()
	f.finished[n.ID] = true
	f.mu.Unlock()
	return Result{Status: st}
}

func runAll(t *testing.T, g *graph.Graph, threads int, outcome map[string]Status, opts Options) (*fake, map[graph.ID]Result) {
	t.Helper()
	var sel []graph.ID
	sel = append(sel, g.Order()...)
	p := NewPlan(g, sel)
	f := &fake{finished: map[graph.ID]bool{}, outcome: outcome, g: g, plan: p}
	opts.Threads = threads
	res := Run(context.Background(), p, f, opts)
	if len(f.errs) > 0 {
		t.Fatal(strings.Join(f.errs, "\n"))
	}
	byID := map[graph.ID]Result{}
	for _, r := range res {
		if _, dup := byID[r.ID]; dup {
			t.Fatalf("two results for %s", r.ID)
		}
		byID[r.ID] = r
	}
	if len(byID) != len(p.IDs()) {
		t.Fatalf("%d results for %d nodes", len(byID), len(p.IDs()))
	}
	return f, byID
}

func pipeline(t *testing.T) *graph.Graph {
	return build(t,
		fakeNode{id: "source.raw", kind: graph.Source},
		fakeNode{id: "model.a", kind: graph.Model, deps: []string{"source.raw"}, mat: "table"},
		fakeNode{id: "test.a_unique", kind: graph.Test, deps: []string{"model.a"}},
		fakeNode{id: "test.a_not_null", kind: graph.Test, deps: []string{"model.a"}},
		fakeNode{id: "model.b", kind: graph.Model, deps: []string{"model.a"}, mat: "table"},
		fakeNode{id: "model.c", kind: graph.Model, deps: []string{"model.b"}, mat: "table"},
		fakeNode{id: "model.z", kind: graph.Model, deps: []string{"source.raw"}, mat: "table"},
		fakeNode{id: "export.c", kind: graph.Export, deps: []string{"model.c"}},
	)
}

func TestSingleThreadOrderRunsTestsRightAfterTheirModel(t *testing.T) {
	f, _ := runAll(t, pipeline(t), 1, nil, Options{})
	want := "source.raw model.a test.a_not_null test.a_unique model.b model.c model.z export.c"
	if got := strings.Join(f.order, " "); got != want {
		t.Fatalf("order\n got %s\nwant %s", got, want)
	}
}

func TestFailedTestSkipsDescendantsAndNamesIt(t *testing.T) {
	_, res := runAll(t, pipeline(t), 2, map[string]Status{"test.a_unique": Fail}, Options{})
	for _, id := range []graph.ID{"model.b", "model.c", "export.c"} {
		r := res[id]
		if r.Status != Skipped || r.SkippedBy != "test.a_unique" {
			t.Errorf("%s: %+v", id, r)
		}
	}
	if !strings.Contains(res["export.c"].Message, "a_unique") {
		t.Errorf("message %q does not name the failed test", res["export.c"].Message)
	}
	if res["model.z"].Status != Success || res["test.a_not_null"].Status != Pass {
		t.Errorf("siblings must run: %+v %+v", res["model.z"], res["test.a_not_null"])
	}
}

func TestAnyFailureSkipsEveryExport(t *testing.T) {
	// model.z is no ancestor of export.c, but its failure still holds the
	// export back: exports publish whole runs only.
	_, res := runAll(t, pipeline(t), 2, map[string]Status{"model.z": Error}, Options{})
	if r := res["export.c"]; r.Status != Skipped || r.SkippedBy != "model.z" {
		t.Fatalf("export: %+v", r)
	}
	if res["model.c"].Status != Success {
		t.Fatalf("c: %+v", res["model.c"])
	}
}

func TestWarnDoesNotSkip(t *testing.T) {
	_, res := runAll(t, pipeline(t), 1, map[string]Status{"test.a_unique": Warn}, Options{})
	if res["export.c"].Status != Success {
		t.Fatalf("export: %+v", res["export.c"])
	}
}

func TestErroredModelSkipsDescendants(t *testing.T) {
	_, res := runAll(t, pipeline(t), 3, map[string]Status{"model.b": Error}, Options{})
	if res["model.c"].SkippedBy != "model.b" || res["export.c"].SkippedBy != "model.b" {
		t.Fatalf("c=%+v export=%+v", res["model.c"], res["export.c"])
	}
}

func TestFailFastSkipsTheRest(t *testing.T) {
	f, res := runAll(t, pipeline(t), 1, map[string]Status{"model.a": Error}, Options{FailFast: true})
	if len(f.order) != 2 {
		t.Fatalf("ran %v after the failure", f.order)
	}
	if r := res["model.z"]; r.Status != Skipped || !strings.Contains(r.Message, "fail-fast") {
		t.Fatalf("z: %+v", r)
	}
}

func TestEphemeralIsPassedThrough(t *testing.T) {
	g := build(t,
		fakeNode{id: "model.base", kind: graph.Model, mat: "table"},
		fakeNode{id: "model.eph", kind: graph.Model, deps: []string{"model.base"}, mat: "ephemeral"},
		fakeNode{id: "model.top", kind: graph.Model, deps: []string{"model.eph"}, mat: "table"},
	)
	_, res := runAll(t, g, 2, map[string]Status{"model.base": Error}, Options{})
	if _, ok := res["model.eph"]; ok {
		t.Fatal("ephemeral models do not run")
	}
	if res["model.top"].SkippedBy != "model.base" {
		t.Fatalf("top: %+v", res["model.top"])
	}
}

func TestCancelSkipsRemaining(t *testing.T) {
	g := pipeline(t)
	p := NewPlan(g, g.Order())
	ctx, cancel := context.WithCancel(context.Background())
	f := &fake{finished: map[graph.ID]bool{}, g: g, plan: p, blockOn: "model.a"}
	var res []Result
	doneCh := make(chan struct{})
	go func() {
		res = Run(ctx, p, f, Options{Threads: 1, OnStart: func(n *graph.Node, _ int) {
			if n.ID == "model.a" {
				cancel()
			}
		}})
		close(doneCh)
	}()
	<-doneCh
	byID := map[graph.ID]Result{}
	for _, r := range res {
		byID[r.ID] = r
	}
	if len(byID) != len(p.IDs()) {
		t.Fatalf("%d results", len(byID))
	}
	if byID["model.c"].Status != Skipped || byID["model.z"].Status != Skipped {
		t.Fatalf("c=%+v z=%+v", byID["model.c"], byID["model.z"])
	}
}

// Property: on random DAGs with random failures and any thread count, every
// node waits for its dependencies, every node has one result, and a node
// runs if and only if none of its waits failed.
func TestRandomGraphs(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for trial := 0; trial < 100; trial++ {
		var specs []fakeNode
		outcome := map[string]Status{}
		n := 2 + r.IntN(30)
		for i := 0; i < n; i++ {
			s := fakeNode{id: fmt.Sprintf("model.m%02d", i), kind: graph.Model, mat: "table"}
			for j := 0; j < i; j++ {
				if r.IntN(5) == 0 {
					s.deps = append(s.deps, fmt.Sprintf("model.m%02d", j))
				}
			}
			if r.IntN(8) == 0 {
				outcome[s.id] = Error
			}
			specs = append(specs, s)
			if r.IntN(3) == 0 {
				tid := fmt.Sprintf("test.t%02d", i)
				specs = append(specs, fakeNode{id: tid, kind: graph.Test, deps: []string{s.id}})
				if r.IntN(4) == 0 {
					outcome[tid] = Fail
				}
			}
		}
		g := build(t, specs...)
		_, res := runAll(t, g, 1+r.IntN(4), outcome, Options{})
		p := NewPlan(g, g.Order())
		for _, id := range p.IDs() {
			failedWait := false
			for _, w := range p.Waits(id) {
				failedWait = failedWait || res[w].Status.Failed()
			}
			if failedWait != (res[id].Status == Skipped) {
				t.Fatalf("trial %d: %s status %s with failed wait=%v", trial, id, res[id].Status, failedWait)
			}
		}
	}
}

func TestUnitTestGatesItsModel(t *testing.T) {
	nodes := []*graph.Node{
		{ID: "model.a", Kind: graph.Model, Name: "a", Config: graph.Config{Enabled: true, Materialized: "table"}},
		{ID: "model.b", Kind: graph.Model, Name: "b", DependsOn: []graph.ID{"model.a"}, Config: graph.Config{Enabled: true, Materialized: "table"}},
		{ID: "model.c", Kind: graph.Model, Name: "c", DependsOn: []graph.ID{"model.b"}, Config: graph.Config{Enabled: true, Materialized: "table"}},
		{ID: "unit_test.b", Kind: graph.UnitTest, Name: "ub", DependsOn: []graph.ID{"model.b"}, Config: graph.Config{Enabled: true},
			UnitTest: &graph.UnitTestInfo{Model: "model.b", Given: []graph.UnitInput{{Node: "model.a"}}}},
	}
	g, err := graph.New(nodes)
	if err != nil {
		t.Fatal(err)
	}
	p := NewPlan(g, g.Order())
	if got := p.Waits("unit_test.b"); len(got) != 1 || got[0] != "model.a" {
		t.Fatalf("unit test waits for %v, want its input model.a", got)
	}
	if got := p.Waits("model.b"); len(got) != 2 {
		t.Fatalf("model b waits for %v, want model.a and its unit test", got)
	}
	_, res := runAll(t, g, 2, map[string]Status{"unit_test.b": Fail}, Options{})
	if res["model.b"].SkippedBy != "unit_test.b" || res["model.c"].SkippedBy != "unit_test.b" {
		t.Fatalf("b=%+v c=%+v", res["model.b"], res["model.c"])
	}
	if res["model.a"].Status != Success {
		t.Fatalf("a=%+v", res["model.a"])
	}
}

// flaky fails with a retryable error until its node has been tried
// failures times.
type flaky struct {
	mu       sync.Mutex
	tries    map[graph.ID]int
	failures int
	fatal    bool
}

func (f *flaky) Execute(ctx context.Context, w int, n *graph.Node) Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tries[n.ID]++
	if f.tries[n.ID] <= f.failures {
		return Result{Status: Error, Message: "io error: busy", Retryable: !f.fatal}
	}
	return Result{Status: Success}
}

func TestRetriesTransientErrorsOnly(t *testing.T) {
	g := build(t, fakeNode{id: "model.a", kind: graph.Model, mat: "table"})
	p := NewPlan(g, g.Order())
	var retried []int
	f := &flaky{tries: map[graph.ID]int{}, failures: 1}
	res := Run(context.Background(), p, f, Options{Retries: 2, OnRetry: func(n *graph.Node, attempt int, r Result, wait time.Duration) {
		retried = append(retried, attempt)
	}})
	if res[0].Status != Success || res[0].Attempts != 2 || len(retried) != 1 {
		t.Fatalf("transient: %+v, retried %v", res[0], retried)
	}
	// A node's own retries config counts too; a fatal error is never retried.
	f = &flaky{tries: map[graph.ID]int{}, failures: 5, fatal: true}
	res = Run(context.Background(), p, f, Options{RetriesOf: func(*graph.Node) int { return 3 }})
	if res[0].Status != Error || res[0].Attempts != 1 {
		t.Fatalf("fatal: %+v", res[0])
	}
	// Retries run out.
	f = &flaky{tries: map[graph.ID]int{}, failures: 5}
	res = Run(context.Background(), p, f, Options{Retries: 1})
	if res[0].Status != Error || res[0].Attempts != 2 || !strings.Contains(res[0].Message, "attempt 2 of 2") {
		t.Fatalf("exhausted: %+v", res[0])
	}
}

// A test on a source kiln does not load (no file: nothing to plan) blocks
// the source's readers, as dbt's build runs a source's tests before its
// children and skips them when one fails (dbt's Linker.add_test_edges);
// through an ephemeral model too.
func TestSourceTestBlocksReaders(t *testing.T) {
	g := build(t,
		fakeNode{id: "source.ext", kind: graph.Source},
		fakeNode{id: "test.ext_unique", kind: graph.Test, deps: []string{"source.ext"}},
		fakeNode{id: "model.stg", kind: graph.Model, deps: []string{"source.ext"}, mat: "table"},
		fakeNode{id: "model.eph", kind: graph.Model, deps: []string{"source.ext"}, mat: "ephemeral"},
		fakeNode{id: "model.top", kind: graph.Model, deps: []string{"model.eph"}, mat: "table"},
		fakeNode{id: "model.other", kind: graph.Model, mat: "table"},
	)
	g.Node("source.ext").Source = &graph.SourceInfo{} // no file, no external location
	f, res := runAll(t, g, 1, map[string]Status{"test.ext_unique": Fail}, Options{})
	if f.order[0] != "test.ext_unique" {
		t.Errorf("order %v: the source's test runs first", f.order)
	}
	for _, id := range []graph.ID{"model.stg", "model.top"} {
		if r := res[id]; r.Status != Skipped || r.SkippedBy != "test.ext_unique" {
			t.Errorf("%s: %+v, want skipped by the source's failing test", id, r)
		}
	}
	if res["model.other"].Status != Success {
		t.Errorf("model.other: %+v", res["model.other"])
	}
	// The test selected without its source's readers' other parents: a
	// warning blocks nothing.
	_, res = runAll(t, g, 2, map[string]Status{"test.ext_unique": Warn}, Options{})
	if res["model.top"].Status != Success {
		t.Errorf("a warning skipped model.top: %+v", res["model.top"])
	}
}

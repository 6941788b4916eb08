package history

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/duck"
	"github.com/kiln-build/kiln/internal/duck/ducktest"
	"github.com/kiln-build/kiln/internal/run"
)

func conn(t *testing.T) *duck.Conn { return ducktest.Conn(t) }

func record(t *testing.T, c *duck.Conn, id string, at time.Time, results ...run.Result) {
	t.Helper()
	r := Run{ID: id, Command: "build", Started: at, Finished: at.Add(time.Second), Status: Status(results, false)}
	if err := Record(context.Background(), c, r, results); err != nil {
		t.Fatal(err)
	}
}

func TestBaselineIsTheLastSuccessfulRun(t *testing.T) {
	c := conn(t)
	ctx := context.Background()
	const test = graph.ID("test.p.volume_change_m")
	if b, err := LastSuccessful(ctx, c, test, "value"); err != nil || b.Exists {
		t.Fatalf("no history yet: %+v %v", b, err)
	}
	t0 := time.Date(2026, 10, 2, 6, 0, 0, 0, time.UTC)
	record(t, c, "r1", t0, run.Result{ID: test, Status: run.Pass, Metrics: map[string]float64{"value": 714}})
	record(t, c, "r2", t0.AddDate(0, 1, 0), run.Result{ID: test, Status: run.Pass, Metrics: map[string]float64{"value": 720}})
	// A failed run is no baseline, even for a node that passed in it.
	record(t, c, "r3", t0.AddDate(0, 2, 0),
		run.Result{ID: test, Status: run.Pass, Metrics: map[string]float64{"value": 500}},
		run.Result{ID: "model.p.x", Status: run.Error, Rows: -1})
	b, err := LastSuccessful(ctx, c, test, "value")
	if err != nil || !b.Exists || b.Value != 720 || b.RunID != "r2" {
		t.Fatalf("baseline %+v %v, want 720 from r2", b, err)
	}
	runs, err := Recent(ctx, c, 2)
	if err != nil || len(runs) != 2 || runs[0].ID != "r3" || runs[0].Status != "error" || runs[0].Errors != 1 || runs[1].ID != "r2" {
		t.Fatalf("recent: %+v %v", runs, err)
	}
}

func TestStateRoundTrip(t *testing.T) {
	c := conn(t)
	ctx := context.Background()
	if err := SaveState(ctx, c, "r1", "", map[graph.ID]string{"model.p.a": "fa", "model.p.b": "fb"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := SaveState(ctx, c, "r2", "", map[graph.ID]string{"model.p.a": "fa2"}, []graph.ID{"model.p.b"}); err != nil {
		t.Fatal(err)
	}
	st, err := LoadState(ctx, c, "")
	if err != nil || len(st) != 1 || st["model.p.a"] != "fa2" {
		t.Fatalf("state %v %v", st, err)
	}
}

func TestStatus(t *testing.T) {
	if s := Status([]run.Result{{Status: run.Warn}, {Status: run.Success}}, false); s != "success" {
		t.Errorf("warnings: %s", s)
	}
	if s := Status([]run.Result{{Status: run.Fail}}, false); s != "error" {
		t.Errorf("fail: %s", s)
	}
	if s := Status(nil, true); s != "interrupted" {
		t.Errorf("interrupted: %s", s)
	}
}

func TestHashesRoundTrip(t *testing.T) {
	c := conn(t)
	ctx := context.Background()
	a := Hashed{Stamp: Stamp{Size: 10, ModNs: 1_700_000_000_123_456_789, ChangeNs: 5, Inode: 42}, SHA256: "aa"}
	b := Hashed{Stamp: Stamp{Size: 20, ModNs: 2}, SHA256: "bb"}
	if err := SaveHashes(ctx, c, map[string]Hashed{"/x/a.xlsx": a, "/x/b.csv": b}); err != nil {
		t.Fatal(err)
	}
	a2 := a
	a2.Stamp.ChangeNs, a2.SHA256 = 6, "cc"
	if err := SaveHashes(ctx, c, map[string]Hashed{"/x/a.xlsx": a2}); err != nil {
		t.Fatal(err)
	}
	got, err := LoadHashes(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["/x/a.xlsx"] != a2 || got["/x/b.csv"] != b {
		t.Fatalf("hashes %+v", got)
	}
}

func TestStartAndMarkKilled(t *testing.T) {
	c := conn(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)
	for _, id := range []string{"run-a", "run-b", "run-c"} {
		if err := Start(ctx, c, Run{ID: id, Command: "build", Selection: "-s stg_web+", Started: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := Record(ctx, c, Run{ID: "run-b", Command: "build", Started: t0, Finished: t0.Add(time.Minute), Status: "success"}, nil); err != nil {
		t.Fatal(err)
	}
	killed, err := MarkKilled(ctx, c, "run-c", t0.Add(time.Hour))
	if err != nil || strings.Join(killed, ",") != "run-a" {
		t.Fatalf("killed %v, %v; want run-a (run-b finished, run-c is the current run)", killed, err)
	}
	runs, err := Recent(ctx, c, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range runs {
		got[r.ID] = r.Status + " " + r.Selection + " " + r.Finished.Sub(r.Started).String()
	}
	want := map[string]string{"run-a": "killed -s stg_web+ 1h0m0s", "run-b": "success  1m0s", "run-c": "running -s stg_web+ 0s"}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %q, want %q", id, got[id], w)
		}
	}
}

package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/run"
)

// lines decodes JSON lines, failing on anything else, and checks that each
// starts with ts, level and event.
func lines(t *testing.T, data string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(data, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", i+1, err, line)
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.Token() // {
		for _, want := range []string{"ts", "level", "event"} {
			k, _ := dec.Token()
			if k != want {
				t.Fatalf("line %d: key %v where %q was expected: %s", i+1, k, want, line)
			}
			dec.Token()
		}
		if _, err := time.Parse(time.RFC3339Nano, m["ts"].(string)); err != nil {
			t.Errorf("line %d: ts: %v", i+1, err)
		}
		out = append(out, m)
	}
	return out
}

func TestJSONLog(t *testing.T) {
	var b bytes.Buffer
	l := NewJSONLog(&b)
	clock := time.Date(2026, 3, 2, 6, 0, 0, 123456789, time.FixedZone("CET", 3600))
	l.now = func() time.Time { return clock }
	model := &graph.Node{ID: "model.shop.stg_orders", Kind: graph.Model, Name: "stg_orders", Path: "models/stg_orders.sql"}
	test := &graph.Node{ID: "test.shop.positive", Kind: graph.Test, Name: "positive", Path: "models/_m.yml"}
	start := time.Date(2026, 3, 2, 5, 0, 1, 500, time.UTC)

	l.Message("warn", "the selector \"x\" matches no node")
	l.RunStarted(RunStart{Command: "build", Select: []string{"stg_orders+"}, Nodes: 2, Threads: 4, InvocationID: "inv-1", Target: "target"})
	l.NodeStarted(model, 0)
	l.NodeFinished(run.Result{ID: model.ID, Status: run.Success, Started: start, Completed: start.Add(1500 * time.Millisecond), Thread: "Thread-1", Rows: 825, Message: "825 rows"}, model, 1, 3)
	l.NodeFinished(run.Result{ID: test.ID, Status: run.Fail, Started: start, Completed: start.Add(time.Millisecond), Rows: -1, Failures: 3, Expected: "0 rows", Actual: "3 rows"}, test, 2, 3)
	l.NodeFinished(run.Result{ID: "export.shop.gone", Status: run.Skipped, Rows: -1, SkippedBy: test.ID, Message: "skipped"}, nil, 3, 3)
	l.RunFinished([]run.Result{{Status: run.Success}, {Status: run.Fail}, {Status: run.Skipped}}, 2500*time.Millisecond, 1, false)
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	ls := lines(t, b.String())
	if len(ls) != 7 {
		t.Fatalf("%d lines:\n%s", len(ls), b.String())
	}
	want := []map[string]any{
		{"ts": "2026-03-02T05:00:00.123456789Z", "level": "warn", "event": "message", "message": "the selector \"x\" matches no node"},
		{"level": "info", "event": "run_started", "invocation_id": "inv-1", "command": "build", "select": []any{"stg_orders+"}, "exclude": []any{}, "node_count": 2.0, "threads": 4.0, "target_path": "target"},
		{"event": "node_started", "invocation_id": "inv-1", "unique_id": "model.shop.stg_orders", "name": "stg_orders", "resource_type": "model", "path": "models/stg_orders.sql", "thread_id": "Thread-1"},
		{"level": "info", "event": "node_finished", "status": "success", "started_at": "2026-03-02T05:00:01.0000005Z", "completed_at": "2026-03-02T05:00:02.5000005Z",
			"execution_time": 1.5, "rows": 825.0, "failures": nil, "message": "825 rows", "index": 1.0, "total": 3.0},
		{"level": "error", "event": "node_finished", "status": "fail", "rows": nil, "failures": 3.0, "expected": "0 rows", "actual": "3 rows", "resource_type": "test"},
		{"level": "info", "status": "skipped", "unique_id": "export.shop.gone", "started_at": nil, "completed_at": nil, "execution_time": 0.0, "skipped_by": "test.shop.positive", "failures": nil},
		{"level": "error", "event": "run_finished", "elapsed": 2.5, "exit_code": 1.0, "interrupted": false, "total": 3.0, "counts": map[string]any{"success": 1.0, "fail": 1.0, "skipped": 1.0}},
	}
	for i, w := range want {
		for k, v := range w {
			got, ok := ls[i][k]
			if !ok || !equalJSON(got, v) {
				t.Errorf("line %d: %s = %#v, want %#v\n%v", i+1, k, got, v, ls[i])
			}
		}
	}
	if _, ok := ls[0]["invocation_id"]; ok {
		t.Error("invocation_id before the run started")
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// countingWriter records each Write, to check one line per Write.
type countingWriter struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	if bytes.Count(p, []byte("\n")) != 1 || p[len(p)-1] != '\n' {
		return 0, errors.New("a write that is not one line")
	}
	return w.b.Write(p)
}

func TestJSONLogConcurrent(t *testing.T) {
	w := &countingWriter{}
	l := NewJSONLog(w)
	n := &graph.Node{ID: "model.shop.m", Kind: graph.Model, Name: "m"}
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				l.NodeStarted(n, g)
				l.NodeFinished(run.Result{ID: n.ID, Status: run.Success, Rows: int64(i), Message: strings.Repeat("x", i*40)}, n, i, 50)
				if i == 25 {
					l.RunStarted(RunStart{Command: "build", InvocationID: "inv"})
				}
			}
		}(g)
	}
	wg.Wait()
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	if got := len(lines(t, w.b.String())); got != 16*101 || w.writes != got {
		t.Errorf("%d lines in %d writes, want %d", got, w.writes, 16*101)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestJSONLogWriteError(t *testing.T) {
	l := NewJSONLog(failingWriter{})
	l.Message("info", "a")
	l.Message("info", "b")
	if err := l.Err(); err == nil || err.Error() != "disk full" {
		t.Errorf("Err() = %v", err)
	}
}

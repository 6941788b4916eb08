package engine

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/run"
)

// A node's events reach the listener beside the next node's statement:
// while the listener is still taking a's node_finished, b runs (its
// run-time rendering is called, then its statement); c, two nodes on,
// waits for a's events (they are at most one node behind). Every event
// arrives in the run's order, all of them before Run returns, and the
// tables hold what the models select.
func TestEventsDoNotHoldTheNextNode(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"project.yml":  "name: evq\n",
		"models/a.sql": "select 1 as x\n",
		"models/b.sql": "select x + 1 as x from {{ ref('a') }}\n",
		"models/c.sql": "select x + 1 as x from {{ ref('b') }}\n",
	})
	bStarted := make(chan struct{})
	var aDelivered atomic.Bool
	var cEarly atomic.Bool
	render := func(ctx context.Context, n *graph.Node, s adapter.Session) (string, bool, error) {
		switch n.Name {
		case "b":
			close(bStarted)
		case "c":
			cEarly.Store(!aDelivered.Load())
		}
		return "", false, nil
	}
	var got []string
	bRanFirst := false
	listen := func(ev Event) {
		switch ev := ev.(type) {
		case NodeStarted:
			got = append(got, "started "+ev.Node.Name)
		case NodeFinished:
			got = append(got, fmt.Sprintf("finished %s %s %d/%d", ev.Node.Name, ev.Result.Status, ev.Done, ev.Total))
			if ev.Node.Name == "a" {
				// Without the queue, b cannot start while this
				// listener holds the run: fail rather than hang.
				select {
				case <-bStarted:
					bRanFirst = true
				case <-time.After(2 * time.Minute):
				}
				aDelivered.Store(true)
			}
		case RunFinished:
			got = append(got, "run finished")
		}
	}
	p, err := Load(Config{Dir: dir, Listener: listen, Render: render})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := p.Select(Selection{Kinds: RunKinds})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(context.Background(), p.Plan(ids), RunOptions{Command: "run", Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !bRanFirst {
		t.Error("b did not start while the listener was taking a's node_finished event: the run waited for the listener")
	}
	if cEarly.Load() {
		t.Error("c started before a's node_finished event was delivered: the events were more than one node behind")
	}
	want := "started a|finished a success 1/3|started b|finished b success 2/3|started c|finished c success 3/3|run finished"
	if g := strings.Join(got, "|"); g != want {
		t.Errorf("events:\n%s\nwant\n%s", g, want)
	}
	for _, r := range res.Results {
		if r.Status != run.Success {
			t.Errorf("%s: %s %s", r.ID, r.Status, r.Message)
		}
	}
	db, err := p.OpenDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if x, err := db.conn.QueryInt(context.Background(), "select x from main.c"); err != nil || x != 3 {
		t.Errorf("main.c holds x = %d (%v), want 3", x, err)
	}
}

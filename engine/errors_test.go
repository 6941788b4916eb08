package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/run"
)

// A transient error in a model's statement (an I/O error: the file it
// reads is not there yet) keeps its type through the executor, so
// --retries tries the model again; here the file appears when the first
// attempt failed.
func TestTransientModelErrorIsRetried(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	writeFiles(t, dir, map[string]string{
		"project.yml":  "name: retry\nvars:\n  dir: .\n",
		"models/m.sql": "select * from read_csv('{{ var('dir') }}/later.csv')\n",
	})
	later := filepath.Join(data, "later.csv")
	var retried []NodeRetry
	p, err := Load(Config{Dir: dir, Vars: map[string]any{"dir": data}, Listener: func(ev Event) {
		if r, ok := ev.(NodeRetry); ok {
			retried = append(retried, r)
			if err := os.WriteFile(later, []byte("x\n1\n"), 0o644); err != nil {
				t.Error(err)
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := p.Select(Selection{Kinds: RunKinds})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(context.Background(), p.Plan(ids), RunOptions{Command: "run", Retries: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(retried) != 1 {
		t.Fatalf("%d retries, want 1", len(retried))
	}
	first := retried[0].Result
	var de *adapter.Error
	var ne *run.NodeError
	if !errors.As(first.Err, &de) || de.Class != adapter.Transient || !errors.As(first.Err, &ne) || ne.Pos.File != "models/m.sql" {
		t.Errorf("the failed attempt's error is %#v, want a *run.NodeError at models/m.sql around a transient *adapter.Error", first.Err)
	}
	if got := res.Results[0]; got.Status != run.Success || got.Attempts != 2 {
		t.Errorf("the model: %s after %d attempts (%s), want success after 2", got.Status, got.Attempts, got.Message)
	}
}

// A model's SQL error is reported at the model's .sql line and column,
// first, with the position in the compiled SQL as a second note; an
// ephemeral parent's error at the ephemeral model's file.
func TestModelErrorAtItsSourcePosition(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"project.yml": "name: pos\n",
		"models/base.sql": "{{ config(materialized='ephemeral') }}\n" +
			"select 1 as id,\n" +
			"  2 as amount\n",
		"models/m.sql": "-- a model\n" +
			"{% set cols = ['id'] %}\n" +
			"select\n" +
			"  {{ cols | join(', ') }},\n" +
			"  no_such_column\n" +
			"from {{ ref('base') }}\n",
		"models/e.sql": "{{ config(materialized='ephemeral') }}\nselect id, missing_col from {{ ref('base') }}\n",
		"models/f.sql": "select * from {{ ref('e') }}\n",
	})
	p, err := Load(Config{Dir: dir})
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
	got := map[string]string{}
	for _, r := range res.Results {
		got[string(r.ID)] = r.Message
	}
	for id, want := range map[string]string{
		"model.pos.m": "models/m.sql:5:3: binder error: Referenced column \"no_such_column\" not found",
		"model.pos.f": "models/e.sql:2:12: binder error: Referenced column \"missing_col\" not found",
	} {
		if !strings.HasPrefix(got[id], want) {
			t.Errorf("%s: %q, want it to start with %q", id, got[id], want)
		}
	}
	if !strings.Contains(got["model.pos.m"], "(compiled SQL: target/compiled/pos/models/m.sql:9:3)") {
		t.Errorf("model.pos.m: %q lacks the compiled position", got["model.pos.m"])
	}
}

// A template that renders at run time (dbt's execute phase) gets the
// node's session: here it reads the columns of the upstream table from
// the catalog, as adapter.get_columns_in_relation does, and the model is
// built from what it rendered.
func TestRenderAtRunTime(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"project.yml":      "name: rt\n",
		"models/wide.sql":  "select 1 as a, 2 as b, 3 as c\n",
		"models/picks.sql": "select * from {{ ref('wide') }}\n",
	})
	var typ string
	render := func(ctx context.Context, n *graph.Node, s adapter.Session) (string, bool, error) {
		if n.Name != "picks" {
			return "", false, nil
		}
		typ = s.Type
		wide := adapter.Relation{Schema: "main", Name: "wide"}
		cols, err := s.Conn.Columns(ctx, wide)
		if err != nil {
			return "", false, err
		}
		var names []string
		for _, c := range cols {
			if c.Name != "b" {
				names = append(names, s.Dialect.Quote(c.Name))
			}
		}
		return "select " + strings.Join(names, ", ") + " from " + s.Dialect.QuoteRelation(wide), true, nil
	}
	p, err := Load(Config{Dir: dir, Render: render})
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
	for _, r := range res.Results {
		if r.Status != run.Success {
			t.Fatalf("%s: %s %s", r.ID, r.Status, r.Message)
		}
	}
	if typ != "duckdb" {
		t.Errorf("the session's adapter type is %q", typ)
	}
	db, err := p.OpenDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cols, err := db.conn.Columns(context.Background(), adapter.Relation{Schema: "main", Name: "picks"})
	if err != nil || len(cols) != 2 || cols[0].Name != "a" || cols[1].Name != "c" {
		t.Errorf("picks has %v (%v), want a and c", cols, err)
	}
}

package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/engine"
	"github.com/kiln-build/kiln/internal/run"
)

// mini is a small project in a temporary folder, built through the
// engine, whose database the test reads and changes between builds (its
// sources are tables of schema raw, filled by the test).
type mini struct {
	t   *testing.T
	dir string
}

// newMini writes project.yml and files (path -> text) to a new folder.
func newMini(t *testing.T, files map[string]string) *mini {
	t.Helper()
	m := &mini{t: t, dir: t.TempDir()}
	m.write("project.yml", "name: mini\nmodel-paths: [models]\ndatabase-path: target/mini.duckdb\n")
	for p, text := range files {
		m.write(p, text)
	}
	return m
}

func (m *mini) write(p, text string) {
	m.t.Helper()
	full := filepath.Join(m.dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		m.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
		m.t.Fatal(err)
	}
}

// buildOpts are the options of one build.
type buildOpts struct {
	fullRefresh bool
	command     string
	clock       time.Time
	vars        map[string]any
	selectArgs  []string
	kinds       map[string]bool
	// eventStart and eventEnd are --event-time-start and --event-time-end.
	eventStart, eventEnd time.Time
}

// build builds the project and returns the run's result; a project that
// does not load fails the test with the diagnostics.
func (m *mini) build(o buildOpts) *engine.Result {
	m.t.Helper()
	res, err := m.tryBuild(o)
	if err != nil {
		m.t.Fatal(err)
	}
	return res
}

func (m *mini) tryBuild(o buildOpts) (*engine.Result, error) {
	m.t.Helper()
	var diags []string
	p, err := engine.Load(engine.Config{Dir: m.dir, Vars: o.vars, Listener: func(ev engine.Event) {
		if d, ok := ev.(engine.Diagnostics); ok {
			for _, x := range d.List {
				diags = append(diags, x.Error())
			}
		}
	}})
	if err != nil {
		m.t.Fatalf("%v:\n%s", err, strings.Join(diags, "\n"))
	}
	if o.command == "" {
		o.command = "build"
	}
	ids, err := p.Select(engine.Selection{Select: o.selectArgs, Kinds: engine.CommandKinds(o.command)})
	if err != nil {
		return nil, err
	}
	return p.Run(context.Background(), p.Plan(ids), engine.RunOptions{Command: o.command, Threads: 1, FullRefresh: o.fullRefresh, Start: o.clock,
		EventTimeStart: o.eventStart, EventTimeEnd: o.eventEnd})
}

// diagnostics loads the project and returns its diagnostics, one a line.
func (m *mini) diagnostics() string {
	m.t.Helper()
	var diags []string
	_, _ = engine.Load(engine.Config{Dir: m.dir, Listener: func(ev engine.Event) {
		if d, ok := ev.(engine.Diagnostics); ok {
			for _, x := range d.List {
				diags = append(diags, x.Error())
			}
		}
	}})
	return strings.Join(diags, "\n")
}

// db opens the project's database for the length of fn.
func (m *mini) db(fn func(c adapter.Conn, d adapter.Dialect)) {
	m.t.Helper()
	ctx := context.Background()
	a, err := adapter.Open(ctx, adapter.Target{Type: "duckdb", Path: filepath.Join(m.dir, "target", "mini.duckdb")})
	if err != nil {
		m.t.Fatal(err)
	}
	defer a.Close()
	c, err := a.Conn(ctx)
	if err != nil {
		m.t.Fatal(err)
	}
	defer c.Close()
	fn(c, a.Dialect())
}

// exec runs statements on the project's database.
func (m *mini) exec(stmts ...string) {
	m.t.Helper()
	m.db(func(c adapter.Conn, _ adapter.Dialect) {
		for _, s := range stmts {
			if _, err := c.Exec(context.Background(), s); err != nil {
				m.t.Fatalf("%s: %v", s, err)
			}
		}
	})
}

// rows returns the rows of query.
func (m *mini) rows(query string) [][]any {
	m.t.Helper()
	var out [][]any
	m.db(func(c adapter.Conn, _ adapter.Dialect) {
		var err error
		_, out, err = c.QueryRows(context.Background(), query)
		if err != nil {
			m.t.Fatalf("%s: %v", query, err)
		}
	})
	return out
}

// result returns the result of the node named name (the last part of its
// unique_id) in res.
func result(t *testing.T, res *engine.Result, name string) run.Result {
	t.Helper()
	for _, r := range res.Results {
		if strings.HasSuffix(string(r.ID), "."+name) {
			return r
		}
	}
	t.Fatalf("no result for %s in %v", name, res.Results)
	return run.Result{}
}

// wantOK fails the test unless the run succeeded.
func wantOK(t *testing.T, res *engine.Result) {
	t.Helper()
	if res.Failed {
		var msgs []string
		for _, r := range res.Results {
			msgs = append(msgs, string(r.ID)+": "+string(r.Status)+" "+r.Message)
		}
		t.Fatalf("the run failed:\n%s", strings.Join(msgs, "\n"))
	}
}

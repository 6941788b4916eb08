package engine

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/run"
	"github.com/kiln-build/kiln/internal/sample"
)

// repoRoot is the repository root: the BottleNeck project.
const repoRoot = ".."

// newProject copies the BottleNeck project into a temporary folder with a
// fresh sample month, and returns the folder.
func newProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	copyFile(t, filepath.Join(repoRoot, "project.yml"), filepath.Join(dir, "project.yml"))
	for _, sub := range []string{"models", "snapshots", "tests", "macros", "seeds"} {
		root := filepath.Join(repoRoot, sub)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			r, _ := filepath.Rel(root, p)
			copyFile(t, p, filepath.Join(dir, sub, r))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sample.Generate(filepath.Join(dir, "data", "sample", sample.DefaultMonth), sample.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	return dir
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// recorder is a listener keeping the events.
type recorder struct{ events []Event }

func (r *recorder) listen(ev Event) { r.events = append(r.events, ev) }

func (r *recorder) count(kind string) int {
	n := 0
	for _, ev := range r.events {
		switch ev.(type) {
		case RunStarted:
			if kind == "started" {
				n++
			}
		case NodeStarted:
			if kind == "node_started" {
				n++
			}
		case NodeFinished:
			if kind == "node_finished" {
				n++
			}
		case RunFinished:
			if kind == "finished" {
				n++
			}
		}
	}
	return n
}

// The engine builds a project without the command line: the listener
// sees the run start, every planned node finish once, and the run finish
// with the Result that Run returns; the second run finds every node up to
// date.
func TestBuildThroughTheEngine(t *testing.T) {
	dir := newProject(t)
	rec := &recorder{}
	p, err := Load(Config{Dir: dir, Listener: rec.listen})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := p.Select(Selection{Kinds: BuildKinds})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(context.Background(), p.Plan(ids), RunOptions{Command: "build", Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed || res.Interrupted || res.Refused {
		t.Fatalf("the build failed: %+v", res)
	}
	planned := len(res.Results)
	if planned == 0 || rec.count("started") != 1 || rec.count("finished") != 1 || rec.count("node_finished") != planned {
		t.Fatalf("events: %d run_started, %d node_finished for %d results, %d run_finished", rec.count("started"), rec.count("node_finished"), planned, rec.count("finished"))
	}
	last, ok := rec.events[len(rec.events)-1].(RunFinished)
	if !ok || last.Result != res {
		t.Fatalf("the last event is %T, want RunFinished with the run's result", rec.events[len(rec.events)-1])
	}
	// Each source and seed loaded reports its progress, last with Done
	// and every row.
	done := map[graph.ID]int64{}
	for _, ev := range rec.events {
		if pr, ok := ev.(NodeProgress); ok && pr.Progress.Done {
			done[pr.Node.ID] = pr.Progress.Rows
		}
	}
	for _, r := range res.Results {
		if n := p.Graph().Node(r.ID); n.Kind == graph.Source || n.Kind == graph.Seed {
			if rows, ok := done[r.ID]; !ok || rows != r.Rows {
				t.Errorf("%s: loaded %d rows; its last progress event: %d rows (%v)", r.ID, r.Rows, rows, ok)
			}
		}
	}
	warned := map[graph.ID]bool{}
	for _, r := range res.Results {
		switch r.Status {
		case run.Success, run.Pass:
		case run.Warn:
			warned[r.ID] = true
		default:
			t.Errorf("%s: %s %s", r.ID, r.Status, r.Message)
		}
	}

	// A second invocation: everything is up to date but the tests that
	// warned (only a pass is remembered).
	rec2 := &recorder{}
	p2, err := Load(Config{Dir: dir, Listener: rec2.listen})
	if err != nil {
		t.Fatal(err)
	}
	res2, err := p2.Run(context.Background(), p2.Plan(ids), RunOptions{Command: "build"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res2.Results {
		if want := map[bool]run.Status{false: run.UpToDate, true: run.Warn}[warned[r.ID]]; r.Status != want {
			t.Errorf("%s: %s, want %s", r.ID, r.Status, want)
		}
	}
	if len(res2.Results) != planned {
		t.Errorf("%d results, want %d", len(res2.Results), planned)
	}

	// kiln test runs the tests, up to date or not (dbt always runs them;
	// skipping belongs to build).
	tests, err := p2.Select(Selection{Kinds: TestKinds})
	if err != nil {
		t.Fatal(err)
	}
	res3, err := p2.Run(context.Background(), p2.Plan(tests), RunOptions{Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res3.Results) == 0 {
		t.Fatal("no test ran")
	}
	for _, r := range res3.Results {
		if r.Status != run.Pass && r.Status != run.Warn {
			t.Errorf("kiln test: %s is %s, want pass or warn", r.ID, r.Status)
		}
	}
}

// Select reports flag mistakes as *UsageError, and a selection of another
// command's kinds keeps only those.
func TestSelect(t *testing.T) {
	p, err := Load(Config{Dir: repoRoot})
	if err != nil {
		t.Fatal(err)
	}
	var ue *UsageError
	if _, err := p.Select(Selection{ResourceTypes: []string{"modle"}}); !errors.As(err, &ue) || !strings.Contains(err.Error(), `did you mean "model"`) {
		t.Errorf("--resource-type modle: %v, want a UsageError with a hint", err)
	}
	ids, err := p.Select(Selection{Select: []string{"stg_erp+"}, Kinds: TestKinds})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) == 0 {
		t.Fatal("no test downstream of stg_erp")
	}
	for _, id := range ids {
		if k := p.Graph().Node(id).Kind; k != graph.Test && k != graph.UnitTest {
			t.Errorf("%s is a %s, not a test", id, k)
		}
	}
}

// Load says what to do when the directory or project.yml is missing.
func TestLoadErrors(t *testing.T) {
	if _, err := Load(Config{Dir: filepath.Join(t.TempDir(), "nope")}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing directory: %v", err)
	}
	if _, err := Load(Config{Dir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "neither project.yml nor dbt_project.yml") {
		t.Errorf("missing project.yml: %v", err)
	}
}

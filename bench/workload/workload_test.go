package workload

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// compile compiles the project in p.Dir as kiln does.
func compile(t *testing.T, p *Project) *graph.Graph {
	t.Helper()
	pr, l := project.Load(os.DirFS(p.Dir))
	if l.HasErrors() {
		t.Fatalf("load: %v", l)
	}
	m, l := compiler.Compile(pr, compiler.Options{Vars: p.Vars, ProjectDir: p.Dir})
	if l != nil {
		t.Fatalf("compile: %v", l)
	}
	return m.Graph
}

// count returns the nodes of g by kind, and the largest number of model
// or source parents of a model.
func count(g *graph.Graph) (map[graph.Kind]int, int) {
	kinds := map[graph.Kind]int{}
	most := 0
	for _, n := range g.Nodes() {
		kinds[n.Kind]++
		if n.Kind == graph.Model {
			most = max(most, len(g.Parents(n.ID)))
		}
	}
	return kinds, most
}

func TestW1(t *testing.T) {
	const n = 50
	p, err := W1(filepath.Join(t.TempDir(), "w1"), n, 10)
	if err != nil {
		t.Fatal(err)
	}
	g := compile(t, p)
	kinds, most := count(g)
	if kinds[graph.Model] != n || p.Models != n {
		t.Errorf("models: graph %d, project %d, want %d", kinds[graph.Model], p.Models, n)
	}
	if kinds[graph.Source] != W1Sources || kinds[graph.Test] != p.Tests || p.Tests < n || p.Tests > 2*n {
		t.Errorf("sources %d, tests %d (declared %d)", kinds[graph.Source], kinds[graph.Test], p.Tests)
	}
	if most < 2 || most > 3 {
		t.Errorf("a model has up to %d parents, want 2 or 3", most)
	}
	// The DAG is layered: the last model is W1Depth models deep.
	depth := map[graph.ID]int{}
	deepest := 0
	for _, id := range g.Order() {
		if g.Node(id).Kind != graph.Model {
			continue
		}
		for _, par := range g.Parents(id) {
			depth[id] = max(depth[id], depth[par]+1)
		}
		deepest = max(deepest, depth[id])
	}
	if deepest != W1Depth {
		t.Errorf("depth %d, want %d", deepest, W1Depth)
	}
	if len(p.Setup) != W1Sources+1 {
		t.Errorf("%d setup statements", len(p.Setup))
	}
}

func TestW2(t *testing.T) {
	const n = 250
	dir := filepath.Join(t.TempDir(), "w2")
	p, err := W2(dir, n)
	if err != nil {
		t.Fatal(err)
	}
	kinds, most := count(compile(t, p))
	if kinds[graph.Model] != n || kinds[graph.Test] != 0 || most != 2 {
		t.Errorf("got %v, up to %d parents", kinds, most)
	}
	// Deterministic: the same call writes the same files.
	first, _ := os.ReadFile(filepath.Join(dir, "models/g002/w00217.sql"))
	if _, err := W2(dir, n); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(filepath.Join(dir, "models/g002/w00217.sql"))
	if len(first) == 0 || string(first) != string(again) {
		t.Errorf("not deterministic:\n%s\n%s", first, again)
	}
}

func TestW3(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	data, figures, err := W3Data(t.TempDir(), 40)
	if err != nil || figures == "" {
		t.Fatal(err)
	}
	p, err := W3(filepath.Join(t.TempDir(), "w3"), root, data, false)
	if err != nil {
		t.Fatal(err)
	}
	kinds, _ := count(compile(t, p))
	if kinds[graph.Model] != p.Models || kinds[graph.Source] != 3 || kinds[graph.Export] == 0 {
		t.Errorf("got %v, %d models", kinds, p.Models)
	}
}

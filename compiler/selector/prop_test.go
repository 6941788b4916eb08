package selector

import (
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/graph"
)

// randomDAG returns a graph of n models m0..m(n-1), each depending on a few
// earlier ones, tagged t0..t3 at random, and, when tests is set, one test
// per model on it and on another model.
func randomDAG(r *rand.Rand, n int, tests bool) *graph.Graph {
	var nodes []*graph.Node
	id := func(i int) graph.ID { return graph.ID(fmt.Sprintf("model.p.m%d", i)) }
	for i := 0; i < n; i++ {
		nd := &graph.Node{ID: id(i), Kind: graph.Model, Name: fmt.Sprintf("m%d", i), Package: "p",
			FQN: []string{"p", fmt.Sprintf("m%d", i)}, Path: fmt.Sprintf("models/m%d.sql", i), Config: graph.Config{Enabled: true}}
		if r.Intn(3) == 0 {
			nd.Config.Tags = []string{fmt.Sprintf("t%d", r.Intn(4))}
		}
		for k := r.Intn(4); k > 0 && i > 0; k-- {
			p := id(r.Intn(i))
			if !slices.Contains(nd.DependsOn, p) {
				nd.DependsOn = append(nd.DependsOn, p)
			}
		}
		nodes = append(nodes, nd)
		if tests && r.Intn(2) == 0 {
			deps := []graph.ID{id(i)}
			if o := id(r.Intn(i + 1)); o != id(i) {
				deps = append(deps, o)
			}
			nodes = append(nodes, &graph.Node{ID: graph.ID(fmt.Sprintf("test.p.t%d", i)), Kind: graph.Test, Name: fmt.Sprintf("t%d", i),
				Package: "p", FQN: []string{"p", fmt.Sprintf("t%d", i)}, Path: "models/schema.yml", DependsOn: deps,
				Config: graph.Config{Enabled: true}, Test: &graph.TestInfo{Generic: "unique", Attached: id(i)}})
		}
	}
	g, err := graph.New(nodes)
	if err != nil {
		panic(err)
	}
	return g
}

func set(ids []graph.ID) map[graph.ID]bool {
	m := map[graph.ID]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func with(m map[graph.ID]bool, ids ...graph.ID) map[graph.ID]bool {
	out := map[graph.ID]bool{}
	for k := range m {
		out[k] = true
	}
	for _, id := range ids {
		out[id] = true
	}
	return out
}

func mustSelect(t *testing.T, g *graph.Graph, sel, exc []string, opt Options) []graph.ID {
	t.Helper()
	ids, err := Select(g, sel, exc, opt)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestGraphOperatorProperties(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for round := 0; round < 40; round++ {
		n := 1 + r.Intn(150)
		g := randomDAG(r, n, false)
		for k := 0; k < 10; k++ {
			x := fmt.Sprintf("m%d", r.Intn(n))
			id := graph.ID("model.p." + x)
			d := 1 + r.Intn(3)
			checks := []struct {
				sel  string
				want map[graph.ID]bool
			}{
				{x + "+", with(g.Descendants(id, -1), id)},
				{"+" + x, with(g.Ancestors(id, -1), id)},
				{x + fmt.Sprintf("+%d", d), with(g.Descendants(id, d), id)},
				{fmt.Sprintf("%d+", d) + x, with(g.Ancestors(id, d), id)},
			}
			// @x: x, its descendants, and all their ancestors.
			at := with(g.Descendants(id, -1), id)
			for a := range with(at) {
				for p := range g.Ancestors(a, -1) {
					at[p] = true
				}
			}
			checks = append(checks, struct {
				sel  string
				want map[graph.ID]bool
			}{"@" + x, at})
			for _, c := range checks {
				got := set(mustSelect(t, g, []string{c.sel}, nil, Options{}))
				if fmt.Sprint(got) != fmt.Sprint(c.want) {
					t.Fatalf("%s on a %d-node graph: got %v, want %v", c.sel, n, got, c.want)
				}
			}
		}
	}
}

// randomAtom returns a random selector over randomDAG's names and tags.
func randomAtom(r *rand.Rand, n int) string {
	var v string
	switch r.Intn(4) {
	case 0:
		v = fmt.Sprintf("tag:t%d", r.Intn(4))
	case 1:
		v = fmt.Sprintf("m%d*", r.Intn(n))
	case 2:
		v = "test_name:unique"
	default:
		v = fmt.Sprintf("m%d", r.Intn(n))
	}
	switch r.Intn(5) {
	case 0:
		return "+" + v
	case 1:
		return v + "+"
	case 2:
		return fmt.Sprintf("%d+%s+%d", 1+r.Intn(2), v, 1+r.Intn(2))
	case 3:
		return "@" + v
	}
	return v
}

func TestSetProperties(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	modes := []string{Eager, Cautious, Buildable, Empty}
	for round := 0; round < 200; round++ {
		n := 1 + r.Intn(60)
		g := randomDAG(r, n, true)
		opt := Options{Indirect: modes[r.Intn(len(modes))]}
		a, b, c := randomAtom(r, n), randomAtom(r, n), randomAtom(r, n)

		// A union is commutative, as words or as arguments.
		ab := mustSelect(t, g, []string{a + " " + b}, nil, opt)
		ba := mustSelect(t, g, []string{b, a}, nil, opt)
		if !slices.Equal(ab, ba) {
			t.Fatalf("%s: %q %q: a b = %v, b a = %v", opt.Indirect, a, b, ab, ba)
		}
		// An intersection is within each of its parts.
		inter := mustSelect(t, g, []string{a + "," + b}, nil, opt)
		onlyA := set(mustSelect(t, g, []string{a}, nil, opt))
		onlyB := set(mustSelect(t, g, []string{b}, nil, opt))
		for _, id := range inter {
			if !onlyA[id] || !onlyB[id] {
				t.Fatalf("%s: %s,%s selects %s outside a part", opt.Indirect, a, b, id)
			}
		}
		// Nothing excluded is selected, and exclusion only removes.
		excluded := set(mustSelect(t, g, []string{c}, nil, opt))
		kept := mustSelect(t, g, []string{a, b}, []string{c}, opt)
		for _, id := range kept {
			if excluded[id] {
				t.Fatalf("%s: %s %s --exclude %s keeps excluded %s", opt.Indirect, a, b, c, id)
			}
		}
		union := set(ab)
		for _, id := range kept {
			if !union[id] {
				t.Fatalf("%s: exclusion added %s", opt.Indirect, id)
			}
		}
		// Empty mode adds no test that was not selected on its own.
		if opt.Indirect == Empty {
			for _, id := range mustSelect(t, g, []string{a}, nil, opt) {
				if strings.HasPrefix(string(id), "test.") && !strings.HasPrefix(a, "test_name") && !strings.Contains(a, "+") && !strings.HasPrefix(a, "@") {
					t.Fatalf("empty mode: %s selects %s", a, id)
				}
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"stg_orders", "+a+", "2+x+3", "@x", "tag:a,path:models/x", "a b,c", "config.meta.owner:x",
		"state:modified.body+", "source:raw.orders", "0+x", "@+x", "x+y", "a,,b", "tag:", "path:[x", "::", "+@", "1+", "é+ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		e, err := Parse(arg)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) returned %T", arg, err)
			}
			if se.Col < 1 || se.Col > len(arg)+1 {
				t.Fatalf("Parse(%q): column %d out of range", arg, se.Col)
			}
			return
		}
		if e.String() == "" {
			t.Fatalf("Parse(%q) gave an empty expression", arg)
		}
	})
}

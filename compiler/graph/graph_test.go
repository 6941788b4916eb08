package graph

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func mk(edges map[string][]string) []*Node {
	var out []*Node
	for id, deps := range edges {
		n := &Node{ID: ID(id)}
		for _, d := range deps {
			n.DependsOn = append(n.DependsOn, ID(d))
		}
		out = append(out, n)
	}
	return out
}

func TestTopologicalOrderDeterministic(t *testing.T) {
	edges := map[string][]string{
		"a": nil, "b": {"a"}, "c": {"a"}, "d": {"b", "c"}, "e": nil, "f": {"e", "d"},
	}
	var first []ID
	for i := 0; i < 20; i++ {
		g, err := New(mk(edges)) // map iteration shuffles the input
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = append([]ID(nil), g.Order()...)
		} else if !reflect.DeepEqual(first, g.Order()) {
			t.Fatalf("order changed: %v vs %v", first, g.Order())
		}
	}
	want := []ID{"a", "b", "c", "d", "e", "f"}
	if !reflect.DeepEqual(first, want) {
		t.Fatalf("got %v, want %v", first, want)
	}
}

func TestCycleReportsWholeLoop(t *testing.T) {
	_, err := New(mk(map[string][]string{
		"x": nil, "c": {"b"}, "a": {"c", "x"}, "b": {"a"}, "z": {"a"},
	}))
	var ce *CycleError
	if !errors.As(err, &ce) {
		t.Fatalf("want CycleError, got %v", err)
	}
	// x is the root: a is 1 edge from it, b 2, c 3; c -> a goes back
	// upstream.
	want := []ID{"c", "a", "b", "c"}
	if !reflect.DeepEqual(ce.Path, want) {
		t.Fatalf("got %v, want %v", ce.Path, want)
	}
	if ce.Error() != "dependency cycle: c -> a -> b -> c" {
		t.Fatalf("message %q", ce.Error())
	}
}

// The loop starts with the edge that closed it: a ref from an upstream
// node (int) to a downstream one (mart2), whatever the IDs' order.
func TestCycleStartsWithClosingEdge(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nodes map[string][]string
		want  []ID
	}{
		{"intermediate reads a mart", map[string][]string{
			"raw": nil, "stg": {"raw"}, "int": {"stg", "mart2"}, "mart1": {"int"}, "mart2": {"mart1"}, "report": {"int"},
		}, []ID{"mart2", "int", "mart1", "mart2"}},
		{"staging reads an intermediate", map[string][]string{
			"raw": nil, "z_stg": {"raw", "a_int"}, "y_stg": {"raw"}, "a_int": {"z_stg", "y_stg"}, "m": {"a_int"},
		}, []ID{"a_int", "z_stg", "a_int"}},
		{"a symmetric loop keeps the smallest ID first", map[string][]string{
			"a": {"c"}, "b": {"a"}, "c": {"b"},
		}, []ID{"a", "b", "c", "a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(mk(tc.nodes))
			var ce *CycleError
			if !errors.As(err, &ce) {
				t.Fatalf("want CycleError, got %v", err)
			}
			if !reflect.DeepEqual(ce.Path, tc.want) {
				t.Fatalf("got %v, want %v", ce.Path, tc.want)
			}
		})
	}
}

func TestSelfLoop(t *testing.T) {
	_, err := New(mk(map[string][]string{"a": {"a"}}))
	var ce *CycleError
	if !errors.As(err, &ce) || !reflect.DeepEqual(ce.Path, []ID{"a", "a"}) {
		t.Fatalf("got %v", err)
	}
}

func TestMissingParent(t *testing.T) {
	_, err := New(mk(map[string][]string{"a": {"nope"}}))
	var me *MissingError
	if !errors.As(err, &me) || me.To != "nope" {
		t.Fatalf("got %v", err)
	}
}

func TestAncestorsDescendantsDepth(t *testing.T) {
	g, err := New(mk(map[string][]string{"a": nil, "b": {"a"}, "c": {"b"}, "d": {"c"}}))
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Ancestors("d", 1); !reflect.DeepEqual(got, map[ID]bool{"c": true}) {
		t.Errorf("Ancestors(d,1)=%v", got)
	}
	if got := g.Ancestors("d", -1); len(got) != 3 {
		t.Errorf("Ancestors(d)=%v", got)
	}
	if got := g.Descendants("a", 2); !reflect.DeepEqual(got, map[ID]bool{"b": true, "c": true}) {
		t.Errorf("Descendants(a,2)=%v", got)
	}
	if got := g.Sorted(map[ID]bool{"d": true, "a": true, "c": true}); !reflect.DeepEqual(got, []ID{"a", "c", "d"}) {
		t.Errorf("Sorted=%v", got)
	}
}

// Property: on random DAGs, every edge goes forward in the order.
func TestRandomDAGOrderRespectsEdges(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		n := 1 + r.IntN(40)
		edges := map[string][]string{}
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("n%02d", i)
			edges[id] = nil
			for j := 0; j < i; j++ {
				if r.IntN(4) == 0 {
					edges[id] = append(edges[id], fmt.Sprintf("n%02d", j))
				}
			}
		}
		g, err := New(mk(edges))
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Order()) != n {
			t.Fatalf("order has %d of %d", len(g.Order()), n)
		}
		for id, deps := range edges {
			for _, d := range deps {
				if g.Index(ID(d)) >= g.Index(ID(id)) {
					t.Fatalf("edge %s->%s goes backwards", d, id)
				}
			}
		}
	}
}

// TestRepeatedParentsKeptOnce gives nodes a few and many parents (past the
// 16 that New dedupes by scanning), each named more than once.
func TestRepeatedParentsKeptOnce(t *testing.T) {
	for _, n := range []int{1, 3, 16, 17, 40} {
		var nodes []*Node
		var deps, want []ID
		for i := range n {
			id := ID(fmt.Sprintf("model.p.m%02d", i))
			nodes = append(nodes, &Node{ID: id})
			want = append(want, id)
			deps = append(deps, id, id)
		}
		deps = append(deps, want...)
		nodes = append(nodes, &Node{ID: "model.p.child", DependsOn: deps})
		g, err := New(nodes)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.Parents("model.p.child"); !slices.Equal(got, want) {
			t.Errorf("%d parents: Parents = %v, want %v", n, got, want)
		}
		for _, id := range want {
			if got := g.Children(id); !slices.Equal(got, []ID{"model.p.child"}) {
				t.Errorf("%d parents: Children(%s) = %v", n, id, got)
			}
		}
	}
}

package execute

import (
	"context"
	"reflect"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/ansi"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
)

// viewBinder is a connection that binds views (as PostgreSQL), with the
// views of views, counting its catalog queries.
type viewBinder struct {
	adapter.Conn
	views      map[adapter.Relation][]adapter.Relation
	one, batch int
	defs       int // BoundViews queries
	asked      []adapter.Relation
}

func (v *viewBinder) DependentViews(_ context.Context, rel adapter.Relation) ([]adapter.Relation, error) {
	v.one++
	return v.views[rel], nil
}

// BoundViews returns the direct views of rel, each reading rel.
func (v *viewBinder) BoundViews(_ context.Context, rel adapter.Relation) ([]adapter.BoundView, error) {
	v.defs++
	var out []adapter.BoundView
	for _, d := range v.views[rel] {
		out = append(out, adapter.BoundView{Relation: d, Kind: adapter.View, Parents: []adapter.Relation{rel}, Statements: []string{"create view"}})
	}
	return out, nil
}

func (v *viewBinder) RenameIndexes(context.Context, adapter.Relation, string, bool) error { return nil }

func (v *viewBinder) DependentViewsOf(_ context.Context, rels []adapter.Relation) (map[adapter.Relation][]adapter.Relation, error) {
	v.batch++
	v.asked = append(v.asked, rels...)
	out := map[adapter.Relation][]adapter.Relation{}
	for _, r := range rels {
		out[r] = v.views[r]
	}
	return out, nil
}

// TestReadBoundViewsOneQuery: the views that read the relations a run
// replaces are read in one query at its start (ReadBoundViews), for the
// existing relations of its table and view models and seeds that are not
// up to date; viewsToKeep then queries no relation's views again: the
// model a view outside the run reads keeps it (its definition read once),
// the model whose view the run rebuilds keeps none and reads no
// definition.
func TestReadBoundViewsOneQuery(t *testing.T) {
	rel := func(name string) adapter.Relation { return adapter.Relation{Schema: "public", Name: name} }
	model := func(name, mat string) *graph.Node {
		return &graph.Node{ID: graph.ID("model.p." + name), Kind: graph.Model, Name: name, Relation: rel(name),
			Config: graph.Config{Materialized: mat}, Pos: diag.Pos{File: "models/" + name + ".sql", Line: 1, Col: 1}}
	}
	a, b, c, fresh, absent := model("a", graph.Table), model("b", graph.Table), model("c", graph.View), model("fresh", graph.Table), model("absent", graph.Table)
	seed := &graph.Node{ID: "seed.p.s", Kind: graph.Seed, Name: "s", Relation: rel("s")}
	g, err := graph.New([]*graph.Node{a, b, c, fresh, absent, seed})
	if err != nil {
		t.Fatal(err)
	}
	vb := &viewBinder{views: map[adapter.Relation][]adapter.Relation{
		rel("a"): {rel("outside")}, // a view of the user's
		rel("b"): {rel("c")},       // the run rebuilds c
	}}
	e := &Executor{g: g, d: ansi.Dialect{}, conns: []adapter.Conn{vb},
		cat: newCatalog([]adapter.RelationInfo{{Relation: rel("a"), Kind: adapter.Table}, {Relation: rel("b"), Kind: adapter.Table},
			{Relation: rel("c"), Kind: adapter.View}, {Relation: rel("fresh"), Kind: adapter.Table}, {Relation: rel("s"), Kind: adapter.Table}}),
		opts: Options{UpToDate: map[graph.ID]bool{fresh.ID: true}}}
	e.SetPlanned([]graph.ID{a.ID, b.ID, c.ID, fresh.ID, absent.ID, seed.ID})
	ctx := context.Background()
	if err := e.ReadBoundViews(ctx); err != nil {
		t.Fatal(err)
	}
	if want := []adapter.Relation{rel("a"), rel("b"), rel("c"), rel("s")}; vb.batch != 1 || !reflect.DeepEqual(vb.asked, want) {
		t.Errorf("%d batch queries for %v, want 1 for %v", vb.batch, vb.asked, want)
	}
	for _, n := range []*graph.Node{a, b, c} {
		kept, err := e.viewsToKeep(ctx, vb, n, e.cat.Kind(n.Relation))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, v := range kept {
			names = append(names, v.Relation.Name)
		}
		if want := map[bool][]string{true: {"outside"}}[n == a]; !reflect.DeepEqual(names, want) {
			t.Errorf("%s keeps %v, want %v", n.Name, names, want)
		}
	}
	if vb.defs != 1 {
		t.Errorf("%d definition queries, want 1 (for a)", vb.defs)
	}
	if vb.one != 0 {
		t.Errorf("%d queries of one relation's views after ReadBoundViews, want 0", vb.one)
	}
}

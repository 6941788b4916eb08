package postgres_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/postgres"
	"github.com/kiln-build/kiln/internal/testenv/pgtest"
)

// TestDependentViewsOf: one query gives, for each relation asked, the
// views that read it, as DependentViews gives them one by one; a
// relation that does not exist, or that no view reads, has an empty
// entry.
func TestDependentViewsOf(t *testing.T) {
	ctx := context.Background()
	a := open(t, pgtest.Database(t))
	defer a.Close()
	ac, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close()
	c := ac.(*postgres.Conn)
	for _, s := range []string{
		"create schema marts",
		"create table public.a (id int)", "create table marts.b (id int)", "create table public.c (id int)",
		"create view public.v2 as select a.id from public.a join marts.b using (id)",
		"create view marts.v1 as select id from public.a",
		"create view public.v3 as select id from public.v2", // reads v2, not a
	} {
		if _, err := c.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	rels := []adapter.Relation{{Schema: "public", Name: "a"}, {Schema: "marts", Name: "b"}, {Schema: "public", Name: "c"},
		{Schema: "public", Name: "missing"}, {Schema: "public", Name: "v2"}}
	got, err := c.DependentViewsOf(ctx, rels)
	if err != nil {
		t.Fatal(err)
	}
	want := map[adapter.Relation][]adapter.Relation{
		{Schema: "public", Name: "a"}:       {{Schema: "marts", Name: "v1"}, {Schema: "public", Name: "v2"}},
		{Schema: "marts", Name: "b"}:        {{Schema: "public", Name: "v2"}},
		{Schema: "public", Name: "c"}:       nil,
		{Schema: "public", Name: "missing"}: nil,
		{Schema: "public", Name: "v2"}:      {{Schema: "public", Name: "v3"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DependentViewsOf = %v, want %v", got, want)
	}
	for _, rel := range rels {
		one, err := c.DependentViews(ctx, rel)
		if err != nil {
			t.Fatal(err)
		}
		if len(one) != len(got[rel]) || len(one) > 0 && !reflect.DeepEqual(one, got[rel]) {
			t.Errorf("DependentViews(%v) = %v, DependentViewsOf's %v", rel, one, got[rel])
		}
	}
}

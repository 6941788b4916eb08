package postgres

import (
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/ansi"
)

// TestUnlogged: a create table statement becomes create unlogged table,
// the offset of the user's query moving with it; others are left alone.
func TestUnlogged(t *testing.T) {
	rel := adapter.Relation{Schema: "s", Name: "t"}
	d := Dialect{}
	s := d.Unlogged(d.CreateTableAs(rel, "select 1 as x"))
	if s.SQL[:len(`create unlogged table "s"."t" as (`)] != `create unlogged table "s"."t" as (` || s.SQL[s.Body:s.Body+len("select 1")] != "select 1" || !s.CountRows {
		t.Errorf("Unlogged(CreateTableAs) = %q (body at %d)", s.SQL, s.Body)
	}
	if s := d.Unlogged(d.CreateTableWith(rel, []string{"x int"})); s.SQL != `create unlogged table "s"."t" (x int)` || s.Body != -1 {
		t.Errorf("Unlogged(CreateTableWith) = %q (body %d)", s.SQL, s.Body)
	}
	v := ansi.Dialect{}.CreateViewAs(rel, "select 1")
	if s := d.Unlogged(v); s != v {
		t.Errorf("Unlogged(CreateViewAs) = %q, want it unchanged", s.SQL)
	}
}

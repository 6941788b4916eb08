package compiler

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/project"
)

// TestPersistDocsHistoryWarns: persist_docs on an incremental model is
// not applied yet, and kiln says so once (it accepted it silently); a
// table model's persist_docs gives no warning.
func TestPersistDocsHistoryWarns(t *testing.T) {
	fsys := fstest.MapFS{
		"dbt_project.yml": {Data: []byte("name: shop\nprofile: shop\nmodels:\n  shop:\n    +persist_docs: {relation: true, columns: true}\n")},
		"models/inc.sql":  {Data: []byte("{{ config(materialized='incremental') }}\nselect 1 as id\n")},
		"models/inc2.sql": {Data: []byte("{{ config(materialized='incremental') }}\nselect 2 as id\n")},
		"models/t.sql":    {Data: []byte("{{ config(materialized='table') }}\nselect 1 as id\n")},
	}
	target := func(project.TargetRequest) (*project.Target, diag.List) {
		return project.DefaultTarget("shop.duckdb"), nil
	}
	p, pl := project.LoadWith(fsys, project.Options{Target: target})
	if pl.HasErrors() {
		t.Fatal(pl)
	}
	m, l := Compile(p, Options{ProjectDir: "/proj"})
	if l.HasErrors() {
		t.Fatal(l)
	}
	got := m.Warnings.Error()
	want := "models/inc.sql: warning: persist_docs on incremental models and snapshots is not supported yet: inc, inc2 keep their table and column comments as they are"
	if !strings.Contains(got, want) {
		t.Errorf("want %q in:\n%s", want, got)
	}
	if strings.Count(got, "persist_docs") != 1 {
		t.Errorf("want one warning:\n%s", got)
	}
}

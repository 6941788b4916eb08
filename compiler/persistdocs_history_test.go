package compiler

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// TestPersistDocsHistoryAccepted: persist_docs on incremental models and
// on snapshots (under snapshots: in the project file) is applied
// (internal/execute/docs.go): no "not supported yet" warning (there was
// one for incremental models) or error (there was one for snapshots),
// and the nodes carry it.
func TestPersistDocsHistoryAccepted(t *testing.T) {
	fsys := fstest.MapFS{
		"dbt_project.yml": {Data: []byte("name: shop\nprofile: shop\nmodels:\n  shop:\n    +persist_docs: {relation: true, columns: true}\n" +
			"snapshots:\n  shop:\n    +persist_docs: {relation: true, columns: false}\n")},
		"models/inc.sql": {Data: []byte("{{ config(materialized='incremental') }}\nselect 1 as id\n")},
		"snapshots/snap.yml": {Data: []byte("snapshots:\n  - name: snap\n    relation: ref('inc')\n" +
			"    config: {unique_key: id, strategy: check, check_cols: all}\n")},
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
	if w := m.Warnings.Error(); strings.Contains(w, "persist_docs") {
		t.Errorf("want no persist_docs warning:\n%s", w)
	}
	got := map[string]string{}
	for _, n := range m.Graph.Nodes() {
		if n.Kind == graph.Model || n.Kind == graph.Snapshot {
			r, c := n.PersistDocs()
			got[n.Name] = strings.Join([]string{boolText(r), boolText(c)}, ",")
		}
	}
	if got["inc"] != "true,true" || got["snap"] != "true,false" {
		t.Errorf("persist_docs (relation, columns) = %v, want inc true,true and snap true,false", got)
	}
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

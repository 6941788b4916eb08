package engine

import (
	"testing"

	"github.com/kiln-build/kiln/compiler/graph"
)

// TestReadsOwnRelation: a node's query may read its own relation without
// escaping its fingerprint only when it is a snapshot: a table or an
// incremental model reading {{ this }} reads its own last build (an
// incremental one builds on it: a counter, a first-seen date), so it is
// not allowed its relation, and runs every build.
func TestReadsOwnRelation(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"project.yml":     "name: own\n",
		"models/base.sql": "select 1 as a\n",
		"models/tab.sql":  "{{ config(materialized='table') }}\nselect a from {{ ref('base') }}\n",
		"models/inc.sql":  "{{ config(materialized='incremental') }}\nselect a from {{ ref('base') }}\n",
	})
	p, err := Load(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	reads := func(id, name string) bool {
		for _, rel := range p.mayRead(graph.ID(id)) {
			if rel.Name == name {
				return true
			}
		}
		return false
	}
	if reads("model.own.tab", "tab") {
		t.Errorf("table model tab may read its own relation: %v", p.mayRead("model.own.tab"))
	}
	if !reads("model.own.tab", "base") {
		t.Errorf("table model tab may not read its ref base: %v", p.mayRead("model.own.tab"))
	}
	if reads("model.own.inc", "inc") {
		t.Errorf("incremental model inc may read its own relation: %v", p.mayRead("model.own.inc"))
	}
	if !reads("model.own.inc", "base") {
		t.Errorf("incremental model inc may not read its ref base: %v", p.mayRead("model.own.inc"))
	}
}

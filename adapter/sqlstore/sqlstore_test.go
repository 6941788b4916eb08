package sqlstore

import (
	"strings"
	"testing"
)

// Every ALTER of the script is one that ensure can leave out when its
// column exists: none would take its lock in every node's transaction.
func TestAddColumnMatchesEveryAlter(t *testing.T) {
	alters := strings.Count(ddl, "\nalter table ")
	got := addColumn.FindAllStringSubmatch(ddl, -1)
	if alters == 0 || len(got) != alters {
		t.Fatalf("addColumn matches %d of the script's %d ALTER statements", len(got), alters)
	}
	if m := got[0]; m[1] != "journal" || m[2] != "txn" {
		t.Errorf("first match: table %q column %q, want journal txn", m[1], m[2])
	}
}

// exists trusts ensure for the tables of its script, and only for them.
// intervals and observations are among them: a run's start creates them
// before any node runs (two microbatch models creating intervals at once
// conflicted on DuckDB).
func TestDDLTables(t *testing.T) {
	for _, name := range []string{"runs", "node_results", "journal", "state", "staged_files", "file_hashes", "pending_state", "intervals", "observations"} {
		if !ddlTables[name] {
			t.Errorf("ddlTables lacks %s", name)
		}
	}
}

package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestExecutedSQLInArtifacts: a model whose rendering reads execute has
// the SQL that ran in target/compiled and in manifest.json's
// compiled_code, as dbt writes the executed rendering (run_results.json
// has it too); a run that does not run it keeps the parse-time one.
func TestExecutedSQLInArtifacts(t *testing.T) {
	dir := smallProject(t, "")
	writeProjectFile(t, dir, "models/by_execute.sql", "select {% if execute %}2{% else %}1{% endif %} as x\n")
	compiled := filepath.Join(dir, "target", "compiled", "small", "models", "by_execute.sql")
	manifestCode := func() string {
		var m struct {
			Nodes map[string]struct {
				CompiledCode string `json:"compiled_code"`
			} `json:"nodes"`
		}
		if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "manifest.json")), &m); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(m.Nodes["model.small.by_execute"].CompiledCode)
	}
	mustKiln(t, ExitOK, dir, "build")
	if got := strings.TrimSpace(string(readFile(t, compiled))); got != "select 2 as x" {
		t.Errorf("target/compiled holds %q after the model ran, want the executed select 2 as x", got)
	}
	if got := manifestCode(); got != "select 2 as x" {
		t.Errorf("manifest.json's compiled_code is %q after the model ran, want select 2 as x", got)
	}
	mustKiln(t, ExitOK, dir, "build", "-s", "expensive")
	if got := strings.TrimSpace(string(readFile(t, compiled))); got != "select 1 as x" {
		t.Errorf("target/compiled holds %q for a model the run did not run, want the parse-time select 1 as x", got)
	}
	if got := manifestCode(); got != "select 1 as x" {
		t.Errorf("manifest.json's compiled_code is %q for a model the run did not run, want select 1 as x", got)
	}
}

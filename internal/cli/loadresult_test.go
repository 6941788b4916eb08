package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadResultOnce: as in dbt (providers.py's load_result), a
// statement's result loads once: a second statement of the same name
// stores a new result, which loads; loading a result again is an error
// at the call, not the same result silently again.
func TestLoadResultOnce(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "project.yml"), "name: lr\nmodel-paths: [models]\nmodels:\n  lr:\n    +materialized: table\n")
	writeFile(t, filepath.Join(dir, "models", "again.sql"),
		"{% call statement('n', fetch_result=True) %}select 41 as v{% endcall %}\n"+
			"{% set a = load_result('n')['data'][0][0] if execute else 0 %}\n"+
			"{% call statement('n', fetch_result=True) %}select 42 as v{% endcall %}\n"+
			"select {{ a }} as a, {{ load_result('n')['data'][0][0] if execute else 0 }} as b\n")
	mustKiln(t, 0, dir, "build")
	if got := strings.Join(duckQuery(t, filepath.Join(dir, "target", "kiln.duckdb"), "select a, b from main.again"), ","); got != "41|42" {
		t.Errorf("again: %s, want 41|42", got)
	}
	writeFile(t, filepath.Join(dir, "models", "twice.sql"),
		"{% call statement('n', fetch_result=True) %}select 41 as v{% endcall %}\n"+
			"{% set a = load_result('n') %}\n"+
			"select {{ load_result('n')['data'][0][0] if execute else 0 }} as b\n")
	out := mustKiln(t, 1, dir, "build", "--select", "twice")
	if !strings.Contains(out, `load_result("n"): the statement result named "n" has already been loaded into a variable`) || !strings.Contains(out, "models/twice.sql:3:") {
		t.Errorf("a result loaded twice:\n%s", out)
	}
}

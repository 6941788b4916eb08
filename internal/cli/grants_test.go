package cli

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestGrantsIgnoredOnDuckDB: on DuckDB, grants have no effect, as with
// dbt-duckdb (which ignores them and logs it); kiln builds and says so in
// one warning naming the nodes that set them, once per run.
func TestGrantsIgnoredOnDuckDB(t *testing.T) {
	dir := smallProject(t, "database-path: target/small.duckdb\n"+
		"models:\n  small:\n    +grants: {select: [reporter]}\n"+
		"seeds:\n  small:\n    +grants: {select: reporter}\n")
	code, out, errOut := kiln(t, dir, "build")
	if code != 0 {
		t.Fatalf("kiln build exited %d\n%s%s", code, out, errOut)
	}
	want := `warning: grants have no effect on DuckDB, which has no roles to grant to (as with dbt-duckdb, they are ignored): ` +
		`seed "prices", model "expensive", model "summary"; they apply on a PostgreSQL target`
	if n := strings.Count(errOut, "grants have no effect"); n != 1 || !strings.Contains(errOut, want) {
		t.Errorf("want the warning once:\n%s\ngot:\n%s", want, errOut)
	}
	// manifest.json has each node's grants as dbt writes them.
	var m struct {
		Nodes map[string]struct {
			Config struct {
				Grants map[string][]string `json:"grants"`
			} `json:"config"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "manifest.json")), &m); err != nil {
		t.Fatal(err)
	}
	if got := m.Nodes["model.small.summary"].Config.Grants; !reflect.DeepEqual(got, map[string][]string{"select": {"reporter"}}) {
		t.Errorf("manifest.json: model.small.summary's grants are %v", got)
	}
	// A run that builds no node with grants says nothing.
	_, _, errOut = kiln(t, dir, "test")
	if strings.Contains(errOut, "grants") {
		t.Errorf("kiln test warned about grants:\n%s", errOut)
	}
}

package cli

import (
	"strings"
	"testing"
)

// kiln runs reads only the project file (for the database) and the
// database: a model whose Jinja or SQL is broken, or a property file that
// does not parse, does not keep it from listing the runs, nor kiln clean
// from cleaning; a broken project file still stops them, with its error.
func TestRunsWithABrokenModel(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml":  "name: t1\ndatabase-path: target/t1.duckdb\n",
		"models/a.sql": "select 1 as x\n",
		"models/b.sql": "select * from {{ ref('a') }}\n",
	})
	mustKiln(t, 0, dir, "build")
	writeTree(t, dir, map[string]string{
		"models/b.sql":      "select * from {{ ref('a') \n",
		"models/c.sql":      "select {{ var('nosuch') }} as y\n",
		"models/_props.yml": "models:\n  - name: a\n   columns: [\n",
	})
	if code, _, errOut := kiln(t, dir, "build"); code != ExitCannotStart || !strings.Contains(errOut, "models/b.sql") {
		t.Fatalf("build of the broken project: exit %d, want %d and b.sql's error:\n%s", code, ExitCannotStart, errOut)
	}
	code, out, errOut := kiln(t, dir, "runs")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != ExitOK || len(lines) != 2 || !strings.HasPrefix(lines[0], "RUN ") || !strings.Contains(lines[1], " build ") || !strings.Contains(lines[1], " success ") {
		t.Errorf("kiln runs: exit %d, want the one build listed; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if strings.Contains(errOut, "error") {
		t.Errorf("kiln runs reports the models' errors:\n%s", errOut)
	}
	if code, out, errOut := kiln(t, dir, "clean"); code != ExitOK || !strings.Contains(out+errOut, "removed target") {
		t.Errorf("kiln clean: exit %d\n%s%s", code, out, errOut)
	}

	writeTree(t, dir, map[string]string{"project.yml": "name: t1\ndatabase-path: [target/t1.duckdb]\n"})
	if code, _, errOut := kiln(t, dir, "runs"); code != ExitCannotStart || !strings.Contains(errOut, "project.yml:2:") {
		t.Errorf("kiln runs with a broken project file: exit %d, want %d and its error:\n%s", code, ExitCannotStart, errOut)
	}
}

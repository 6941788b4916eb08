package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The compiled SQL tree of a build is written beside its nodes and is
// complete before the database closes: a build killed at the close
// (failpoint run.closing: the nodes committed, DuckDB's checkpoint not
// made) leaves every node's compiled file. Written after the close, as it
// was, the 2,500 files of W1 1,000 added their creation to the wall time
// of every build (issue 17).
func TestCompiledTreeWrittenBeforeClose(t *testing.T) {
	bin := buildKiln(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"project.yml":   "name: cw\nmodel-paths: [models]\ndatabase-path: target/cw.duckdb\n",
		"models/a.sql":  "select 1 as id\n",
		"models/b.sql":  "select id + 1 as id from {{ ref('a') }}\n",
		"models/_m.yml": "models:\n  - name: b\n    columns:\n      - name: id\n        data_tests: [not_null]\n",
	})
	p := startKilnEnv(t, bin, dir, []string{"KILN_FAILPOINT=run.closing"}, "build")
	<-p.done
	if p.err == nil || !strings.Contains(p.err.Error(), "killed") {
		t.Fatalf("the build was not killed at run.closing (%v):\n%s", p.err, p.stderr.String())
	}
	for file, want := range map[string]string{
		"cw/models/a.sql": "select 1 as id",
		"cw/models/b.sql": `select id + 1 as id from "main"."a"`,
	} {
		got, err := os.ReadFile(filepath.Join(dir, "target", "compiled", file))
		if err != nil {
			t.Errorf("after a kill at the close: %v", err)
			continue
		}
		if strings.TrimSpace(string(got)) != want {
			t.Errorf("compiled %s: %q, want %q", file, got, want)
		}
	}
	tests, _ := filepath.Glob(filepath.Join(dir, "target", "compiled", "cw", "models", "_m.yml", "*.sql"))
	if len(tests) != 1 {
		t.Errorf("compiled tests after a kill at the close: %v, want the one not_null test", tests)
	}
}

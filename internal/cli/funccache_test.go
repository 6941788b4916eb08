package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUserMacroRunsShadowedModel: a no-change rebuild takes the verdicts
// on functions from target/kiln_reads.json (it does not read
// duckdb_functions() again), but a user macro created in the database
// since (here named abs, which shadows DuckDB's abs()) clears them: the
// model that calls abs() runs, and is UP-TO-DATE again once the macro is
// dropped. The macro is made by another process, which breaks the
// database's seal: the build right after runs every node.
func TestUserMacroRunsShadowedModel(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "models"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"project.yml":     "name: mac\nmodel-paths: [models]\ndatabase-path: target/mac.duckdb\n",
		"models/pos.sql":  "select abs(-1) as a\n",
		"models/kept.sql": "select upper('a') as u\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "target", "mac.duckdb")
	build := func(step string, want map[string]string) {
		t.Helper()
		code, out, errOut := kiln(t, dir, "build")
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", step, code, out, errOut)
		}
		got := lineStatuses(out + errOut)
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %s is %q, want %q\n%s%s", step, k, got[k], w, out, errOut)
			}
		}
	}
	build("first build", map[string]string{"model pos": "OK", "model kept": "OK"})
	build("no-change rebuild", map[string]string{"model pos": "UP-TO-DATE", "model kept": "UP-TO-DATE"})
	b, err := os.ReadFile(filepath.Join(dir, "target", "kiln_reads.json"))
	if err != nil || !strings.Contains(string(b), `"f:abs":true`) {
		t.Fatalf("kiln_reads.json does not keep abs() as immutable (%v):\n%s", err, b)
	}
	// The macro is created by another process: the database's seal is
	// broken, so the next build runs every node and seals it again; the
	// one after is where the cached verdicts must be cleared.
	duckQuery(t, path, "create macro abs(x) as x * random()")
	build("rebuild after create macro abs (seal broken)", map[string]string{"model pos": "OK", "model kept": "OK"})
	build("rebuild with the user's abs", map[string]string{"model pos": "OK", "model kept": "UP-TO-DATE"})
	if log, _ := os.ReadFile(filepath.Join(dir, "target", "kiln.log")); !strings.Contains(string(log), "model pos runs every build: calls abs()") {
		t.Errorf("kiln.log does not say pos calls the user's abs()")
	}
	duckQuery(t, path, "drop macro abs")
	build("rebuild after drop macro abs (seal broken)", map[string]string{"model pos": "OK", "model kept": "OK"})
	build("rebuild without the user's abs", map[string]string{"model pos": "UP-TO-DATE", "model kept": "UP-TO-DATE"})
}

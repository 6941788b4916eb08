//go:build unix

package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/engine"
)

// While a run holds the project's target folder, kiln compile and kiln
// clean refuse (exit 2) and change nothing there: the run's manifest.json,
// compiled SQL, run_results.json and exports stay its own (issue 11,
// failure 8). Once the run is over they work.
func TestCompileAndCleanWaitForTheRun(t *testing.T) {
	dir, _ := newProject(t)
	mustKiln(t, 0, dir, "build")
	target := filepath.Join(dir, "target")
	manifest := readFile(t, filepath.Join(target, "manifest.json"))
	// The lock a run takes (engine.Project.Run holds it from start to
	// end: TestARunHoldsTheTargetFolder).
	release, err := engine.LockTarget(target, "build")
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"compile", "clean"} {
		code, _, stderr := kiln(t, dir, cmd)
		if code != ExitCannotStart || !strings.Contains(stderr, "kiln build (PID ") || !strings.Contains(stderr, "--target-path") {
			t.Errorf("kiln %s during a run: exit %d\n%s", cmd, code, stderr)
		}
	}
	if !bytes.Equal(manifest, readFile(t, filepath.Join(target, "manifest.json"))) {
		t.Error("manifest.json changed during the run")
	}
	if _, err := os.Stat(filepath.Join(target, "exports", "revenue_by_product.csv")); err != nil {
		t.Errorf("the exports are gone: %v", err)
	}
	release()
	mustKiln(t, 0, dir, "compile")
	mustKiln(t, 0, dir, "clean")
}

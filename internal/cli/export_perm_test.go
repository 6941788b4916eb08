//go:build linux

package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnwritableExportFolder: an export folder no file can be created in
// (chattr +i, which holds even for root) fails the export with the
// export's name and place, the folder, the system's reason and a hint,
// not the name of a temporary file; the run's previous exports stay as
// they were and no temporary file is left.
func TestUnwritableExportFolder(t *testing.T) {
	dir, _ := newProject(t)
	mustKiln(t, 0, dir, "build", "--vars", "{premium_z_score: 1}")
	exports := filepath.Join(dir, "target", "exports")
	before := readFile(t, filepath.Join(exports, "premium_wines.csv"))
	if out, err := exec.Command("chattr", "+i", exports).CombinedOutput(); err != nil {
		t.Skipf("chattr +i: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", exports).Run() })
	code, out, errOut := kiln(t, dir, "build", "--vars", "{premium_z_score: 2}")
	msg := out + errOut
	want := "cannot write export premium_wines_csv (models/marts/_marts.yml:110:"
	if code != 1 || !strings.Contains(msg, want) ||
		!strings.Contains(msg, ") to folder target/exports: operation not permitted; check its permissions") || strings.Contains(msg, ".tmp") {
		t.Errorf("exit %d, want 1 and %q... to folder target/exports: operation not permitted; check its permissions\n%s", code, want, msg)
	}
	exec.Command("chattr", "-i", exports).Run()
	if !bytes.Equal(before, readFile(t, filepath.Join(exports, "premium_wines.csv"))) {
		t.Error("premium_wines.csv changed although the run failed")
	}
	if entries, _ := os.ReadDir(exports); len(entries) != 4 {
		t.Errorf("files left in %s: %v", exports, entries)
	}
}

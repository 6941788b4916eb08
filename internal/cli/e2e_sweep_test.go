package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A run starts by removing what killed runs left beside the exports and in
// the target folder: staged exports no open flow transaction holds, and
// temporary files older than a minute. A staged export of an open flow
// transaction and a fresh temporary file stay.
func TestSweepLeftovers(t *testing.T) {
	dir, _ := newProject(t)
	mustKiln(t, 0, dir, "build")
	target := filepath.Join(dir, "target")
	exports := filepath.Join(target, "exports")
	old := time.Now().Add(-time.Hour)
	write := func(p string, age time.Time) string {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, age, age); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gone := []string{
		write(filepath.Join(exports, ".revenue_by_product.csv.kiln-deadbeef"), time.Now()),
		write(filepath.Join(exports, "..bottleneck_monthly.xlsx.kiln-deadbeef.tmp-123"), old),
		write(filepath.Join(exports, ".canonical-456"), old),
		write(filepath.Join(target, ".run_results.json.tmp-789"), old),
	}
	held := write(filepath.Join(exports, ".premium_wines.csv.kiln-0pen0pen"), old)
	fresh := write(filepath.Join(target, ".manifest.json.tmp-1"), time.Now())
	other := write(filepath.Join(exports, ".notes.txt"), old)
	query(t, dir, "insert into kiln_history.staged_files (txn, staged, final, run_id, action) values ('flow-1', '"+held+"', '"+filepath.Join(exports, "premium_wines.csv")+"', 'r', 'hold')")

	stderr := mustKiln(t, 0, dir, "build")
	if !strings.Contains(stderr, "removed 4 unfinished files that killed runs left in target") {
		t.Errorf("no note of the files removed:\n%s", stderr)
	}
	for _, p := range gone {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s is still there", filepath.Base(p))
		}
	}
	for _, p := range []string{held, fresh, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(p), err)
		}
	}
}

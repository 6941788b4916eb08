package cli

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/kiln-build/kiln/internal/sample"
)

// treeDigest lists the files under dir with the sha256 of each.
func treeDigest(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, fmt.Sprintf("%s %x", rel, sha256.Sum256(b)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var upToDateCount = regexp.MustCompile(`UP-TO-DATE=(\d+)`)

// TestRefusedRunTouchesNothing: a build that on-run-start refuses
// (BottleNeck's history_guard: the bundled sample over a database of
// real months) writes no compiled SQL (dbt compiles a node when it runs,
// and none runs), is recorded in kiln_history.runs as refused, with or
// without --no-rollback, leaves the up-to-date state as it was, and the
// next build of the real month finds as many nodes up to date as before
// the refusal.
func TestRefusedRunTouchesNothing(t *testing.T) {
	dir, _ := newProject(t)
	if _, err := sample.Generate(filepath.Join(dir, "data", "real"), sample.Config{Products: 300, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	realVars := []string{"build", "--vars", "{raw_dir: data/real, month: '2020-09'}"}
	mustKiln(t, 0, dir, realVars...)
	m := upToDateCount.FindStringSubmatch(mustKiln(t, 0, dir, realVars...))
	if m == nil || m[1] == "0" {
		t.Fatalf("a build again of the same month finds no node up to date")
	}
	compiled := filepath.Join(dir, "target", "compiled")
	stateQuery := `select unique_id, fingerprint, run_id from kiln_history.state order by all`
	before, state := treeDigest(t, compiled), rowsOf(t, dir, stateQuery)
	for _, args := range [][]string{{"build"}, {"build", "--no-rollback"}} {
		mustKiln(t, 1, dir, args...)
		if got := treeDigest(t, compiled); !slices.Equal(got, before) {
			t.Errorf("kiln %v, refused by on-run-start, rewrote target/compiled", args)
		}
		if _, status := lastRun(t, dir); status != "refused" {
			t.Errorf("kiln %v, refused by on-run-start, is recorded as %s", args, status)
		}
		if got := rowsOf(t, dir, stateQuery); !slices.Equal(got, state) {
			t.Errorf("kiln %v, refused by on-run-start, changed the up-to-date state:\n%v\nwant\n%v", args, got, state)
		}
	}
	after := upToDateCount.FindStringSubmatch(mustKiln(t, 0, dir, realVars...))
	if after == nil || after[1] != m[1] {
		t.Errorf("after the refused builds, the real month finds %v nodes up to date, want %s", after, m[1])
	}
}

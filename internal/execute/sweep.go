package execute

import (
	"os"
	"path/filepath"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// TempAge is how old a temporary file of an atomic write must be before
// SweepFiles takes it for the leftover of a killed process: such a write
// lasts milliseconds, and commands that hold no database lock (compile,
// docs generate) may be writing one now.
const TempAge = time.Minute

// SweepFiles removes, beside each export file in finals (absolute paths),
// what runs killed before their end left there: staged exports
// (".<name>.kiln-<run>", see Journal.StagedPath) that no open flow
// transaction holds, and the temporary files of atomic writes (".*.tmp-*",
// ".canonical-*") older than TempAge. The caller holds the database, so no
// other run is staging files of this project; staged are the store's
// staged files (Recovery.Staged). It returns the paths removed.
func SweepFiles(staged []adapter.StagedFile, finals []string, now time.Time) []string {
	held := map[string]bool{}
	for _, f := range staged {
		held[filepath.Clean(f.Staged)] = true
	}
	var removed []string
	remove := func(p string) {
		if err := os.Remove(p); err == nil {
			removed = append(removed, p)
		}
	}
	dirs := map[string]bool{}
	for _, final := range finals {
		dir, base := filepath.Split(final)
		dirs[dir] = true
		for _, pattern := range []string{"." + base + ".kiln-*", ".." + base + ".kiln-*"} {
			matches, _ := filepath.Glob(filepath.Join(dir, pattern))
			for _, m := range matches {
				if !held[filepath.Clean(m)] {
					remove(m)
				}
			}
		}
	}
	for dir := range dirs {
		removed = append(removed, SweepTemps(dir, now)...)
	}
	return removed
}

// SweepTemps removes the temporary files of atomic writes (".*.tmp-*",
// ".canonical-*") in dir older than TempAge, and returns their paths.
func SweepTemps(dir string, now time.Time) []string {
	var removed []string
	for _, pattern := range []string{".*.tmp-*", ".canonical-*"} {
		matches, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, m := range matches {
			if fi, err := os.Lstat(m); err == nil && fi.Mode().IsRegular() && now.Sub(fi.ModTime()) > TempAge {
				if os.Remove(m) == nil {
					removed = append(removed, m)
				}
			}
		}
	}
	return removed
}

package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/engine"
)

// protectedPaths are the project's folders of files the user writes
// (models, seeds, tests, macros, snapshots, analyses, docs, assets), by
// their config key: as dbt clean, kiln clean refuses a clean-target that
// is one of them, or holds one.
func protectedPaths(c project.Config) map[string][]string {
	return map[string][]string{
		"model-paths": c.ModelPaths, "seed-paths": c.SeedPaths, "test-paths": c.TestPaths,
		"macro-paths": c.MacroPaths, "snapshot-paths": c.SnapshotPaths, "analysis-paths": c.AnalysisPaths,
		"docs-paths": c.DocsPaths, "asset-paths": c.AssetPaths, "source-paths": c.SourcePaths, "data-paths": c.DataPaths,
	}
}

// resolved returns p with its symbolic links followed, as far as it
// exists (the rest of the path appended as written).
func resolved(p string) string {
	var rest []string
	for cur := p; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(append([]string{r}, rest...)...)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return p
		}
		rest = append([]string{filepath.Base(cur)}, rest...)
		cur = parent
	}
}

// within reports whether p is dir or below it.
func within(dir, p string) bool {
	r, err := filepath.Rel(dir, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator))
}

// cleanPaths returns the absolute paths of the clean-targets targets of
// the project in dir (its project file file), after checking them all
// before anything is deleted: each must be inside the project, its
// symbolic links followed (a target that is, or is under, a link to a
// folder elsewhere is refused), not the project folder itself, and
// neither one of the project's source folders (protected, by config key)
// nor a folder holding one or the project file.
func cleanPaths(dir, file string, targets []string, protected map[string][]string) ([]string, error) {
	realDir := resolved(dir)
	var out []string
	for _, t := range targets {
		abs := engine.AbsUnder(dir, t)
		real := resolved(abs)
		if !within(dir, abs) || !within(realDir, real) || real == realDir {
			msg := fmt.Sprintf("refusing to delete %q: the clean-targets of %s must be folders inside the project", t, file)
			if within(dir, abs) && real != realDir {
				msg += fmt.Sprintf(", and %s is %s, outside it (a symbolic link)", t, real)
			}
			return nil, errors.New(msg)
		}
		keys := make([]string, 0, len(protected))
		for k := range protected {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, key := range keys {
			for _, src := range protected[key] {
				if within(real, resolved(engine.AbsUnder(dir, src))) {
					return nil, fmt.Errorf("refusing to delete %q: it holds the project's %s %q; clean-targets are folders kiln writes (the target path, packages), not the project's files: remove %q from clean-targets in %s", t, key, src, t, file)
				}
			}
		}
		if within(real, resolved(filepath.Join(dir, file))) {
			return nil, fmt.Errorf("refusing to delete %q: it holds the project file %s; remove it from clean-targets", t, file)
		}
		out = append(out, abs)
	}
	return out, nil
}

// clean deletes the clean-target abs (inside the project dir), but for
// the files in keep, and names on stderr each path it removes: every
// entry of the folder (a folder with the count of its files, so that
// target/exports' files are named as gone), then the target itself.
func (a *app) clean(dir, abs string, keep map[string]bool, db string) error {
	fi, err := os.Lstat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	r := engine.Rel(dir, abs)
	if !fi.IsDir() {
		if err := os.Remove(abs); err != nil {
			return err
		}
		what := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			what = " (a symbolic link; what it points to is kept)"
		}
		a.ui.Printf("removed %s%s", r, what)
		return nil
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return err
	}
	for _, en := range entries {
		p := filepath.Join(abs, en.Name())
		if keep[p] {
			continue
		}
		line := "removed " + engine.Rel(dir, p)
		if en.IsDir() {
			files := 0
			filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && !keep[q] {
					files++
				}
				return nil
			})
			line += fmt.Sprintf("%c (%s)", filepath.Separator, plural(files, "file", "files"))
		}
		kept, err := removeExcept(p, keep)
		if err != nil {
			return err
		}
		if kept {
			line += ", but for the database's files"
		}
		a.ui.Printf("%s", line)
	}
	kept, err := removeExcept(abs, keep)
	if err != nil {
		return err
	}
	if kept {
		a.ui.Printf("removed %s, but for the database %s (its tables and run history); kiln clean --all deletes it too", r, engine.Rel(dir, db))
	} else {
		a.ui.Printf("removed %s", r)
	}
	return nil
}

// removeExcept deletes dir and everything in it but the files in keep (and
// the folders holding them). It reports whether it kept anything.
func removeExcept(dir string, keep map[string]bool) (bool, error) {
	holds := false
	for k := range keep {
		if strings.HasPrefix(k, dir+string(filepath.Separator)) && fileExists(k) {
			holds = true
		}
	}
	if !holds {
		return false, os.RemoveAll(dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	kept := false
	for _, en := range entries {
		p := filepath.Join(dir, en.Name())
		switch {
		case keep[p]:
			kept = true
		case en.IsDir():
			k, err := removeExcept(p, keep)
			if err != nil {
				return kept, err
			}
			kept = kept || k
		default:
			if err := os.Remove(p); err != nil {
				return kept, err
			}
		}
	}
	return kept, nil
}

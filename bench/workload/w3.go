package workload

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/internal/load"
	"github.com/kiln-build/kiln/internal/sample"
)

// figuresFile marks a complete cached month: Generate's reference figures,
// written last.
const figuresFile = "figures.md"

// W3Data returns the folder of a BottleNeck month of products ERP products
// (internal/sample, default seed) under cacheDir, generating it when it is
// not there yet (about 80 s and 300 MB of files for 1,000,000 products),
// and the month's reference figures as a Markdown table.
func W3Data(cacheDir string, products int) (dir, figures string, err error) {
	dir = filepath.Join(cacheDir, fmt.Sprintf("w3-data-p%d-s%d", products, sample.DefaultSeed))
	if b, err := os.ReadFile(filepath.Join(dir, figuresFile)); err == nil {
		return dir, string(b), nil
	}
	e, err := sample.Generate(dir, sample.Config{Products: products, Seed: sample.DefaultSeed})
	if err != nil {
		return "", "", err
	}
	figures = e.Markdown()
	return dir, figures, os.WriteFile(filepath.Join(dir, figuresFile), []byte(figures), 0o644)
}

// AllSheetsSupported reports whether kiln's loader reads every sheet of a
// workbook with sheet "*" (the month's web.xlsx spills over Sheet2 from
// about 570,000 products).
func AllSheetsSupported(dataDir string) bool {
	return load.Check(load.Spec{Path: filepath.Join(dataDir, sample.WebFile), Sheet: "*"}) == nil
}

// W3 copies the BottleNeck project of repoRoot (project.yml and its model,
// test, macro and seed folders, without data or target) into dir, emptied
// first, and returns it with the vars that point it at dataDir and widen
// its volume ranges to the scaled month. With allSheets, the sources read
// every sheet of their workbooks (sheet: "*") instead of Sheet1.
func W3(dir, repoRoot, dataDir string, allSheets bool) (*Project, error) {
	src, l := project.Load(os.DirFS(repoRoot))
	if l.HasErrors() {
		return nil, fmt.Errorf("w3: the project of %s does not load: %v", repoRoot, l)
	}
	p, err := newProject("w3", dir)
	if err != nil {
		return nil, err
	}
	c := src.Config
	folders := append(append(append(append([]string{}, c.ModelPaths...), c.TestPaths...), c.MacroPaths...), c.SeedPaths...)
	copies := append([]string{project.FileName, "selectors.yml"}, folders...)
	for _, rel := range copies {
		if err := copyTree(filepath.Join(repoRoot, rel), filepath.Join(p.Dir, rel), allSheets); err != nil {
			return nil, fmt.Errorf("w3: %w", err)
		}
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	p.Vars = map[string]any{"raw_dir": abs, "min_products": 1, "max_products": 1_000_000_000}
	p.DBPath = filepath.Join(p.Dir, filepath.FromSlash(c.DatabasePath))
	for _, f := range src.Models {
		if strings.HasSuffix(f.Path, ".sql") {
			p.Models++
		}
	}
	return p, nil
}

// copyTree copies the file or folder from to to; a missing from is no
// error. With allSheets, "sheet: Sheet1" becomes `sheet: "*"` in YAML files.
func copyTree(from, to string, allSheets bool) error {
	if _, err := os.Stat(from); err != nil {
		return nil
	}
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if allSheets && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
			b = []byte(strings.ReplaceAll(string(b), "sheet: Sheet1", `sheet: "*"`))
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
}

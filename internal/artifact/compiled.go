package artifact

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
)

// CompiledDir is the folder, under the target directory, of the compiled
// SQL.
const CompiledDir = "compiled"

// CompiledPath returns where WriteCompiled puts n's SQL, relative to the
// target directory and with forward slashes, as dbt lays it out:
// compiled/<project>/<original_file_path> for models and singular tests
// ("compiled/shop/models/staging/stg_orders.sql") and
// compiled/<project>/<yml path>/<test name>.sql for YAML tests
// ("compiled/shop/models/schema.yml/unique_orders_id.sql"). It returns ""
// for nodes without compiled SQL.
func CompiledPath(project string, n *graph.Node) string {
	rel := compiledRel(project, n)
	if rel == "" {
		return ""
	}
	return path.Join(CompiledDir, rel)
}

// compiledRel is CompiledPath without the leading "compiled/".
func compiledRel(project string, n *graph.Node) string {
	if n.CompiledCode == "" || (n.Kind != graph.Model && n.Kind != graph.Test) {
		return ""
	}
	file := n.Path
	if n.PkgPath != "" {
		// A package's node: compiled/<package>/<original_file_path>, as dbt.
		project, file = n.Package, n.PkgPath
	}
	if n.Kind == graph.Test && n.Test != nil && n.Test.Generic != "" {
		return path.Join(project, file, testFile(n))
	}
	return path.Join(project, file)
}

// WriteCompiled writes the compiled SQL of every model and test of m's
// graph under dir/compiled (see CompiledPath), each file ending with a
// newline, and removes the files of nodes that are gone. A first tree is
// written beside and renamed into place; an existing tree is updated in
// place, rewriting only the files whose SQL changed: creating a file costs
// 0.1 to 0.8 ms of system time on this CI disk, seconds for 10,000 models,
// while reading one to compare costs 0.03 ms. The files are not fsynced:
// the tree is rewritten on every compilation.
func WriteCompiled(dir string, m *compiler.Manifest) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	project := ""
	if m.Project != nil {
		project = m.Project.Config.Name
	}
	var rels []compiledFile // paths relative to the tree's root
	for _, n := range m.Graph.Nodes() {
		if rel := compiledRel(project, n); rel != "" {
			rels = append(rels, compiledFile{filepath.FromSlash(rel), n.CompiledCode})
		}
	}
	under := func(root string) []compiledFile {
		files := make([]compiledFile, len(rels))
		for i, f := range rels {
			files[i] = compiledFile{filepath.Join(root, f.path), f.sql}
		}
		return files
	}
	final := filepath.Join(dir, CompiledDir)
	if st, err := os.Stat(final); err == nil && st.IsDir() {
		return updateTree(final, under(final))
	}
	tmp, err := os.MkdirTemp(dir, "."+CompiledDir+"-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)                      // a no-op once renamed
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes 0700
		return err
	}
	if err := writeAll(under(tmp), writeCompiledFile); err != nil {
		return err
	}
	return os.Rename(tmp, final)
}

// updateTree brings the tree at root to files: it rewrites the files whose
// content differs and removes the files (and emptied folders) not listed.
func updateTree(root string, files []compiledFile) error {
	keep := make(map[string]bool, len(files))
	for _, f := range files {
		keep[f.path] = true
	}
	err := writeAll(files, func(f compiledFile) error {
		if old, err := os.ReadFile(f.path); err == nil && string(old) == withNewline(f.sql) {
			return nil
		}
		return writeCompiledFile(f)
	})
	if err != nil {
		return err
	}
	var dirs []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir():
			dirs = append(dirs, p)
		case !keep[p]:
			return os.Remove(p)
		}
		return nil
	})
	for i := len(dirs) - 1; i > 0; i-- {
		os.Remove(dirs[i]) // fails, as meant, unless empty
	}
	return err
}

func withNewline(sql string) string {
	if sql == "" || sql[len(sql)-1] != '\n' {
		return sql + "\n"
	}
	return sql
}

type compiledFile struct{ path, sql string }

// writeAll writes files with write on a few goroutines and returns the
// first error.
func writeAll(files []compiledFile, write func(compiledFile) error) error {
	workers := min(8, len(files)) // syscalls that block on the disk: more than the cores
	next := make(chan compiledFile)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var first error
			for f := range next {
				if first != nil {
					continue
				}
				first = write(f)
			}
			errs <- first
		}()
	}
	for _, f := range files {
		next <- f
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func writeCompiledFile(f compiledFile) error {
	if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(f.path, []byte(withNewline(f.sql)), 0o644)
}

// testFile is the file name of a generic test's SQL: its alias (dbt's
// short name of a long test name), else its name, with ".sql".
func testFile(n *graph.Node) string {
	if n.Config.Alias != "" {
		return n.Config.Alias + ".sql"
	}
	return n.Name + ".sql"
}

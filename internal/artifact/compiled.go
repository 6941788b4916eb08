package artifact

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
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
	if n.Kind == graph.Test && n.Test != nil && n.Test.Generic != "" {
		return path.Join(project, n.Path, n.Name+".sql")
	}
	return path.Join(project, n.Path)
}

// WriteCompiled writes the compiled SQL of every model and test of m's
// graph under dir/compiled (see CompiledPath), each file ending with a
// newline. The new tree is written beside the old one and swapped in by
// renames, so files of deleted models do not linger and readers see
// either tree, whole. The files themselves are not fsynced: the tree is
// rewritten on every compilation.
func WriteCompiled(dir string, m *compiler.Manifest) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(dir, "."+CompiledDir+"-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // a no-op once swapped in
	project := ""
	if m.Project != nil {
		project = m.Project.Config.Name
	}
	var files []compiledFile
	for _, n := range m.Graph.Nodes() {
		if rel := compiledRel(project, n); rel != "" {
			files = append(files, compiledFile{filepath.Join(tmp, filepath.FromSlash(rel)), n.CompiledCode})
		}
	}
	if err := writeAll(files); err != nil {
		return err
	}
	return swapDir(tmp, filepath.Join(dir, CompiledDir))
}

type compiledFile struct{ path, sql string }

// writeAll writes files on a few goroutines and returns the first error.
func writeAll(files []compiledFile) error {
	workers := min(runtime.GOMAXPROCS(0), 8, len(files))
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
				first = writeCompiledFile(f)
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
	sql := f.sql
	if sql[len(sql)-1] != '\n' {
		sql += "\n"
	}
	return os.WriteFile(f.path, []byte(sql), 0o644)
}

// swapDir replaces dst by src: dst is moved aside, src renamed into
// place, the old tree removed. If the second rename fails the old tree is
// put back.
func swapDir(src, dst string) error {
	old := src + ".old"
	hadOld := true
	if err := os.Rename(dst, old); err != nil {
		if !os.IsNotExist(err) {
			return fmt.Errorf("cannot replace %s: %w", dst, err)
		}
		hadOld = false
	}
	if err := os.Rename(src, dst); err != nil {
		if hadOld {
			os.Rename(old, dst)
		}
		return fmt.Errorf("cannot replace %s: %w", dst, err)
	}
	syncDir(filepath.Dir(dst))
	if hadOld {
		return os.RemoveAll(old)
	}
	return nil
}

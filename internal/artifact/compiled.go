package artifact

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/scrub"
)

// CompiledDir is the folder, under the target directory, of the compiled
// SQL.
const CompiledDir = "compiled"

// CompiledPath returns where WriteCompiled puts n's SQL, relative to the
// target directory and with forward slashes, as dbt lays it out:
// compiled/<project>/<original_file_path> for models, singular tests and
// analyses ("compiled/shop/models/staging/stg_orders.sql") and
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
	if n.CompiledCode == "" || (n.Kind != graph.Model && n.Kind != graph.Test && n.Kind != graph.Analysis) {
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
// 0.1 to 0.8 ms of system time on this CI disk, seconds for 10,000 models.
// Which files changed is told by the tree's index (IndexFile: each file's
// size, times, inode and the SHA-256 of what kiln wrote): a file whose
// stamp is the index's and whose new SQL has the index's hash is left
// alone after one stat, without being read; any other file is read and
// compared, and written when it differs. The index is rewritten only when
// the tree changed. The files are not fsynced: the tree is rewritten on
// every compilation. workers goroutines (at least 1) create the files:
// kiln compile, whose work this is, uses several (the syscalls block on
// the disk); a build writes the tree beside its nodes with one, so that
// the run keeps the other cores (8 workers on 2 cores delayed a build of
// 1,000 models by about 60 ms, its start by 100 ms).
func WriteCompiled(dir string, m *compiler.Manifest, workers int) error {
	return WriteExecuted(dir, m, workers, nil)
}

// WriteExecuted is WriteCompiled writing executed[id] for the nodes it
// names (the SQL that ran of nodes rendered again at run time, see
// Metadata.Executed) instead of their compiled SQL.
func WriteExecuted(dir string, m *compiler.Manifest, workers int, executed map[graph.ID]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	project := ""
	if m.Project != nil {
		project = m.Project.Config.Name
	}
	var rels []compiledFile    // paths relative to the tree's root
	secrets := scrub.FromEnv() // masked in the files, as in every file kiln writes
	for _, n := range m.Graph.Nodes() {
		if rel := compiledRel(project, n); rel != "" {
			rels = append(rels, compiledFile{rel: rel, path: filepath.FromSlash(rel), sql: secrets.String(withNewline(compiledCode(n, executed)))})
		}
	}
	under := func(root string) []compiledFile {
		files := make([]compiledFile, len(rels))
		for i, f := range rels {
			files[i] = f
			files[i].path = filepath.Join(root, f.path)
		}
		return files
	}
	final := filepath.Join(dir, CompiledDir)
	if st, err := os.Stat(final); err == nil && st.IsDir() {
		return updateTree(final, under(final), workers)
	}
	tmp, err := os.MkdirTemp(dir, "."+CompiledDir+"-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)                      // a no-op once renamed
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes 0700
		return err
	}
	files := under(tmp)
	idx := make([]indexEntry, len(files))
	var made sync.Map
	err = writeAll(files, workers, func(i int, f compiledFile) error {
		var err error
		idx[i], err = writeCompiledFile(f, &made)
		return err
	})
	if err != nil {
		return err
	}
	if err := writeIndex(tmp, files, idx); err != nil {
		return err
	}
	return os.Rename(tmp, final)
}

// IndexFile is the index of the compiled tree, in its root: one line per
// file written, "<sha256 of the content, 32 hex digits> <size> <mtime ns>
// <ctime ns> <inode> <path under the root, forward slashes>".
const IndexFile = ".kiln-index"

// stamp is what a stat says of a file that changes when it is written.
type stamp struct {
	size, mtime, ctime int64
	ino                uint64
}

// indexEntry is one file of the index: its stamp when kiln wrote or last
// checked it, and the hash of its content then.
type indexEntry struct {
	stamp
	sum [16]byte
}

func sumOf(s string) (out [16]byte) {
	h := sha256.Sum256([]byte(s))
	copy(out[:], h[:16])
	return out
}

// readIndex reads the index of the tree at root; a missing or damaged
// index is an empty one (every file is then read and compared).
func readIndex(root string) map[string]indexEntry {
	data, err := os.ReadFile(filepath.Join(root, IndexFile))
	if err != nil {
		return nil
	}
	return parseIndex(data)
}

// parseIndex reads an index's content; a damaged one is nil.
func parseIndex(data []byte) map[string]indexEntry {
	idx := map[string]indexEntry{}
	for len(data) > 0 {
		line := data
		if k := bytes.IndexByte(data, '\n'); k >= 0 {
			line, data = data[:k], data[k+1:]
		} else {
			data = nil
		}
		f := strings.SplitN(string(line), " ", 6)
		if len(f) != 6 {
			return nil
		}
		var e indexEntry
		sum, err1 := hex.DecodeString(f[0])
		size, err2 := strconv.ParseInt(f[1], 10, 64)
		mtime, err3 := strconv.ParseInt(f[2], 10, 64)
		ctime, err4 := strconv.ParseInt(f[3], 10, 64)
		ino, err5 := strconv.ParseUint(f[4], 10, 64)
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil || len(sum) != len(e.sum) {
			return nil
		}
		copy(e.sum[:], sum)
		e.stamp = stamp{size, mtime, ctime, ino}
		idx[f[5]] = e
	}
	return idx
}

// writeIndex writes the index of files (idx[i] is files[i]'s entry) into
// root, through a temporary file renamed into place.
func writeIndex(root string, files []compiledFile, idx []indexEntry) error {
	var b []byte
	for i, f := range files {
		e := idx[i]
		b = hex.AppendEncode(b, e.sum[:])
		b = fmt.Appendf(b, " %d %d %d %d %s\n", e.size, e.mtime, e.ctime, e.ino, f.rel)
	}
	tmp := filepath.Join(root, IndexFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(root, IndexFile))
}

// updateTree brings the tree at root to files: it rewrites the files whose
// content differs and removes the files (and emptied folders) not listed.
func updateTree(root string, files []compiledFile, workers int) error {
	old := readIndex(root)
	keep := make(map[string]bool, len(files)+1)
	keep[filepath.Join(root, IndexFile)] = true
	for _, f := range files {
		keep[f.path] = true
	}
	idx := make([]indexEntry, len(files))
	var changed atomic.Bool
	changed.Store(len(old) != len(files))
	var made sync.Map
	err := writeAll(files, workers, func(i int, f compiledFile) error {
		sum := sumOf(f.sql)
		if e, ok := old[f.rel]; ok && e.sum == sum {
			if st, err := os.Lstat(f.path); err == nil && st.Mode().IsRegular() && stampOf(st) == e.stamp {
				idx[i] = e
				return nil
			}
		}
		changed.Store(true)
		if data, err := os.ReadFile(f.path); err == nil && string(data) == f.sql {
			if st, err := os.Lstat(f.path); err == nil {
				idx[i] = indexEntry{stampOf(st), sum}
				return nil
			}
		}
		var err error
		idx[i], err = writeCompiledFile(f, &made)
		return err
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
			changed.Store(true)
			return os.Remove(p)
		}
		return nil
	})
	for i := len(dirs) - 1; i > 0; i-- {
		os.Remove(dirs[i]) // fails, as meant, unless empty
	}
	if err != nil {
		return err
	}
	if changed.Load() {
		return writeIndex(root, files, idx)
	}
	return nil
}

func withNewline(sql string) string {
	if sql == "" || sql[len(sql)-1] != '\n' {
		return sql + "\n"
	}
	return sql
}

// compiledFile is one file of the tree: rel under the tree's root (forward
// slashes), path on disk, and its content, ending with a newline.
type compiledFile struct{ rel, path, sql string }

// writeAll calls write for every file on workers goroutines (at least
// one) and returns the first error.
func writeAll(files []compiledFile, workers int, write func(int, compiledFile) error) error {
	workers = max(1, min(workers, len(files)))
	var next atomic.Int64
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(files) {
					errs <- nil
					return
				}
				if err := write(i, files[i]); err != nil {
					next.Store(int64(len(files)))
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// writeCompiledFile writes f and returns its index entry.
// made holds the folders made (or found) so far by this write of the
// tree: each is made once, not stat'ed again for each of its files.
func writeCompiledFile(f compiledFile, made *sync.Map) (indexEntry, error) {
	dir := filepath.Dir(f.path)
	if _, ok := made.Load(dir); !ok {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return indexEntry{}, err
		}
		made.Store(dir, true)
	}
	if err := writeFile(f.path, []byte(f.sql)); err != nil {
		return indexEntry{}, err
	}
	st, err := os.Lstat(f.path)
	if err != nil {
		return indexEntry{}, err
	}
	return indexEntry{stampOf(st), sumOf(f.sql)}, nil
}

// testFile is the file name of a generic test's SQL: its alias (dbt's
// short name of a long test name), else its name, with ".sql".
func testFile(n *graph.Node) string {
	if n.Config.Alias != "" {
		return n.Config.Alias + ".sql"
	}
	return n.Name + ".sql"
}

// compiledCode is n's SQL as the artifacts write it: what ran, when
// executed has it (Metadata.Executed), else its compiled SQL.
func compiledCode(n *graph.Node, executed map[graph.ID]string) string {
	if sql, ok := executed[n.ID]; ok {
		return sql
	}
	return n.CompiledCode
}

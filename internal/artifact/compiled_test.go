package artifact

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// tree lists the files under dir, with forward slashes, but the compiled
// tree's index.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() != IndexFile {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// The tree is the same whether one goroutine writes it (a build) or
// several (kiln compile).
func TestWriteCompiled(t *testing.T) {
	for _, workers := range []int{1, 8} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) { testWriteCompiled(t, workers) })
	}
}

func testWriteCompiled(t *testing.T, workers int) {
	dir := t.TempDir()
	m := shop(t, nil)
	if err := WriteCompiled(dir, m, workers); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, CompiledDir)); err != nil {
		t.Error(err)
	} else if fi.Mode().Perm() != 0o755 {
		t.Errorf("compiled/ has mode %v, want 0755 like the folders in it", fi.Mode().Perm())
	}
	eq(t, "compiled tree", tree(t, dir), []string{
		"compiled/shop/models/marts/revenue.sql",
		"compiled/shop/models/marts/schema.yml/accepted_values_revenue_revenue__False__1__2.sql",
		"compiled/shop/models/marts/schema.yml/not_null_revenue_id.sql",
		"compiled/shop/models/marts/schema.yml/relationships_revenue_id__id__ref_stg_customers_.sql",
		"compiled/shop/models/marts/schema.yml/unique_revenue_id.sql",
		"compiled/shop/models/staging/sources.yml/source_not_null_raw_orders_id.sql",
		"compiled/shop/models/staging/stg_customers.sql",
		"compiled/shop/models/staging/stg_orders.sql",
		"compiled/shop/tests/assert_revenue_positive.sql",
	})
	for _, n := range m.Graph.Nodes() {
		p := CompiledPath("shop", n)
		if p == "" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSuffix(string(data), "\n") != strings.TrimSuffix(n.CompiledCode, "\n") || !strings.HasSuffix(string(data), "\n") {
			t.Errorf("%s holds %q, want %q", p, data, n.CompiledCode)
		}
	}

	// Delete a model (and the test on it): its compiled files go away, and
	// no temporary folder is left behind.
	m = shop(t, func(fsys fstest.MapFS) {
		delete(fsys, "tests/assert_revenue_positive.sql")
		f := fsys["models/staging/stg_orders.sql"]
		f.Data = []byte("select 2 as id\n")
	})
	if err := WriteCompiled(dir, m, workers); err != nil {
		t.Fatal(err)
	}
	files := tree(t, dir)
	for _, f := range files {
		if strings.Contains(f, "assert_revenue_positive") {
			t.Errorf("stale compiled file %s", f)
		}
		if !strings.HasPrefix(f, "compiled/shop/") {
			t.Errorf("unexpected file %s", f)
		}
	}
	if len(files) != 8 {
		t.Errorf("%d files after the second write: %v", len(files), files)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "compiled/shop/models/staging/stg_orders.sql"))
	if string(data) != "select 2 as id\n" {
		t.Errorf("stg_orders.sql = %q", data)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "compiled" {
		t.Errorf("target holds %v, want only compiled", entries)
	}
}

// stat returns the modification time and inode of path.
func stat(t *testing.T, path string) (int64, uint64) {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	s := stampOf(st)
	return s.mtime, s.ino
}

// A compilation that changes nothing writes no file, the index included;
// a changed model rewrites its file alone; a file changed or replaced
// behind kiln's back is read, found different and written again.
func TestWriteCompiledOnlyWhatChanged(t *testing.T) {
	dir := t.TempDir()
	m := shop(t, nil)
	if err := WriteCompiled(dir, m, 8); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, CompiledDir)
	orders := filepath.Join(root, "shop/models/staging/stg_orders.sql")
	customers := filepath.Join(root, "shop/models/staging/stg_customers.sql")
	index := filepath.Join(root, IndexFile)
	idx := readIndex(root)
	if len(idx) != 9 {
		t.Fatalf("index of %d files, want 9: %v", len(idx), idx)
	}
	// Old times, so that a rewrite shows whatever the clock's resolution.
	past := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, p := range []string{orders, customers} {
		if err := os.Chtimes(p, past, past); err != nil {
			t.Fatal(err)
		}
	}
	// The index does not know these times: the files are read, found equal,
	// and left alone; the index takes their new stamps.
	if err := WriteCompiled(dir, m, 8); err != nil {
		t.Fatal(err)
	}
	if mt, _ := stat(t, orders); mt != past.UnixNano() {
		t.Errorf("unchanged stg_orders.sql rewritten (mtime %d)", mt)
	}
	indexMtime, indexIno := stat(t, index)
	ordersMtime, ordersIno := stat(t, orders)
	if err := os.Chtimes(index, past, past); err != nil {
		t.Fatal(err)
	}
	indexMtime, _ = stat(t, index)

	// Nothing changed: no file is written, not even the index.
	if err := WriteCompiled(dir, m, 8); err != nil {
		t.Fatal(err)
	}
	if mt, ino := stat(t, orders); mt != ordersMtime || ino != ordersIno {
		t.Errorf("stg_orders.sql rewritten although unchanged")
	}
	if mt, ino := stat(t, index); mt != indexMtime || ino != indexIno {
		t.Errorf("index rewritten although nothing changed")
	}

	// One model changed: its file alone is written.
	m = shop(t, func(fsys fstest.MapFS) { fsys["models/staging/stg_orders.sql"].Data = []byte("select 2 as id\n") })
	if err := WriteCompiled(dir, m, 8); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(orders); string(b) != "select 2 as id\n" {
		t.Errorf("stg_orders.sql = %q", b)
	}
	if mt, _ := stat(t, customers); mt != past.UnixNano() {
		t.Errorf("stg_customers.sql rewritten although unchanged")
	}
	if mt, _ := stat(t, index); mt == indexMtime {
		t.Errorf("index not rewritten after a change")
	}

	// A file edited by hand, with the same size and its old times, is
	// written again: its change time differs from the index's. A file
	// replaced by another (a new inode) too.
	if err := os.WriteFile(orders, []byte("select 3 as id\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	was := time.Unix(0, readIndex(root)["shop/models/staging/stg_orders.sql"].mtime)
	if err := os.Chtimes(orders, was, was); err != nil {
		t.Fatal(err)
	}
	os.Remove(customers)
	if err := os.WriteFile(customers, []byte("junk\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteCompiled(dir, m, 8); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(orders); string(b) != "select 2 as id\n" {
		t.Errorf("hand-edited stg_orders.sql = %q, want the compiled SQL again", b)
	}
	if b, _ := os.ReadFile(customers); strings.Contains(string(b), "junk") {
		t.Errorf("replaced stg_customers.sql = %q, want the compiled SQL again", b)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.csv")
	for _, content := range []string{"a\n1\n", "a\n2\n"} {
		if err := WriteFileAtomic(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(p)
		if err != nil || string(data) != content {
			t.Fatalf("read %q, %v; want %q", data, err, content)
		}
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}

	// A failed write leaves the old file and no temporary file.
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "x"), []byte("x"), 0o644); err == nil || !strings.Contains(err.Error(), "cannot write") {
		t.Errorf("write into a missing folder: %v", err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "sub"), []byte("x"), 0o644); err == nil {
		t.Error("replacing a folder by a file succeeded")
	}
	entries, _ = os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("after failed writes the folder holds %v", entries)
	}
}

package project

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestReadFileAtMatchesFS reads files of several sizes, a missing file and
// a folder both ways: through os.DirFS (readFile) and with the system calls
// of readFileAt (used when the project's fs.FS is an os.DirFS).
func TestReadFileAtMatchesFS(t *testing.T) {
	dir := t.TempDir()
	sizes := []int{0, 1, 100, 4095, 4096, 4097, 1 << 20}
	for i, n := range sizes {
		b := bytes.Repeat([]byte("select 1;\n"), n/10+1)[:n]
		if err := os.WriteFile(filepath.Join(dir, "f"+string(rune('a'+i))+".sql"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	fsys := os.DirFS(dir)
	if got := osRoot(fsys); got != dir {
		t.Fatalf("osRoot(os.DirFS(%q)) = %q", dir, got)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		want, err := readFile(fsys, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		got, err := readFileAt(dir, e.Name())
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("readFileAt(%s) = %d bytes, %v; want %d bytes", e.Name(), len(got), err, len(want))
		}
	}
	_, err = readFileAt(dir, "missing.sql")
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != "missing.sql" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want a *fs.PathError for missing.sql that is fs.ErrNotExist", err)
	}
	if _, err := readFileAt(dir, "sub"); err == nil {
		t.Errorf("reading a folder: no error")
	}
	if _, err := readFileAt(dir, "../x"); err == nil {
		t.Errorf("reading ../x: no error")
	}
}

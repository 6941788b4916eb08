//go:build unix

package docs

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestServeRefusesPipes: a named pipe in the folder is not a regular file;
// opening it would block the request forever.
func TestServeRefusesPipes(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, IndexFile), []byte("docs"), 0o644)
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.html"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := serveDocs(t, dir)
	if code, _, _ := get(t, "GET", base, "/pipe.html", ""); code != 404 {
		t.Errorf("GET /pipe.html: %d, want 404", code)
	}
}

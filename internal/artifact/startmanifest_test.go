package artifact

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// StartManifest refuses a target it cannot write at once; until finish
// runs, manifest.json is the previous one; finish writes what
// WriteManifest writes.
func TestStartManifest(t *testing.T) {
	m := shop(t, nil)
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := StartManifest(filepath.Join(blocker, "target"), m, testMeta()); err == nil {
		t.Fatal("StartManifest under a regular file succeeded")
	}

	want := t.TempDir()
	if err := WriteManifest(want, m, testMeta()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, ManifestFile)
	if err := os.WriteFile(path, []byte(`{"previous": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	finish, err := StartManifest(dir, m, testMeta())
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != `{"previous": true}` {
		t.Fatalf("before finish, manifest.json = %.40q, want the previous one", b)
	}
	if err := finish(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := os.ReadFile(filepath.Join(want, ManifestFile))
	if len(exp) < 1000 || !bytes.Equal(got, exp) {
		t.Errorf("finish wrote %d bytes, WriteManifest %d; they differ", len(got), len(exp))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

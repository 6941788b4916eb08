package parsecache

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestEnvValuesNotWritten: the main file keeps a digest of each
// environment variable's value, not the value (a password read by
// profiles.yml); a changed value is still a miss, the same one a hit.
func TestEnvValuesNotWritten(t *testing.T) {
	t.Setenv("PARSECACHE_TEST", "hunter2-password")
	dir := project(t, map[string]string{"models/a.sql": "select 1"})
	c, gen := load(t, dir)
	b, err := os.ReadFile(filepath.Join(c.Dir, MainFile))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("hunter2")) {
		t.Errorf("the main file holds the variable's value:\n%q", b)
	}
	if got, ok := c.Lookup("key"); !ok || got != gen {
		t.Fatalf("same value: Lookup = %v, %v; want a hit", got, ok)
	}
	t.Setenv("PARSECACHE_TEST", "hunter3-password")
	if _, ok := c.Lookup("key"); ok {
		t.Error("changed value: Lookup hit")
	}
}

// TestNoSecretInResults: a result whose payload holds the value of a
// DBT_ENV_SECRET_ variable is not written (it would be the secret, or,
// masked, not the output), and the one in its place is removed: the
// next lookup of it is a miss.
func TestNoSecretInResults(t *testing.T) {
	dir := project(t, map[string]string{"models/a.sql": "select 1"})
	c, gen := load(t, dir)
	if err := c.SaveResult(gen, "ls", "", nil, []byte("select 'tok-123' as t")); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Result(gen, "ls", ""); !ok {
		t.Fatal("the result is not read back")
	}
	t.Setenv("DBT_ENV_SECRET_TOKEN", "tok-123")
	if err := c.SaveResult(gen, "ls", "", nil, []byte("select 'tok-123' as t")); !errors.Is(err, errSecret) {
		t.Errorf("SaveResult = %v, want errSecret", err)
	}
	if _, ok := c.Result(gen, "ls", ""); ok {
		t.Error("the previous result is still there")
	}
	if _, err := os.Stat(c.resultPath("ls")); !os.IsNotExist(err) {
		t.Errorf("the result file: %v", err)
	}
}

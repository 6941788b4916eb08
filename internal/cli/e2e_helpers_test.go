package cli

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter/duckdb"
	"github.com/kiln-build/kiln/internal/sample"
)

// repoRoot is the repository root: the BottleNeck project.
const repoRoot = "../.."

// realExports is where the real monthly exports live: beside the project,
// or in $KILN_REAL_EXPORTS (a worktree that is not beside them).
var realExports = func() string {
	if d := os.Getenv("KILN_REAL_EXPORTS"); d != "" {
		return d
	}
	return filepath.Join(repoRoot, "..", "shared", "bottleneck")
}()

// newProject copies the BottleNeck project (project.yml, models, tests,
// macros, seeds) into a temporary folder, generates a fresh sample month
// into its data/sample, and returns the folder and the sample's figures.
func newProject(t *testing.T) (string, sample.Expected) {
	t.Helper()
	dir := t.TempDir()
	copyFile(t, filepath.Join(repoRoot, "project.yml"), filepath.Join(dir, "project.yml"))
	for _, sub := range []string{"models", "snapshots", "tests", "macros", "seeds"} {
		copyTree(t, filepath.Join(repoRoot, sub), filepath.Join(dir, sub))
	}
	exp, err := sample.Generate(filepath.Join(dir, "data", "sample", sample.DefaultMonth), sample.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return dir, exp
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	if _, err := os.Stat(from); err != nil {
		return
	}
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		r, _ := filepath.Rel(from, p)
		copyFile(t, p, filepath.Join(to, r))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// kiln runs the CLI in-process in dir and returns its exit code and output.
func kiln(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), append([]string{"--project-dir", dir}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// mustKiln runs kiln and fails the test unless it exits with want.
func mustKiln(t *testing.T, want int, dir string, args ...string) string {
	t.Helper()
	code, out, errOut := kiln(t, dir, args...)
	if code != want {
		t.Fatalf("kiln %s exited %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out + errOut
}

// queryRows runs q on the project's database (target/bottleneck.duckdb)
// and returns its rows.
func queryRows(t *testing.T, dir, q string) [][]any {
	t.Helper()
	db, err := duckdb.Open(context.Background(), filepath.Join(dir, "target", "bottleneck.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, rows, err := c.QueryRows(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return rows
}

// query runs q on the project's database and returns the single value as
// text.
func query(t *testing.T, dir, q string) string {
	t.Helper()
	rows := queryRows(t, dir, q)
	if len(rows) != 1 || len(rows[0]) != 1 {
		t.Fatalf("%s: want one value, got %v", q, rows)
	}
	return fmt.Sprint(rows[0][0])
}

func csvRows(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(strings.TrimSpace(string(data)), "\n") // lines minus the header
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter/duckdb"
)

// holdDB is the kiln-holddb command of the tests (see TestMain): it opens
// the DuckDB database os.Args[1], says "ready" on stdout and holds it
// until its stdin closes, as a build does.
func holdDB() {
	a, err := duckdb.Open(context.Background(), os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until EOF
	a.Close()
	os.Exit(0)
}

// startHolder holds the database at path in another process until the
// test ends; it returns the process's PID.
func startHolder(t *testing.T, path string) int {
	t.Helper()
	cmd := exec.Command("kiln-holddb", path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if strings.TrimSpace(line) != "ready" {
			t.Fatalf("kiln-holddb said %q", line)
		}
	case <-time.After(time.Minute):
		t.Fatal("kiln-holddb did not open the database")
	}
	return cmd.Process.Pid
}

// TestDocsGenerateKeepsCompleteDocs: while another process (a build)
// holds the database, docs generate does not replace docs made with the
// database by docs without column types or row counts: it keeps them
// byte for byte, says so and why, and exits 1 (a nightly job sees it).
// Without such docs, it writes docs without the database, as before.
func TestDocsGenerateKeepsCompleteDocs(t *testing.T) {
	dir, _ := newProject(t)
	mustKiln(t, 0, dir, "build")
	mustKiln(t, 0, dir, "docs", "generate")
	target := filepath.Join(dir, "target")
	index, catalog := filepath.Join(target, "docs", "index.html"), filepath.Join(target, "catalog.json")
	before, beforeCat := readFile(t, index), readFile(t, catalog)
	pid := startHolder(t, filepath.Join(target, "bottleneck.duckdb"))

	code, out, errOut := kiln(t, dir, "docs", "generate")
	msg := out + errOut
	if code != ExitFailure || !strings.Contains(msg, "kept the previous docs target/docs/index.html, made with the database") ||
		!strings.Contains(msg, fmt.Sprintf("(PID %d)", pid)) || !strings.Contains(msg, "--empty-catalog") || strings.Contains(msg, "wrote ") {
		t.Errorf("docs generate while the database is held: exit %d, want %d, keeping the docs and saying why\n%s", code, ExitFailure, msg)
	}
	if !bytes.Equal(readFile(t, index), before) || !bytes.Equal(readFile(t, catalog), beforeCat) {
		t.Error("docs generate replaced the docs made with the database")
	}

	// Asked for docs without the database, it writes them.
	mustKiln(t, 0, dir, "docs", "generate", "--empty-catalog")
	if bytes.Equal(readFile(t, catalog), beforeCat) {
		t.Error("--empty-catalog kept the catalog")
	}
	// Now the docs there were made without it: a held database gives
	// docs without it again, with the warning.
	code, out, errOut = kiln(t, dir, "docs", "generate")
	if code != 0 || !strings.Contains(out+errOut, "without the database") || !strings.Contains(out+errOut, "is locked by") {
		t.Errorf("docs generate over docs made without the database: exit %d\n%s%s", code, out, errOut)
	}
}

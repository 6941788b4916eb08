package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestRequired(t *testing.T) {
	for _, c := range []struct {
		ci   string
		want bool
	}{{"", false}, {"false", false}, {"0", false}, {"yes", false}, {"true", true}, {"1", true}, {"TRUE", true}} {
		t.Setenv("CI", c.ci)
		if got := Required(); got != c.want {
			t.Errorf("CI=%q: Required() = %v, want %v", c.ci, got, c.want)
		}
	}
}

// TestFirstInRun checks the markers that keep the skip line to one per run.
func TestFirstInRun(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the markers name processes by their /proc start time: Linux only")
	}
	dir := t.TempDir()
	pid := os.Getpid()
	start, ok := processStart(pid)
	if !ok || start == "" {
		t.Fatalf("processStart(%d) = %q, %v", pid, start, ok)
	}
	if again, _ := processStart(pid); again != start {
		t.Fatalf("processStart changed: %q then %q", start, again)
	}
	// Markers of a process that is gone and of a reused pid.
	stale := []string{markerPrefix + "999999999-5-chromium", fmt.Sprintf("%s%d-%s0-chromium", markerPrefix, pid, start)}
	for _, name := range stale {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if !firstInRun(dir, pid, start, "Chromium") {
		t.Fatal("the first call of a run is not first")
	}
	if firstInRun(dir, pid, start, "Chromium") {
		t.Error("the second call for Chromium is also first")
	}
	if !firstInRun(dir, pid, start, "PostgreSQL server") {
		t.Error("the first call for another program is not first")
	}
	for _, name := range stale {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("stale marker %s was kept (%v)", name, err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, markerPrefix+"*"))
	if len(left) != 2 {
		t.Errorf("markers left: %v, want this run's two", left)
	}
}

// TestNeedsChromiumHelper is run by TestMissingChromium in a child go test;
// on its own it returns at once.
func TestNeedsChromiumHelper(t *testing.T) {
	if os.Getenv("KILN_TESTENV_CHILD") == "" {
		return
	}
	p := Chromium(t)
	t.Fatalf("found %s on a PATH without Chromium", p)
}

// TestMissingChromium runs `go test` on this package and browsertest, as a
// user would on a machine without Chromium (every chromium binary hidden
// from PATH): both packages pass and one line says what to install; with
// -v the skips show instead; with CI=true both fail and say why.
func TestMissingChromium(t *testing.T) {
	if os.Getenv("KILN_TESTENV_CHILD") != "" {
		return
	}
	if testing.Short() {
		t.Skip("runs go test in a child process")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is not in PATH: %v", err)
	}
	path := pathWithout(t, "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
	run := func(ci string, args ...string) (int, string, string) {
		t.Helper()
		cmd := exec.Command(goBin, append([]string{"test", "-count=1", "-run", "^TestNeedsChromiumHelper$"}, append(args, "./...")...)...)
		cmd.Env = []string{"PATH=" + path, "KILN_TESTENV_CHILD=1", "CI=" + ci}
		for _, kv := range os.Environ() {
			k, _, _ := strings.Cut(kv, "=")
			if k != "PATH" && k != "CI" && k != "KILN_CHROMIUM" && k != "GOFLAGS" && k != "KILN_TESTENV_CHILD" {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if x, ok := err.(*exec.ExitError); ok {
			code = x.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), errOut.String()
	}
	line := "go test: skipped the tests that need Chromium: " + ChromiumInstall + "; then run go clean -testcache, as go test keeps the skipped result\n"

	code, out, errOut := run("")
	if code != 0 {
		t.Fatalf("go test without Chromium exited %d:\n%s%s", code, out, errOut)
	}
	if runtime.GOOS == "linux" && errOut != line {
		t.Errorf("go test's stderr is\n%q\nwant the one line\n%q", errOut, line)
	}
	for _, pkg := range []string{"internal/testenv", "internal/testenv/browsertest"} {
		if !strings.Contains(out, "ok  \tgithub.com/kiln-build/kiln/"+pkg+"\t") {
			t.Errorf("go test's stdout lacks the ok line of %s:\n%s", pkg, out)
		}
	}

	code, out, errOut = run("", "-v")
	if code != 0 || strings.Count(out, "--- SKIP: TestNeedsChromiumHelper") != 2 || !strings.Contains(out, "Chromium is not installed: "+ChromiumInstall) || errOut != "" {
		t.Errorf("go test -v exited %d, want the two skips on stdout and nothing on stderr:\n%s%s", code, out, errOut)
	}

	code, out, errOut = run("true")
	if code == 0 || strings.Count(out, "--- FAIL: TestNeedsChromiumHelper") != 2 || !strings.Contains(out, "Chromium is not installed, and CI=true requires the tests that need it") {
		t.Errorf("go test with CI=true exited %d, want the two tests failed:\n%s%s", code, out, errOut)
	}
}

// pathWithout returns $PATH with each directory that holds one of names
// replaced by a temporary directory of links to all its other entries.
func pathWithout(t *testing.T, names ...string) string {
	t.Helper()
	var dirs []string
	for i, d := range filepath.SplitList(os.Getenv("PATH")) {
		hides := false
		for _, n := range names {
			if _, err := os.Stat(filepath.Join(d, n)); err == nil {
				hides = true
			}
		}
		if !hides {
			dirs = append(dirs, d)
			continue
		}
		shadow := filepath.Join(t.TempDir(), fmt.Sprint(i))
		if err := os.Mkdir(shadow, 0o755); err != nil {
			t.Fatal(err)
		}
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
	entry:
		for _, e := range entries {
			for _, n := range names {
				if e.Name() == n {
					continue entry
				}
			}
			if err := os.Symlink(filepath.Join(d, e.Name()), filepath.Join(shadow, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
		dirs = append(dirs, shadow)
	}
	return strings.Join(dirs, string(filepath.ListSeparator))
}

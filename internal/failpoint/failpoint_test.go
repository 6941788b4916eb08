//go:build unix

package failpoint

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

func TestConfigure(t *testing.T) {
	defer configure("", "")
	for _, c := range []struct {
		spec   string
		target Point
		count  int64
		action string
		err    string
	}{
		{spec: "node.built", target: NodeBuilt, count: 1, action: kill},
		{spec: "export.renamed:3", target: ExportRenamed, count: 3, action: kill},
		{spec: "publish.committed:2:interrupt", target: PublishCommitted, count: 2, action: interrupt},
		{spec: "publish.committed::terminate", target: PublishCommitted, count: 1, action: terminate},
		{spec: "run.starting:1:stop", target: RunStarting, count: 1, action: stop},
		{spec: "node.bulit", err: `no failpoint is named "node.bulit"`},
		{spec: "node.built:0", err: "a whole number of 1 or more"},
		{spec: "node.built:x", err: "a whole number of 1 or more"},
		{spec: "node.built:1:explode", err: "the action kill, interrupt, terminate or stop"},
	} {
		err := configure(c.spec, "")
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.spec, err, c.err)
			}
		case err != nil:
			t.Errorf("%s: %v", c.spec, err)
		case target != c.target || count != c.count || action != c.action || !on:
			t.Errorf("%s: target %q count %d action %q on %v", c.spec, target, count, action, on)
		}
	}
	if err := configure("", ""); err != nil || on {
		t.Errorf("without a failpoint: on %v, %v", on, err)
	}
	Hit(NodeBuilt) // inert
}

// Every failpoint has a distinct name of the form area.step.
func TestNames(t *testing.T) {
	seen := map[Point]bool{}
	for _, p := range All {
		if seen[p] || !strings.Contains(string(p), ".") {
			t.Errorf("failpoint %q is repeated or badly named", p)
		}
		seen[p] = true
	}
}

// The process kills itself at the count-th hit of its failpoint, and logs
// every point it reaches before.
func TestKillsAtTheCountthHit(t *testing.T) {
	if os.Getenv("FAILPOINT_CHILD") == "1" {
		for i := 0; i < 5; i++ {
			Hit(ExportStaged)
			Hit(NodeBuilt)
		}
		os.Exit(0)
	}
	log := filepath.Join(t.TempDir(), "points.log")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillsAtTheCountthHit$")
	cmd.Env = append(os.Environ(), "FAILPOINT_CHILD=1", EnvVar+"=node.built:3", LogVar+"="+log)
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the child ended with %v, not SIGKILL", err)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Repeat("export.staged\nnode.built\n", 3)
	if string(b) != want {
		t.Errorf("log:\n%s\nwant:\n%s", b, want)
	}
}

// Stopped at its failpoint, the process has run nothing after it when its
// parent learns from wait4 that it stopped, and goes on once it gets
// SIGCONT. kill(2) gave SIGSTOP to the main thread: the thread that hit
// the failpoint ran on until the main one stopped it, and wrote what the
// code after the failpoint writes (here a file).
func TestStopsAtTheFailpoint(t *testing.T) {
	if os.Getenv("FAILPOINT_CHILD") == "1" {
		Hit(RunRecovered)
		if err := os.WriteFile(os.Getenv("FAILPOINT_AFTER"), []byte("after\n"), 0o644); err != nil {
			os.Exit(3)
		}
		os.Exit(0)
	}
	for i := 0; i < 20; i++ {
		after := filepath.Join(t.TempDir(), "after")
		cmd := exec.Command(os.Args[0], "-test.run=^TestStopsAtTheFailpoint$")
		cmd.Env = append(os.Environ(), "FAILPOINT_CHILD=1", "FAILPOINT_AFTER="+after, EnvVar+"=run.recovered:1:stop")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var ws syscall.WaitStatus
		for {
			_, err := syscall.Wait4(cmd.Process.Pid, &ws, syscall.WUNTRACED, nil)
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		if !ws.Stopped() {
			t.Fatalf("the child ended (%v) before it stopped at its failpoint", ws)
		}
		_, err := os.Stat(after)
		if err == nil {
			t.Errorf("attempt %d: the child stopped at its failpoint had run the code after it", i+1)
		}
		if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		for {
			_, err := syscall.Wait4(cmd.Process.Pid, &ws, 0, nil)
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		if !ws.Exited() || ws.ExitStatus() != 0 {
			t.Fatalf("the child let go ended with %v, want exit 0", ws)
		}
		if _, err := os.Stat(after); err != nil {
			t.Fatalf("the child let go did not run the code after its failpoint: %v", err)
		}
	}
}

// The children of the tests keep the main goroutine on the main thread,
// so that the failpoints are hit on another thread, the one whose running
// on TestStopsAtTheFailpoint catches.
func init() {
	if os.Getenv("FAILPOINT_CHILD") == "1" {
		runtime.LockOSThread()
	}
}

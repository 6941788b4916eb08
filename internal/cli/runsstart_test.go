//go:build unix

package cli

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-build/kiln/internal/failpoint"
)

// kiln runs lists a build from its very start: stopped (SIGSTOP, failpoint
// action stop) before it opens (or creates) the database, it is listed as starting
// with its planned nodes; killed there, it is not listed at all (no
// phantom run); stopped once it holds the database and has recorded
// itself but not yet written the history's copy (the ~0.3 s the copy
// lagged), it is listed as starting beside the copy's runs, where it was
// missing; let go, it ends as a success and the history takes over.
func TestRunsWhileStarting(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kiln binary and BottleNeck three times")
	}
	bin := buildKiln(t)
	dir, _ := newProject(t)
	stopAt := func(point failpoint.Point) *kilnProc {
		p := startKilnEnv(t, bin, dir, []string{failpoint.EnvVar + "=" + string(point) + ":1:stop"}, "build", "--threads", "1")
		waitStopped(t, p)
		return p
	}

	// The database's first build, stopped before it creates the database.
	p := stopAt(failpoint.RunStarting)
	errOut, runs := kilnRuns(t, bin, dir)
	if len(runs) != 1 || !strings.Contains(errOut, "does not exist; the run below is starting") {
		t.Fatalf("kiln runs lists %d runs before the first build creates the database, want it alone:\n%s%s", len(runs), errOut, strings.Join(runs, "\n"))
	}
	if f := strings.Fields(runs[0]); len(f) < 6 || f[4] != "build" || f[5] != "starting" {
		t.Errorf("the first build is listed as %q, want build starting", runs[0])
	}
	p.signal(t, syscall.SIGKILL)
	p.wait(t, deadline)
	if code, out, errOut := kiln(t, dir, "runs"); code != ExitOK || !strings.Contains(errOut, "no runs yet") {
		t.Errorf("kiln runs after the first build was killed while starting exited %d:\n%s%s", code, errOut, out)
	}

	fastBuild(t, bin, dir, "the first build")
	first := lastInvocation(t, dir)
	total := len(readResults(t, dir).Results)

	// Stopped before it opens the database.
	p = stopAt(failpoint.RunStarting)
	_, runs = kilnRuns(t, bin, dir)
	if len(runs) != 2 {
		t.Fatalf("kiln runs lists %d runs while a build starts, want 2:\n%s", len(runs), strings.Join(runs, "\n"))
	}
	checkRun(t, runs[0], "", "build", "starting", fmt.Sprintf("0/%d", total))
	checkRun(t, runs[1], first, "build", "success", fmt.Sprint(total))

	// Killed there: gone from the list.
	p.signal(t, syscall.SIGKILL)
	p.wait(t, deadline)
	_, runs = kilnRuns(t, bin, dir)
	if len(runs) != 1 {
		t.Fatalf("kiln runs lists %d runs after a build killed while starting, want the first alone:\n%s", len(runs), strings.Join(runs, "\n"))
	}
	checkRun(t, runs[0], first, "build", "success", fmt.Sprint(total))

	// Stopped holding the database, recorded in it, before the copy.
	p = stopAt(failpoint.RunRecovered)
	errOut, runs = kilnRuns(t, bin, dir)
	if pid := fmt.Sprintf("(PID %d)", p.cmd.Process.Pid); !strings.Contains(errOut, "the database is held by") || !strings.Contains(errOut, pid) {
		t.Errorf("kiln runs does not say the build %s holds the database:\n%s", pid, errOut)
	}
	if len(runs) != 2 {
		t.Fatalf("kiln runs lists %d runs while a build holds the database before its copy, want 2:\n%s", len(runs), strings.Join(runs, "\n"))
	}
	checkRun(t, runs[0], "", "build", "starting", fmt.Sprintf("0/%d", total))
	checkRun(t, runs[1], first, "build", "success", fmt.Sprint(total))
	p.signal(t, syscall.SIGCONT)
	if code := p.wait(t, 2*time.Minute); code != ExitOK {
		t.Fatalf("the build let go exited %d:\n%s", code, p.stderr.String())
	}
	second := lastInvocation(t, dir)
	_, runs = kilnRuns(t, bin, dir)
	if len(runs) != 2 {
		t.Fatalf("kiln runs lists %d runs after the build, want 2:\n%s", len(runs), strings.Join(runs, "\n"))
	}
	checkRun(t, runs[0], second, "build", "success", fmt.Sprint(total))
	checkRun(t, runs[1], first, "build", "success", fmt.Sprint(total))
}

// waitStopped waits, with wait4(WUNTRACED), until p stops at its
// failpoint; it fails the test when p ends first.
func waitStopped(t *testing.T, p *kilnProc) {
	t.Helper()
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(p.cmd.Process.Pid, &ws, syscall.WUNTRACED, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			t.Fatalf("waiting for kiln to stop at its failpoint: %v\n%s", err, p.stderr.String())
		}
		break
	}
	if !ws.Stopped() {
		t.Fatalf("kiln ended (status %v) before it stopped at its failpoint:\n%s", ws, p.stderr.String())
	}
}

// kilnRuns runs kiln runs with the binary and returns its stderr and the
// lines of its table but the header.
func kilnRuns(t *testing.T, bin, dir string) (string, []string) {
	t.Helper()
	cmd := exec.Command(bin, "--project-dir", dir, "runs")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("kiln runs: %v\n%s%s", err, out.String(), errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "RUN") {
		t.Fatalf("kiln runs printed no table:\n%s%s", out.String(), errOut.String())
	}
	return errOut.String(), lines[1:]
}

// checkRun checks a line of kiln runs: the run's id (its first 8
// characters; "" any), command, status and nodes.
func checkRun(t *testing.T, line, id, command, status, nodes string) {
	t.Helper()
	f := strings.Fields(line)
	if len(f) < 7 || (id != "" && !strings.HasPrefix(id, f[0])) || f[4] != command || f[5] != status || f[6] != nodes {
		t.Errorf("kiln runs lists %q, want run %.8s %s %s with nodes %s", line, id, command, status, nodes)
	}
}

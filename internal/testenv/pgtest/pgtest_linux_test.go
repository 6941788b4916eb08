package pgtest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

// A test process killed outright (its -timeout, SIGKILL) runs no cleanup:
// its server must end with it, and must not hold what the test process
// inherited (a CI wrapper's lock file; flock -c passes it on as fd 3).
func TestServerDiesWithItsProcess(t *testing.T) {
	if os.Getenv("KILN_PGTEST_CHILD") == "1" {
		s := Start(t)
		fmt.Printf("postmaster %d\n", s.proc.Pid)
		select {} // until killed
	}
	Start(t) // skips (or fails under CI=true) without PostgreSQL
	lock := filepath.Join(t.TempDir(), "land.lock")
	f, err := os.Create(lock)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	child := exec.Command(os.Args[0], "-test.run=^TestServerDiesWithItsProcess$", "-test.count=1")
	child.Env = append(os.Environ(), "KILN_PGTEST_CHILD=1")
	child.ExtraFiles = []*os.File{f} // fd 3 in the child, not close-on-exec
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		child.Process.Kill()
		child.Wait()
		t.Fatalf("the child test printed no postmaster PID: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "postmaster ")))
	if err != nil {
		child.Process.Kill()
		child.Wait()
		t.Fatalf("child said %q", line)
	}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, e := range fds {
		if target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name())); target == lock {
			t.Errorf("the server holds the test process's inherited file %s as fd %s", lock, e.Name())
		}
	}
	child.Process.Kill()
	child.Wait()
	// The postmaster gets SIGQUIT when its parent dies; wait for its end
	// (kill -0 failing with ESRCH), at most 30 s.
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the server (PID %d) outlived its killed test process by 30 s", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

package pgtest

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
)

// serverAttr makes the server die with the test process: a test binary
// killed by its -timeout, by a panic or by SIGKILL never runs its
// cleanup, and a server left behind would keep its port, its folder and
// any descriptor it inherited (a CI wrapper's lock file) for ever.
// PostgreSQL takes SIGQUIT for an immediate shutdown.
func serverAttr(uid, gid int, asUser bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	if asUser {
		a.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	return a
}

// startChild starts cmd from an OS thread that lives as long as the
// process: the parent-death signal fires when the thread that forked the
// child ends, not the process, and the Go runtime may end idle threads.
func startChild(cmd *exec.Cmd) error {
	errc := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread stays
		errc <- cmd.Start()
		select {}
	}()
	return <-errc
}

// noInheritedFiles marks every descriptor above standard error close-on-
// exec, so that the programs the tests start (the server, kiln) do not
// hold what this process inherited: a lock taken by the command that ran
// `go test` (flock) would otherwise stay held by a server until it ends.
func noInheritedFiles() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}

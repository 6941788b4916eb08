//go:build !linux

package pgtest

import (
	"os/exec"
	"syscall"
)

// serverAttr runs the server as uid:gid when asUser; outside Linux there
// is no parent-death signal, and a killed test process leaves its server
// running.
func serverAttr(uid, gid int, asUser bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	if asUser {
		a.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	return a
}

func startChild(cmd *exec.Cmd) error { return cmd.Start() }

func noInheritedFiles() {}

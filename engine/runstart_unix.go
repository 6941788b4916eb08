//go:build unix

package engine

import (
	"errors"
	"os"
	"syscall"
)

// lockStart takes f's flock(2), exclusive, without waiting; the kernel
// drops it when the process ends.
func lockStart(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}

// startLocked reports whether another open file holds f's flock(2): the
// run that wrote the record is alive.
func startLocked(f *os.File) bool {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return false
	}
	return errors.Is(err, syscall.EWOULDBLOCK)
}

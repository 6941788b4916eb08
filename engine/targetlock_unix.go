//go:build unix

package engine

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// tryLock takes dir's lock with flock(2) without waiting: the kernel
// releases it when the process ends, killed or not, so no stale lock
// outlives its holder. It returns a nil release and the holder's line when
// another process holds it.
func tryLock(dir, command string) (release func(), holder string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	f, err := os.OpenFile(lockPath(dir), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, "", err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b := make([]byte, 200)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, strings.TrimSpace(string(b[:n])), nil
		}
		return nil, "", err
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(fmt.Sprintf("%s (PID %d)\n", command, os.Getpid())), 0)
	}
	return func() {
		f.Truncate(0)
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, "", nil
}

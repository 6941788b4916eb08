package lowprio

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// lowest is the highest nice value, the lowest priority (setpriority(2)).
const lowest = 19

// lower locks the calling goroutine to its thread and sets that thread's
// nice value to lowest. The goroutine must not unlock: its thread ends
// with it.
func lower() {
	runtime.LockOSThread()
	// PRIO_PROCESS with a thread id sets that thread only (Linux's
	// setpriority(2), NOTES: threads of a process have their own nice).
	_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), lowest)
}

// nice returns the calling thread's nice value (for tests).
func nice() (int, error) {
	// getpriority(2) returns 20 - nice for the raw syscall; x/sys/unix
	// returns the raw value.
	p, err := unix.Getpriority(unix.PRIO_PROCESS, unix.Gettid())
	if err != nil {
		return 0, err
	}
	return 20 - p, nil
}

//go:build unix

package failpoint

import (
	"os"
	"syscall"
	"time"
)

// raise sends the process the signal of action: SIGKILL, as an operator's
// kill -9 (raise does not return), SIGINT or SIGTERM, which the
// process handles as it would one from outside, or SIGSTOP, which stops
// it here (raise returns once it gets SIGCONT).
func raise(action string) {
	sig := syscall.SIGKILL
	switch action {
	case interrupt:
		sig = syscall.SIGINT
	case terminate:
		sig = syscall.SIGTERM
	case stop:
		syscall.Kill(os.Getpid(), syscall.SIGSTOP)
		return
	}
	syscall.Kill(os.Getpid(), sig)
	if sig != syscall.SIGKILL {
		// Let the process's handler take the signal (os/signal delivers
		// it on another goroutine) before the code after the failpoint
		// runs, so that the interrupt lands at this instant.
		time.Sleep(200 * time.Millisecond)
		return
	}
	for {
		time.Sleep(time.Second) // the signal is on its way
	}
}

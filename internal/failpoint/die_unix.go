//go:build unix

package failpoint

import (
	"os"
	"os/signal"
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
		// kill(2) aims SIGSTOP at the process, and Linux hands it to
		// one thread (the main one) to stop the others: the thread of
		// this goroutine could run on past the failpoint until then,
		// while the parent, told by wait4 that kiln stopped, looks at
		// what kiln wrote (kiln runs found a build "running" that
		// should have stopped before writing its history's copy). So
		// go on only after SIGCONT, which comes once kiln has stopped
		// (or cancels the stop still pending).
		cont := make(chan os.Signal, 1)
		signal.Notify(cont, syscall.SIGCONT)
		defer signal.Stop(cont)
		syscall.Kill(os.Getpid(), syscall.SIGSTOP)
		<-cont
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

package engine

import (
	"time"

	"github.com/kiln-build/kiln/internal/run"
)

// LockWait is the longest a run with --retries retries waits for a
// database another process holds before it gives up (exit code 2): the
// grace of LockGrace, then retries attempts, each after run.RetryWait.
// --retries 0: 3 s; 3: 6.5 s; 5: 18.5 s; 10: 68.5 s; then 10 s a retry.
func LockWait(retries int) time.Duration {
	total := LockGrace
	for a := 1; a <= retries; a++ {
		total += run.RetryWait(a)
	}
	return total
}

package run

import "time"

// RetryWait is how long a node waits before its attempt-th retry
// (1-based) after a transient error: 0.5 s, then twice as long each
// time, at most 10 s (0.5, 1, 2, 4, 8, 10, 10, ... s). A run waiting
// for a locked database with --retries waits the same (engine.LockWait).
func RetryWait(attempt int) time.Duration {
	wait := 500 * time.Millisecond
	for i := 1; i < attempt && wait < 10*time.Second; i++ {
		wait = min(wait*2, 10*time.Second)
	}
	return wait
}

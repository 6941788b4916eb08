// Package lowprio runs kiln's background work (writing the compiled SQL
// tree during a build) at the lowest CPU priority, so that it takes a core
// only when the run leaves one idle, without ever holding the run back.
//
// A build's critical path is the run's goroutine and the database's own
// threads (DuckDB runs a statement on as many threads as there are cores).
// Creating the 2,500 files of a build of 1,000 models costs about 0.4 s of
// system time; at the priority of the run it takes that time from the
// statements on a machine of two cores. At nice 19 (Linux's lowest
// priority, setpriority(2) on the thread: the CFS scheduler gives it a
// weight of 15 against 1,024 for a thread at nice 0) it uses the cycles
// the run leaves. A thread at nice 19 on a machine kept busy by other
// processes may get almost nothing, and an unprivileged process cannot
// raise it back: so the work is split into items, and when the run needs
// it done (Each's boost), the remaining items run on the caller's
// goroutine at its own priority.
package lowprio

import (
	"sync"
	"sync/atomic"
)

// Each calls do(i) for every i in [0, n) and returns the first error (the
// items after it are not started). The items run on one low-priority
// thread (see the package comment) until boost is closed; from then on
// the calling goroutine runs the items not yet started, at its own
// priority, and Each returns once the low-priority thread has finished the
// item it was in. do must be safe to call from two goroutines at once (on
// distinct items).
func Each(n int, do func(i int) error, boost <-chan struct{}) error {
	var (
		next  atomic.Int64
		mu    sync.Mutex
		first error
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		next.Store(int64(n)) // start no other item
	}
	// work runs items until none is left, or until stop says to.
	work := func(stop func() bool) {
		for !stop() {
			i := int(next.Add(1)) - 1
			if i >= n {
				return
			}
			if err := do(i); err != nil {
				fail(err)
				return
			}
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		lower()
		work(func() bool {
			select {
			case <-boost:
				return true
			default:
				return false
			}
		})
	}()
	select {
	case <-done:
	case <-boost:
		work(func() bool { return false })
		<-done
	}
	return first
}

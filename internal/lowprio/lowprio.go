// Package lowprio runs kiln's background work (writing manifest.json and
// the compiled SQL tree, hashing the nodes' fingerprints) at the lowest CPU
// priority, so that it takes a core only when the run leaves one idle.
//
// A build's critical path is the run's goroutine and the database's own
// threads (DuckDB runs a statement on as many threads as there are cores).
// The background work of a build of 1,000 models is about 0.5 s of CPU,
// most of it system time creating 2,500 files; at the priority of the run
// it takes that time from the statements on a machine of two cores. At
// nice 19 (Linux's lowest priority, setpriority(2) on the thread: the CFS
// scheduler gives it a weight of 15 against 1,024 for a thread at nice 0)
// it uses the cycles the run leaves, and still finishes (it is never
// starved entirely, and a run waits for it at its end, when the cores are
// free).
package lowprio

// Go runs f on a new goroutine at low priority (see the package comment)
// and returns at once. On Linux the goroutine is locked to its own OS
// thread for f's whole run, that thread is set to nice 19, and it ends with
// the goroutine (Go does not reuse a thread left locked), so no other
// goroutine ever runs at that priority. Goroutines that f starts run at
// the normal priority: f should do its work itself (one worker). Where the
// priority cannot be set (other systems, or a failing setpriority), f runs
// on a plain goroutine.
func Go(f func()) {
	go func() {
		lower()
		f()
	}()
}

package template

import (
	"sync/atomic"
	"time"
)

// clockReads counts what templates read of the clock and of the
// invocation in this process (see ClockReads).
var clockReads atomic.Int64

// ClockReads returns how many times templates of this process read the
// clock or the invocation: run_started_at, invocation_id, and
// modules.datetime's datetime.now(), datetime.utcnow() and date.today().
// What a compilation during which it grew renders depends on when, and
// in which invocation, it ran: partial parsing does not keep it.
func ClockReads() int64 { return clockReads.Load() }

// now is time.Now, counted in ClockReads.
func now() time.Time {
	clockReads.Add(1)
	return time.Now()
}

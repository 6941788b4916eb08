package compiler

import "github.com/kiln-build/kiln/compiler/template"

// ClockReads returns how many times templates of this process read the
// clock or the invocation (run_started_at, invocation_id,
// modules.datetime's now, utcnow and today): a compilation during which
// it grew renders what depends on when and in which invocation it ran.
func ClockReads() int64 { return template.ClockReads() }

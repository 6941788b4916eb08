//go:build !unix

package engine

import "os"

// lockStart does nothing where there is no flock(2).
func lockStart(f *os.File) bool { return true }

// startLocked cannot tell a live run's record from a dead one's where
// there is no flock(2): no start record is shown.
func startLocked(f *os.File) bool { return false }

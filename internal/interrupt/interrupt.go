// Package interrupt turns SIGINT and SIGTERM into the cancellation of a
// context, from the first instant of the process: a signal that arrives
// while the dynamic loader runs the C++ initialisers of DuckDB or while
// the Go packages are initialised (package early records it), or at any
// later time (this package's init subscribes to the signals with
// os/signal), cancels the context that Context returns. Without it a signal in the first tens of
// milliseconds killed kiln with the signal's default action (exit status
// 143 for SIGTERM) instead of letting it exit with 130.
//
// Only the kiln command imports it: importing it makes the process
// subscribe to SIGINT and SIGTERM at start.
package interrupt

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/kiln-build/kiln/internal/interrupt/early"
)

var (
	signals = make(chan os.Signal, 2)
	before  bool // a signal arrived before os/signal listened
)

func init() {
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	before = early.Release()
}

// Context returns a context cancelled at the first SIGINT or SIGTERM the
// process receives (one received before Context was called included).
// At the second, again is called (it may end the process); nil ignores
// it.
func Context(again func(os.Signal)) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	if before {
		cancel()
	}
	go func() {
		if ctx.Err() == nil {
			<-signals
			cancel()
		}
		for sig := range signals {
			if again != nil {
				again(sig)
			}
		}
	}()
	return ctx
}

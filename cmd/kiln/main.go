// Command kiln builds SQL models in DuckDB, dbt-style. See `kiln --help`.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/kiln-build/kiln/internal/cli"
	"github.com/kiln-build/kiln/internal/interrupt"
)

// Garbage collection of a kiln process, unless GOGC or GOMEMLIMIT says
// otherwise: the heap may grow to three times what is live (GOGC=200)
// until it reaches gcLimit bytes, then the collector keeps it there. A
// compile is a burst of allocation whose live part only grows (the
// project's files, nodes, compiled SQL): Go's default (GOGC=100) collects
// 28 times while compiling 100,000 models, a quarter of the CPU, and
// still lets the heap reach twice the live one (peak RSS 1.08 GB then).
// DuckDB's memory is not Go's heap and is not counted.
const (
	gcPercent = 200
	gcLimit   = 800e6
)

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(gcLimit)
	}
}

func main() {
	tuneGC()
	// After the first SIGINT or SIGTERM kiln stops cleanly (a run rolls
	// back, or finishes a commit it had started) and exits with 130; a
	// second one ends it at once, still with 130: the next start finishes
	// or undoes what it left (see engine/COMMIT.md).
	ctx := interrupt.Context(func(sig os.Signal) {
		fmt.Fprintf(os.Stderr, "kiln: %s again: stopping at once; the next kiln build (or kiln transaction command) undoes or finishes what this one left\n", sig)
		os.Exit(cli.ExitInterrupted)
	})
	// A closed pipe on stdout or stderr (kiln build | head) makes writes
	// fail instead of killing kiln halfway through a run: it finishes, or
	// rolls back, as without the pipe.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	os.Exit(cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

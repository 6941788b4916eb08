// Command kiln builds SQL models in DuckDB, dbt-style. See `kiln --help`.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kiln-build/kiln/internal/cli"
	"github.com/kiln-build/kiln/internal/interrupt"
)

func main() {
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

// Command kiln builds SQL models in DuckDB, dbt-style. See `kiln --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/kiln-build/kiln/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal kiln stops cleanly; a second one kills it.
		<-ctx.Done()
		stop()
	}()
	// A closed pipe on stdout or stderr (kiln build | head) makes writes
	// fail instead of killing kiln halfway through a run: it finishes, or
	// rolls back, as without the pipe.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

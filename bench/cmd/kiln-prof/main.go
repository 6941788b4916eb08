// Command kiln-prof runs one kiln command in-process under pprof, to find
// where kiln spends the time that the benchmarks report:
//
//	go run ./bench/cmd/kiln-prof -cpu cpu.pprof -mem mem.pprof -- --project-dir /tmp/kiln-bench/work/w2-1000 build
//	go tool pprof -top -cum cpu.pprof
//
// The arguments after "--" are kiln's. -mem writes the allocation profile
// (every allocation sampled, or one per -memrate bytes; alloc_space and
// alloc_objects, and inuse_space as of the last garbage collection) at the
// end.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"time"

	"github.com/kiln-build/kiln/internal/cli"
)

func main() {
	cpu := flag.String("cpu", "", "write a CPU profile to this file")
	mem := flag.String("mem", "", "write an allocation profile to this file")
	traceOut := flag.String("trace", "", "write an execution trace to this file (go tool trace; -pprof=syscall or sync for where the wall time waits)")
	repeat := flag.Int("n", 1, "run the command this many times (a longer profile)")
	rate := flag.Int("memrate", 1, "with -mem, sample one allocation per this many bytes (1: every allocation; 524288, Go's default, for large projects)")
	flag.Parse()
	if *mem != "" {
		runtime.MemProfileRate = *rate
	}
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
	}
	if *traceOut != "" {
		f, err := os.Create(*traceOut)
		if err != nil {
			fail(err)
		}
		if err := trace.Start(f); err != nil {
			fail(err)
		}
		defer f.Close()
	}
	code := 0
	for i := range *repeat {
		start := time.Now()
		code = cli.Main(context.Background(), flag.Args(), os.Stdin, io.Discard, io.Discard)
		fmt.Fprintf(os.Stderr, "kiln-prof: run %d: exit %d in %s\n", i+1, code, time.Since(start).Round(time.Millisecond))
	}
	if *cpu != "" {
		pprof.StopCPUProfile()
	}
	if *traceOut != "" {
		trace.Stop()
	}
	if *mem != "" {
		f, err := os.Create(*mem)
		if err != nil {
			fail(err)
		}
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			fail(err)
		}
		f.Close()
	}
	os.Exit(code)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "kiln-prof:", err)
	os.Exit(2)
}

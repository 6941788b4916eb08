// Command gensample writes consecutive synthetic months of BottleNeck's
// exports (erp.xlsx, web.xlsx, liaison.xlsx), each in a folder named by
// its month, and prints their reference figures.
//
//	go run ./cmd/gensample -out data/sample [-months 3] [-last 2020-08] [-products N] [-seed S]
//
// writes out/2020-06, out/2020-07 and out/2020-08. With the defaults it
// also writes README.md in the output directory, the description of the
// committed sample in data/sample.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kiln-build/kiln/internal/sample"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gensample", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := sample.DefaultConfig()
	defLast := sample.DefaultMonth
	out := fs.String("out", "data/sample", "output directory: one folder per month in it")
	products := fs.Int("products", def.Products, "number of ERP products of the last month")
	seed := fs.Int64("seed", def.Seed, "random seed")
	dups := fs.Int("duplicate-product-rows", 0, "exact copies of product rows to add to web.xlsx")
	months := fs.Int("months", len(sample.DefaultMonths), "number of consecutive months")
	last := fs.String("last", defLast, "the last month, YYYY-MM")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gensample: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	end, err := time.Parse("2006-01", *last)
	if err != nil || *months < 1 {
		fmt.Fprintf(stderr, "gensample: -last must be a month (YYYY-MM) and -months at least 1\n")
		return 2
	}
	names := make([]string, *months)
	for i := range names {
		names[i] = end.AddDate(0, i+1-*months, 0).Format("2006-01")
	}
	cfg := sample.Config{Products: *products, Seed: *seed, DuplicateProductRows: *dups}
	start := time.Now()
	ms, err := sample.GenerateMonths(*out, cfg, names)
	if err != nil {
		fmt.Fprintf(stderr, "gensample: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "gensample: wrote %d months in %s in %s\n", len(ms), *out, time.Since(start).Round(time.Millisecond))
	fmt.Fprint(stdout, sample.MonthsMarkdown(ms))
	if cfg == def && *months == len(sample.DefaultMonths) && *last == defLast {
		readme := filepath.Join(*out, "README.md")
		if err := os.WriteFile(readme, []byte(sample.Readme(ms)), 0o644); err != nil {
			fmt.Fprintf(stderr, "gensample: %v\n", err)
			return 1
		}
	}
	return 0
}

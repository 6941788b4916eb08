// Command gensample writes a synthetic month of BottleNeck's exports
// (erp.xlsx, web.xlsx, liaison.xlsx) and prints its reference figures.
//
//	go run ./cmd/gensample -out data/sample [-products N] [-seed S]
//
// With the default products and seed it also writes README.md in the output
// directory, the description of the committed sample in data/sample.
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
	out := fs.String("out", "data/sample", "output directory")
	products := fs.Int("products", def.Products, "number of ERP products")
	seed := fs.Int64("seed", def.Seed, "random seed")
	dups := fs.Int("duplicate-product-rows", 0, "exact copies of product rows to add to web.xlsx")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gensample: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg := sample.Config{Products: *products, Seed: *seed, DuplicateProductRows: *dups}
	start := time.Now()
	e, err := sample.Generate(*out, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "gensample: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "gensample: wrote %s in %s\n", *out, time.Since(start).Round(time.Millisecond))
	fmt.Fprint(stdout, e.Markdown())
	if cfg == def {
		readme := filepath.Join(*out, "README.md")
		if err := os.WriteFile(readme, []byte(sample.Readme(e)), 0o644); err != nil {
			fmt.Fprintf(stderr, "gensample: %v\n", err)
			return 1
		}
	}
	return 0
}

// Command kiln-bench runs kiln's benchmark suite and writes BENCHMARKS.md:
// it builds kiln and the baseline program, generates the workloads W1, W2
// and W3, times kiln's commands against the baseline in interleaved runs,
// and reports medians, ratios and the goals of issue 6.
//
// Run it from the repository root:
//
//	go run ./bench/cmd/kiln-bench              # the full suite, 5 runs: about an hour and a half on 2 cores
//	go run ./bench/cmd/kiln-bench -quick -out /tmp/B.md   # small workloads, one run: a smoke test
//	go run ./bench/cmd/kiln-bench -only anomaly           # the deviation gates' labelled benchmark alone (seconds):
//	                                                      # its section of BENCHMARKS.md is replaced, the rest kept
//	go run ./bench/cmd/kiln-bench -only incr -runs 3      # incremental builds (issue 15): 10.5M events over 36 months,
//	                                                      # one month changed, against --full-refresh; its section replaced
//	go run ./bench/cmd/kiln-bench -only scale -runs 3     # the compiler's curve, W2 from 1,000 to 100,000 models
//	                                                      # (issue 17): its section replaced likewise
//
// W3's month (1,000,000 products by default) is generated once, about two
// minutes, and kept in -cache.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/bench/anomalies"
	"github.com/kiln-build/kiln/bench/harness"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// command is the harness's command line as the report shows it: the flags
// set, but those that only choose folders.
func command(fs *flag.FlagSet) string {
	line := "go run ./bench/cmd/kiln-bench"
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "repo", "out", "work", "cache":
		case "quick":
			line += " -quick"
		default:
			line += " -" + f.Name + " " + f.Value.String()
		}
	})
	return line
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("kiln-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tmp := filepath.Join(os.TempDir(), "kiln-bench")
	repo := fs.String("repo", ".", "kiln's repository root")
	out := fs.String("out", "BENCHMARKS.md", "the report to write")
	work := fs.String("work", filepath.Join(tmp, "work"), "scratch folder for binaries, projects and databases")
	cache := fs.String("cache", tmp, "folder keeping W3's generated month between runs")
	quick := fs.Bool("quick", false, "small workloads and one run: a smoke test")
	runs := fs.Int("runs", 0, "timed runs of each command (default 5, 1 with -quick)")
	products := fs.Int("w3-products", 0, "products of W3's month (default 1,000,000, 200 with -quick)")
	threads := fs.String("threads", "1,2,4", "comma-separated --threads values to time")
	only := fs.String("only", "", "comma-separated parts to run, of "+strings.Join(harness.Parts, ", ")+" (default all)")
	compare := fs.String("compare", "", "another kiln source tree (a patched copy) to time too, as kiln*")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg := harness.Config{Quick: *quick, Runs: *runs, W3Products: *products, Log: stderr}
	if *only != "" {
		for _, part := range strings.Split(*only, ",") {
			if !slices.Contains(harness.Parts, part) {
				fmt.Fprintf(stderr, "kiln-bench: -only %q: parts are %s\n", *only, strings.Join(harness.Parts, ", "))
				return 2
			}
			cfg.Only = append(cfg.Only, part)
		}
	}
	for _, t := range strings.Split(*threads, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(t))
		if err != nil || n < 1 {
			fmt.Fprintf(stderr, "kiln-bench: -threads %q: want positive integers such as 1,2,4\n", *threads)
			return 2
		}
		cfg.Threads = append(cfg.Threads, n)
	}
	var err error
	if cfg.Repo, err = filepath.Abs(*repo); err == nil {
		if _, err = os.Stat(filepath.Join(cfg.Repo, "go.mod")); err != nil {
			err = fmt.Errorf("%s is not kiln's repository root (no go.mod); run from it or pass -repo", cfg.Repo)
		}
	}
	if err == nil {
		cfg.Work, err = filepath.Abs(*work)
	}
	if err == nil {
		cfg.Cache, err = filepath.Abs(*cache)
	}
	if err == nil && *compare != "" {
		cfg.Compare, err = filepath.Abs(*compare)
	}
	if err == nil && cfg.Work == cfg.Repo {
		err = fmt.Errorf("-work must not be the repository")
	}
	if err != nil {
		fmt.Fprintln(stderr, "kiln-bench:", err)
		return 2
	}
	r, err := harness.Run(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "kiln-bench:", err)
		return 1
	}
	r.Command = command(fs)
	doc := r.Markdown()
	if harness.OnlySpliced(cfg.Only) {
		// The other parts' measurements stay as they were.
		old, err := os.ReadFile(*out)
		if err != nil && !os.IsNotExist(err) {
			fmt.Fprintln(stderr, "kiln-bench:", err)
			return 1
		}
		doc = string(old)
		if r.Anomaly != nil {
			doc = anomalies.Splice(doc, r.Anomaly.Markdown(r.Command))
		}
		if sc := r.ScaleMarkdown(); sc != "" {
			doc = harness.SpliceScale(doc, sc)
		}
	}
	if harness.OnlyIncr(cfg.Only) && r.Incr != nil {
		old, err := os.ReadFile(*out)
		if err != nil && !os.IsNotExist(err) {
			fmt.Fprintln(stderr, "kiln-bench:", err)
			return 1
		}
		doc = harness.SpliceIncr(string(old), r)
	}
	if err := os.WriteFile(*out, []byte(doc), 0o644); err != nil {
		fmt.Fprintln(stderr, "kiln-bench:", err)
		return 1
	}
	fmt.Fprintf(stderr, "kiln-bench: wrote %s\n", *out)
	if len(r.Errors) > 0 {
		fmt.Fprintf(stderr, "kiln-bench: %d parts failed (see the report)\n", len(r.Errors))
		return 1
	}
	return 0
}

// Command kiln-bench-pg is the W1 benchmark on a PostgreSQL target: kiln
// build of W1 (bench/workload) in a database of a throwaway PostgreSQL
// server (internal/testenv/pgtest, started and stopped here) against the
// baseline that runs the same compiled statements (bench/baseline, in
// PostgreSQL's dialect) on one connection with pgx alone
// (bench/cmd/kiln-baseline -pg). Every run starts from a fresh copy of the
// sources' database (CREATE DATABASE ... TEMPLATE) and no target folder;
// the runs of the variants are interleaved. It writes its section of
// BENCHMARKS.md (between <!-- kiln-bench:postgres --> markers), keeping
// the rest.
//
//	go run ./bench/cmd/kiln-bench-pg                       # 1,000 models over sources of 10,000 rows, 3 runs
//	go run ./bench/cmd/kiln-bench-pg -models 100 -runs 1 -out /tmp/B.md
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter/postgres"
	"github.com/kiln-build/kiln/bench/baseline"
	"github.com/kiln-build/kiln/bench/harness"
	"github.com/kiln-build/kiln/bench/workload"
	"github.com/kiln-build/kiln/internal/testenv/pgtest"
)

// The section's markers in BENCHMARKS.md.
const (
	begin = "<!-- kiln-bench:postgres -->"
	end   = "<!-- /kiln-bench:postgres -->"
)

func main() {
	models := flag.Int("models", 1000, "W1's models")
	rows := flag.Int("rows", 10000, "rows of each of W1's 10 sources")
	runs := flag.Int("runs", 3, "runs of each variant")
	out := flag.String("out", "BENCHMARKS.md", "the report whose PostgreSQL section is replaced")
	work := flag.String("work", filepath.Join(os.TempDir(), "kiln-bench-pg"), "the working folder")
	flag.Parse()
	// The command as the report shows it: the flags set, but those that
	// only choose files and folders.
	var args []string
	flag.Visit(func(f *flag.Flag) {
		if f.Name != "out" && f.Name != "work" {
			args = append(args, "-"+f.Name, f.Value.String())
		}
	})
	if err := run(*models, *rows, *runs, *out, *work, args); err != nil {
		fmt.Fprintln(os.Stderr, "kiln-bench-pg:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
}

func run(models, rows, runs int, out, work string, args []string) error {
	start := time.Now()
	if err := os.RemoveAll(work); err != nil {
		return err
	}
	bin := filepath.Join(work, "bin")
	for _, prog := range []string{"kiln", "kiln-baseline"} {
		pkg := "./cmd/kiln"
		if prog == "kiln-baseline" {
			pkg = "./bench/cmd/kiln-baseline"
		}
		if b, err := exec.Command("go", "build", "-o", filepath.Join(bin, prog), pkg).CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	server, err := pgtest.NewServer()
	if err != nil {
		return err
	}
	defer server.Stop()
	var version string
	if b, err := exec.Command(filepath.Join(pgtest.BinDir(), "postgres"), "--version").Output(); err == nil {
		version = strings.TrimSpace(string(b))
	}
	logf("W1: %d models over sources of %d rows; PostgreSQL server in %s", models, rows, server.Dir)
	p, err := workload.W1(filepath.Join(work, "w1"), models, rows)
	if err != nil {
		return err
	}
	// The sources' database, copied for every run into w1 (the compiled
	// SQL names its database, so every run uses the same name).
	if err := server.Exec("postgres", "create database w1src"); err != nil {
		return err
	}
	if err := server.Exec("w1src", strings.Join(workload.W1PostgresSetup(rows), ";\n")); err != nil {
		return err
	}
	fresh := func() error {
		if err := server.Exec("postgres", "drop database if exists w1 with (force)"); err != nil {
			return err
		}
		return server.Exec("postgres", "create database w1 template w1src")
	}
	dsn := server.DSN("w1")
	if err := postgresTarget(p.Dir, server, "w1"); err != nil {
		return err
	}
	plan, err := baseline.CompileWith(postgres.Dialect{}, p.Dir, p.Vars, nil, nil)
	if err != nil {
		return err
	}
	planPath := filepath.Join(work, "plan.json")
	if err := plan.Write(planPath); err != nil {
		return err
	}
	base := &harness.Variant{Name: "baseline", Dir: work, Argv: []string{filepath.Join(bin, "kiln-baseline"), "-pg", dsn, "-plan", planPath},
		Display: "kiln-baseline -pg DSN -plan plan.json", Prepare: fresh}
	kiln := func(name string, args ...string) *harness.Variant {
		return &harness.Variant{Name: name, Dir: p.Dir, Argv: append([]string{filepath.Join(bin, "kiln"), "build"}, args...),
			Display: "kiln " + name, Prepare: func() error {
				if err := os.RemoveAll(filepath.Join(p.Dir, "target")); err != nil {
					return err
				}
				return fresh()
			}}
	}
	one, def := kiln("build --threads 1", "--threads", "1"), kiln("build")
	logf("%d statements in the baseline's plan; 3 variants x %d runs", len(plan.Stmts), runs)
	harness.Alternate(logf, runs, base, one, def)
	for _, v := range []*harness.Variant{base, one, def} {
		if v.Err != nil {
			return v.Err
		}
	}
	section := report(models, rows, runs, plan, base, one, def, version, time.Since(start), args)
	old, err := os.ReadFile(out)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := os.WriteFile(out, []byte(splice(string(old), section)), 0o644); err != nil {
		return err
	}
	logf("wrote %s", out)
	return nil
}

// postgresTarget points the project in dir at database db of server.
func postgresTarget(dir string, server *pgtest.Server, db string) error {
	file := filepath.Join(dir, "project.yml")
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "database-path:") {
			lines = append(lines, l)
		}
	}
	lines = append(lines, fmt.Sprintf("target:\n  type: postgres\n  host: %s\n  port: %d\n  user: %s\n  dbname: %s\n  sslmode: disable", server.Socket, server.Port, server.User, db))
	return os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644)
}

func report(models, rows, runs int, plan *baseline.Plan, base, one, def *harness.Variant, version string, took time.Duration, args []string) string {
	var b strings.Builder
	cmd := strings.TrimSpace("go run ./bench/cmd/kiln-bench-pg " + strings.Join(args, " "))
	fmt.Fprintf(&b, "%s\n## W1 on PostgreSQL (issue 16)\n\n", begin)
	fmt.Fprintf(&b, "Written by `%s` on %s (%s of measuring); do not edit: run the command again.\n", cmd, time.Now().UTC().Format("2006-01-02 15:04 UTC"), took.Round(time.Second))
	fmt.Fprintf(&b, "W1 with %d models and %d data tests over 10 sources of %d rows (%d statements in the baseline's plan), built in a database of a throwaway %s server on this machine (a unix socket; fsync off), %d logical cores, %s. ",
		models, plan.Tests, rows, len(plan.Stmts), version, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(&b, "The baseline (`kiln-baseline -pg`) runs the same compiled statements (the models' `create table ... as`, then each model's test queries, in kiln's `--threads 1` order) on one connection with pgx alone. Every run starts from a fresh copy of the sources' database and no `target/` folder; medians of %d interleaved runs.\n\n", runs)
	b.WriteString("| command | median | fastest - slowest | ratio to baseline | CPU (client) | peak RSS |\n|---|---:|---:|---:|---:|---:|\n")
	for _, v := range []*harness.Variant{base, one, def} {
		lo, hi := v.Spread()
		fmt.Fprintf(&b, "| %s | %.2f s | %.2f s - %.2f s | %.3fx | %.2f s | %d MB |\n", v.Display, v.Wall().Seconds(), lo.Seconds(), hi.Seconds(),
			v.Ratio(base), v.CPU().Seconds(), v.RSS()/1_000_000)
	}
	met := func(ok bool) string {
		if ok {
			return "**yes**"
		}
		return "**no**"
	}
	b.WriteString("\n| goal | target | measured | met |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| W1 on PostgreSQL, `--threads 1` | <= 1.1x baseline | %.3fx | %s |\n", one.Ratio(base), met(one.Ratio(base) <= 1.1))
	fmt.Fprintf(&b, "| W1 on PostgreSQL, default threads (4) | < 1x baseline | %.3fx | %s |\n", def.Ratio(base), met(def.Ratio(base) < 1))
	fmt.Fprintf(&b, "%s\n", end)
	return b.String()
}

// splice replaces the section between the markers in doc, or appends it.
func splice(doc, section string) string {
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		if doc != "" && !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		if doc != "" {
			doc += "\n"
		}
		return doc + section
	}
	return doc[:i] + section + strings.TrimPrefix(doc[j+len(end):], "\n")
}

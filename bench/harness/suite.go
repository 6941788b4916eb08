// Package harness runs kiln's benchmark suite (issue 6): it builds kiln and
// the baseline program, generates the workloads (bench/workload), times
// kiln's commands against the baseline on the same machine in interleaved
// runs, and writes BENCHMARKS.md from the measurements alone.
package harness

import (
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/kiln-build/kiln/bench/anomalies"
	"github.com/kiln-build/kiln/bench/workload"
)

// Config sets up a run of the suite.
type Config struct {
	Repo  string    // kiln's module root (the BottleNeck project too)
	Work  string    // scratch folder: binaries, projects, databases
	Cache string    // where W3's generated month is kept between runs
	Quick bool      // small workloads, for a smoke test
	Runs  int       // timed runs of each variant; 0: 5 (1 when Quick)
	Log   io.Writer // progress lines; nil: discarded
	// W3Products scales W3's month; 0: 1,000,000 (200 when Quick).
	W3Products int
	// Threads are the --threads values timed on each build; nil: 1, 2, 4.
	Threads []int
	// Only restricts the suite to some of "compile", "scale", "w1",
	// "w2", "w3", "docs", "anomaly", "incr"; nil runs all.
	Only []string
	// Compare, when set, is another kiln source tree (a patched copy):
	// its kiln is timed too, in the same interleaved runs, as "kiln*".
	Compare string
}

// Parts of the suite, for Config.Only.
var Parts = []string{"compile", "scale", "w1", "w2", "w3", "docs", "anomaly", "incr"}

// OnlySpliced reports whether only names parts that each replace their
// own section of the existing report ("scale", "anomaly"), the rest kept.
func OnlySpliced(only []string) bool {
	for _, p := range only {
		if p != "scale" && p != "anomaly" {
			return false
		}
	}
	return len(only) > 0
}

// OnlyAnomaly reports whether only stands for the anomaly part alone: it
// needs no binary, and its section replaces the one of the existing report.
func OnlyAnomaly(only []string) bool { return len(only) == 1 && only[0] == "anomaly" }

// OnlyIncr reports whether only stands for the incremental part alone:
// its section replaces the one of the existing report.
func OnlyIncr(only []string) bool { return len(only) == 1 && only[0] == "incr" }

// sizes are the workload sizes of a suite.
type sizes struct {
	w1      []int // W1 model counts
	w1Rows  int   // rows of each W1 source
	w2      int   // W2 model count of the build benchmark
	compile int   // W2 model count of the compile benchmark
	docs    int   // W1 model count of the docs benchmark
}

func (c *Config) sizes() sizes {
	if c.Quick {
		return sizes{w1: []int{20}, w1Rows: 1000, w2: 100, compile: 300, docs: 20}
	}
	return sizes{w1: []int{100, 1000}, w1Rows: workload.W1Rows, w2: 1000, compile: 10_000, docs: 1000}
}

func (c *Config) defaults() {
	if c.Runs == 0 {
		c.Runs = 5
		if c.Quick {
			c.Runs = 1
		}
	}
	if c.W3Products == 0 {
		c.W3Products = 1_000_000
		if c.Quick {
			c.W3Products = 200
		}
	}
	if c.Threads == nil {
		c.Threads = []int{1, 2, 4}
	}
	if c.Only == nil {
		c.Only = Parts
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// kilnBin is a kiln binary under test.
type kilnBin struct {
	label string // "kiln", or "kiln*" for Config.Compare's
	path  string
}

// suite is one run in progress.
type suite struct {
	cfg      Config
	kilns    []kilnBin // kiln first, then Compare's
	baseline string    // baseline binary
	floor    string    // kiln-xlsx-floor binary: the xlsx decoding floor
	report   *Report
}

// Run runs the suite and returns its report. A part that fails (a workload
// that cannot be generated, a baseline that errors) is reported in
// Report.Errors and the suite goes on; Run itself fails only when the
// binaries cannot be built.
func Run(cfg Config) (*Report, error) {
	cfg.defaults()
	s := &suite{cfg: cfg, report: &Report{Machine: Describe(cfg.Repo), Runs: cfg.Runs, Quick: cfg.Quick,
		Threads: cfg.Threads, Started: time.Now(), Compare: cfg.Compare}}
	if !OnlyAnomaly(cfg.Only) {
		if err := s.buildBinaries(); err != nil {
			return nil, err
		}
	}
	if err := s.emptyTrash(); err != nil {
		return nil, err
	}
	defer s.emptyTrash()
	sz := cfg.sizes()
	var steps []func() error
	if s.part("compile") {
		steps = append(steps, func() error { return s.compileBench(sz.compile) })
	}
	if s.part("scale") {
		steps = append(steps, s.scaleBench)
	}
	if s.part("w1") {
		for _, n := range sz.w1 {
			steps = append(steps, func() error { return s.w1(n, sz.w1Rows) })
		}
	}
	if s.part("w2") {
		steps = append(steps, func() error { return s.w2(sz.w2) })
	}
	if s.part("docs") {
		steps = append(steps, func() error { return s.docsBench(sz.docs) })
	}
	if s.part("w3") {
		// Copied now, with the kiln just built: the tree may change later.
		if w, err := s.w3Prepare(); err != nil {
			steps = append(steps, func() error { return err })
		} else {
			steps = append(steps, func() error { return s.w3(w) })
		}
	}
	if s.part("incr") {
		steps = append(steps, s.incr)
	}
	if s.part("anomaly") {
		steps = append(steps, func() error {
			s.logf("anomaly: the labelled histories, seed %d", anomalies.ReportSeed)
			s.report.Anomaly = anomalies.Measure(anomalies.ReportSeed, anomalies.ReportHistories)
			return nil
		})
	}
	for _, step := range steps {
		if err := step(); err != nil {
			s.logf("ERROR %v", err)
			s.report.Errors = append(s.report.Errors, err.Error())
		}
	}
	s.report.Elapsed = time.Since(s.report.Started)
	s.report.Machine.LoadEnd = LoadAverage()
	return s.report, nil
}

func (s *suite) part(name string) bool { return slices.Contains(s.cfg.Only, name) }

func (s *suite) logf(format string, args ...any) {
	fmt.Fprintf(s.cfg.Log, "kiln-bench: "+format+"\n", args...)
}

// buildBinaries compiles kiln and the baseline program into Work/bin, and
// Compare's kiln when set.
func (s *suite) buildBinaries() error {
	bin := filepath.Join(s.cfg.Work, "bin")
	s.baseline = filepath.Join(bin, "kiln-baseline")
	s.floor = filepath.Join(bin, "kiln-xlsx-floor")
	s.kilns = []kilnBin{{"kiln", filepath.Join(bin, "kiln")}}
	builds := [][3]string{{s.cfg.Repo, "./bench/cmd/kiln-baseline", s.baseline}, {s.cfg.Repo, "./cmd/kiln", s.kilns[0].path},
		{s.cfg.Repo, "./bench/cmd/kiln-xlsx-floor", s.floor}}
	if s.cfg.Compare != "" {
		s.kilns = append(s.kilns, kilnBin{"kiln*", filepath.Join(bin, "kiln-compare")})
		builds = append(builds, [3]string{s.cfg.Compare, "./cmd/kiln", s.kilns[1].path})
	}
	for _, b := range builds {
		s.logf("go build -o %s %s (in %s)", b[2], b[1], b[0])
		cmd := exec.Command("go", "build", "-o", b[2], b[1])
		cmd.Dir = b[0]
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s in %s: %w\n%s", b[1], b[0], err, out)
		}
	}
	return nil
}

// kilnVariant returns the variant running kiln binary k with args on p
// (with p's vars), in p.Dir; name is prefixed with k's label.
func kilnVariant(k kilnBin, name string, p *workload.Project, args ...string) *Variant {
	if p.Vars != nil {
		b, _ := json.Marshal(p.Vars)
		args = append(args, "--vars", string(b))
	}
	argv := append([]string{k.path}, args...)
	return &Variant{Name: k.label + " " + name, Dir: p.Dir, Argv: argv, Display: displayArgs(append([]string{"kiln"}, args...))}
}

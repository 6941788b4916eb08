package harness

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/kiln-build/kiln/bench/anomalies"
	"github.com/kiln-build/kiln/bench/baseline"
	"github.com/kiln-build/kiln/bench/workload"
)

// Report is everything a suite measured.
type Report struct {
	Machine Machine
	Command string // the harness's command line, for the report
	Runs    int
	Quick   bool
	Threads []int
	Started time.Time
	Elapsed time.Duration
	Compile *CompileResult
	// Scale is the compiler's curve over W2's size (issue 17).
	Scale  *ScaleResult
	Builds []*BuildResult
	Load   *LoadResult
	Docs   *DocsResult
	// Anomaly is the labelled benchmark of the deviation gates (issue 19).
	Anomaly *anomalies.Report
	// Incr is the incremental benchmark (issue 15).
	Incr *IncrResult
	// Compare is the other kiln tree timed as "kiln*", "" when none.
	Compare string
	// Errors are the parts of the suite that could not be measured.
	Errors []string
}

// CompileResult times kiln compile and kiln ls on W2.
type CompileResult struct {
	Models int
	// Cold compiles without a target folder, Warm over the previous
	// compile's (the usual case when working on a project).
	Cold, Warm, Ls *Variant
	Others         []*Variant // the same for Config.Compare's kiln
}

// BuildResult times the baseline and kiln build on one workload.
type BuildResult struct {
	Label    string // "w1-1000"
	Title    string
	Project  *workload.Project
	Plan     *baseline.Plan
	Baseline *Variant
	Kiln     map[int]*Variant // by --threads
	Compare  map[int]*Variant // Config.Compare's kiln, by --threads
}

// LoadResult times W3's Excel loading on its own.
type LoadResult struct {
	Variant   *Variant
	Others    []*Variant // Config.Compare's kiln
	Products  int
	Rows      int64          // rows loaded, from run_results.json
	NodeTime  time.Duration  // the source nodes' execution time, last run
	Sources   []LoadedSource // each source of the last run
	AllSheets bool           // sheet "*": every sheet of web.xlsx loaded
	Figures   string         // the month's reference figures (Markdown)
	// Web loads web.xlsx alone (WebOthers: Config.Compare's kiln), its
	// rows from Sources; FloorWeb and Floor decode web.xlsx, and the three
	// workbooks, into nothing (kiln-xlsx-floor): the floor under loading.
	Web       *Variant
	WebOthers []*Variant
	FloorWeb  *Variant
	Floor     *Variant
}

// WebRows returns the rows of web.xlsx, from the last load of every
// source; 0 when unknown.
func (l *LoadResult) WebRows() int64 {
	for _, s := range l.Sources {
		if strings.HasSuffix(s.ID, ".web") {
			return s.Rows
		}
	}
	return 0
}

// rowsPerSecond returns rows over v's median time, 0 without a sample.
func rowsPerSecond(rows int64, v *Variant) float64 {
	if v == nil || len(v.Samples) == 0 {
		return 0
	}
	return float64(rows) / v.Wall().Seconds()
}

// LoadedSource is one source node of a load, from run_results.json.
type LoadedSource struct {
	ID   string
	Rows int64
	Time time.Duration
}

// RowsPerSecond is the loading throughput over the command's median time.
func (l *LoadResult) RowsPerSecond() float64 { return float64(l.Rows) / l.Variant.Wall().Seconds() }

// build returns the build with the label, or with the prefix and the most
// models when label ends with "*".
func (r *Report) build(label string) *BuildResult {
	var found *BuildResult
	for _, b := range r.Builds {
		if b.Label == label || strings.HasSuffix(label, "*") && strings.HasPrefix(b.Label, strings.TrimSuffix(label, "*")) &&
			(found == nil || b.Plan.Models > found.Plan.Models) {
			found = b
		}
	}
	return found
}

// Goal is one of issue 6's goals with its verdict.
type Goal struct {
	What, Target, Measured string
	Met                    bool
}

// Goals evaluates the goals on the measurements (on the sizes measured: in
// quick mode they are smaller than the goals').
func (r *Report) Goals() []Goal {
	var gs []Goal
	if c := r.Compile; c != nil {
		for _, v := range []*Variant{c.Cold, c.Warm, c.Ls} {
			w, rss := v.Wall(), v.RSS()
			gs = append(gs, Goal{fmt.Sprintf("%s, W2 %s models", v.Name, count(c.Models)), "< 1 s and < 300 MB",
				orFailed(v, fmt.Sprintf("%s, %s", secs(w), mb(rss))), v.Err == nil && w < time.Second && rss < 300e6})
		}
	}
	ratio := func(what string, b *BuildResult, threads int, target string, ok func(float64) bool) {
		if b == nil || b.Kiln[threads] == nil {
			return
		}
		k := b.Kiln[threads]
		x, px := k.Ratio(b.Baseline), k.PairedRatio(b.Baseline)
		gs = append(gs, Goal{fmt.Sprintf("%s %s models, `--threads %d`", what, count(b.Plan.Models), threads), target,
			orFailed(k, fmt.Sprintf("%.3fx (%s vs %s; paired %s)", x, secs(k.Wall()), secs(b.Baseline.Wall()), pairedCell(k, b.Baseline))), k.Err == nil && ok(x) && ok(px)})
	}
	if d := r.Docs; d != nil {
		v := d.Docs
		gs = append(gs, Goal{fmt.Sprintf("kiln docs generate, W1 %s models (issue 5)", count(d.Models)), "< 2 s",
			orFailed(v, secs(v.Wall())), v.Err == nil && v.Wall() < 2*time.Second})
	}
	w1, w2, w3 := r.build("w1-*"), r.build("w2-*"), r.build("w3")
	ratio("W1", w1, 1, "<= 1.05x baseline", func(x float64) bool { return x <= 1.05 })
	ratio("W1", w1, 2, "< 1x baseline", func(x float64) bool { return x < 1 })
	ratio("W2", w2, 1, "<= 1.2x baseline", func(x float64) bool { return x <= 1.2 })
	ratio("W2", w2, 2, "<= 1.3x baseline", func(x float64) bool { return x <= 1.3 })
	ratio("W3 (models and tests)", w3, 1, "<= 1.05x baseline", func(x float64) bool { return x <= 1.05 })
	ratio("W3 (models and tests)", w3, 2, "<= 1.05x baseline", func(x float64) bool { return x <= 1.05 })
	return gs
}

// ThreadsChoice returns, for each --threads value, the geometric mean over
// the builds of kiln's time relative to the baseline (+Inf when a build
// failed), and the value with the least (0 when all failed).
func (r *Report) ThreadsChoice() (means map[int]float64, best int) {
	means = map[int]float64{}
	for _, t := range r.Threads {
		sum, n := 0.0, 0
		for _, b := range r.Builds {
			if v := b.Kiln[t]; v != nil {
				sum += math.Log(ratioOrInf(v, b.Baseline))
				n++
			}
		}
		if n > 0 {
			means[t] = math.Exp(sum / float64(n))
			if !math.IsInf(means[t], 1) && (best == 0 || means[t] < means[best]) {
				best = t
			}
		}
	}
	return means, best
}

func ratioOrInf(v, base *Variant) float64 {
	if v.Err != nil {
		return math.Inf(1)
	}
	return v.Ratio(base)
}

// orFailed returns s, or a short account of v's failure.
func orFailed(v *Variant, s string) string {
	if v.Err == nil {
		return s
	}
	msg, _, _ := strings.Cut(v.Err.Error(), "\n")
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	return "failed: " + strings.ReplaceAll(msg, "|", "\\|")
}

// ratio formats x as "1.234x", "failed" for +Inf or NaN.
func ratio(x float64) string {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return "failed"
	}
	return fmt.Sprintf("%.3fx", x)
}

func secs(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.3f s", d.Seconds())
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func mb(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/1e6) }

// count writes n with thousands separators: 10,000.
func count[T int | int64](n T) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func yesNo(ok bool) string {
	if ok {
		return "**yes**"
	}
	return "**no**"
}

// displayArgs joins args for a shell, single-quoting those that need it.
func displayArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " '\"{}*$\\|&;<>()") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

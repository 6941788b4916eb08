package harness

import (
	"bytes"
	"fmt"
	"math"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Sample is one timed run of a command.
type Sample struct {
	Wall   time.Duration // elapsed real time
	CPU    time.Duration // user + system time of the process
	MaxRSS int64         // peak resident set size, bytes
}

// Variant is one command timed several times: a kiln command or the
// baseline on a workload.
type Variant struct {
	Name    string   // short label: "baseline", "kiln --threads 2"
	Dir     string   // working directory
	Argv    []string // program and arguments
	Display string   // the command as the report shows it
	// Prepare restores the starting state (a fresh database, no target
	// folder); it is not timed.
	Prepare func() error
	Samples []Sample
	// Err is the failure that stopped the variant: it is not run again.
	Err error
}

// run prepares and runs v once, appending the sample. A non-zero exit is an
// error carrying the end of stderr; it is also kept in v.Err.
func (v *Variant) run() (err error) {
	defer func() { v.Err = err }()
	if v.Prepare != nil {
		if err := v.Prepare(); err != nil {
			return fmt.Errorf("%s: prepare: %w", v.Name, err)
		}
	}
	s, err := v.measure()
	if err != nil {
		return err
	}
	v.Samples = append(v.Samples, s)
	return nil
}

// measure runs v's command once, without Prepare.
func (v *Variant) measure() (Sample, error) {
	cmd := exec.Command(v.Argv[0], v.Argv[1:]...)
	cmd.Dir = v.Dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return Sample{}, fmt.Errorf("%s: %w: %s", v.Name, err, lastLines(stderr.String(), 4))
	}
	s := Sample{Wall: wall}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.MaxRSS = ru.Maxrss * 1024 // kilobytes on Linux
		s.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return s, nil
}

// lastLines returns the last n non-blank lines of s, trimmed and joined
// with " / ".
func lastLines(s string, n int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out[max(0, len(out)-n):], " / ")
}

// Alternate runs every variant runs times, interleaved so that they share
// the machine's noise: round r starts with variant r mod len(vs). A variant
// that fails is not run again; its Err says why, and log gets a line.
func Alternate(log func(string, ...any), runs int, vs ...*Variant) {
	for r := range runs {
		for j := range vs {
			v := vs[(r+j)%len(vs)]
			if v.Err != nil {
				continue
			}
			if err := v.run(); err != nil {
				log("FAILED %v", err)
			}
		}
	}
	for _, v := range vs {
		if len(v.Samples) > 0 {
			log("  %-40s median %s over %d runs", v.Name, v.Wall().Round(time.Millisecond), len(v.Samples))
		}
	}
}

// Wall returns the median wall time.
func (v *Variant) Wall() time.Duration {
	return time.Duration(median(v.Samples, func(s Sample) int64 { return int64(s.Wall) }))
}

// RSS returns the median peak RSS in bytes.
func (v *Variant) RSS() int64 { return median(v.Samples, func(s Sample) int64 { return s.MaxRSS }) }

// CPU returns the median CPU time.
func (v *Variant) CPU() time.Duration {
	return time.Duration(median(v.Samples, func(s Sample) int64 { return int64(s.CPU) }))
}

// Spread returns the fastest and the slowest wall times.
func (v *Variant) Spread() (lo, hi time.Duration) {
	for i, s := range v.Samples {
		if i == 0 || s.Wall < lo {
			lo = s.Wall
		}
		hi = max(hi, s.Wall)
	}
	return lo, hi
}

// Ratio returns v's median wall time over base's, NaN when one of them
// has no sample.
func (v *Variant) Ratio(base *Variant) float64 {
	if len(v.Samples) == 0 || len(base.Samples) == 0 {
		return math.NaN()
	}
	return float64(v.Wall()) / float64(base.Wall())
}

// PairedRatio returns the median, over the rounds of Alternate, of v's
// wall time over base's in the same round (sample i of each is round i's
// while neither failed): a round's runs share the machine's noise, so on
// a host whose load drifts it is steadier than Ratio. NaN without a
// common round.
func (v *Variant) PairedRatio(base *Variant) float64 {
	rs := v.pairedRatios(base)
	n := len(rs)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return rs[n/2]
	}
	return (rs[n/2-1] + rs[n/2]) / 2
}

// pairedRatios returns the rounds' ratios of v's wall time over base's,
// sorted.
func (v *Variant) pairedRatios(base *Variant) []float64 {
	n := min(len(v.Samples), len(base.Samples))
	rs := make([]float64, n)
	for i := range n {
		rs[i] = float64(v.Samples[i].Wall) / float64(base.Samples[i].Wall)
	}
	slices.Sort(rs)
	return rs
}

// PairedInterval returns a confidence interval, at confidence at least
// level (0.95 for 95 %), for the median of the rounds' ratios that
// PairedRatio estimates, and the interval's actual confidence. It is the
// distribution-free interval of order statistics (the sign test's
// interval for a median: W. J. Conover, Practical Nonparametric
// Statistics, 3rd ed., 1999, section 3.2): with the n ratios sorted, the
// interval runs from the k-th to the (n+1-k)-th, k the largest whose
// P(Binomial(n, 1/2) < k) <= (1-level)/2. It assumes only that the rounds
// are independent draws of one distribution. NaNs when n is too small
// for level (n < 6 at 95 %).
func (v *Variant) PairedInterval(base *Variant, level float64) (lo, hi, conf float64) {
	rs := v.pairedRatios(base)
	k := medianRank(len(rs), level)
	if k == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	return rs[k-1], rs[len(rs)-k], 1 - 2*binomialBelow(len(rs), k)
}

// medianRank returns the largest k >= 1 with P(Binomial(n, 1/2) < k) <=
// (1-level)/2, 0 when there is none.
func medianRank(n int, level float64) int {
	k := 0
	for j := 1; j <= n/2; j++ {
		if binomialBelow(n, j) > (1-level)/2 {
			break
		}
		k = j
	}
	return k
}

// binomialBelow returns P(Binomial(n, 1/2) < k).
func binomialBelow(n, k int) float64 {
	p, c := 0.0, 1.0 // c = n choose i
	for i := 0; i < k; i++ {
		p += c
		c = c * float64(n-i) / float64(i+1)
	}
	return p / math.Pow(2, float64(n))
}

// median returns the median of f over samples (the mean of the two middle
// values for an even count), 0 for none.
func median(samples []Sample, f func(Sample) int64) int64 {
	if len(samples) == 0 {
		return 0
	}
	xs := make([]int64, len(samples))
	for i, s := range samples {
		xs[i] = f(s)
	}
	slices.Sort(xs)
	m := len(xs) / 2
	if len(xs)%2 == 1 {
		return xs[m]
	}
	return (xs[m-1] + xs[m]) / 2
}

package harness

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/bench/baseline"
)

func variant(name string, walls ...time.Duration) *Variant {
	v := &Variant{Name: name}
	for _, w := range walls {
		v.Samples = append(v.Samples, Sample{Wall: w})
	}
	return v
}

func TestMedianAndRatio(t *testing.T) {
	s := time.Second
	base := variant("baseline", 3*s, 1*s, 2*s)
	k := variant("kiln", 4*s, 2*s, 5*s, 3*s)
	if base.Wall() != 2*s || k.Wall() != 3500*time.Millisecond {
		t.Errorf("medians %s and %s", base.Wall(), k.Wall())
	}
	if r := k.Ratio(base); r != 1.75 {
		t.Errorf("ratio %v", r)
	}
	if lo, hi := k.Spread(); lo != 2*s || hi != 5*s {
		t.Errorf("spread %s - %s", lo, hi)
	}
	if r := variant("none").Ratio(base); !math.IsNaN(r) {
		t.Errorf("ratio without samples %v", r)
	}
}

// TestPairedInterval: the order-statistics interval of the median ratio
// (Conover 3.2), checked against the binomial probabilities worked by
// hand: 15 rounds give the 4th and 12th ratios at 1 - 2*576/32768 =
// 96.48 %; 9 rounds the 2nd and 8th at 1 - 2*10/512; 6 rounds the
// extremes at 1 - 2/64; 5 rounds are too few for 95 %.
func TestPairedInterval(t *testing.T) {
	ms := time.Millisecond
	rounds := func(n int) (*Variant, *Variant) {
		k, base := &Variant{Name: "kiln"}, &Variant{Name: "baseline"}
		for i := range n {
			// Ratios 1.00, 1.01, ... in the order 7, 0, 14, 3, ...: not sorted.
			j := (i * 7) % n
			base.Samples = append(base.Samples, Sample{Wall: 1000 * ms})
			k.Samples = append(k.Samples, Sample{Wall: time.Duration(1000+10*j) * ms})
		}
		return k, base
	}
	for _, c := range []struct {
		n            int
		lo, hi, conf float64
	}{
		{15, 1.03, 1.11, 1 - 2*576.0/32768},
		{9, 1.01, 1.07, 1 - 2*10.0/512},
		{6, 1.00, 1.05, 1 - 2.0/64},
	} {
		k, base := rounds(c.n)
		lo, hi, conf := k.PairedInterval(base, 0.95)
		if math.Abs(lo-c.lo) > 1e-9 || math.Abs(hi-c.hi) > 1e-9 || math.Abs(conf-c.conf) > 1e-9 {
			t.Errorf("%d rounds: interval %.3f-%.3f at %.4f, want %.3f-%.3f at %.4f", c.n, lo, hi, conf, c.lo, c.hi, c.conf)
		}
	}
	k, base := rounds(5)
	if lo, hi, _ := k.PairedInterval(base, 0.95); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("5 rounds: interval %v-%v, want none at 95 %%", lo, hi)
	}
	k, base = rounds(9)
	if got := pairedCell(k, base); got != "1.040x (1.010-1.070)" {
		t.Errorf("cell %q", got)
	}
}

// TestPairedRatio: the median of the rounds' ratios, not the ratio of the
// medians: a round where the host slowed both commands counts as one
// round's ratio.
func TestPairedRatio(t *testing.T) {
	s := time.Second
	base := variant("baseline", 2*s, 10*s, 3*s)
	k := variant("kiln", 3*s, 11*s, 3*s, 7*s)
	// Rounds: 1.5, 1.1, 1.0 (the fourth has no baseline): median 1.1,
	// where the medians' ratio is 5 s / 3 s.
	if r := k.PairedRatio(base); math.Abs(r-1.1) > 1e-9 {
		t.Errorf("paired ratio %v, want 1.1", r)
	}
	if r := k.Ratio(base); math.Abs(r-5.0/3) > 1e-9 {
		t.Errorf("ratio %v, want 5/3", r)
	}
	if r := variant("two", 4*s, 2*s).PairedRatio(variant("b", 2*s, 2*s)); r != 1.5 {
		t.Errorf("paired ratio of two rounds %v, want 1.5 (the mean of 2 and 1)", r)
	}
	if r := variant("none").PairedRatio(base); !math.IsNaN(r) {
		t.Errorf("paired ratio without samples %v", r)
	}
}

func TestGoalsAndThreads(t *testing.T) {
	s := time.Second
	build := func(label string, base time.Duration, t1, t2 time.Duration) *BuildResult {
		models := map[string]int{"w1-100": 100}[label]
		if models == 0 {
			models = 1000
		}
		return &BuildResult{Label: label, Plan: &baseline.Plan{Models: models}, Baseline: variant("baseline", base),
			Kiln: map[int]*Variant{1: variant("t1", t1), 2: variant("t2", t2)}}
	}
	r := &Report{Threads: []int{1, 2}, Builds: []*BuildResult{
		build("w1-100", 10*s, 11*s, 9*s), build("w1-1000", 100*s, 104*s, 90*s), build("w2-1000", 10*s, 14*s, 12*s),
	}}
	r.Builds[2].Kiln[2].Err = errors.New("boom")

	met := map[string]bool{}
	for _, g := range r.Goals() {
		met[g.What] = g.Met
	}
	want := map[string]bool{
		"W1 1,000 models, `--threads 1`": true, "W1 1,000 models, `--threads 2`": true,
		"W2 1,000 models, `--threads 1`": false, "W2 1,000 models, `--threads 2`": false,
	}
	for what, ok := range want {
		if got, found := met[what]; !found || got != ok {
			t.Errorf("%s: met %v (found %v), want %v", what, got, found, ok)
		}
	}
	// Medians 1.0x, but two rounds of three at 1.2x or worse (the
	// baseline ran fast when kiln did not): not met.
	paired := &Report{Threads: []int{1}, Builds: []*BuildResult{build("w1-1000", 0, 0, 0)}}
	paired.Builds[0].Baseline = variant("baseline", 10*s, 8*s, 12*s)
	paired.Builds[0].Kiln = map[int]*Variant{1: variant("t1", 12*s, 10*s, 8*s)}
	if g := paired.Goals(); len(g) != 1 || g[0].Met || !strings.Contains(g[0].Measured, "1.000x") || !strings.Contains(g[0].Measured, "paired 1.200x") {
		t.Errorf("goals %+v: the paired ratio (1.2x) misses the goal", g)
	}
	means, best := r.ThreadsChoice()
	if best != 1 || !math.IsInf(means[2], 1) {
		t.Errorf("best %d, means %v: a failed build disqualifies --threads 2", best, means)
	}
}

func TestFormatting(t *testing.T) {
	if got := count(1234567); got != "1,234,567" {
		t.Errorf("count: %s", got)
	}
	if got := count(-1000); got != "-1,000" {
		t.Errorf("count: %s", got)
	}
	got := displayArgs([]string{"kiln", "build", "--select", "source:*", "--vars", `{"a":1}`, "it's"})
	if want := `kiln build --select 'source:*' --vars '{"a":1}' 'it'\''s'`; got != want {
		t.Errorf("displayArgs:\n got %s\nwant %s", got, want)
	}
	if got := lastLines("a\n\n b \nc\nd\n", 2); got != "c / d" {
		t.Errorf("lastLines: %q", got)
	}
	if !strings.HasPrefix(orFailed(&Variant{Err: errors.New("x | y\nmore")}, ""), `failed: x \| y`) {
		t.Error("orFailed does not escape table pipes or cut at the line")
	}
}

// SpliceScale replaces the scale section and keeps the rest byte for
// byte; a report without one gets it before the anomaly section.
func TestSpliceScale(t *testing.T) {
	section := ScaleBegin + "\nnew\n" + ScaleEnd + "\n"
	doc := "# B\n\n" + ScaleBegin + "\nold\n" + ScaleEnd + "\n\n## After\n"
	if got, want := SpliceScale(doc, section), "# B\n\n"+section+"\n## After\n"; got != want {
		t.Errorf("replaced:\n%q\nwant\n%q", got, want)
	}
	doc = "# B\n\n<!-- kiln-bench:anomaly -->\nA\n<!-- /kiln-bench:anomaly -->\n"
	if got, want := SpliceScale(doc, section), "# B\n\n"+section+"\n<!-- kiln-bench:anomaly -->\nA\n<!-- /kiln-bench:anomaly -->\n"; got != want {
		t.Errorf("inserted:\n%q\nwant\n%q", got, want)
	}
}

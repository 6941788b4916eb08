package anomalies

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/kiln-build/kiln/internal/anomaly"
)

// The seeds of the benchmark: kiln's defaults were chosen on the tuning
// seeds' histories; the report and the test suite's floors use the
// report seed's, which were not looked at before the defaults were set.
var (
	TuningSeeds = []uint64{1, 3}
	ReportSeed  = uint64(19)
)

// ReportHistories is the number of histories of the report.
const ReportHistories = 600

// The floors the test suite asserts on the report histories (issue 19).
const (
	MinRecall     = 0.90
	MaxFalseAlarm = 0.01 // per normal run
)

// KilnGate is kiln's gates with the defaults a project gets when it
// declares them without options.
func KilnGate() Kiln {
	return Kiln{Volume: anomaly.DefaultsFor(anomaly.Volume), Metric: anomaly.DefaultsFor(anomaly.Metric),
		Segment: anomaly.DefaultsFor(anomaly.Dimension), Rates: anomaly.DefaultsFor(anomaly.Rate), Freshness: anomaly.DefaultFreshness}
}

// Gates are the gates the report compares, kiln's first.
func Gates() []Gate {
	figures := KilnGate()
	figures.FiguresOnly = true
	return []Gate{KilnGate(), figures, ZScore{Threshold: 3, Months: 36}, Fixed{MaxDrop: 10, MaxRise: 25, MaxChange: 15}}
}

// Report is the outcome of the gates on a seed's histories.
type Report struct {
	Seed      uint64
	Histories []History
	Scores    []Score // in the order of Gates
}

// Measure generates n histories from seed and scores every gate on them,
// one goroutine per gate.
func Measure(seed uint64, n int) *Report {
	r := &Report{Seed: seed, Histories: Generate(seed, n)}
	gates := Gates()
	r.Scores = make([]Score, len(gates))
	var wg sync.WaitGroup
	for i, g := range gates {
		wg.Go(func() { r.Scores[i] = Evaluate(g, r.Histories) })
	}
	wg.Wait()
	return r
}

// Begin and End delimit the report's section in BENCHMARKS.md, so that a
// run of this part alone replaces it and keeps the rest.
const (
	Begin = "<!-- kiln-bench:anomaly -->"
	End   = "<!-- /kiln-bench:anomaly -->"
)

// Markdown renders the report as a section of BENCHMARKS.md, between Begin
// and End; command is the command line that produced it.
func (r *Report) Markdown(command string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	months, shortest, longest := 0, 1<<30, 0
	for _, h := range r.Histories {
		months += len(h.Runs)
		shortest, longest = min(shortest, len(h.Runs)), max(longest, len(h.Runs))
	}
	k := r.Scores[0]
	p("%s", Begin)
	p("## Deviation gates (issue 19)")
	p("")
	p("Written by `%s`: the labelled histories of `bench/anomalies`, seed %d (kiln's defaults were chosen on seeds %s, never on this one). %s histories of %d to %d months, %s months in all; %s anomalous runs and %s normal runs scored for kiln, %s of them inside a slow drift.",
		command, r.Seed, seedList(TuningSeeds), count(len(r.Histories)), shortest, longest, count(months), count(k.Anomalies.Runs), count(k.Normal.Runs), count(k.Drifting.Runs))
	p("Every run after the first %d months of a history is scored. A gate that fails an anomalous run sees the month run again with its correct data (a normal run, scored too); a normal run it fails is accepted (`--accept-deviations`); an anomaly it misses is accepted and stays in the history it learns from.", Warmup)
	p("")
	p("| gate | recall | false alarms per 100 normal runs | of which in slow drifts (per 100 drifting runs) |")
	p("|---|---:|---:|---:|")
	for _, s := range r.Scores {
		p("| %s | %s (%s of %s) | %.2f (%s of %s) | %.2f (%s of %s) |", s.Gate, pct(s.Anomalies.Rate()), count(s.Anomalies.Failed), count(s.Anomalies.Runs),
			100*s.Normal.Rate(), count(s.Normal.Failed), count(s.Normal.Runs), 100*s.Drifting.Rate(), count(s.Drifting.Failed), count(s.Drifting.Runs))
	}
	p("")
	p("Recall by anomaly:")
	p("")
	head, sep := "| anomaly | runs |", "|---|---:|"
	for _, s := range r.Scores {
		head += " " + s.Gate + " |"
		sep += "---:|"
	}
	p("%s\n%s", head, sep)
	for _, l := range Labels {
		row := fmt.Sprintf("| %s | %s |", describe[l], count(k.ByLabel[l].Runs))
		for _, s := range r.Scores {
			row += " " + pct(s.ByLabel[l].Rate()) + " |"
		}
		p("%s", row)
	}
	p("")
	p("False alarms of kiln per 100 normal runs, by history length: %s. Checks that raised them (a run may count under several): %s.", byLength(k), falseBy(k))
	p("")
	p("- **The histories**: %d to %d months (%s, equally likely), from 30 to 2,000,000 rows a month (log-uniform) with Poisson noise and month-to-month noise of 0.5%%, 2%%, 5%% or 10%%; half with a trend (-1%% to +1.5%% a month); 60%% seasonal (amplitude 5%% to 50%%, a smooth yearly swing or sharp months such as a December peak); a quarter drift for 6 to 18 months at 2%% to 4%% a month, up or down (normal runs: no anomaly); a revenue of rows x a price with its own noise, trend and season; 3 to 7 product families; null and zero rates of a column; a new input file each month.", shortest, longest, lengths())
	p("- **The anomalies**, one month in ten after the first %d: %s.", Warmup, anomalyList())
	p("- **kiln**: the anomaly tests a project declares, every option at its default (`anomaly.DefaultsFor`): `volume_anomalies` on the rows, `metric_anomalies` on the revenue, `dimension_anomalies` on the families (one check, the tail probability shared by the families), `column_anomalies` (`null_percent`, `zero_percent`), `schema_changes` and `input_freshness`. **kiln, figures only** leaves out `schema_changes` and `input_freshness`, to show what the method alone finds. **z >= 3**: the mean and sample standard deviation of the last 36 accepted months on the same figures (from 3 months on), as a z-score anomaly test computes them. **fixed %%**: today's `volume_change` (-10%% / +25%%) and `metric_change` (±15%%) against the last accepted run, BottleNeck's thresholds.")
	p("- `go test ./bench/anomalies` asserts kiln's floors on these histories: a recall of at least %.0f%% and at most %.0f false alarm per 100 normal runs.", 100*MinRecall, 100*MaxFalseAlarm)
	p("%s", End)
	return b.String()
}

var describe = map[Label]string{
	Drop:         "drop (30% to 90% of the rows lost)",
	SpikeUp:      "spike (rows x1.5 to x4)",
	MissingMonth: "missing month (last month's file again, or an empty export)",
	LoadedTwice:  "month loaded twice",
	Renamed:      "renamed column",
	Retyped:      "retyped column",
	SegmentLost:  "a product family lost",
	RateJump:     "null or zero rate up 10 to 40 points",
}

func anomalyList() string {
	var parts []string
	for _, l := range Labels {
		parts = append(parts, describe[l])
	}
	return strings.Join(parts, ", ")
}

func lengths() string {
	var parts []string
	for _, n := range Lengths {
		parts = append(parts, fmt.Sprint(n))
	}
	return strings.Join(parts, ", ")
}

func byLength(s Score) string {
	var ks []int
	for k := range s.ByLength {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%d months %.2f", k, 100*s.ByLength[k].Rate()))
	}
	return strings.Join(parts, ", ")
}

func falseBy(s Score) string {
	groups := map[string]int{}
	for check, n := range s.FalseBy {
		if strings.HasPrefix(check, "rows of ") {
			check = "rows of a family"
		}
		groups[check] += n
	}
	var ks []string
	for k := range groups {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		return groups[ks[i]] > groups[ks[j]] || (groups[ks[i]] == groups[ks[j]] && ks[i] < ks[j])
	})
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s %d", k, groups[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func seedList(seeds []uint64) string {
	var parts []string
	for _, s := range seeds {
		parts = append(parts, fmt.Sprint(s))
	}
	return strings.Join(parts, " and ")
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

// count writes n with thousands separated by commas.
func count(n int) string { return anomaly.Num(float64(n)) }

// Splice returns doc with its section between Begin and End replaced by
// section (which holds its own markers), or with section appended when
// doc has none.
func Splice(doc, section string) string {
	i := strings.Index(doc, Begin)
	j := strings.Index(doc, End)
	if i < 0 || j < i {
		if doc != "" && !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		if doc != "" {
			doc += "\n"
		}
		return doc + section
	}
	rest := doc[j+len(End):]
	rest = strings.TrimPrefix(rest, "\n")
	return doc[:i] + section + rest
}

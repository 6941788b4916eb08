package anomaly

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// start is the first month of the test histories, 2022-01.
var start = Month(2022*12 + 0)

// series returns the accepted months start, start+1, ... with values vs.
func series(vs ...float64) []Point {
	pts := make([]Point, len(vs))
	for i, v := range vs {
		pts[i] = Point{Month: start + Month(i), Value: v}
	}
	return pts
}

// noisy returns n months around level with lognormal noise of cv.
func noisy(seed uint64, n int, level, cv float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = math.Round(level * math.Exp(cv*r.NormFloat64()))
	}
	return vs
}

func next(h []Point) Month { return h[len(h)-1].Month + 1 }

// anchor returns r's anchor of kind k; the zero Anchor when it has none.
func anchor(r Result, k AnchorKind) Anchor {
	for _, a := range r.Anchors {
		if a.Kind == k {
			return a
		}
	}
	return Anchor{}
}

// TestStableHistoryTinyChange is Elementary's first failure: on a very
// stable history, 100,000 -> 99,995 rows scores far beyond any threshold,
// and the change floors keep it quiet.
func TestStableHistoryTinyChange(t *testing.T) {
	h := series(100000, 100000, 100001, 100000, 100000, 99999, 100000, 100000, 100002, 100000, 100000, 100000)
	r := Detect(h, next(h), 99995, DefaultsFor(Volume))
	if r.Verdict != Pass {
		t.Fatalf("verdict %s: %s", r.Verdict, r.Summary())
	}
	if !r.ScoreBeyond || anchor(r, FromExpected).Beyond || anchor(r, FromLast).Beyond {
		t.Errorf("want only the score rule broken: score %v, anchors %+v", r.Score, r.Anchors)
	}
	if !strings.Contains(r.Summary(), "within ±25% and ±10") {
		t.Errorf("the summary does not say which rule held: %s", r.Summary())
	}
}

// TestNoisyHistoryDropToZero is Elementary's second failure: a drop to 0
// on a noisy history whose training held an earlier outlier (z = -1.4
// there). The median and the MAD ignore the outlier.
func TestNoisyHistoryDropToZero(t *testing.T) {
	vs := noisy(7, 18, 1000, 0.15)
	vs[9] = 6000 // a spike accepted in the past
	h := series(vs...)
	r := Detect(h, next(h), 0, DefaultsFor(Volume))
	if r.Verdict != Anomaly {
		t.Fatalf("a drop to 0 passed: %s", r.Summary())
	}
	if !r.allBeyond() || !math.IsInf(r.Score, -1) {
		t.Errorf("anchors %+v, score %v", r.Anchors, r.Score)
	}
	// The mean and standard deviation would not have seen it.
	var sum, sq float64
	for _, v := range vs {
		sum += v
	}
	mean := sum / float64(len(vs))
	for _, v := range vs {
		sq += (v - mean) * (v - mean)
	}
	if z := (0 - mean) / math.Sqrt(sq/float64(len(vs)-1)); z < -3 {
		t.Fatalf("the fixture does not reproduce the z-score's miss: z = %.2f", z)
	}
}

func TestColdStart(t *testing.T) {
	h := series(1000, 1010, 990)
	r := Detect(h, next(h), 0, DefaultsFor(Volume))
	if r.Verdict != ColdStart || r.Needed != 3 {
		t.Fatalf("verdict %s, needed %d", r.Verdict, r.Needed)
	}
	want := "cold start: 3 accepted months of the 6 the gate needs (3 more); it warns and does not fail; 0 is -100.0% from the median 1,000 and -100.0% from 2022-03 (990): beyond ±25% and ±10, it would be an anomaly"
	if r.Summary() != want {
		t.Errorf("summary\n%s\nwant\n%s", r.Summary(), want)
	}
	r = Detect(nil, start, 5, DefaultsFor(Volume))
	if r.Verdict != ColdStart || r.Needed != 6 || !strings.HasSuffix(r.Summary(), "5 is the first value") {
		t.Errorf("no history: %s %d %q", r.Verdict, r.Needed, r.Summary())
	}
	r = Detect(h, next(h), 1005, DefaultsFor(Volume))
	if r.Verdict != ColdStart || strings.Contains(r.Summary(), "would be") {
		t.Errorf("a normal value in the cold start: %s", r.Summary())
	}
}

// TestLoadedTwice: a month loaded twice on a history with 5% noise.
func TestLoadedTwice(t *testing.T) {
	h := series(noisy(3, 24, 5000, 0.05)...)
	r := Detect(h, next(h), 2*h[len(h)-1].Value, DefaultsFor(Volume))
	if r.Verdict != Anomaly || r.Reference != Level {
		t.Fatalf("%s", r.Summary())
	}
	if r.N != 24 || len(r.Points) != 24 {
		t.Errorf("N %d, points %d", r.N, len(r.Points))
	}
	if !(r.Upper < 2*r.Expected) || !(r.Lower > 0.5*r.Expected) {
		t.Errorf("band %s around %v", r.Band(), r.Expected)
	}
	lines := r.Explain()
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "spread: 1.4826 x the median absolute deviation of the logarithms of 24 months") ||
		!strings.HasPrefix(lines[2], "accepted months: 2022-01 ") {
		t.Errorf("explanation:\n%s", strings.Join(lines, "\n"))
	}
	// A normal month passes, and says which rule held it.
	r = Detect(h, next(h), h[len(h)-1].Value*1.03, DefaultsFor(Volume))
	if r.Verdict != Pass || r.ScoreBeyond {
		t.Errorf("a normal month: %s", r.Summary())
	}
}

// TestSeasonal: a December peak twice the other months is no anomaly once
// a year of history shows it, and a December at the level of the other
// months is one.
func TestSeasonal(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 1))
	var vs []float64
	for i := range 35 { // 2022-01 .. 2024-11
		v := 1000 * math.Exp(0.02*r.NormFloat64()) * math.Pow(1.01, float64(i))
		if (start + Month(i)).Of() == 12 {
			v *= 2
		}
		vs = append(vs, math.Round(v))
	}
	h := series(vs...)
	dec := next(h)
	if dec.String() != "2024-12" {
		t.Fatalf("next month %s", dec)
	}
	peak := Detect(h, dec, 2*1000*math.Pow(1.01, 35), DefaultsFor(Volume))
	if peak.Verdict != Pass || peak.Reference != Seasonal || peak.SameMonth.Month.String() != "2023-12" {
		t.Fatalf("a normal December: %s", peak.Summary())
	}
	if !strings.Contains(peak.Summary(), "2023-12 (") || !strings.Contains(peak.Summary(), "the median year-over-year change of ") {
		t.Errorf("the summary does not name the seasonal reference: %s", peak.Summary())
	}
	flat := Detect(h, dec, 1000*math.Pow(1.01, 35), DefaultsFor(Volume))
	if flat.Verdict != Anomaly {
		t.Errorf("a December without its peak: %s", flat.Summary())
	}
	// Without seasonality, the peak is inside the wide level band and the
	// missing peak too: the seasonal reference is what catches it.
	o := DefaultsFor(Volume)
	o.Seasonality = SeasonNone
	if r := Detect(h, dec, 1000*math.Pow(1.01, 35), o); r.Verdict != Pass || r.Reference != Level {
		t.Errorf("seasonality none: %s", r.Summary())
	}
	// Before 13 months there is no seasonal reference.
	if r := Detect(h[:12], h[12].Month, h[12].Value, DefaultsFor(Volume)); r.Reference != Level {
		t.Errorf("12 months: reference %s", r.Reference)
	}
}

// TestSlowDrift: after a year and a half at one level, 3% a month for nine
// months is no anomaly: every month is within the floors of the last one.
func TestSlowDrift(t *testing.T) {
	vs := noisy(8, 18, 1000, 0.01)
	for i := range 8 {
		vs = append(vs, math.Round(1000*math.Pow(1.03, float64(i+1))))
	}
	h := series(vs...)
	v := math.Round(1000 * math.Pow(1.03, 9))
	if r := Detect(h, next(h), v, DefaultsFor(Volume)); r.Verdict != Pass {
		t.Fatalf("a month of a slow drift: %s", r.Summary())
	}
	o := DefaultsFor(Volume)
	o.Seasonality = SeasonNone
	r := Detect(h, next(h), v, o)
	if r.Verdict != Pass || anchor(r, FromLast).Beyond {
		t.Fatalf("a month of a slow drift: %s", r.Summary())
	}
	if !r.ScoreBeyond || !anchor(r, FromExpected).Beyond {
		t.Errorf("the drift is far from the median of the months (%s): the last month's rule is what holds it", r.Summary())
	}
	if r := Detect(h, next(h), 2*v, DefaultsFor(Volume)); r.Verdict != Anomaly {
		t.Errorf("a doubling in a drift: %s", r.Summary())
	}
}

// TestAcceptedLevelChange: after a change of level accepted once, the next
// month at the new level passes.
func TestAcceptedLevelChange(t *testing.T) {
	vs := noisy(5, 12, 1000, 0.02)
	vs = append(vs, 1500)
	h := series(vs...)
	if r := Detect(h, next(h), 1520, DefaultsFor(Volume)); r.Verdict != Pass {
		t.Errorf("%s", r.Summary())
	}
}

func TestDirection(t *testing.T) {
	h := series(noisy(9, 12, 1000, 0.02)...)
	o := DefaultsFor(Volume)
	o.Direction = Drop
	if r := Detect(h, next(h), 3000, o); r.Verdict != Pass || !math.IsInf(r.Upper, 1) || !strings.Contains(r.Band(), "at least") {
		t.Errorf("a spike on a drop gate: %s", r.Summary())
	}
	if r := Detect(h, next(h), 300, o); r.Verdict != Anomaly {
		t.Errorf("a drop on a drop gate: %s", r.Summary())
	}
	o.Direction = Spike
	if r := Detect(h, next(h), 300, o); r.Verdict != Pass || !math.IsInf(r.Lower, -1) {
		t.Errorf("a drop on a spike gate: %s", r.Summary())
	}
}

// TestTraining: one point per month (the later entry), nothing at or after
// the month checked, nothing beyond TrainingMonths, no NaN.
func TestTraining(t *testing.T) {
	h := series(noisy(2, 40, 100, 0.01)...)
	h = append(h, Point{Month: start + 39, Value: 5000, Run: "rerun"}, Point{Month: start + 40, Value: 1}, Point{Month: start + 41, Value: math.NaN()})
	pts := training(h, start+40, 36)
	if len(pts) != 36 || pts[0].Month != start+4 || pts[35].Value != 5000 || pts[35].Run != "rerun" {
		t.Fatalf("training: %d points from %s, last %v", len(pts), pts[0].Month, pts[len(pts)-1])
	}
	r := Detect(h, start+40, 100, DefaultsFor(Volume))
	if r.Last.Value != 5000 || len(r.Points) != 36 || r.N != LevelWindow {
		t.Errorf("last %v, %d points, N %d", r.Last, len(r.Points), r.N)
	}
}

// TestLinearScale: a rate with zeros is scored on its values, and a jump
// of 30 points on a history of zeros is an anomaly while 3 points is not.
func TestLinearScale(t *testing.T) {
	h := series(0, 0, 0.5, 0, 0, 1, 0, 0, 0, 0.5, 0, 0)
	o := DefaultsFor(Rate)
	r := Detect(h, next(h), 30, o)
	if r.Verdict != Anomaly || r.Log {
		t.Errorf("%s (log %v)", r.Summary(), r.Log)
	}
	if r := Detect(h, next(h), 3, o); r.Verdict != Pass {
		t.Errorf("3 points: %s", r.Summary())
	}
}

// TestComparisons: checking several series at once raises the threshold.
func TestComparisons(t *testing.T) {
	h := series(noisy(4, 12, 1000, 0.1)...)
	o := DefaultsFor(Dimension)
	a := Detect(h, next(h), 1000, o)
	o.Comparisons = 6
	b := Detect(h, next(h), 1000, o)
	if !(b.Threshold > a.Threshold) || b.Threshold != Threshold(12, TailOf(o.Sensitivity)/6) {
		t.Errorf("threshold %v with 6 series, %v alone", b.Threshold, a.Threshold)
	}
}

func TestValidate(t *testing.T) {
	if err := Defaults.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		edit func(*Options)
		want string
	}{
		{func(o *Options) { o.Sensitivity = 0 }, "anomaly_sensitivity must be a number above 0"},
		{func(o *Options) { o.MinChangePct = -1 }, "min_change_pct must be"},
		{func(o *Options) { o.MinChange = math.NaN() }, "min_change must be"},
		{func(o *Options) { o.MinPoints = 2 }, "min_training_set_size must be 3 or more"},
		{func(o *Options) { o.TrainingMonths = 5 }, "training_months (5) must be at least min_training_set_size (6)"},
	} {
		o := Defaults
		c.edit(&o)
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
	for s, want := range map[string]Direction{"": Both, "both": Both, "spike": Spike, "drop": Drop} {
		if d, err := ParseDirection(s); err != nil || d != want {
			t.Errorf("ParseDirection(%q) = %v, %v", s, d, err)
		}
	}
	if _, err := ParseDirection("down"); err == nil {
		t.Error("ParseDirection(down) accepted")
	}
	if s, err := ParseSeasonality("month_of_year"); err != nil || s != SeasonMonthOfYear {
		t.Errorf("ParseSeasonality: %v %v", s, err)
	}
	if _, err := ParseSeasonality("day_of_week"); err == nil || !strings.Contains(err.Error(), "auto, none or month_of_year") {
		t.Errorf("ParseSeasonality(day_of_week): %v", err)
	}
}

func TestNum(t *testing.T) {
	for x, want := range map[float64]string{0: "0", 1234567.891: "1,234,567.89", -70568.6: "-70,568.6", 12.3456: "12.35", 0.012345: "0.01235", 714: "714", 100: "100", math.Inf(1): "∞"} {
		if got := Num(x); got != want {
			t.Errorf("Num(%v) = %q, want %q", x, got, want)
		}
	}
}

package anomaly

import (
	"math"
	"slices"
)

// Point is one accepted month of a series: the value a gate recorded for
// that month, and the run that recorded it (for the explanation; may be
// empty).
type Point struct {
	Month Month
	Value float64
	Run   string
}

// Verdict is the outcome of a check.
type Verdict string

// The verdicts.
const (
	// Pass: the value breaks at least one rule.
	Pass Verdict = "pass"
	// Anomaly: the value breaks every rule (in the gate's direction).
	Anomaly Verdict = "anomaly"
	// ColdStart: the history holds fewer accepted months than MinPoints;
	// the gate warns and never fails (Result.Needed says how many more).
	ColdStart Verdict = "cold_start"
)

// Reference names how the expected value was computed.
type Reference string

// The references.
const (
	// Level: the median of the last LevelWindow accepted months.
	Level Reference = "level"
	// Seasonal: the same month of the previous year, moved by the median
	// year-over-year change of the months before (see Detect).
	Seasonal Reference = "seasonal"
	// Median: in the cold start, the median of the accepted months.
	Median Reference = "median"
)

// AnchorKind names a value the change floors are measured from.
type AnchorKind string

// The anchors.
const (
	// FromExpected: the reference's expected value.
	FromExpected AnchorKind = "expected"
	// FromLast: the last accepted month; under a seasonal reference, moved
	// by the change between the same two months a year before (a missing
	// December peak is not "no change since November"). A slow drift moves
	// a little each month and stays within the floors of it; after a change
	// of level accepted once, the next months do too.
	FromLast AnchorKind = "last"
	// FromYearBefore: under the level reference, the same month of the
	// previous year, moved by the median year-over-year change when one is
	// known: a seasonal peak seen a year before is no anomaly while the
	// seasonal reference cannot be used yet.
	FromYearBefore AnchorKind = "year_before"
)

// Anchor is a value a change is measured from.
type Anchor struct {
	Kind AnchorKind
	// Point is the accepted month it comes from (none for FromExpected).
	Point Point
	// Base and To are, for FromLast under a seasonal reference, the months
	// a year before Point and before the checked month: Point's value moved
	// by their change is Value, the value compared with (the expected value
	// for FromExpected; Point's value moved by the median year-over-year
	// change for FromYearBefore).
	Base, To Point
	Value    float64
	// ChangePct is the checked value's change from Value, in percent.
	ChangePct float64
	// Beyond reports whether the change exceeds both MinChangePct percent
	// of |Value| and MinChange.
	Beyond bool
}

// Result is a check explained: what was expected, from which months, by
// which reference, and which rules the value broke.
type Result struct {
	Verdict Verdict
	Month   Month
	Value   float64
	// Expected is the reference's expected value; NaN in a cold start
	// without any accepted month.
	Expected float64
	// Lower and Upper bound the band, the values that pass (with Direction
	// Spike, Lower is -Inf; with Drop, Upper is +Inf). When the last
	// accepted month lies far from the expected value, the band is the
	// union of two intervals, one around each, and Lower and Upper are its
	// ends. NaN in a cold start without any accepted month.
	Lower, Upper float64
	// Score is the robust score, (t(Value) - t(Expected)) / Sigma, where t
	// is log when Log is set and the identity otherwise; ±Inf when Sigma is
	// 0 and the value differs; NaN in a cold start.
	Score float64
	// Sigma is the robust spread of the reference in t's scale: MADScale x
	// the median absolute deviation of its values (the months of Level,
	// the year-over-year changes of Seasonal).
	Sigma float64
	// Threshold is the robust score the score rule needs:
	// Threshold(N, TailOf(Sensitivity)/Comparisons). NaN in a cold start.
	Threshold float64
	// N is the number of values Sigma comes from.
	N int
	// Log is set when the series is scored on the log scale (every
	// accepted month is above 0): changes are then ratios.
	Log bool
	// ChangePct is (Value - Expected) / |Expected| x 100; ±Inf when
	// Expected is 0 and Value is not.
	ChangePct float64
	Reference Reference
	// SameMonth is the month of the previous year a Seasonal reference
	// starts from, and Growth the median year-over-year change it applies,
	// in t's scale (a log ratio when Log is set).
	SameMonth Point
	Growth    float64
	// Last is the last accepted month before Month.
	Last Point
	// Points are the accepted months the check used, oldest first.
	Points []Point
	// ScoreBeyond reports whether the robust score exceeds Threshold (in
	// the cold start, false).
	ScoreBeyond bool
	// Anchors are the values the change floors are measured from:
	// FromExpected, FromLast, and FromYearBefore when it applies. A value
	// is an anomaly when ScoreBeyond and it is Beyond every anchor.
	Anchors []Anchor
	// Needed is, in the cold start, the number of accepted months still
	// needed before the gate can fail a run.
	Needed int
	// Whole is set when the value and every month are whole numbers (row
	// counts): the explanation rounds the band and expected value.
	Whole   bool
	Options Options
}

// LevelWindow is the number of recent accepted months the level
// reference takes the median and the spread of: two years. A history
// without a seasonal reference then has its seasonal swing in the band.
const LevelWindow = 24

// pairMonths is how far back the seasonal reference looks for months that
// have their month of the previous year: the 23 months before the one
// checked, but the month a year before it, whose value the reference
// starts from (so that its year-over-year change and the new one share no
// month and the calibration of Threshold holds).
const pairMonths = 23

// minPairs is the number of year-over-year changes the seasonal reference
// needs: fewer give no spread.
const minPairs = TableMinN

// Detect checks value, the metric of month at, against history, the
// accepted months of the same metric in any order (a month recorded twice
// counts once, with its later entry in history). Months at or after at,
// and months more than o.TrainingMonths before it, are left out. o must be
// valid (Options.Validate).
//
// The method (the package documentation gives the sources):
//  1. the level reference expects the median of the last LevelWindow
//     accepted months, with a spread Sigma of MADScale x their median
//     absolute deviation, on the log scale when every month is above 0;
//  2. the seasonal reference, when the history holds month at-12 and at
//     least three other months of the 23 before at have their month of
//     the previous year too, expects month at-12 moved by the median of
//     those year-over-year changes, with the spread of the changes;
//  3. the score rule needs a robust score beyond Threshold(n, p): the
//     quantile, for the n values the spread came from, of the score of a
//     normal value against normal values, at the tail probability p of
//     Sensitivity standard deviations (divided by Comparisons); with few
//     months the MAD is often small by chance and the threshold is far
//     above Sensitivity. Seasonality auto takes the reference whose band
//     (Threshold x Sigma) is narrower; month_of_year takes the seasonal
//     one whenever it exists;
//  4. the value is an anomaly when it breaks every rule: the score rule,
//     a change from the expected value beyond MinChangePct percent and
//     beyond MinChange, and a change from the last accepted month beyond
//     both too (a slow drift moves a little each month).
func Detect(history []Point, at Month, value float64, o Options) Result {
	pts := training(history, at, o.TrainingMonths)
	r := Result{Month: at, Value: value, Points: pts, Options: o, Score: math.NaN(), Sigma: math.NaN(), Threshold: math.NaN(),
		Lower: math.NaN(), Upper: math.NaN(), Expected: math.NaN(), ChangePct: math.NaN()}
	if len(pts) > 0 {
		r.Last = pts[len(pts)-1]
	}
	r.Whole = value == math.Trunc(value)
	for _, p := range pts {
		r.Whole = r.Whole && p.Value == math.Trunc(p.Value)
	}
	if len(pts) < o.MinPoints {
		return coldStart(r)
	}
	r.Log = allPositive(pts)
	t := transform(r.Log)
	x := index(pts, t)
	tail := TailOf(o.Sensitivity) / float64(max(1, o.Comparisons))
	ys := x.ys[max(0, len(pts)-LevelWindow):]
	center := median(ys)
	r.Reference, r.N = Level, len(ys)
	r.Sigma = MADScale * mad(ys, center)
	r.Threshold = Threshold(len(ys), tail)
	if o.Seasonality != SeasonNone {
		if s, ok := seasonal(x, at); ok {
			k := Threshold(len(s.changes), tail)
			if o.Seasonality == SeasonMonthOfYear || seasonalPredictsBetter(x) {
				center, r.Sigma, r.Threshold = s.center, s.sigma, k
				r.Reference, r.N = Seasonal, len(s.changes)
				r.SameMonth, r.Growth = s.same, s.growth
			}
		}
	}
	r.Expected = inverse(r.Log, center)
	d := t(value) - center
	switch {
	case r.Sigma > 0:
		r.Score = d / r.Sigma
	case d == 0:
		r.Score = 0
	default:
		r.Score = math.Copysign(math.Inf(1), d)
	}
	lo, hi := r.Expected, r.Expected
	if r.Sigma > 0 {
		lo, hi = inverse(r.Log, center-r.Threshold*r.Sigma), inverse(r.Log, center+r.Threshold*r.Sigma)
	}
	r.ScoreBeyond = math.Abs(r.Score) > r.Threshold
	return rules(r, lo, hi, anchors(r, x))
}

// anchors returns the anchors of r besides the expected value (see
// AnchorKind).
func anchors(r Result, x *indexed) []Anchor {
	last := Anchor{Kind: FromLast, Point: r.Last, Value: r.Last.Value}
	t := func(i int) float64 { return x.ys[i] }
	if r.Reference == Seasonal {
		if b, ok := x.find(r.Last.Month - 12); ok {
			j, _ := x.find(r.SameMonth.Month)
			last.Base, last.To = x.pts[b], r.SameMonth
			last.Value = inverse(r.Log, t(len(x.pts)-1)+t(j)-t(b))
		}
		return []Anchor{last}
	}
	out := []Anchor{last}
	if j, ok := x.find(r.Month - 12); ok {
		a := Anchor{Kind: FromYearBefore, Point: x.pts[j], Value: x.pts[j].Value}
		var g []float64
		for m := r.Month - pairMonths; m < r.Month; m++ {
			p, ok1 := x.find(m)
			q, ok2 := x.find(m - 12)
			if ok1 && ok2 && m != r.Month-12 {
				g = append(g, t(p)-t(q))
			}
		}
		if len(g) > 0 {
			a.Value = inverse(r.Log, t(j)+median(g))
		}
		out = append(out, a)
	}
	return out
}

// rules fills the band, the anchors and the verdict of r, whose Expected
// and ScoreBeyond are set; [lo, hi] is the score rule's band and more the
// anchors besides the expected value.
func rules(r Result, lo, hi float64, more []Anchor) Result {
	o := r.Options
	v := r.Value
	floor := func(x float64) float64 { return max(o.MinChangePct/100*math.Abs(x), o.MinChange) }
	r.Anchors = append([]Anchor{{Kind: FromExpected, Value: r.Expected}}, more...)
	r.Lower, r.Upper = math.Inf(1), math.Inf(-1)
	beyond := r.ScoreBeyond
	for i := range r.Anchors {
		a := &r.Anchors[i]
		a.ChangePct = changePct(a.Value, v)
		a.Beyond = math.Abs(v-a.Value) > floor(a.Value)
		beyond = beyond && a.Beyond
		r.Lower, r.Upper = min(r.Lower, a.Value-floor(a.Value)), max(r.Upper, a.Value+floor(a.Value))
	}
	r.Lower, r.Upper = min(r.Lower, lo), max(r.Upper, hi)
	switch o.Direction {
	case Spike:
		r.Lower = math.Inf(-1)
	case Drop:
		r.Upper = math.Inf(1)
	}
	r.ChangePct = changePct(r.Expected, v)
	r.Verdict = Pass
	inDirection := o.Direction == Both || (o.Direction == Spike && v > r.Expected) || (o.Direction == Drop && v < r.Expected)
	if (beyond && inDirection) || math.IsNaN(v) {
		r.Verdict = Anomaly
	}
	return r
}

// coldStart fills r for a history shorter than MinPoints: the expected
// value is the median of the months there are, only the change rules are
// checked, and the verdict is ColdStart whatever the value.
func coldStart(r Result) Result {
	r.Needed = r.Options.MinPoints - len(r.Points)
	r.Reference = Median
	if len(r.Points) > 0 {
		vs := make([]float64, len(r.Points))
		for i, p := range r.Points {
			vs[i] = p.Value
		}
		r.Expected = median(vs)
		r = rules(r, r.Expected, r.Expected, []Anchor{{Kind: FromLast, Point: r.Last, Value: r.Last.Value}})
	}
	r.Verdict = ColdStart
	return r
}

// training returns the accepted months of history usable to check month
// at, oldest first, one per month (the later entry of a month recorded
// twice); values that are not finite are left out.
func training(history []Point, at Month, months int) []Point {
	byMonth := map[Month]Point{}
	for _, p := range history {
		if p.Month < at && p.Month >= at-Month(months) && !math.IsNaN(p.Value) && !math.IsInf(p.Value, 0) {
			byMonth[p.Month] = p
		}
	}
	out := make([]Point, 0, len(byMonth))
	for _, p := range byMonth {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Point) int { return int(a.Month - b.Month) })
	return out
}

// seasonalPredictsBetter reports whether the seasonal reference predicted
// the last twelve accepted months better than the level reference, each
// month from the months before it only (a walk-forward check), by the mean
// absolute error in t's scale: a peak month the level reference misses
// counts in full, where a median of the errors would ignore it. It needs
// three months both references predict.
func seasonalPredictsBetter(x *indexed) bool {
	var errL, errS float64
	n := 0
	for i := max(0, len(x.pts)-12); i < len(x.pts); i++ {
		s, ok := seasonal(x, x.pts[i].Month)
		if !ok {
			continue
		}
		y := x.ys[i]
		errL += math.Abs(y - median(x.ys[max(0, i-LevelWindow):i]))
		errS += math.Abs(y - s.center)
		n++
	}
	return n >= minCompared && errS < errL
}

// minCompared is the number of months seasonalPredictsBetter needs.
const minCompared = 3

// seasonalRef is the seasonal reference of a month.
type seasonalRef struct {
	same    Point
	changes []float64 // the year-over-year changes, in t's scale
	center  float64   // in t's scale
	sigma   float64
	growth  float64 // the median change
}

// seasonal returns the seasonal reference of month at from the months of
// x before at, when they allow one (see Detect).
func seasonal(x *indexed, at Month) (seasonalRef, bool) {
	j, ok := x.find(at - 12)
	if !ok {
		return seasonalRef{}, false
	}
	s := seasonalRef{same: x.pts[j]}
	for m := at - pairMonths; m < at; m++ {
		if m == at-12 {
			continue
		}
		a, ok1 := x.find(m)
		b, ok2 := x.find(m - 12)
		if ok1 && ok2 {
			s.changes = append(s.changes, x.ys[a]-x.ys[b])
		}
	}
	if len(s.changes) < minPairs {
		return seasonalRef{}, false
	}
	s.growth = median(s.changes)
	s.center = x.ys[j] + s.growth
	s.sigma = MADScale * mad(s.changes, s.growth)
	return s, true
}

// indexed is the accepted months with their values in t's scale, found by
// month.
type indexed struct {
	pts   []Point
	ys    []float64
	first Month
	at    []int // at[m-first]: the index in pts of month m, or -1
}

func index(pts []Point, t func(float64) float64) *indexed {
	x := &indexed{pts: pts, ys: make([]float64, len(pts))}
	for i, p := range pts {
		x.ys[i] = t(p.Value)
	}
	if len(pts) == 0 {
		return x
	}
	x.first = pts[0].Month
	x.at = make([]int, int(pts[len(pts)-1].Month-x.first)+1)
	for i := range x.at {
		x.at[i] = -1
	}
	for i, p := range pts {
		x.at[p.Month-x.first] = i
	}
	return x
}

// find returns the index of month m.
func (x *indexed) find(m Month) (int, bool) {
	k := int(m - x.first)
	if k < 0 || k >= len(x.at) || x.at[k] < 0 {
		return 0, false
	}
	return x.at[k], true
}

func allPositive(pts []Point) bool {
	for _, p := range pts {
		if !(p.Value > 0) {
			return false
		}
	}
	return true
}

// transform returns t: log on the log scale (-Inf for a value of 0 or
// less), the identity otherwise.
func transform(log bool) func(float64) float64 {
	if log {
		return func(x float64) float64 {
			if x <= 0 {
				return math.Inf(-1)
			}
			return math.Log(x)
		}
	}
	return func(x float64) float64 { return x }
}

// inverse maps x back from t's scale: exp on the log scale.
func inverse(log bool, x float64) float64 {
	if log {
		return math.Exp(x)
	}
	return x
}

// changePct returns (v - e) / |e| x 100, ±Inf when e is 0 and v is not.
func changePct(e, v float64) float64 {
	if v == e {
		return 0
	}
	if e == 0 {
		return math.Copysign(math.Inf(1), v)
	}
	return (v - e) / math.Abs(e) * 100
}

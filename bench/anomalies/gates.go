package anomalies

import (
	"fmt"
	"math"

	"github.com/kiln-build/kiln/internal/anomaly"
)

// A Gate decides whether a run fails, from the runs accepted before it.
type Gate interface {
	Name() string
	// Check returns the names of the checks that fail run, in a fixed
	// order; none when it passes. accepted are the runs accepted before
	// it, oldest first.
	Check(h *History, accepted []Run, run Run) []string
}

// series returns the value of each accepted run under f, as points.
func series(accepted []Run, f func(Run) float64) []anomaly.Point {
	out := make([]anomaly.Point, len(accepted))
	for i, a := range accepted {
		out[i] = anomaly.Point{Month: a.Month, Value: f(a)}
	}
	return out
}

// figure is one figure a gate watches.
type figure struct {
	name string
	get  func(Run) float64
}

// figures returns the figures of h: rows, revenue, the rows of each
// segment, the null and zero rates.
func figures(h *History) []figure {
	fs := []figure{{"rows", func(r Run) float64 { return r.Rows }}, {"revenue", func(r Run) float64 { return r.Revenue }}}
	for j, s := range h.Segments {
		fs = append(fs, figure{"rows of " + s, func(r Run) float64 { return r.Segments[j] }})
	}
	fs = append(fs, figure{"null rate", func(r Run) float64 { return r.NullPct }}, figure{"zero rate", func(r Run) float64 { return r.ZeroPct }})
	return fs
}

// Kiln is kiln's anomaly gates on a history, each with the options a
// project would declare: volume_anomalies on the rows, metric_anomalies on
// the revenue, dimension_anomalies on the rows per segment,
// column_anomalies on the null and zero rates (Rates), schema_changes and
// input_freshness. With FiguresOnly, schema_changes and input_freshness
// are left out.
type Kiln struct {
	Volume, Metric, Segment, Rates anomaly.Options
	Freshness                      anomaly.FreshnessOptions
	FiguresOnly                    bool
}

// Name implements Gate.
func (k Kiln) Name() string {
	if k.FiguresOnly {
		return "kiln, figures only"
	}
	return "kiln"
}

// Check implements Gate.
func (k Kiln) Check(h *History, accepted []Run, run Run) []string {
	var fired []string
	for i, f := range figures(h) {
		o := k.Segment
		o.Comparisons = len(h.Segments)
		switch {
		case i == 0:
			o = k.Volume
		case i == 1:
			o = k.Metric
		case i >= 2+len(h.Segments):
			o = k.Rates
		}
		if anomaly.Detect(series(accepted, f.get), run.Month, f.get(run), o).Verdict == anomaly.Anomaly {
			fired = append(fired, f.name)
		}
	}
	if k.FiguresOnly || len(accepted) == 0 {
		return fired
	}
	if !anomaly.CompareSchema(accepted[len(accepted)-1].Columns, run.Columns).Empty() {
		fired = append(fired, "schema")
	}
	files := make([]anomaly.File, len(accepted))
	for i, a := range accepted {
		files[i] = a.File
		files[i].Month = a.Month
	}
	if anomaly.CheckFreshness(files, run.File, run.Month, run.At, k.Freshness).Verdict == anomaly.Anomaly {
		fired = append(fired, "freshness")
	}
	return fired
}

// ZScore is a plain z-score rule on the same figures as Kiln's: the mean
// and the sample standard deviation of the accepted months (the last
// Months of them), and a run fails when a figure's |z| reaches Threshold.
// It needs three months; a figure whose months are all equal fails on any
// other value.
type ZScore struct {
	Threshold float64
	Months    int
}

// Name implements Gate.
func (z ZScore) Name() string { return fmt.Sprintf("z >= %g", z.Threshold) }

// Check implements Gate.
func (z ZScore) Check(h *History, accepted []Run, run Run) []string {
	if len(accepted) < 3 {
		return nil
	}
	if len(accepted) > z.Months {
		accepted = accepted[len(accepted)-z.Months:]
	}
	var fired []string
	for _, f := range figures(h) {
		var sum, sq float64
		for _, a := range accepted {
			sum += f.get(a)
		}
		mean := sum / float64(len(accepted))
		for _, a := range accepted {
			sq += (f.get(a) - mean) * (f.get(a) - mean)
		}
		sd := math.Sqrt(sq / float64(len(accepted)-1))
		d := f.get(run) - mean
		if (sd == 0 && d != 0) || (sd > 0 && math.Abs(d/sd) >= z.Threshold) {
			fired = append(fired, f.name)
		}
	}
	return fired
}

// Fixed is today's fixed-percentage gates, as BottleNeck declares them:
// volume_change on the rows (MaxDrop percent down, MaxRise up) and
// metric_change on the revenue (MaxChange percent either way), against the
// last accepted run.
type Fixed struct {
	MaxDrop, MaxRise, MaxChange float64
}

// Name implements Gate.
func (f Fixed) Name() string {
	return fmt.Sprintf("fixed %% (rows -%g%%/+%g%%, revenue ±%g%%)", f.MaxDrop, f.MaxRise, f.MaxChange)
}

// Check implements Gate.
func (f Fixed) Check(h *History, accepted []Run, run Run) []string {
	if len(accepted) == 0 {
		return nil
	}
	last := accepted[len(accepted)-1]
	var fired []string
	if pct := change(last.Rows, run.Rows); pct < -f.MaxDrop || pct > f.MaxRise {
		fired = append(fired, "rows")
	}
	if pct := change(last.Revenue, run.Revenue); math.Abs(pct) > f.MaxChange {
		fired = append(fired, "revenue")
	}
	return fired
}

// change is volume_change's: percent of |base|, ±Inf from 0.
func change(base, cur float64) float64 {
	if base == cur {
		return 0
	}
	if base == 0 {
		return math.Copysign(math.Inf(1), cur)
	}
	return (cur - base) / math.Abs(base) * 100
}

// Package anomalies is the labelled benchmark of kiln's deviation gates
// (issue 19): a deterministic generator of synthetic monthly histories with
// labelled anomalies and normal runs, the gates scored on them (kiln's
// anomaly gates, a plain z >= 3 rule, and the fixed-percentage gates of
// volume_change and metric_change), and the table of BENCHMARKS.md.
//
// A history is the monthly runs of one pipeline: for each month, the row
// count of a model, a metric (revenue: rows x an average price), the row
// count of each segment (a product family), the null and zero rates of a
// column in percent, the model's columns, and the input file (its SHA-256
// and modification time). Levels, noise, seasonality and trends vary from
// history to history; some histories drift slowly for months, which is no
// anomaly. Anomalies are injected at random months after a warm-up of
// Warmup months: a drop, a spike, a missing month (the previous month's
// file read again, or an empty export), a month loaded twice, a renamed
// column, a retyped column, a lost segment, and a jump of the null or zero
// rate.
//
// The scoring follows a pipeline's life (see Score): a run a gate flags is
// fixed and run again with the month's correct data, which is then checked
// too; a flagged normal run is accepted (--accept-deviations); a missed
// anomaly is accepted and stays in the history the gates learn from.
package anomalies

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/kiln-build/kiln/internal/anomaly"
)

// Label is the kind of anomaly a run holds; "" for a normal run.
type Label string

// The anomalies of the benchmark.
const (
	Normal        Label = ""
	Drop          Label = "drop"           // 30% to 90% of the rows lost
	SpikeUp       Label = "spike"          // rows multiplied by 1.5 to 4 (a fan-out, a file appended)
	MissingMonth  Label = "missing_month"  // last month's file read again, or an empty export
	LoadedTwice   Label = "loaded_twice"   // every row twice
	Renamed       Label = "renamed_column" // a column renamed, the figures unchanged
	Retyped       Label = "retyped_column" // a column's type changed (a text cell in a number column)
	SegmentLost   Label = "segment_lost"   // one product family missing
	RateJump      Label = "rate_jump"      // the null or zero rate of a column up by 10 to 40 points
	numberOfKinds       = 8
)

// Labels lists the anomalies in the report's order.
var Labels = []Label{Drop, SpikeUp, MissingMonth, LoadedTwice, Renamed, Retyped, SegmentLost, RateJump}

// Warmup is the number of months at the start of a history that are
// neither scored nor given anomalies: every rule has six months of history
// when scoring starts.
const Warmup = 6

// Run is the data one monthly run produced.
type Run struct {
	Month    anomaly.Month
	At       time.Time // when the run started
	Rows     float64
	Revenue  float64
	Segments []float64 // rows per segment, in the history's segment order
	NullPct  float64   // percent of the rows whose column is null
	ZeroPct  float64   // percent of the rows whose column is 0
	Columns  []anomaly.Column
	File     anomaly.File
	Label    Label
	Variant  string // the anomaly's variant ("stale file", "empty export", "null rate", ...)
	Drifting bool   // a normal run inside a slow drift
	// Fixed is, for an anomaly, the month's correct run: what a run after
	// the fix reads.
	Fixed *Run
}

// History is one pipeline's months, oldest first.
type History struct {
	ID       int
	Segments []string
	// Describes the history's parameters, for failure messages.
	Params string
	Runs   []Run
	p      params
}

// Lengths are the history lengths, in months, drawn with equal chances.
var Lengths = []int{12, 18, 24, 36, 48, 60}

// Generate returns n histories drawn from seed, deterministically.
func Generate(seed uint64, n int) []History {
	out := make([]History, n)
	for i := range out {
		out[i] = generate(seed, i)
	}
	return out
}

// params are a history's parameters.
type params struct {
	length     int
	start      anomaly.Month
	level      float64 // rows in the first month
	noise      float64 // month-to-month noise of the rows, as a coefficient of variation
	trend      float64 // growth per month (log scale)
	seasonAmp  float64 // seasonal amplitude of the rows (log scale)
	season     [12]float64
	driftFrom  int     // first month of a slow drift, -1 for none
	driftLen   int     // months of the drift
	driftRate  float64 // growth per month during the drift (log scale), ±2% to ±4%
	price      float64 // average price, euros
	priceNoise float64
	priceTrend float64
	priceSeas  float64 // extra seasonal amplitude of the revenue (log scale)
	shares     []float64
	nullRate   float64 // percent
	zeroRate   float64 // percent
}

func draw(r *rand.Rand) params {
	var p params
	p.length = Lengths[r.IntN(len(Lengths))]
	p.start = anomaly.Month(2018*12 + r.IntN(60))
	p.level = math.Exp(math.Log(30) + r.Float64()*(math.Log(2e6)-math.Log(30)))
	p.noise = []float64{0.005, 0.02, 0.05, 0.10}[r.IntN(4)]
	switch x := r.Float64(); {
	case x < 0.5:
	case x < 0.75:
		p.trend = 0.015 * r.Float64()
	default:
		p.trend = -0.01 * r.Float64()
	}
	switch x := r.Float64(); {
	case x < 0.4:
	case x < 0.7:
		p.seasonAmp = 0.05 + 0.1*r.Float64()
	default:
		p.seasonAmp = 0.2 + 0.3*r.Float64()
	}
	// A seasonal profile, its largest swing set to 1: half the histories
	// swing smoothly (two harmonics: a peak and a trough somewhere in the
	// year), half have sharp months, as retail has (a peak month such as
	// December, sometimes a month around it up too, and a low month).
	if r.IntN(2) == 0 {
		a1, a2 := 1.0, r.Float64()*0.8
		f1, f2 := r.Float64()*12, r.Float64()*12
		for m := range 12 {
			p.season[m] = a1*math.Cos(2*math.Pi*(float64(m)-f1)/12) + a2*math.Cos(4*math.Pi*(float64(m)-f2)/12)
		}
	} else {
		peak := r.IntN(12)
		p.season[peak] = 1
		if r.IntN(2) == 0 {
			p.season[(peak+11)%12] = 0.3 + 0.4*r.Float64()
		}
		p.season[(peak+4+r.IntN(4))%12] = -0.2 - 0.4*r.Float64()
	}
	top := 0.0
	for m := range 12 {
		top = max(top, math.Abs(p.season[m]))
	}
	for m := range 12 {
		p.season[m] /= top
	}
	p.driftFrom = -1
	if r.Float64() < 0.25 && p.length > Warmup+6 {
		p.driftFrom = Warmup + r.IntN(p.length-Warmup-6)
		p.driftLen = 6 + r.IntN(13)
		p.driftRate = (0.02 + 0.02*r.Float64()) * float64(1-2*r.IntN(2))
	}
	p.price = 5 + 195*r.Float64()
	p.priceNoise = 0.02 + 0.06*r.Float64()
	p.priceTrend = 0.005 * r.Float64()
	if r.Float64() < 0.5 {
		p.priceSeas = 0.15 * r.Float64()
	}
	k := 3 + r.IntN(5)
	sum := 0.0
	for range k {
		s := 0.2 + r.ExpFloat64()
		p.shares = append(p.shares, s)
		sum += s
	}
	for i := range p.shares {
		p.shares[i] /= sum
	}
	if r.Float64() < 0.5 {
		p.nullRate = 5 * r.Float64()
	}
	if r.Float64() < 0.5 {
		p.zeroRate = 10 * r.Float64()
	}
	return p
}

func (p params) String() string {
	drift := "none"
	if p.driftFrom >= 0 {
		drift = fmt.Sprintf("%+.1f%%/month for %d months from month %d", p.driftRate*100, p.driftLen, p.driftFrom)
	}
	return fmt.Sprintf("%d months from %s, %.0f rows, noise %.1f%%, trend %+.2f%%/month, seasonal amplitude %.0f%%, drift %s, %d segments, null %.1f%%, zero %.1f%%",
		p.length, p.start, p.level, p.noise*100, p.trend*100, p.seasonAmp*100, drift, len(p.shares), p.nullRate, p.zeroRate)
}

// schema is the columns of every history's model.
var schema = []anomaly.Column{{Name: "product_id", Type: "BIGINT"}, {Name: "sku", Type: "VARCHAR"}, {Name: "family", Type: "VARCHAR"},
	{Name: "colour", Type: "VARCHAR"}, {Name: "vintage", Type: "BIGINT"}, {Name: "price", Type: "DECIMAL(18,2)"},
	{Name: "total_sales", Type: "BIGINT"}, {Name: "revenue", Type: "DECIMAL(38,2)"}}

func generate(seed uint64, id int) History {
	r := rand.New(rand.NewPCG(seed, uint64(id)))
	p := draw(r)
	h := History{ID: id, Params: p.String(), p: p}
	for i := range p.shares {
		h.Segments = append(h.Segments, fmt.Sprintf("family_%d", i+1))
	}
	logLevel := math.Log(p.level)
	logPrice := math.Log(p.price)
	for i := range p.length {
		m := p.start + anomaly.Month(i)
		logLevel += p.trend
		drifting := p.driftFrom >= 0 && i >= p.driftFrom && i < p.driftFrom+p.driftLen
		if drifting {
			logLevel += p.driftRate
		}
		logPrice += p.priceTrend
		s := p.season[int(m.Of())-1]
		mean := math.Exp(logLevel + p.seasonAmp*s)
		rows := poisson(r, mean*math.Exp(p.noise*r.NormFloat64()))
		run := Run{Month: m, Rows: rows, Drifting: drifting, Columns: schema}
		avg := math.Exp(logPrice + p.priceSeas*s + p.priceNoise*r.NormFloat64())
		run.Revenue = math.Round(rows*avg*100) / 100
		left := rows
		for j, sh := range p.shares {
			v := math.Min(left, math.Round(rows*sh*math.Exp(0.5*p.noise*r.NormFloat64())))
			if j == len(p.shares)-1 {
				v = left
			}
			run.Segments = append(run.Segments, v)
			left -= v
		}
		run.NullPct = rate(r, p.nullRate, rows)
		run.ZeroPct = rate(r, p.zeroRate, rows)
		start := time.Date(m.Year(), m.Of(), 1, 0, 0, 0, 0, time.UTC)
		run.At = start.Add(time.Duration(1+r.IntN(9))*24*time.Hour + 6*time.Hour)
		run.File = anomaly.File{Path: "data/export.xlsx", SHA256: digest(seed, id, i, ""), Month: m,
			ModTime: run.At.Add(-time.Duration(2+r.IntN(70)) * time.Hour)}
		h.Runs = append(h.Runs, run)
	}
	for i := Warmup; i < p.length; i++ {
		if r.Float64() >= 0.1 {
			continue
		}
		fixed := h.Runs[i]
		bad := fixed
		bad.Fixed = &fixed
		bad.Drifting = false
		bad.Label = Labels[r.IntN(numberOfKinds)]
		bad.File.SHA256 = digest(seed, id, i, string(bad.Label))
		inject(r, &bad, h.Runs[i-1])
		h.Runs[i] = bad
	}
	return h
}

// inject turns run into an anomaly of its label; prev is the month before.
func inject(r *rand.Rand, run *Run, prev Run) {
	scale := func(f float64) {
		run.Rows = math.Round(run.Rows * f)
		run.Revenue = math.Round(run.Revenue*f*100) / 100
		for j := range run.Segments {
			run.Segments[j] = math.Round(run.Segments[j] * f)
		}
	}
	run.Segments = append([]float64(nil), run.Segments...)
	switch run.Label {
	case Drop:
		f := 0.3 + 0.6*r.Float64()
		run.Variant = fmt.Sprintf("%.0f%% of the rows lost", f*100)
		scale(1 - f)
	case SpikeUp:
		f := 1.5 + 2.5*r.Float64()
		run.Variant = fmt.Sprintf("rows x%.2f", f)
		scale(f)
	case LoadedTwice:
		run.Variant = "every row twice"
		scale(2)
	case MissingMonth:
		if r.IntN(2) == 0 {
			run.Variant = "last month's file read again"
			at := run.At
			fixed := run.Fixed
			*run = prev
			run.Label, run.Variant, run.Fixed, run.At, run.Month = MissingMonth, "last month's file read again", fixed, at, fixed.Month
			run.Segments = append([]float64(nil), prev.Segments...)
			if prev.Fixed != nil { // last month was itself bad: the file read again is its fixed one
				run.File = prev.Fixed.File
			}
			run.Drifting = false
			return
		}
		run.Variant = "an empty export"
		scale(0)
		run.NullPct, run.ZeroPct = 0, 0
	case Renamed:
		run.Variant = `"colour" renamed "color"`
		run.Columns = rename(run.Columns, "colour", "color", "")
	case Retyped:
		run.Variant = `"vintage" BIGINT -> VARCHAR`
		run.Columns = rename(run.Columns, "vintage", "vintage", "VARCHAR")
	case SegmentLost:
		j := r.IntN(len(run.Segments))
		run.Variant = fmt.Sprintf("family_%d lost (%.0f%% of the rows)", j+1, 100*run.Segments[j]/math.Max(1, run.Rows))
		lost := run.Segments[j]
		run.Revenue = math.Round(run.Revenue*(run.Rows-lost)/math.Max(1, run.Rows)*100) / 100
		run.Rows -= lost
		run.Segments[j] = 0
	case RateJump:
		d := 10 + 30*r.Float64()
		if r.IntN(2) == 0 {
			run.Variant = fmt.Sprintf("null rate +%.0f points", d)
			run.NullPct = math.Min(100, run.NullPct+d)
		} else {
			run.Variant = fmt.Sprintf("zero rate +%.0f points", d)
			run.ZeroPct = math.Min(100, run.ZeroPct+d)
		}
	}
}

// rename returns cols with column from renamed to, and retyped to typ
// when typ is not "".
func rename(cols []anomaly.Column, from, to, typ string) []anomaly.Column {
	out := append([]anomaly.Column(nil), cols...)
	for i := range out {
		if out[i].Name == from {
			out[i].Name = to
			if typ != "" {
				out[i].Type = typ
			}
		}
	}
	return out
}

// poisson draws a count of mean m: Knuth's method under 30, the normal
// approximation above, rounded and not below 0.
func poisson(r *rand.Rand, m float64) float64 {
	if m < 30 {
		l, k, p := math.Exp(-m), 0.0, 1.0
		for {
			p *= r.Float64()
			if p <= l {
				return k
			}
			k++
		}
	}
	return math.Max(0, math.Round(m+math.Sqrt(m)*r.NormFloat64()))
}

// rate draws the percent of rows, of n, that hold a value of base percent,
// with binomial noise and a small month-to-month wobble.
func rate(r *rand.Rand, base, n float64) float64 {
	if base == 0 || n == 0 {
		return 0
	}
	p := base / 100 * math.Exp(0.1*r.NormFloat64())
	k := poisson(r, n*p)
	return math.Min(100, 100*k/n)
}

func digest(seed uint64, id, month int, label string) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%d/%d/%d/%s", seed, id, month, label))
	return hex.EncodeToString(h[:])
}

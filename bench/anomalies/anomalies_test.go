package anomalies

import (
	"math"
	"strings"
	"testing"
)

// TestFloors asserts issue 19's floors on the report histories: kiln's
// gates, with their defaults, find at least 90% of the anomalies and raise
// at most 1 false alarm per 100 normal monthly runs; and they do better
// than a plain z >= 3 rule and the fixed-percentage gates on both counts.
func TestFloors(t *testing.T) {
	r := Measure(ReportSeed, ReportHistories)
	k := r.Scores[0]
	if k.Gate != "kiln" {
		t.Fatalf("the first gate is %q", k.Gate)
	}
	if k.Anomalies.Runs < 1000 || k.Normal.Runs < 10000 {
		t.Fatalf("too few runs to measure: %d anomalous, %d normal", k.Anomalies.Runs, k.Normal.Runs)
	}
	if got := k.Anomalies.Rate(); got < MinRecall {
		t.Errorf("kiln's recall is %.1f%% (%d of %d), want at least %.0f%%; some misses:\n%s", 100*got, k.Anomalies.Failed, k.Anomalies.Runs,
			100*MinRecall, strings.Join(k.Misses[:min(10, len(k.Misses))], "\n"))
	}
	if got := k.Normal.Rate(); got > MaxFalseAlarm {
		t.Errorf("kiln raised %.2f false alarms per 100 normal runs (%d of %d), want at most %.0f; by check: %v", 100*got, k.Normal.Failed, k.Normal.Runs,
			100*MaxFalseAlarm, k.FalseBy)
	}
	for _, s := range r.Scores[2:] {
		if !(k.Normal.Rate() < s.Normal.Rate()) {
			t.Errorf("%s raised fewer false alarms (%.2f per 100) than kiln (%.2f)", s.Gate, 100*s.Normal.Rate(), 100*k.Normal.Rate())
		}
		if !(k.Anomalies.Rate() > s.Anomalies.Rate()) {
			t.Errorf("%s found more anomalies (%.1f%%) than kiln (%.1f%%)", s.Gate, 100*s.Anomalies.Rate(), 100*k.Anomalies.Rate())
		}
	}
	// Schema changes and stale files are found by their own gates, always.
	for _, l := range []Label{Renamed, Retyped, MissingMonth} {
		if b := k.ByLabel[l]; b.Runs == 0 || b.Failed != b.Runs {
			t.Errorf("%s: kiln found %d of %d", l, b.Failed, b.Runs)
		}
	}
}

// TestGenerateIsDeterministic: the same seed gives the same histories,
// another seed others.
func TestGenerateIsDeterministic(t *testing.T) {
	a, b, c := Generate(7, 30), Generate(7, 30), Generate(8, 30)
	same := func(x, y []History) bool {
		for i := range x {
			if x[i].Params != y[i].Params || len(x[i].Runs) != len(y[i].Runs) {
				return false
			}
			for j := range x[i].Runs {
				p, q := x[i].Runs[j], y[i].Runs[j]
				if p.Rows != q.Rows || p.Revenue != q.Revenue || p.Label != q.Label || p.File.SHA256 != q.File.SHA256 || p.NullPct != q.NullPct {
					return false
				}
			}
		}
		return true
	}
	if !same(a, b) {
		t.Error("seed 7 gave two different sets of histories")
	}
	if same(a, c) {
		t.Error("seeds 7 and 8 gave the same histories")
	}
}

// TestInjectedAnomalies checks each kind of anomaly against the month's
// correct run.
func TestInjectedAnomalies(t *testing.T) {
	seen := map[Label]int{}
	for _, h := range Generate(5, 300) {
		for i, r := range h.Runs {
			if r.Label == Normal {
				if r.Fixed != nil {
					t.Fatalf("a normal run has a fixed run")
				}
				continue
			}
			if i < Warmup {
				t.Fatalf("an anomaly in the warm-up, month %d", i)
			}
			f := r.Fixed
			if f == nil || f.Label != Normal || f.Month != r.Month {
				t.Fatalf("%s at month %d: fixed run %+v", r.Label, i, f)
			}
			seen[r.Label]++
			sum := 0.0
			for _, v := range r.Segments {
				sum += v
			}
			switch r.Label {
			case Drop:
				if !(r.Rows <= 0.7*f.Rows+1 && r.Rows >= 0.1*f.Rows-1) {
					t.Errorf("drop: %v rows of %v", r.Rows, f.Rows)
				}
			case SpikeUp:
				if !(r.Rows >= 1.5*f.Rows-1 && r.Rows <= 4*f.Rows+1) {
					t.Errorf("spike: %v rows of %v", r.Rows, f.Rows)
				}
			case LoadedTwice:
				if r.Rows != 2*f.Rows || math.Abs(r.Revenue-2*f.Revenue) > 0.011 {
					t.Errorf("loaded twice: %v rows of %v, revenue %v of %v", r.Rows, f.Rows, r.Revenue, f.Revenue)
				}
			case MissingMonth:
				prev := h.Runs[i-1]
				if prev.Fixed != nil {
					prev = *prev.Fixed
				}
				if r.Variant == "an empty export" {
					if r.Rows != 0 || r.File.SHA256 == prev.File.SHA256 {
						t.Errorf("empty export: %v rows", r.Rows)
					}
				} else if r.File.SHA256 != prev.File.SHA256 || r.Rows != h.Runs[i-1].Rows {
					t.Errorf("stale file: not last month's")
				}
			case Renamed, Retyped:
				if r.Rows != f.Rows || len(r.Columns) != len(f.Columns) {
					t.Errorf("%s changed the figures", r.Label)
				}
			case SegmentLost:
				zero := 0
				for _, v := range r.Segments {
					if v == 0 {
						zero++
					}
				}
				if zero == 0 || r.Rows != sum {
					t.Errorf("segment lost: %v of %v rows, segments %v", r.Rows, f.Rows, r.Segments)
				}
			case RateJump:
				if r.NullPct < f.NullPct+9.99 && r.ZeroPct < f.ZeroPct+9.99 && r.NullPct < 100 && r.ZeroPct < 100 {
					t.Errorf("rate jump: null %v -> %v, zero %v -> %v", f.NullPct, r.NullPct, f.ZeroPct, r.ZeroPct)
				}
			}
		}
	}
	for _, l := range Labels {
		if seen[l] < 10 {
			t.Errorf("only %d runs of %s in 300 histories", seen[l], l)
		}
	}
}

func TestSplice(t *testing.T) {
	section := Begin + "\nnew\n" + End + "\n"
	doc := "# Benchmarks\n\n## A\n\ntext\n\n" + Begin + "\nold\n" + End + "\n\n## B\n"
	want := "# Benchmarks\n\n## A\n\ntext\n\n" + Begin + "\nnew\n" + End + "\n\n## B\n"
	if got := Splice(doc, section); got != want {
		t.Errorf("splice:\n%q\nwant\n%q", got, want)
	}
	if got := Splice("# Benchmarks\n", section); got != "# Benchmarks\n\n"+section {
		t.Errorf("append: %q", got)
	}
	if got := Splice("", section); got != section {
		t.Errorf("empty: %q", got)
	}
}

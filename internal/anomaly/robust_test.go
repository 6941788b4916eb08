package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMADScaleIsTheNormalConsistencyFactor(t *testing.T) {
	// Φ⁻¹(3/4) = √2 erfinv(1/2).
	want := 1 / (math.Sqrt2 * math.Erfinv(0.5))
	if math.Abs(MADScale-want) > 1e-12 {
		t.Fatalf("MADScale = %v, want 1/Φ⁻¹(3/4) = %v", MADScale, want)
	}
}

func TestMedianAndMAD(t *testing.T) {
	for _, c := range []struct {
		xs       []float64
		med, mad float64
	}{
		{[]float64{3, 1, 2}, 2, 1},
		{[]float64{1, 2, 3, 4}, 2.5, 1},
		{[]float64{5, 5, 5, 100}, 5, 0},
		{[]float64{7}, 7, 0},
	} {
		xs := append([]float64(nil), c.xs...)
		if m := median(xs); m != c.med {
			t.Errorf("median(%v) = %v, want %v", c.xs, m, c.med)
		}
		if d := mad(xs, median(xs)); d != c.mad {
			t.Errorf("mad(%v) = %v, want %v", c.xs, d, c.mad)
		}
		for i := range xs {
			if xs[i] != c.xs[i] {
				t.Fatalf("median sorted its input: %v", xs)
			}
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("the median of nothing is not NaN")
	}
}

func TestTailOf(t *testing.T) {
	for k, want := range map[float64]float64{1.959964: 0.05, 3: 0.0026998, 2.75: 0.0059598} {
		if got := TailOf(k); math.Abs(got-want)/want > 1e-4 {
			t.Errorf("TailOf(%v) = %v, want %v", k, got, want)
		}
	}
}

// TestThresholdMatchesASimulation draws the score afresh, with another
// seed than the generator's, and checks the table's quantile at 1% for
// 6, 12 and 24 values within the sampling error.
func TestThresholdMatchesASimulation(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 19))
	const draws = 100_000
	for _, n := range []int{6, 12, 24} {
		q := Threshold(n, 0.01)
		xs := make([]float64, n)
		over := 0
		for range draws {
			for j := range xs {
				xs[j] = r.NormFloat64()
			}
			if Score(xs, r.NormFloat64()) > q {
				over++
			}
		}
		// 1% of 100,000 is 1,000, with a binomial standard deviation of 31.
		if over < 880 || over > 1120 {
			t.Errorf("n=%d: %d of %d scores beyond the 1%% quantile %.3f, want about 1,000", n, over, draws, q)
		}
	}
}

func TestThresholdShape(t *testing.T) {
	if a, b := Threshold(12, 0.0027), Threshold(12, 0.001); !(a < b) {
		t.Errorf("a smaller tail gives a lower threshold: %v at 0.27%%, %v at 0.1%%", a, b)
	}
	if a, b := Threshold(6, 0.0027), Threshold(24, 0.0027); !(a > 2*b) {
		t.Errorf("6 months give %v, 24 months %v: a short history should need far more", a, b)
	}
	if a, b := Threshold(24, 0.0027), Threshold(100, 0.0027); a != b {
		t.Errorf("beyond the table the last row holds: %v, %v", a, b)
	}
	// Interpolation lands between the columns.
	lo, mid, hi := Threshold(12, 0.005), Threshold(12, 0.004), Threshold(12, 0.0027)
	if !(lo < mid && mid < hi) {
		t.Errorf("Threshold(12, 0.4%%) = %v is not between %v and %v", mid, lo, hi)
	}
	if got := Threshold(24, TailOf(100)); got != levelTable[len(levelTable)-1][len(Tails)-1] {
		t.Errorf("a tail beyond the table is clamped to its last column, got %v", got)
	}
}

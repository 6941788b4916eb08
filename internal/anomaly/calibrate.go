package anomaly

import (
	"math"
)

// Tails are the two-sided tail probabilities of the table of robust score
// quantiles, from 10% to 1 in 100,000.
var Tails = [...]float64{0.1, 0.05, 0.02, 0.01, 0.005, 0.0027, 0.001, 5e-4, 2e-4, 1e-4, 5e-5, 2e-5, 1e-5}

// The numbers of points the table covers; beyond TableMaxN the threshold
// of TableMaxN is used (slightly wide: the quantiles fall towards the
// normal's as n grows).
const (
	TableMinN = 3
	TableMaxN = LevelWindow
)

// Score returns the robust score of y against xs without its sign:
// |y - median(xs)| / (MADScale x MAD(xs)); +Inf when the MAD is 0 and y
// differs from the median, 0 when it does not.
func Score(xs []float64, y float64) float64 {
	m := median(xs)
	s := MADScale * mad(xs, m)
	d := math.Abs(y - m)
	if s == 0 {
		if d == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return d / s
}

// Threshold returns the robust score that a new value from the same
// normal distribution as n points exceeds with probability p (two-sided):
// the quantile of the table, interpolated linearly in log p between its
// columns and clamped to them. With few points the MAD is often small by
// chance, so the threshold is far above the normal quantile (for p =
// 0.27%, the 3-sigma tail: about 13 with 6 points, 6 with 12, 4.2 with 24,
// against 3 for a known spread); this is what keeps a short history from
// raising false alarms.
func Threshold(n int, p float64) float64 {
	n = min(max(n, TableMinN), TableMaxN)
	row := levelTable[n-TableMinN]
	if p >= Tails[0] {
		return row[0]
	}
	last := len(Tails) - 1
	if p <= Tails[last] {
		return row[last]
	}
	for i := 1; i <= last; i++ {
		if p >= Tails[i] {
			f := (math.Log(p) - math.Log(Tails[i-1])) / (math.Log(Tails[i]) - math.Log(Tails[i-1]))
			return row[i-1] + f*(row[i]-row[i-1])
		}
	}
	return row[last]
}

// TailOf returns the two-sided tail probability of a standard normal
// beyond k: 2(1 - Φ(k)) = erfc(k/√2).
func TailOf(k float64) float64 { return math.Erfc(k / math.Sqrt2) }

package anomaly

import (
	"math"
	"slices"
)

// MADScale is the factor that makes the median absolute deviation a
// consistent estimator of the standard deviation of a normal distribution:
// 1/Φ⁻¹(3/4) = 1.482602218505602 (Hampel 1974, "The influence curve and its
// role in robust estimation", JASA 69; Rousseeuw and Croux 1993, "Alternatives
// to the median absolute deviation", JASA 88, section 1).
const MADScale = 1.482602218505602

// median returns the median of xs (the mean of the two middle values when
// len(xs) is even), NaN for no value. xs is not modified.
func median(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// mad returns the raw median absolute deviation of xs around center,
// median(|x - center|), unscaled; NaN for no value.
func mad(xs []float64, center float64) float64 {
	d := make([]float64, len(xs))
	for i, x := range xs {
		d[i] = math.Abs(x - center)
	}
	return median(d)
}

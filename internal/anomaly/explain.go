package anomaly

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Summary says in one sentence what r found: the value, the band, the
// expected value and how it was computed, and the rules that decided.
func (r Result) Summary() string {
	v := Num(r.Value)
	switch r.Verdict {
	case ColdStart:
		s := fmt.Sprintf("cold start: %s of the %d the gate needs (%d more); it warns and does not fail",
			plural(len(r.Points), "accepted month"), r.Options.MinPoints, r.Needed)
		if len(r.Points) == 0 {
			return s + "; " + v + " is the first value"
		}
		s += fmt.Sprintf("; %s is %s from the median %s and %s from %s", v, Pct(r.ChangePct), r.num(r.Expected),
			Pct(r.Anchors[1].ChangePct), r.Anchors[1].text())
		if r.allBeyond() {
			s += fmt.Sprintf(": beyond ±%s%%%s, it would be an anomaly", Num(r.Options.MinChangePct), minChange(r.Options))
		}
		return s
	case Anomaly:
		return fmt.Sprintf("%s is outside the band %s (expected %s, %s): %s", v, r.Band(), r.num(r.Expected), r.ReferenceText(), r.deciding())
	default:
		return fmt.Sprintf("%s is inside the band %s (expected %s, %s): %s", v, r.Band(), r.num(r.Expected), r.ReferenceText(), r.deciding())
	}
}

// Band writes the band as "lo..hi", "at least lo" or "at most hi".
func (r Result) Band() string {
	switch {
	case math.IsInf(r.Lower, -1):
		return "at most " + r.num(r.Upper)
	case math.IsInf(r.Upper, 1):
		return "at least " + r.num(r.Lower)
	}
	return r.num(r.Lower) + ".." + r.num(r.Upper)
}

// Num writes a value derived from the months (the expected value, the
// band) as the explanation does: rounded to whole numbers when the months
// are (row counts).
func (r Result) Num(x float64) string { return r.num(x) }

func (r Result) num(x float64) string {
	if r.Whole && !math.IsInf(x, 0) && !math.IsNaN(x) {
		return Num(math.Round(x))
	}
	return Num(x)
}

// ReferenceText says how the expected value was computed.
func (r Result) ReferenceText() string {
	switch r.Reference {
	case Seasonal:
		if r.Log {
			return fmt.Sprintf("%s (%s) %s, the median year-over-year change of %s", r.SameMonth.Month, Num(r.SameMonth.Value),
				Pct((math.Exp(r.Growth)-1)*100), plural(r.N, "month"))
		}
		return fmt.Sprintf("%s (%s) %s, the median year-over-year change of %s", r.SameMonth.Month, Num(r.SameMonth.Value),
			signed(r.Growth), plural(r.N, "month"))
	case Level:
		return "the median of the last " + plural(r.N, "accepted month")
	}
	return "the median of " + plural(len(r.Points), "accepted month")
}

// text names the anchor: its month and value, and how it was moved.
func (a Anchor) text() string {
	what := map[AnchorKind]string{FromLast: "", FromYearBefore: "the same month a year before, "}[a.Kind]
	if a.Base.Month == 0 && a.Value == a.Point.Value {
		return fmt.Sprintf("%s (%s%s)", a.Point.Month, what, Num(a.Point.Value))
	}
	if a.Base.Month == 0 {
		return fmt.Sprintf("%s (%s%s, moved by the median year-over-year change to %s)", a.Point.Month, what, Num(a.Point.Value), Num(a.Value))
	}
	return fmt.Sprintf("%s (%s%s, moved %s as %s -> %s: %s)", a.Point.Month, what, Num(a.Point.Value),
		Pct(changePct(a.Point.Value, a.Value)), a.Base.Month, a.To.Month, Num(a.Value))
}

// deciding says which rules decided the verdict.
func (r Result) deciding() string {
	o := r.Options
	score := fmt.Sprintf("robust score %s against a threshold of %s", signed(r.Score), Num(r.Threshold))
	floors := fmt.Sprintf("±%s%%%s", Num(o.MinChangePct), minChange(o))
	change := func(a Anchor) string {
		if a.Kind == FromExpected {
			return Pct(a.ChangePct) + " from the expected value"
		}
		return Pct(a.ChangePct) + " from " + a.text()
	}
	if r.Verdict == Anomaly {
		parts := []string{score}
		for _, a := range r.Anchors {
			parts = append(parts, change(a))
		}
		return strings.Join(parts, ", ") + ", beyond " + floors
	}
	var held []string
	if !r.ScoreBeyond {
		held = append(held, score)
	}
	for _, a := range r.Anchors {
		if !a.Beyond {
			held = append(held, change(a)+", within "+floors)
		}
	}
	if len(held) == 0 {
		return "every rule broken, but in the direction the gate ignores (" + o.Direction.String() + " only)"
	}
	return strings.Join(held, "; ")
}

func minChange(o Options) string {
	if o.MinChange == 0 {
		return ""
	}
	return " and ±" + Num(o.MinChange)
}

// allBeyond reports whether the value is beyond the floors of every anchor.
func (r Result) allBeyond() bool {
	for _, a := range r.Anchors {
		if !a.Beyond {
			return false
		}
	}
	return len(r.Anchors) > 0
}

// Explain returns the explanation of r, a line per fact: the summary, the
// spread and threshold of the score rule, and the accepted months used.
func (r Result) Explain() []string {
	lines := []string{r.Summary()}
	if r.Verdict != ColdStart {
		scale := "values"
		if r.Log {
			scale = "logarithms"
		}
		lines = append(lines, fmt.Sprintf("spread: 1.4826 x the median absolute deviation of the %s of %s = %s; threshold %s: sensitivity %s (a tail of %s) for %s",
			scale, plural(r.N, map[Reference]string{Level: "month", Seasonal: "year-over-year change"}[r.Reference]), Num(r.Sigma), Num(r.Threshold),
			Num(r.Options.Sensitivity), Pct(100 * TailOf(r.Options.Sensitivity) / float64(max(1, r.Options.Comparisons)))[1:], plural(r.N, "value")))
	}
	if len(r.Points) > 0 {
		var b strings.Builder
		for i, p := range r.Points {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(p.Month.String() + " " + Num(p.Value))
		}
		lines = append(lines, "accepted months: "+b.String())
	}
	return lines
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// Num writes x for a person: thousands separated by commas, at most two
// decimals above 100, four significant digits below.
func Num(x float64) string {
	switch {
	case math.IsNaN(x):
		return "n/a"
	case math.IsInf(x, 0):
		if x > 0 {
			return "∞"
		}
		return "-∞"
	}
	a := math.Abs(x)
	var s string
	switch {
	case a >= 1e15:
		return strconv.FormatFloat(x, 'g', 6, 64)
	case a >= 100:
		s = strconv.FormatFloat(x, 'f', 2, 64)
	case a == 0:
		return "0"
	default:
		s = strconv.FormatFloat(x, 'f', max(0, 3-int(math.Floor(math.Log10(a)))), 64)
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// Pct writes a change in percent with its sign and one decimal.
func Pct(p float64) string {
	if math.IsInf(p, 0) {
		if p > 0 {
			return "+∞%"
		}
		return "-∞%"
	}
	if math.IsNaN(p) {
		return "n/a"
	}
	return fmt.Sprintf("%+.1f%%", p)
}

func signed(x float64) string {
	if x >= 0 || math.IsNaN(x) {
		return "+" + Num(x)
	}
	return Num(x)
}

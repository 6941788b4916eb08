package artifact

import (
	"fmt"
	"math"

	"github.com/kiln-build/kiln/internal/run"
)

// GateResult is one series of a deviation gate in run_results.json, in the
// result's "gates" list (kiln's extension): what it watched, the month, the
// value, the verdict, the expected value and band, the accepted months it
// learnt from, and the explanation. Numbers that do not exist (the band of
// a cold start) are null.
type GateResult struct {
	Label    string          `json:"label"`
	Segment  string          `json:"segment,omitempty"`
	Month    string          `json:"month"` // YYYY-MM
	Value    *float64        `json:"value"`
	Verdict  string          `json:"verdict"` // pass, anomaly, cold_start
	Accepted bool            `json:"accepted"`
	Expected *float64        `json:"expected"`
	Lower    *float64        `json:"lower"`
	Upper    *float64        `json:"upper"`
	History  []GatePointJSON `json:"history"`
	Explain  []string        `json:"explain"`
}

// GatePointJSON is an accepted month of a gate's history.
type GatePointJSON struct {
	Month string  `json:"month"`
	Value float64 `json:"value"`
}

// MonthText writes a month counted as year*12 + month-1 as YYYY-MM.
func MonthText(m int) string { return fmt.Sprintf("%04d-%02d", m/12, m%12+1) }

func gateResults(gs []run.Gate) []GateResult {
	if len(gs) == 0 {
		return nil
	}
	out := make([]GateResult, len(gs))
	for i, g := range gs {
		r := GateResult{Label: g.Label, Segment: g.Segment, Month: MonthText(g.Month), Verdict: g.Verdict, Accepted: g.Accepted,
			Expected: finite(g.Expected), Lower: finite(g.Lower), Upper: finite(g.Upper), History: []GatePointJSON{}, Explain: g.Explain}
		if g.Observed {
			r.Value = finite(g.Value)
		}
		for _, p := range g.History {
			r.History = append(r.History, GatePointJSON{Month: MonthText(p.Month), Value: p.Value})
		}
		if r.Explain == nil {
			r.Explain = []string{}
		}
		out[i] = r
	}
	return out
}

// finite returns &x, or nil for NaN and ±Inf (which JSON cannot hold).
func finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

package anomalies

import "fmt"

// Tally counts runs and the runs a gate failed.
type Tally struct{ Runs, Failed int }

func (t *Tally) add(failed bool) {
	t.Runs++
	if failed {
		t.Failed++
	}
}

// Rate returns Failed / Runs, 0 for no run.
func (t Tally) Rate() float64 {
	if t.Runs == 0 {
		return 0
	}
	return float64(t.Failed) / float64(t.Runs)
}

// Score is a gate's outcome on a set of histories.
type Score struct {
	Gate string
	// Anomalies counts the anomalous runs and those failed (recall);
	// ByLabel the same by kind.
	Anomalies Tally
	ByLabel   map[Label]Tally
	// Normal counts the normal runs (the months without anomaly and the
	// runs again after a fix) and those failed (false alarms); Drifting
	// the normal runs inside a slow drift, which Normal includes.
	Normal, Drifting Tally
	// ByLength counts the normal runs by history length.
	ByLength map[int]Tally
	// FalseBy counts the false alarms by the check that fired (a run may
	// count under several).
	FalseBy map[string]int
	// Misses are some missed anomalies, for diagnostics.
	Misses []string
}

// Evaluate runs gate over hs as a pipeline lives them (see the package
// documentation) and counts its outcome on the months after Warmup.
func Evaluate(gate Gate, hs []History) Score {
	s := Score{Gate: gate.Name(), ByLabel: map[Label]Tally{}, ByLength: map[int]Tally{}, FalseBy: map[string]int{}}
	normal := func(h *History, run Run, fired []string) {
		s.Normal.add(len(fired) > 0)
		if run.Drifting {
			s.Drifting.add(len(fired) > 0)
		}
		t := s.ByLength[len(h.Runs)]
		t.add(len(fired) > 0)
		s.ByLength[len(h.Runs)] = t
		for _, f := range fired {
			s.FalseBy[f]++
		}
	}
	for hi := range hs {
		h := &hs[hi]
		var accepted []Run
		for i, run := range h.Runs {
			scored := i >= Warmup
			fired := gate.Check(h, accepted, run)
			if run.Label == Normal {
				if scored {
					normal(h, run, fired)
				}
				accepted = append(accepted, run) // passed, or accepted with --accept-deviations
				continue
			}
			s.Anomalies.add(len(fired) > 0)
			t := s.ByLabel[run.Label]
			t.add(len(fired) > 0)
			s.ByLabel[run.Label] = t
			if len(fired) == 0 {
				if len(s.Misses) < 2000 {
					s.Misses = append(s.Misses, missNote(h, i, run))
				}
				accepted = append(accepted, run) // missed: it stays in the history
				continue
			}
			fixed := *run.Fixed
			normal(h, fixed, gate.Check(h, accepted, fixed))
			accepted = append(accepted, fixed)
		}
	}
	return s
}

func missNote(h *History, i int, run Run) string {
	return fmt.Sprintf("%s (%s) at month %d of history %d: %s", run.Label, run.Variant, i, h.ID, h.Params)
}

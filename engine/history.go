package engine

import (
	"fmt"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/internal/anomaly"
	"github.com/kiln-build/kiln/internal/run"
)

// RunStatus returns a run's status from its results, as the history
// records it: "interrupted" when interrupted is set, "error" when a node
// errored or a test failed, else "success" (warnings allowed).
func RunStatus(results []run.Result, interrupted bool) string {
	if interrupted {
		return "interrupted"
	}
	for _, r := range results {
		if r.Status == run.Error || r.Status == run.Fail {
			return "error"
		}
	}
	return "success"
}

// runRecord returns the history's record of a run and of its nodes; r's
// Status is the run's final status.
func runRecord(r adapter.RunRecord, results []run.Result) (adapter.RunRecord, []adapter.NodeRecord) {
	nodes := make([]adapter.NodeRecord, len(results))
	for i, res := range results {
		switch res.Status {
		case run.Error, run.Fail:
			r.Errors++
		case run.Warn:
			r.Warnings++
		case run.Skipped:
			r.Skipped++
		}
		n := adapter.NodeRecord{UniqueID: string(res.ID), Status: string(res.Status), Seconds: res.Duration().Seconds(),
			Message: res.Message, Metrics: res.Metrics}
		// A gate's value joins its history only from a run that succeeded
		// (r.Status is final here: "rolled_back" when the commit failed),
		// in which its node passed or warned: the checks that passed in a
		// failed run teach the gates nothing either.
		learns := gateLearns(r.Status, res.Status)
		for _, g := range res.Gates {
			if g.Observed {
				n.Observations = append(n.Observations, adapter.Observation{Series: g.Series, Segment: g.Segment, Month: g.Month,
					Value: g.Value, Detail: g.Detail, Accepted: g.Accepted && learns})
			}
		}
		if !res.Started.IsZero() {
			n.Started = res.Started
		}
		if res.Rows >= 0 && res.Status != run.Skipped {
			rows := res.Rows
			n.Rows = &rows
		}
		if res.Status == run.Pass || res.Status == run.Warn || res.Status == run.Fail {
			f := res.Failures
			n.Failures = &f
		}
		nodes[i] = n
	}
	r.Nodes = len(results)
	return r, nodes
}

// gateLearns reports whether a gate's accepted value joins its history:
// only from a run whose final status is "success", in which its node
// passed or warned.
func gateLearns(runStatus string, node run.Status) bool {
	return runStatus == "success" && (node == run.Pass || node == run.Warn)
}

// killedRecord is the record of a run killed before it could record
// itself (a run of a kiln older than the run history).
func killedRecord(id string, at time.Time) adapter.RunRecord {
	return adapter.RunRecord{ID: id, Command: "(killed)", Started: at, Finished: at, Status: "killed"}
}

// location is the time zone in which the anomaly tests count months: the
// project's schedule's, else its timezone: key's, else the machine's.
func (p *Project) location() *time.Location {
	for _, tz := range []string{p.scheduleTZ(), p.Project.Config.TimeZone} {
		if tz == "" {
			continue
		}
		if loc, err := time.LoadLocation(tz); err == nil {
			return loc
		}
	}
	return time.Local
}

// runMonth is the run's month, the month the anomaly tests without a
// period record and check: the value of the project's var of type month
// (var-types:, --vars over vars:), when it declares exactly one and its
// value is a month; nil otherwise (the month of the run's start). With two
// month vars the compiler refuses the anomaly tests without a period
// (compiler's anomalyMonthAmbiguous), so none of them reads the clock's
// month in their place.
func (p *Project) runMonth() *anomaly.Month {
	var name string
	for n, t := range p.Project.VarTypes {
		if t == nil || t.Type != project.VarMonth {
			continue
		}
		if name != "" {
			return nil // two month vars: which one the run is for is unknown
		}
		name = n
	}
	if name == "" {
		return nil
	}
	v, ok := p.cfg.Vars[name]
	if !ok {
		if v, ok = p.Project.Config.Vars[name]; !ok {
			return nil
		}
	}
	if v == nil {
		return nil
	}
	m, err := anomaly.ParseMonth(fmt.Sprint(v))
	if err != nil {
		return nil
	}
	return &m
}

func (p *Project) scheduleTZ() string {
	if s := p.Project.Config.Schedule; s != nil {
		return s.Timezone
	}
	return ""
}

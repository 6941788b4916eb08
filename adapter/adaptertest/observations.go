package adaptertest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// testObservations: a deviation gate's observations come back from the
// runs that succeeded and in which the gate passed or warned, only when
// accepted, oldest first, with their run; a rolled-back flow transaction's
// are forgotten. Stored, an observation is accepted only when its run
// succeeded and its gate's node passed or warned: a failed run's, and a
// rolled-back flow transaction's once it is rolled back, are not.
func testObservations(t *testing.T, e *env) {
	s := e.c.Store()
	if obs, err := s.Observations(ctx, "gate"); err != nil || len(obs) != 0 {
		t.Fatalf("Observations on an empty database = %v, %v", obs, err)
	}
	base := time.Date(2026, 1, 2, 6, 0, 0, 0, time.UTC)
	finish := func(id, status, node, txn string, at time.Time, obs ...adapter.Observation) {
		t.Helper()
		r := adapter.RunRecord{ID: id, Command: "build", Started: at, Finished: at.Add(time.Minute), Status: status, Txn: txn}
		if err := s.StartRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		nodes := []adapter.NodeRecord{{UniqueID: "test.p.gate", Status: node, Observations: obs},
			{UniqueID: "model.p.m", Status: "success"}}
		if err := s.FinishRun(ctx, r, nodes); err != nil {
			t.Fatal(err)
		}
	}
	o := func(segment string, month int, v float64, accepted bool) adapter.Observation {
		return adapter.Observation{Series: "gate", Segment: segment, Month: month, Value: v, Accepted: accepted}
	}
	jan := 2026*12 + 0
	finish("r1", "success", "pass", "", base, o("", jan, 100, true), o("a", jan, 60, true),
		adapter.Observation{Series: "other", Month: jan, Value: 1, Accepted: true})
	finish("r2", "success", "warn", "", base.Add(24*time.Hour), o("", jan+1, 300, false), o("a", jan+1, 61, true))
	finish("r3", "error", "fail", "", base.Add(48*time.Hour), o("", jan+1, 400, true))
	finish("r4", "success", "pass", "flow-1", base.Add(72*time.Hour), o("", jan+1, 110, true))
	finish("r5", "success", "pass", "", base.Add(96*time.Hour), o("", jan+2, 120, true),
		adapter.Observation{Series: "gate", Segment: "cols", Month: jan + 2, Detail: `[{"name":"a","type":"BIGINT"}]`, Accepted: true})
	if err := s.MarkRolledBack(ctx, "flow-1"); err != nil {
		t.Fatal(err)
	}
	_, rows, err := e.c.QueryRows(ctx, `select run_id, sum(case when accepted then 1 else 0 end), count(*)
        from kiln_history.observations group by run_id order by run_id`)
	if err != nil {
		t.Fatal(err)
	}
	var flags []string
	for _, r := range rows {
		flags = append(flags, fmt.Sprintf("%v %v/%v", r[0], r[1], r[2]))
	}
	if got, want := strings.Join(flags, ", "), "r1 3/3, r2 1/2, r3 0/1, r4 0/1, r5 2/2"; got != want {
		t.Errorf("stored observations accepted/all by run: %s, want %s", got, want)
	}
	obs, err := s.Observations(ctx, "gate")
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		run, segment string
		month        int
		value        float64
		detail       string
	}
	want := []got{{"r1", "", jan, 100, ""}, {"r1", "a", jan, 60, ""}, {"r2", "a", jan + 1, 61, ""}, {"r5", "", jan + 2, 120, ""},
		{"r5", "cols", jan + 2, 0, `[{"name":"a","type":"BIGINT"}]`}}
	var have []got
	for _, x := range obs {
		have = append(have, got{x.RunID, x.Segment, x.Month, x.Value, x.Detail})
		if x.Series != "gate" || !x.Accepted || x.At.IsZero() {
			t.Errorf("observation %+v", x)
		}
	}
	if len(have) != len(want) {
		t.Fatalf("Observations = %+v\nwant %+v", have, want)
	}
	// Within a run the order is the store's; compare as sets per run.
	seen := map[got]bool{}
	for _, h := range have {
		seen[h] = true
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("missing %+v in %+v", w, have)
		}
	}
	if have[0].run != "r1" || have[len(have)-1].run != "r5" {
		t.Errorf("not oldest first: %+v", have)
	}
	// A run recorded again replaces its observations.
	finish("r5", "success", "pass", "", base.Add(96*time.Hour), o("", jan+2, 125, true))
	obs, _ = s.Observations(ctx, "gate")
	if last := obs[len(obs)-1]; len(obs) != 4 || last.Value != 125 || last.RunID != "r5" {
		t.Errorf("after recording r5 again: %+v", obs)
	}
}

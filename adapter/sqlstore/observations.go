package sqlstore

import (
	"context"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// writeObservations records the observations of run r's nodes; it runs
// in FinishRun's transaction, after the run's earlier rows are deleted.
// An observation is recorded accepted only when the gate accepted it, its
// node passed or warned and the run succeeded (accepted): a failed,
// interrupted, rolled-back or refused run teaches no gate anything, even
// through the checks that passed in it.
// kiln_history.observations is created with the other history tables
// (ddl), at a run's start before any node runs: created lazily, when
// first written, writers on two connections at once would both create it
// (as kiln_history.intervals did, which DuckDB failed with a write-write
// conflict on the catalog).
func (s *Store) writeObservations(ctx context.Context, runID string, succeeded bool, nodes []adapter.NodeRecord) error {
	if _, err := s.c.Exec(ctx, "delete from kiln_history.observations where run_id = "+s.lit(runID)); err != nil {
		return err
	}
	w, err := s.c.Bulk(ctx, adapter.Relation{Schema: Schema, Name: "observations"}, nil)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		passed := succeeded && (n.Status == "pass" || n.Status == "warn")
		for _, o := range n.Observations {
			var detail any
			if o.Detail != "" {
				detail = o.Detail
			}
			if err := w.Write(runID, n.UniqueID, o.Series, o.Segment, int32(o.Month), o.Value, detail, o.Accepted && passed); err != nil {
				w.Close()
				return err
			}
		}
	}
	_, err = w.Close()
	return err
}

// Observations returns the accepted observations of series, oldest first:
// those of runs that succeeded, in which the gate's node passed or warned.
func (s *Store) Observations(ctx context.Context, series string) ([]adapter.Observation, error) {
	if ok, err := s.exists(ctx, "observations"); !ok || err != nil {
		return nil, err
	}
	_, rows, err := s.c.QueryRows(ctx, `select o.segment, o.month, o.value, coalesce(o.detail, ''), r.run_id, r.started_at
        from kiln_history.observations o
        join kiln_history.runs r on r.run_id = o.run_id
        join kiln_history.node_results n on n.run_id = o.run_id and n.unique_id = o.unique_id
        where o.series = `+s.lit(series)+` and o.accepted and r.status = 'success' and n.status in ('pass', 'warn')
        order by r.started_at, r.run_id`)
	if err != nil {
		return nil, err
	}
	out := make([]adapter.Observation, len(rows))
	for i, r := range rows {
		at, _ := r[5].(time.Time)
		v, _ := r[2].(float64)
		out[i] = adapter.Observation{Series: series, Segment: str(r[0]), Month: int(num(r[1])), Value: v, Detail: str(r[3]),
			Accepted: true, RunID: str(r[4]), At: at}
	}
	return out, nil
}

// hasObservations reports whether a node of nodes observed something.
func hasObservations(nodes []adapter.NodeRecord) bool {
	for _, n := range nodes {
		if len(n.Observations) > 0 {
			return true
		}
	}
	return false
}

// unaccept sets the observations of the runs that where selects (a
// condition on kiln_history.runs) to not accepted: runs that ended other
// than in success after they were recorded (killed, rolled back).
func (s *Store) unaccept(ctx context.Context, where string) error {
	if ok, err := s.exists(ctx, "observations"); !ok || err != nil {
		return err
	}
	_, err := s.c.Exec(ctx, "update kiln_history.observations set accepted = false where accepted and run_id in (select run_id from kiln_history.runs where "+where+")")
	return err
}

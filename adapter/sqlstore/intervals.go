package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// ensureIntervals makes sure kiln_history.intervals exists. The table is
// part of ddl, so that a run's start creates it before any node runs:
// created lazily, two microbatch models building at once on a fresh
// database would both create it, and DuckDB fails one with a write-write
// conflict on the catalog.
func (s *Store) ensureIntervals(ctx context.Context) error { return s.ensure(ctx) }

// Intervals returns the batches recorded for node id, by start.
func (s *Store) Intervals(ctx context.Context, id string) ([]adapter.Interval, error) {
	if err := s.ensureIntervals(ctx); err != nil {
		return nil, err
	}
	_, rows, err := s.c.QueryRows(ctx, "select batch_start, batch_end, digest, run_id, built_at from kiln_history.intervals where unique_id = "+
		s.lit(id)+" order by batch_start")
	if err != nil {
		return nil, err
	}
	out := make([]adapter.Interval, 0, len(rows))
	for _, r := range rows {
		start, _ := r[0].(time.Time)
		end, _ := r[1].(time.Time)
		built, _ := r[4].(time.Time)
		out = append(out, adapter.Interval{Start: start.UTC(), End: end.UTC(), Digest: str(r[2]), RunID: str(r[3]), Built: built.UTC()})
	}
	return out, nil
}

// SaveIntervals records the batches of node id that run runID built,
// replacing those recorded with the same start.
func (s *Store) SaveIntervals(ctx context.Context, id, runID string, ivs []adapter.Interval) error {
	if len(ivs) == 0 {
		return nil
	}
	if err := s.ensureIntervals(ctx); err != nil {
		return err
	}
	now := s.ts(time.Now())
	for start := 0; start < len(ivs); start += 500 {
		var b strings.Builder
		b.WriteString("insert into kiln_history.intervals (unique_id, batch_start, batch_end, digest, run_id, built_at) values ")
		for i, iv := range ivs[start:min(start+500, len(ivs))] {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%s, %s, %s, %s, %s, %s)", s.lit(id), s.ts(iv.Start), s.ts(iv.End), s.lit(iv.Digest), s.lit(runID), now)
		}
		b.WriteString(" on conflict (unique_id, batch_start) do update set batch_end = excluded.batch_end, digest = excluded.digest, run_id = excluded.run_id, built_at = excluded.built_at")
		if _, err := s.c.Exec(ctx, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// ForgetIntervals forgets the batches of node id (its table is rebuilt).
func (s *Store) ForgetIntervals(ctx context.Context, id string) error {
	if err := s.ensureIntervals(ctx); err != nil {
		return err
	}
	_, err := s.c.Exec(ctx, "delete from kiln_history.intervals where unique_id = "+s.lit(id))
	return err
}

// ForgetRunIntervals forgets the batches that runs runIDs built, and those
// of the runs of flow transaction txn when txn is not "".
func (s *Store) ForgetRunIntervals(ctx context.Context, runIDs []string, txn string) error {
	if len(runIDs) == 0 && txn == "" {
		return nil
	}
	if err := s.ensureIntervals(ctx); err != nil {
		return err
	}
	var conds []string
	if len(runIDs) > 0 {
		ids := make([]string, len(runIDs))
		for i, id := range runIDs {
			ids[i] = s.lit(id)
		}
		conds = append(conds, "run_id in ("+strings.Join(ids, ", ")+")")
	}
	if txn != "" {
		if err := s.ensure(ctx); err != nil {
			return err
		}
		conds = append(conds, "run_id in (select run_id from kiln_history.runs where txn = "+s.lit(txn)+")")
	}
	_, err := s.c.Exec(ctx, "delete from kiln_history.intervals where "+strings.Join(conds, " or "))
	return err
}

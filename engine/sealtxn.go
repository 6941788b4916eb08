package engine

import (
	"context"
	"encoding/json"

	"github.com/kiln-build/kiln/adapter"
)

// The seal on PostgreSQL (sealpg.go) and flow transactions: a run of a
// flow does not seal (kiln transaction commit publishes its state
// later), but records in the seal the relations it found changed since
// the seal (markDirty); kiln transaction rollback then seals the
// relations it put back as the seal vouches for them (resealTxn, see
// vouched), so that the next build takes them as up to date, and no
// other.

// markDirty adds to the seal's Dirty the relations that the run, of a
// flow transaction, found changed since the seal, but those the flow's
// earlier runs changed (which the flow built: kiln transaction rollback
// puts back what they found).
func (r *runner) markDirty(ctx context.Context) error {
	if r.pg == nil || r.pg.old == nil || len(r.changed) == 0 {
		return nil
	}
	rs, ok := r.ex.Conn(0).(adapter.RelationSealer)
	if !ok {
		return nil
	}
	es, err := r.ex.Conn(0).Store().Journal(ctx)
	if err != nil {
		return err
	}
	built := map[string]bool{}
	for _, e := range es {
		if e.Txn == r.opts.Transaction && e.Done && e.RunID != r.p.InvocationID() {
			built[e.Relation.Schema+"."+e.Relation.Name] = true
		}
	}
	s, err := loadServerSeal(ctx, rs)
	if err != nil || s == nil {
		return err
	}
	n := 0
	for _, k := range r.changed {
		if !built[k] && s.Dirty[k] == "" {
			if s.Dirty == nil {
				s.Dirty = map[string]string{}
			}
			s.Dirty[k] = r.opts.Transaction
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return saveServerSeal(ctx, rs, s)
}

// resealTxn seals, after kiln transaction rollback txn put back the
// relations of entries es (newest first), those it put back as the seal
// vouches for them (see vouched); the other relations keep the seal's
// prints, and the next build runs the nodes of those that differ. It
// does nothing on a database without a seal, or that does not count
// writes.
func resealTxn(ctx context.Context, rs adapter.RelationSealer, es []adapter.JournalEntry, txn string) error {
	if len(es) == 0 {
		return nil
	}
	s, err := loadServerSeal(ctx, rs)
	if err != nil || s == nil {
		return err
	}
	if err := rs.FlushStats(ctx); err != nil {
		return err
	}
	seen := map[string]bool{}
	var schemas []string
	for _, e := range es {
		if !seen[e.Relation.Schema] {
			seen[e.Relation.Schema] = true
			schemas = append(schemas, e.Relation.Schema)
		}
	}
	now, counts, err := rs.RelationPrints(ctx, schemas)
	if err != nil || !counts {
		return err
	}
	clean := func(k string) bool { return s.Dirty[k] == "" }
	for k := range vouched(rs, es, s.Prints, now, clean, false) {
		s.Prints[k] = now[k]
	}
	for k, t := range s.Dirty {
		if t == txn {
			delete(s.Dirty, k)
		}
	}
	return saveServerSeal(ctx, rs, s)
}

// forgetDirty removes flow transaction txn's relations from the seal's
// Dirty, once it is committed.
func forgetDirty(ctx context.Context, rs adapter.RelationSealer, txn string) error {
	s, err := loadServerSeal(ctx, rs)
	if err != nil || s == nil {
		return err
	}
	n := len(s.Dirty)
	for k, t := range s.Dirty {
		if t == txn {
			delete(s.Dirty, k)
		}
	}
	if len(s.Dirty) == n {
		return nil
	}
	return saveServerSeal(ctx, rs, s)
}

// loadServerSeal returns the seal, nil when there is none (or it cannot
// be read: no print is then vouched for).
func loadServerSeal(ctx context.Context, rs adapter.RelationSealer) (*serverSeal, error) {
	text, err := rs.LoadSeal(ctx)
	if err != nil || text == "" {
		return nil, err
	}
	var s serverSeal
	if json.Unmarshal([]byte(text), &s) != nil || s.Prints == nil {
		return nil, nil
	}
	return &s, nil
}

func saveServerSeal(ctx context.Context, rs adapter.RelationSealer, s *serverSeal) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return rs.SaveSeal(ctx, string(b))
}

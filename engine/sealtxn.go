package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/run"
)

// The seal on PostgreSQL (sealpg.go) and flow transactions. A run of a
// flow does not seal: its relations are published later, by kiln
// transaction commit, or put back by kiln transaction rollback.
//
//   - As it starts, before any node changes anything, the run records in
//     the seal's Dirty the relations it found changed since the seal
//     (markDirty); should it fail to, it stops, having changed nothing:
//     otherwise kiln transaction rollback could take such a relation,
//     put back with the change, as kiln left it.
//   - As it ends, committed, it records in the seal's Flow the prints of
//     the relations its nodes built (flowPrints).
//   - kiln transaction commit seals the relations of Flow whose print is
//     still the one the flow's run left (sealCommit): one written since
//     (by another session, between the flow's runs or before the
//     commit) keeps the seal's print, and the next build runs it.
//   - kiln transaction rollback seals the relations it put back as the
//     seal vouches for them (resealTxn, see vouched), but those of Dirty.

// flowSeal is what the runs of open flow transaction Txn leave for kiln
// transaction commit to seal.
type flowSeal struct {
	Txn string `json:"txn"`
	// Prints are the relations ("schema.name") the flow's runs built, with
	// their prints as the last run that built each left it.
	Prints map[string]string `json:"prints,omitempty"`
	// Unsealed, when set, says why the commit seals nothing of the flow:
	// a statement of one of its runs may have written another node's
	// relation.
	Unsealed string `json:"unsealed,omitempty"`
}

// markDirty adds to the seal's Dirty the relations that the run, of a
// flow transaction, found changed since the seal (r.changed), but those
// the flow's earlier runs changed (which the flow built: kiln
// transaction rollback puts back what they found). It runs before any
// node of the run, and returns an error, which stops the run before it
// changes anything, when it cannot save the seal.
func (r *runner) markDirty(ctx context.Context) error {
	if r.opts.Transaction == "" || r.pg == nil || r.pg.old == nil || len(r.changed) == 0 {
		return nil
	}
	rs, ok := r.ex.Conn(0).(adapter.RelationSealer)
	if !ok {
		return nil
	}
	err := func() error {
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
		for _, k := range sortedValues(r.changed) {
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
	}()
	if err != nil {
		return fmt.Errorf("flow transaction %s: kiln cannot record in %s.seal the relations changed outside kiln since the last build (%s), which kiln transaction rollback %s must not take as kiln left them: %v; nothing ran, run the task again",
			r.opts.Transaction, adapter.HistorySchema, strings.Join(sortedValues(r.changed), ", "), r.opts.Transaction, oneLine(err))
	}
	return nil
}

// sortedValues returns the values of m, sorted.
func sortedValues[K comparable](m map[K]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// flowPrints records in the seal's Flow, as a run of flow transaction
// txn ends committed, the prints of the relations its nodes built
// (results), read once its sessions' counters are flushed; or, when one
// of its statements may have written another node's relation (unsealed),
// that the commit seals nothing of the flow. It does nothing on a
// database without a seal, or that does not count writes. What it fails
// to record, the commit does not seal: the next build runs it.
func (r *runner) flowPrints(ctx context.Context, results []run.Result, unsealed string) error {
	if r.pg == nil {
		return nil
	}
	rs, ok := r.ex.Conn(0).(adapter.RelationSealer)
	if !ok {
		return nil
	}
	s, err := loadServerSeal(ctx, rs)
	if err != nil || s == nil {
		return err
	}
	txn := r.opts.Transaction
	if s.Flow == nil || s.Flow.Txn != txn {
		s.Flow = &flowSeal{Txn: txn} // another flow's, ended without its commit's seal
	}
	if unsealed != "" {
		if s.Flow.Unsealed == "" {
			s.Flow.Unsealed = unsealed
		}
		s.Flow.Prints = nil
		return saveServerSeal(ctx, rs, s)
	}
	if s.Flow.Unsealed != "" {
		return nil
	}
	for i := 0; i < r.ex.Conns(); i++ {
		if c, ok := r.ex.Conn(i).(adapter.RelationSealer); ok {
			if err := c.FlushStats(ctx); err != nil {
				return err
			}
		}
	}
	prints, counts, err := r.serverPrints(ctx, rs)
	if err != nil || !counts {
		return err
	}
	g := r.p.Graph()
	n := 0
	for _, x := range results {
		nd := g.Node(x.ID)
		if nd == nil || nd.Relation.IsZero() || (x.Status != run.Success && x.Status != run.Pass) {
			continue
		}
		k := nd.Relation.Schema + "." + nd.Relation.Name
		if p, ok := prints[k]; ok {
			if s.Flow.Prints == nil {
				s.Flow.Prints = map[string]string{}
			}
			s.Flow.Prints[k] = p
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return saveServerSeal(ctx, rs, s)
}

// sealCommit seals, once kiln transaction commit published flow
// transaction txn, the relations its runs built whose prints are still
// those the runs left (the seal's Flow): the next build takes them as up
// to date. A relation written since (by another session, between the
// flow's runs or before the commit), or that the flow did not build,
// keeps the seal's print, and the next build runs its node when it
// differs. It seals nothing on a database without a seal (a build that
// is not in a flow makes it), or that does not count writes; it returns
// why it sealed nothing of the flow ("" when it sealed).
func sealCommit(ctx context.Context, rs adapter.RelationSealer, txn, runID string) (string, error) {
	s, err := loadServerSeal(ctx, rs)
	if err != nil {
		return "", err
	}
	if s == nil {
		return "the database has no seal", nil
	}
	for k, t := range s.Dirty {
		if t == txn {
			delete(s.Dirty, k)
		}
	}
	f := s.Flow
	s.Flow = nil
	why := ""
	switch {
	case f == nil || f.Txn != txn:
		why = "its runs recorded no relation they built"
	case f.Unsealed != "":
		why = f.Unsealed
	}
	if why != "" || len(f.Prints) == 0 {
		return why, saveServerSeal(ctx, rs, s)
	}
	if err := rs.FlushStats(ctx); err != nil {
		return "", err
	}
	seen := map[string]bool{}
	var schemas []string
	for k := range f.Prints {
		if sch, _, ok := strings.Cut(k, "."); ok && !seen[sch] {
			seen[sch] = true
			schemas = append(schemas, sch)
		}
	}
	sort.Strings(schemas)
	now, counts, err := rs.RelationPrints(ctx, schemas)
	if err != nil {
		return "", err
	}
	if !counts {
		return "track_counts is off", saveServerSeal(ctx, rs, s)
	}
	for k, p := range f.Prints {
		if now[k] == p {
			s.Prints[k] = p
		}
	}
	s.RunID, s.Command, s.SealedAt = runID, "transaction commit "+txn, time.Now()
	return "", saveServerSeal(ctx, rs, s)
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
	if s.Flow != nil && s.Flow.Txn == txn {
		s.Flow = nil
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

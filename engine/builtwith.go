package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/state"
)

// varsJSON is vars as the run history records them: a JSON object with
// sorted keys, "" for none.
func varsJSON(vars map[string]any) string {
	if len(vars) == 0 {
		return ""
	}
	b, err := json.Marshal(vars) // keys sorted
	if err != nil {
		return fmt.Sprint(vars)
	}
	return string(b)
}

// BuiltWithOtherVarsError stops a run that would read, without building
// them, tables built with other --vars than its own: kiln test after kiln
// build --vars '{raw_dir: ...}' would otherwise test the real month's
// tables against the sample's expectations and deviation baselines.
type BuiltWithOtherVarsError struct {
	Nodes []*graph.Node       // the tables read, built with other vars, sorted by id
	Run   adapter.RunRecord   // the run that built the first of them
	Vars  string              // this run's --vars (JSON, "" for none)
	Runs  []adapter.RunRecord // every run that built one of them, distinct
}

func (e *BuiltWithOtherVarsError) Error() string {
	n := e.Nodes[0]
	what := fmt.Sprintf("%s %q", n.Kind, n.DisplayName())
	if len(e.Nodes) > 1 {
		what += fmt.Sprintf(" and %d more", len(e.Nodes)-1)
	}
	theirs, ours := "no --vars", "none"
	if e.Run.Vars != "" {
		theirs = "--vars '" + e.Run.Vars + "'"
	}
	if e.Vars != "" {
		ours = "--vars '" + e.Vars + "'"
	}
	fix := "run again with " + theirs + " to use them as they are"
	if e.Run.Vars == "" {
		fix = "run again without --vars to use them as they are"
	}
	return fmt.Sprintf("the tables this run reads were built with other vars: %s, by run %s (%s, %s UTC) with %s; this run has %s. Nothing was run: %s, or build them again with this run's vars",
		what, short(e.Run.ID), e.Run.Command, e.Run.Started.UTC().Format("2006-01-02 15:04"), theirs, ours, fix)
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// readOnly returns the relations that the planned nodes read and the run
// does not build: their parents outside the plan (through ephemeral
// models, which are not relations), sorted by id. Unit tests read no
// data (only their inputs' column types).
func (r *runner) readOnly() []graph.ID {
	g := r.p.Graph()
	planned := map[graph.ID]bool{}
	for _, id := range r.plan.IDs() {
		planned[id] = true
	}
	read := map[graph.ID]bool{}
	var visit func(id graph.ID)
	visit = func(id graph.ID) {
		for _, par := range g.Parents(id) {
			pn := g.Node(par)
			switch {
			case planned[par] || read[par] || pn == nil:
			case pn.Kind == graph.Model && pn.Config.Materialized == graph.Ephemeral:
				visit(par)
			case !pn.Relation.IsZero() && pn.IsExecutable():
				read[par] = true
			}
		}
	}
	for _, id := range r.plan.IDs() {
		if g.Node(id).Kind != graph.UnitTest {
			visit(id)
		}
	}
	out := make([]graph.ID, 0, len(read))
	for id := range read {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// checkBuiltWith returns *BuiltWithOtherVarsError when a table the run
// reads without building it (readOnly) is not what this run's project and
// vars would build (its fingerprint differs from its last build's) and
// was built by a run with other --vars. A table that differs because its
// code changed since is read as it is, as dbt reads it.
func (r *runner) checkBuiltWith(ctx context.Context) error {
	reads := r.readOnly()
	if len(reads) == 0 {
		return nil
	}
	store := r.ex.Conn(0).Store()
	stored, err := store.LoadState(ctx, r.opts.Transaction)
	if err != nil {
		return err
	}
	current := r.p.chained(nil)
	g := r.p.Graph()
	var differ []graph.ID
	var keys []string
	for _, id := range reads {
		// The state of the relation this run reads (state.Key): another
		// schema's build of the node (a backfill's) is not this table.
		if fp := state.Lookup(stored, g, id); fp != "" && fp != current[id] {
			differ = append(differ, id)
			keys = append(keys, state.Key(g, id), state.Legacy(id))
		}
	}
	if len(differ) == 0 {
		return nil
	}
	built, err := store.BuiltBy(ctx, keys)
	if err != nil {
		return err
	}
	ours := varsJSON(r.p.cfg.Vars)
	e := &BuiltWithOtherVarsError{Vars: ours}
	seen := map[string]bool{}
	for _, id := range differ {
		run, ok := built[state.Key(g, id)]
		if !ok {
			run, ok = built[state.Legacy(id)]
		}
		if !ok || run.Vars == ours {
			continue
		}
		e.Nodes = append(e.Nodes, g.Node(id))
		if !seen[run.ID] {
			seen[run.ID] = true
			e.Runs = append(e.Runs, run)
		}
	}
	if len(e.Nodes) == 0 {
		return nil
	}
	e.Run = e.Runs[0]
	return e
}

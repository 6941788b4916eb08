package execute

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/materialize"
)

// Grants is a grants config as dbt reads it
// (https://docs.getdbt.com/reference/resource-configs/grants): privilege
// ("select") -> grantees (role names). An empty list of grantees means
// none: on a relation kept in place, that privilege is revoked from all.
type Grants map[string][]string

// GrantsOf returns the grants config of n (the compiler merged its levels
// with project.MergeGrants; a "+" left on a privilege is taken off), or nil when n sets none, sets an empty
// mapping (dbt: no-op), or has no relation to grant on (ephemeral).
func GrantsOf(n *graph.Node) Grants {
	m, _ := n.Config.Extra["grants"].(map[string]any)
	if len(m) == 0 || n.Config.Materialized == graph.Ephemeral {
		return nil
	}
	g := make(Grants, len(m))
	for key, v := range m {
		p := strings.TrimLeft(key, "+") // "+select" with nothing to add to
		switch x := v.(type) {
		case []string:
			g[p] = x
		case string:
			g[p] = []string{x}
		case []any:
			for _, e := range x {
				if s, ok := e.(string); ok {
					g[p] = append(g[p], s)
				}
			}
		}
		if g[p] == nil {
			g[p] = []string{}
		}
	}
	return g
}

// granted returns the dialect's Granter and n's grants when building n
// applies grants: n sets them and the database has roles. Otherwise ok is
// false, and building n runs no statement for grants (on DuckDB, the
// engine says once per run that grants have no effect).
func (e *Executor) granted(n *graph.Node) (g adapter.Granter, grants Grants, ok bool) {
	if _, isGranter := e.d.(adapter.Granter); !isGranter {
		return nil, nil, false
	}
	if grants = GrantsOf(n); grants == nil {
		return nil, nil, false
	}
	return e.d.(adapter.Granter), grants, true
}

// grantsAfterHooks reports whether n's grants are applied after its
// post-hooks that run in its transaction (withHooks) rather than at the
// end of its build: for models, as dbt's table, view and incremental
// materializations call apply_grants after run_hooks(post_hooks).
func (e *Executor) grantsAfterHooks(n *graph.Node) bool {
	return n.Kind == graph.Model && e.opts.Hooks != nil && HasHooks(n)
}

// carried reports whether building model, seed or snapshot n keeps its
// relation, of kind before the build ("" for none), in place, and with
// it the privileges granted on it: dbt's should_revoke. An incremental
// model applied to its table, a microbatch model replacing batches or a
// snapshot updating its table keep it; a relation the journal moves
// aside is replaced by a new one without grants (dbt-postgres's
// copy_grants() is False); without a journal, an existing relation may be
// replaced in place, so its grants are read.
func (e *Executor) carried(n *graph.Node, kind string) bool {
	if kind == "" {
		return false
	}
	inPlace := kind == string(adapter.Table) &&
		(n.Kind == graph.Snapshot || (n.Incremental != nil && !materialize.FullRefresh(n, e.opts.FullRefresh)))
	return inPlace || e.opts.Journal == nil
}

// applyGrants makes the privileges on n's relation those of its grants
// config, in n's transaction after its relation is built, as dbt's
// apply_grants: on a relation built anew (not carried), the configured
// privileges are granted; on a relation kept in place (carried), the
// privileges the current role granted on it (Granter.ShowGrants) are read
// and the difference is revoked, then granted, privileges and grantees
// compared without regard to case (dbt's diff_of_two_dicts). Nothing runs
// when n sets no grants or the database has no roles.
func (e *Executor) applyGrants(ctx context.Context, conn adapter.Conn, n *graph.Node, carried bool) error {
	g, want, ok := e.granted(n)
	if !ok {
		return nil
	}
	grant, revoke := want, Grants(nil)
	if carried {
		have, err := showGrants(ctx, conn, g, n.Relation)
		if err != nil {
			return err
		}
		grant, revoke = diffGrants(want, have), diffGrants(have, want)
		if len(revoke)+len(grant) > 0 && n.Incremental != nil && n.Incremental.Batch != nil {
			return fmt.Errorf("model %q: its grants differ from its table's (%s): kiln cannot yet put a microbatch table's grants back if the run fails; "+
				"%s to apply them, or grant them by hand", n.Name, describeGrants(grant, revoke), materialize.RebuildHint(n))
		}
	}
	for _, p := range sortedPrivileges(revoke) {
		if len(revoke[p]) > 0 {
			if _, err := conn.Run(ctx, g.Revoke(n.Relation, p, revoke[p])); err != nil {
				return fmt.Errorf("%s %q: grants: %w", n.Kind, n.Name, err)
			}
		}
	}
	for _, p := range sortedPrivileges(grant) {
		if len(grant[p]) > 0 {
			if _, err := conn.Run(ctx, g.Grant(n.Relation, p, grant[p])); err != nil {
				return fmt.Errorf("%s %q: grants: %w", n.Kind, n.Name, err)
			}
		}
	}
	return nil
}

// keepGrants grants on the journal's copy of n's table (PrepareCopy or
// PrepareRows of AllRowsGranted just made it, without privileges) those
// the current role granted on the table, so that a rollback, which
// renames the copy back or gives the table the copy's privileges, leaves
// the table's privileges as they were before the run. Nothing runs when
// n sets no grants or the database has no roles.
func (e *Executor) keepGrants(ctx context.Context, conn adapter.Conn, n *graph.Node) error {
	g, _, ok := e.granted(n)
	if !ok || e.opts.Journal == nil {
		return nil
	}
	have, err := showGrants(ctx, conn, g, n.Relation)
	if err != nil {
		return err
	}
	backup := e.opts.Journal.BackupOf(n.Relation)
	for _, p := range sortedPrivileges(have) {
		if _, err := conn.Run(ctx, g.Grant(backup, p, have[p])); err != nil {
			return err
		}
	}
	return nil
}

// keepTable keeps n's table aside in the journal before n changes it in
// place (an incremental model, a snapshot): its rows, its privileges
// when n sets grants (AllRowsGranted), its comments when n sets
// persist_docs (keepDocs). A rollback puts them back in the
// table itself, which keeps its definition. reshape says that n changes
// the table's columns: the journal then also keeps the table's
// definition (Journal.PrepareReshape), for a rollback that cannot give
// the table its columns back in place; known, when not nil, is that
// definition read already (planReshape).
func (e *Executor) keepTable(ctx context.Context, conn adapter.Conn, n *graph.Node, reshape bool, known *reshapePlan) error {
	prepare := func(ctx context.Context, conn adapter.Conn, d adapter.Dialect, rel adapter.Relation, where string) error {
		return e.opts.Journal.prepareRows(ctx, conn, d, rel, where, reshape, known)
	}
	if _, _, ok := e.granted(n); !ok {
		if err := prepare(ctx, conn, e.d, n.Relation, AllRows); err != nil {
			return err
		}
		return e.keepDocs(ctx, conn, n)
	}
	if err := prepare(ctx, conn, e.d, n.Relation, AllRowsGranted); err != nil {
		return err
	}
	if err := e.keepGrants(ctx, conn, n); err != nil {
		return err
	}
	return e.keepDocs(ctx, conn, n)
}

// showGrants reads the privileges the current role granted on rel.
func showGrants(ctx context.Context, conn adapter.Conn, g adapter.Granter, rel adapter.Relation) (Grants, error) {
	_, rows, err := conn.QueryRows(ctx, g.ShowGrants(rel).SQL)
	if err != nil {
		return nil, err
	}
	have := Grants{}
	for _, r := range rows {
		if len(r) < 2 {
			continue
		}
		grantee, _ := r[0].(string)
		privilege, _ := r[1].(string)
		have[privilege] = append(have[privilege], grantee)
	}
	return have, nil
}

// diffGrants returns a minus b: the grantees of each privilege of a that b
// does not give that privilege to, compared without regard to case; a
// privilege is kept only with grantees, in a's spelling.
func diffGrants(a, b Grants) Grants {
	lower := map[string]map[string]bool{}
	for p, gs := range b {
		set := lower[strings.ToLower(p)]
		if set == nil {
			set = map[string]bool{}
			lower[strings.ToLower(p)] = set
		}
		for _, g := range gs {
			set[strings.ToLower(g)] = true
		}
	}
	out := Grants{}
	for p, gs := range a {
		for _, g := range gs {
			if !lower[strings.ToLower(p)][strings.ToLower(g)] {
				out[p] = append(out[p], g)
			}
		}
	}
	return out
}

func sortedPrivileges(g Grants) []string {
	out := make([]string, 0, len(g))
	for p := range g {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// describeGrants says what a grants change would grant and revoke:
// "grant select to a, b; revoke insert from c".
func describeGrants(grant, revoke Grants) string {
	var parts []string
	for _, p := range sortedPrivileges(grant) {
		parts = append(parts, "grant "+strings.ToLower(p)+" to "+strings.Join(grant[p], ", "))
	}
	for _, p := range sortedPrivileges(revoke) {
		parts = append(parts, "revoke "+strings.ToLower(p)+" from "+strings.Join(revoke[p], ", "))
	}
	return strings.Join(parts, "; ")
}

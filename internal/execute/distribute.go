package execute

import (
	"context"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/run"
)

// Distribution is a model's distributed_by and colocate_with configs:
// the column its table is hash-distributed by over the machines of a
// Citus cluster, and the model (or "schema.table") whose shards its
// shards sit beside, so that joins on the column stay on one machine.
type Distribution struct {
	Column   string
	Colocate string
}

// DistributionOf returns model n's distribution; a zero Distribution when
// neither config is set.
func DistributionOf(n *graph.Node) Distribution {
	col, _ := n.Config.Extra["distributed_by"].(string)
	co, _ := n.Config.Extra["colocate_with"].(string)
	return Distribution{Column: strings.TrimSpace(col), Colocate: strings.TrimSpace(co)}
}

// CheckDistribution returns why model n's distribution cannot be applied
// on a database of type typ whose dialect is d, and which can distribute
// tables when canDistribute: as a *run.NodeError at n's position; nil
// when it can, or when n sets none.
func CheckDistribution(n *graph.Node, typ string, d adapter.Dialect, canDistribute bool) error {
	dist := DistributionOf(n)
	if dist == (Distribution{}) {
		return nil
	}
	fail := func(msg, hint string) error {
		return &run.NodeError{Pos: configPos(n), Msg: fmt.Sprintf("model %q: %s; %s", n.Name, msg, hint)}
	}
	_, isDist := d.(adapter.Distributor)
	switch {
	case dist.Column == "":
		return fail("colocate_with is set without distributed_by", "set distributed_by: <column> too, or remove colocate_with")
	case !isDist:
		return fail(fmt.Sprintf("distributed_by needs PostgreSQL with the Citus extension; a %s database cannot distribute tables", typ),
			"remove distributed_by and colocate_with, or build on a PostgreSQL target with Citus")
	case !canDistribute:
		return fail("distributed_by needs the Citus extension, and this PostgreSQL database has none",
			"run create extension citus in the database (Citus installed on the server), or remove distributed_by and colocate_with")
	case n.Config.Materialized != graph.Table && n.Config.Materialized != graph.Incremental,
		n.Incremental != nil && n.Incremental.Strategy == "microbatch":
		return fail(fmt.Sprintf("distributed_by applies to table and incremental models, not to a %s model", materialization(n)),
			"remove distributed_by, or materialize the model as a table")
	}
	return nil
}

// configPos is the position of distributed_by (or colocate_with) in the
// model's file when its config() call sets it, else the model's.
func configPos(n *graph.Node) diag.Pos {
	pos := n.Pos
	for _, key := range []string{"distributed_by", "colocate_with"} {
		if i := strings.Index(n.RawCode, key); i >= 0 && pos.Line == 0 && pos.File != "" {
			pos.Line, pos.Col = diag.Offset(n.RawCode, i)
		}
	}
	return pos
}

func materialization(n *graph.Node) string {
	if n.Incremental != nil && n.Incremental.Strategy == "microbatch" {
		return "microbatch"
	}
	return n.Config.Materialized
}

// distribute distributes model n's table, in the node's transaction, when
// n sets distributed_by (CheckDistribution has accepted it before the
// run): Citus's create_distributed_table, unless the table is distributed
// already (an incremental model's table, from its first build).
func (e *Executor) distribute(ctx context.Context, conn adapter.Conn, n *graph.Node) error {
	dist := DistributionOf(n)
	if dist.Column == "" {
		return nil
	}
	d, ok := e.d.(adapter.Distributor)
	if !ok {
		return CheckDistribution(n, e.typ, e.d, false)
	}
	_, err := conn.Run(ctx, d.DistributeTable(n.Relation, dist.Column, e.colocated(dist.Colocate)))
	if err != nil {
		return fmt.Errorf("model %q: distributed_by %s: %w", n.Name, dist.Column, err)
	}
	return nil
}

// colocated returns the relation colocate_with names: a model's (by its
// name), else the "schema.table" or "table" written.
func (e *Executor) colocated(name string) adapter.Relation {
	if name == "" {
		return adapter.Relation{}
	}
	for _, m := range e.g.Nodes() {
		if m.Kind == graph.Model && m.Name == name {
			return m.Relation
		}
	}
	if s, t, ok := strings.Cut(name, "."); ok {
		return adapter.Relation{Schema: s, Name: t}
	}
	return adapter.Relation{Name: name}
}

// CheckUnlogged returns why model or snapshot n's unlogged config cannot
// be applied on a database of type typ whose dialect is d, as a
// *run.NodeError at n's position (where its config() sets it, when it
// does); nil when it can, or when n does not set it. unlogged must be true
// or false; only a dialect that creates unlogged tables
// (adapter.Unlogger: PostgreSQL) applies true: DuckDB has no unlogged
// tables (dbt-duckdb ignores the config; kiln refuses it rather than
// build a logged table the project asked not to be).
func CheckUnlogged(n *graph.Node, typ string, d adapter.Dialect) error {
	v, set := n.Config.Extra["unlogged"]
	if !set || (n.Kind != graph.Model && n.Kind != graph.Snapshot) {
		return nil
	}
	pos := keyPos(n, "unlogged")
	on, ok := v.(bool)
	switch {
	case !ok:
		return &run.NodeError{Pos: pos, Msg: fmt.Sprintf("%s %q: unlogged is %v, not true or false", n.Kind, n.Name, v),
			Hint: "write unlogged: true (or false)"}
	case !on:
		return nil
	}
	if _, can := d.(adapter.Unlogger); !can {
		return &run.NodeError{Pos: pos, Msg: fmt.Sprintf("%s %q: unlogged is not supported on %s, which has no unlogged tables (dbt-%s ignores it)", n.Kind, n.Name, typ, typ),
			Hint: "remove unlogged (or set it only in a PostgreSQL target's project), or build on PostgreSQL"}
	}
	return nil
}

// keyPos is the position of key in n's file when its config() call sets
// it, else n's.
func keyPos(n *graph.Node, key string) diag.Pos {
	pos := n.Pos
	if i := strings.Index(n.RawCode, key); i >= 0 && pos.Line == 0 && pos.File != "" {
		pos.Line, pos.Col = diag.Offset(n.RawCode, i)
	}
	return pos
}

// UnloggedUnused reports whether n is a view or an ephemeral model with
// unlogged: true, which has no effect there (no table to make unlogged;
// dbt-postgres ignores it without a word).
func UnloggedUnused(n *graph.Node) bool {
	on, _ := n.Config.Extra["unlogged"].(bool)
	return on && n.Kind == graph.Model && (n.Config.Materialized == graph.View || n.Config.Materialized == graph.Ephemeral)
}

package execute

import (
	"context"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/failpoint"
	"github.com/kiln-build/kiln/internal/materialize"
	"github.com/kiln-build/kiln/internal/run"
)

// snapshotSource is the temporary table of a snapshot's source rows.
const snapshotSource = "__kiln_snapshot_source"

// snapshot runs snapshot n (dbt's snapshot materialization) in one
// transaction: its select goes to a temporary table, whose unique_key is
// checked (a NULL or duplicate key is an error and nothing is written);
// the first run creates the table, later ones close the versions that
// changed or left the source and insert the new ones (the adapter's
// SnapshotUpdate), at the run's one clock. Then the history is checked
// (one current version per key, no overlap, no dbt_scd_id shared by
// versions of other times): a violation fails the node
// and the transaction rolls back. The journal copies the table first: a
// run that fails later puts it back exactly.
func (e *Executor) snapshot(ctx context.Context, conn adapter.Conn, n *graph.Node) run.Result {
	var msg string
	var rows int64
	// The table, its copy and the journal entry are committed together.
	err := conn.Tx(ctx, func() error {
		var err error
		rows, msg, err = e.writeSnapshot(ctx, conn, n)
		if err == nil {
			err = persistDocs(ctx, conn, e.d, n)
		}
		if err == nil {
			failpoint.Hit(failpoint.NodeBuilt)
		}
		return err
	})
	if err != nil {
		return failed(err)
	}
	failpoint.Hit(failpoint.NodeCommitted)
	e.cat.Set(n.Relation, string(adapter.Table))
	return run.Result{Status: run.Success, Rows: rows, Message: msg, CompiledCode: n.CompiledCode,
		AdapterResponse: map[string]any{"_message": fmt.Sprintf("SNAPSHOT %d", rows), "rows_affected": rows},
		Metrics:         map[string]float64{"rows": float64(rows)}}
}

func (e *Executor) writeSnapshot(ctx context.Context, conn adapter.Conn, n *graph.Node) (int64, string, error) {
	info := n.Snapshot
	s := e.d.CreateTempTableAs(snapshotSource, n.CompiledCode)
	if _, err := conn.Run(ctx, s); err != nil {
		return 0, "", e.sqlError(n, err, s)
	}
	src := e.d.TempRelation(snapshotSource)
	if err := CheckKeys(ctx, conn, e.d, "snapshot", n.Name, src, info.UniqueKey, info.UniqueKeyAt, info.UniqueKeyItemsAt); err != nil {
		return 0, "", err
	}
	cols, err := conn.DescribeQuery(ctx, e.d.SelectAll(src, ""))
	if err != nil {
		return 0, "", err
	}
	spec, err := snapshotSpec(n, e.d, src, cols)
	if err != nil {
		return 0, "", err
	}
	spec.Now = e.opts.Clock
	kind := e.cat.Kind(n.Relation)
	var rows int64
	var msg string
	if kind == string(adapter.Table) {
		add, err := e.snapshotAdds(ctx, conn, n, &spec, cols)
		if err != nil {
			return 0, "", err
		}
		var plan reshapePlan
		if len(add) > 0 {
			change := fmt.Sprintf("its source's new columns would be added to it (%s)", materialize.SchemaChange{Added: add})
			if plan, err = planReshape(ctx, conn, e.d, n.Relation, fmt.Sprintf("snapshot %q", n.Name), change, "build it with --full-refresh"); err != nil {
				return 0, "", err
			}
		}
		// The journal keeps the rows: a rollback puts them back in the
		// table, which keeps its definition (the columns the snapshot
		// adds are dropped again; where an index forbids it, the table
		// is created again from the definition kept with them).
		if err := e.keepTable(ctx, conn, n, len(add) > 0, plan.known()); err != nil {
			return 0, "", err
		}
		if plan.recreate {
			alter := func(r adapter.Relation) []adapter.Stmt { return []adapter.Stmt{e.d.AddColumns(r, add)} }
			if err := e.reshape(ctx, conn, n.Relation, plan.def, alter); err != nil {
				return 0, "", fmt.Errorf("snapshot %q: adding columns: %w", n.Name, err)
			}
		} else if len(add) > 0 {
			if _, err := conn.Run(ctx, e.d.AddColumns(n.Relation, add)); err != nil {
				return 0, "", fmt.Errorf("snapshot %q: adding columns: %w", n.Name, err)
			}
		}
		var closed, inserted int64
		for _, st := range e.d.SnapshotUpdate(spec) {
			c, err := conn.Run(ctx, st)
			if err != nil {
				return 0, "", fmt.Errorf("snapshot %q: %w", n.Name, err)
			}
			switch {
			case strings.HasPrefix(st.SQL, "update"):
				closed += c
			case strings.HasPrefix(st.SQL, "insert"):
				inserted += c
			}
		}
		rows = inserted
		msg = fmt.Sprintf("snapshot: %s, %s closed", plural(inserted, "new version"), plural(closed, "version"))
	} else {
		err = e.opts.Journal.Prepare(ctx, conn, e.d, n.Relation, kind)
		if err != nil {
			return 0, "", err
		}
		if e.opts.Journal == nil && kind == string(adapter.View) {
			if _, err := conn.Run(ctx, e.d.DropRelation(n.Relation, adapter.View, false)); err != nil {
				return 0, "", err
			}
		}
		if !e.schemas {
			if _, err := conn.Run(ctx, e.d.CreateSchema(n.Relation.Schema)); err != nil {
				return 0, "", err
			}
		}
		rows, err = conn.Run(ctx, materialize.Unlogged(e.d, n, e.d.SnapshotCreate(spec)))
		if err != nil {
			return 0, "", fmt.Errorf("snapshot %q: %w", n.Name, err)
		}
		msg = fmt.Sprintf("snapshot created: %s", plural(rows, "version"))
		if err := e.createIndexes(ctx, conn, n); err != nil {
			return 0, "", err
		}
	}
	_, bad, err := conn.QueryRows(ctx, e.d.SnapshotViolation(spec))
	if err != nil {
		return 0, "", err
	}
	if len(bad) > 0 {
		k := len(spec.Keys)
		hint := ""
		if bad[0][k] == "two versions overlap" && spec.Strategy == "check" && spec.UpdatedAt != "" {
			hint = fmt.Sprintf(": its %s went back into an earlier version's validity (dbt would write both versions valid at once); correct the source's %s",
				spec.UpdatedAt, spec.UpdatedAt)
		}
		return 0, "", fmt.Errorf("snapshot %q: after writing, %s: %v; nothing was written (the history is kept as it was)%s",
			n.Name, keyValues(spec.Keys, bad[0][:k]), bad[0][k], hint)
	}
	for _, name := range []string{snapshotSource} {
		if _, err := conn.Run(ctx, e.d.DropRelation(e.d.TempRelation(name), adapter.Table, true)); err != nil {
			return 0, "", err
		}
	}
	if err := e.applyGrants(ctx, conn, n, e.carried(n, kind)); err != nil {
		return 0, "", err
	}
	return rows, msg, nil
}

// snapshotSpec checks snapshot n's configuration against its source's
// columns cols and returns the spec of its statements (without Now).
func snapshotSpec(n *graph.Node, d adapter.Dialect, src adapter.Relation, cols []adapter.Column) (adapter.SnapshotSpec, error) {
	info := n.Snapshot
	spec := adapter.SnapshotSpec{Target: n.Relation, Source: src, Keys: info.UniqueKey, Strategy: info.Strategy,
		UpdatedAt: info.UpdatedAt, HardDeletes: info.HardDeletes, ValidToCurrent: info.ValidToCurrent,
		Meta: info.Meta, TimeType: "TIMESTAMP"}
	byName := map[string]adapter.Column{}
	var names []string
	for _, c := range cols {
		byName[strings.ToLower(c.Name)] = c
		names = append(names, c.Name)
		spec.Columns = append(spec.Columns, c.Name)
	}
	col := func(what, name string) (adapter.Column, error) {
		c, ok := byName[strings.ToLower(name)]
		if !ok {
			return c, fmt.Errorf("snapshot %q: %s %q is not a column of its source (%s); nothing was written", n.Name, what, name, strings.Join(names, ", "))
		}
		return c, nil
	}
	for _, m := range []string{info.Meta.SCDID, info.Meta.UpdatedAt, info.Meta.ValidFrom, info.Meta.ValidTo, info.Meta.IsDeleted} {
		if _, ok := byName[strings.ToLower(m)]; ok {
			return spec, fmt.Errorf("snapshot %q: its source has a column %q, a name the snapshot writes itself; nothing was written: rename the column, or set snapshot_meta_column_names", n.Name, m)
		}
	}
	if info.UpdatedAt != "" {
		c, err := col("updated_at", info.UpdatedAt)
		if err != nil {
			return spec, err
		}
		t := strings.ToUpper(c.Type)
		if !strings.HasPrefix(t, "TIMESTAMP") && t != "DATE" && !strings.HasPrefix(t, "DATETIME") {
			return spec, fmt.Errorf("snapshot %q: updated_at %q is a %s, not a date or timestamp; nothing was written: cast it in the snapshot's select", n.Name, info.UpdatedAt, c.Type)
		}
		spec.TimeType = c.Type // dbt's strategy.updated_at, for both strategies
	}
	if info.Strategy == "check" {
		if info.CheckAll {
			for _, c := range cols {
				spec.CheckCols = append(spec.CheckCols, c.Name)
			}
		}
		for _, name := range info.CheckCols {
			c, err := col("check_cols column", name)
			if err != nil {
				return spec, err
			}
			spec.CheckCols = append(spec.CheckCols, c.Name)
		}
	}
	for _, k := range info.UniqueKey {
		if _, err := col("unique_key", k); err != nil {
			return spec, err
		}
	}
	return spec, nil
}

// snapshotAdds returns the columns snapshot n's table must gain: the source columns it lacks
// (dbt's snapshot adds new columns and keeps removed ones, NULL in new
// versions) and, when hard_deletes became new_record, its deletion flag
// (NULL in the versions before: not deleted). A column of check_cols
// that the table lacked sets spec.CheckColumnAdded: as in dbt, every key
// then gets a new version.
// The table must hold the snapshot's other columns.
func (e *Executor) snapshotAdds(ctx context.Context, conn adapter.Conn, n *graph.Node, spec *adapter.SnapshotSpec, src []adapter.Column) ([]adapter.Column, error) {
	table, err := conn.Columns(ctx, n.Relation)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, c := range table {
		have[strings.ToLower(c.Name)] = true
	}
	m := spec.Meta
	for _, name := range []string{m.SCDID, m.UpdatedAt, m.ValidFrom, m.ValidTo} {
		if !have[strings.ToLower(name)] {
			return nil, fmt.Errorf("snapshot %q: its table %s has no column %q: it was not built by this snapshot's configuration (snapshot_meta_column_names?); nothing was written", n.Name, n.Relation, name)
		}
	}
	var add []adapter.Column
	for _, c := range src {
		if !have[strings.ToLower(c.Name)] {
			add = append(add, c)
		}
	}
	for _, c := range spec.CheckCols {
		if !have[strings.ToLower(c)] {
			spec.CheckColumnAdded = true
		}
	}
	if spec.HardDeletes == "new_record" && !have[strings.ToLower(m.IsDeleted)] {
		add = append(add, adapter.Column{Name: m.IsDeleted, Type: "varchar"})
	}
	return add, nil
}

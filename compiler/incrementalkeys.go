package compiler

import (
	"fmt"

	"github.com/kiln-build/kiln/compiler/graph"
)

// incrementalKeys are the configs that only incremental models use (and,
// for unique_key, snapshots). dbt ignores them on a table, a view or an
// ephemeral model; kiln warns. event_time is not one: a microbatch model
// filters its parents by theirs, whatever they are.
var incrementalKeys = []string{"unique_key", "incremental_strategy", "incremental_predicates", "predicates", "on_schema_change",
	"merge_update_columns", "merge_exclude_columns", "batch_size", "lookback", "begin"}

// warnIncrementalKeys warns, once per key, about each of incrementalKeys
// that model n (not incremental, rendered as r) sets itself, in its
// config() call or its properties, at the key: it has no effect there. A
// key the project file sets for a folder (+unique_key) is not the
// model's own and is not reported, nor are a package's models.
func (c *compiler) warnIncrementalKeys(n *graph.Node, r *rendered) {
	if n.Package != c.rootName() {
		return
	}
	mp, file := c.nodeProps(n)
	for _, k := range incrementalKeys {
		if _, ok := n.Config.Extra[k]; !ok {
			continue
		}
		at, found := r.configPos, false
		if _, ok := r.config[k]; ok {
			at, _ = r.configKeyPos(k)
			found = true
		} else if mp != nil && file != "" {
			if a, ok := mp.ConfigAt[k]; ok {
				at, found = a.KeyPos(file), true
			}
		}
		if !found {
			continue
		}
		what := "incremental models"
		if k == "unique_key" {
			what = "incremental models and snapshots"
		}
		c.diags.Warnf(at, "config `%s` applies to %s; `%s` is %s: it has no effect here", k, what, n.Name, materializedAs(n.Config.Materialized)).
			Hint = fmt.Sprintf("remove it, or set materialized='incremental' to build %s incrementally", n.Name)
	}
}

// materializedAs names a materialization in a sentence: "a table", "a
// view", "ephemeral", "materialized as x".
func materializedAs(m string) string {
	switch m {
	case graph.Table, graph.View:
		return "a " + m
	case graph.Ephemeral:
		return "ephemeral"
	}
	return "materialized as " + m
}

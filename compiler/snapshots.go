package compiler

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
)

// snapshotBlock matches dbt's legacy snapshot block, {% snapshot name %}
// ... {% endsnapshot %}, with Jinja's whitespace control.
var snapshotBlock = regexp.MustCompile(`(?s)\{%-?\s*snapshot\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}(.*?)\{%-?\s*endsnapshot\s*-?%\}`)

// blankOutside returns text with every character outside [from, to)
// turned into a space, newlines kept: positions in the block stay the
// file's.
func blankOutside(text string, from, to int) string {
	b := []byte(text)
	for i := range b {
		if (i < from || i >= to) && b[i] != '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}

// collectSnapshots creates a node per snapshot: each {% snapshot %} block
// of the .sql files of snapshot-paths (its body rendered like a model's)
// and each YAML entry of snapshots: with a relation (dbt 1.9), whose
// select is every column of that relation.
func (c *compiler) collectSnapshots() {
	type found struct {
		name, file, code string
		pos              diag.Pos
	}
	var all []found
	for _, f := range c.p.Snapshots {
		text := string(f.Content)
		matches := snapshotBlock.FindAllStringSubmatchIndex(text, -1)
		if len(matches) == 0 && strings.TrimSpace(text) != "" {
			c.diags.Errorf(diag.Pos{File: f.Path, Line: 1, Col: 1}, "a .sql file of a snapshot path holds no {%% snapshot %%} block").Hint =
				"wrap the select in {% snapshot name %} ... {% endsnapshot %}, or declare the snapshot in YAML with relation:"
		}
		for _, m := range matches {
			line := 1 + strings.Count(text[:m[0]], "\n")
			col := m[0] - strings.LastIndex(text[:m[0]], "\n")
			all = append(all, found{name: text[m[2]:m[3]], file: f.Path, code: blankOutside(text, m[4], m[5]),
				pos: diag.Pos{File: f.Path, Line: line, Col: col}})
		}
	}
	for _, pf := range c.p.Properties {
		for i := range pf.Snapshots {
			sp := &pf.Snapshots[i]
			if sp.Relation == "" {
				continue // properties of a block snapshot
			}
			rel := strings.TrimSpace(sp.Relation)
			if !strings.HasPrefix(rel, "ref(") && !strings.HasPrefix(rel, "source(") {
				c.diags.Errorf(sp.Pos(pf.Path), "snapshot %q: relation must be ref('model') or source('source', 'table'), not %q", sp.Name, sp.Relation)
				continue
			}
			all = append(all, found{name: sp.Name, file: pf.Path, code: "select * from {{ " + rel + " }}", pos: sp.Pos(pf.Path)})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })
	for _, s := range all {
		dirs := folders(s.file, c.p.Config.SnapshotPaths)
		projCfg := c.p.SnapshotConfig.Resolve(append(append([]string(nil), dirs...), s.name))
		key := "snapshot:" + s.name
		props, propsFile := c.props[key], c.propsAt[key]
		yamlCfg := propsConfig(props)
		if props != nil {
			c.checkConfigAt(yamlCfg, keyValuePos(props.ConfigAt, propsFile, props.Pos(propsFile)), graph.Snapshot, innerPos(props.ConfigAt, propsFile))
		}
		cfg := toConfig(mergeConfigs(projCfg, yamlCfg), string(graph.Snapshot))
		n := &graph.Node{
			ID:       graph.ID("snapshot." + c.name + "." + s.name),
			Kind:     graph.Snapshot,
			Name:     s.name,
			Package:  c.name,
			Path:     s.file,
			Pos:      s.pos,
			FQN:      fqn(c.name, dirs, s.name),
			RawCode:  s.code,
			Checksum: checksum([]byte(s.code)),
			Config:   cfg,
			Columns:  columns(props, propsFile),
		}
		n.Config.Materialized = string(graph.Snapshot)
		if props != nil {
			n.Description = props.Description
			c.describedAt(n, props.Pos(propsFile))
		}
		n.Relation = c.relationOf(n)
		if prev, taken := c.byName[s.name]; taken {
			c.diags.Errorf(s.pos, "snapshot %q has the name of %s %q (%s)", s.name, prev.Kind, prev.Name, prev.Path).Hint = "rename one of them: ref() names one node"
			continue
		}
		c.add(n)
		c.byName[s.name] = n
	}
}

var snapshotStrategies = []string{"timestamp", "check"}

var hardDeletes = []string{"ignore", "invalidate", "new_record"}

// compileSnapshot resolves the snapshot configs of n, rendered as r,
// reporting a missing or contradictory one at pos (dbt's rules: strategy
// and unique_key are required, timestamp needs updated_at, check needs
// check_cols).
func (c *compiler) compileSnapshot(n *graph.Node, r *rendered, pos diag.Pos) {
	x := n.Config.Extra
	info := &graph.SnapshotInfo{HardDeletes: "ignore", Meta: graph.DefaultSnapshotColumns}
	info.Strategy, _ = x["strategy"].(string)
	info.Strategy = strings.ToLower(info.Strategy)
	info.UniqueKey = columnList(x["unique_key"])
	if len(info.UniqueKey) > 0 {
		info.UniqueKeyAt, info.UniqueKeyItemsAt = c.columnListPos(n, r, "unique_key", pos)
	}
	info.UpdatedAt, _ = x["updated_at"].(string)
	info.UpdatedAt = strings.TrimSpace(info.UpdatedAt)
	ok := true
	errorf := func(hint, format string, args ...any) {
		c.diags.Errorf(pos, "snapshot %q: "+format, append([]any{n.Name}, args...)...).Hint = hint
		ok = false
	}
	switch info.Strategy {
	case "":
		errorf(`set strategy: timestamp (with updated_at) or strategy: check (with check_cols)`, "strategy is required")
	case "timestamp":
		if info.UpdatedAt == "" {
			errorf("set updated_at to the column that says when a row last changed", "the timestamp strategy needs updated_at")
		}
		if x["check_cols"] != nil {
			errorf("remove check_cols, or use strategy: check", "check_cols applies to the check strategy, not to timestamp")
		}
	case "check":
		switch v := x["check_cols"].(type) {
		case nil:
			errorf(`set check_cols: [col, ...] or check_cols: all`, "the check strategy needs check_cols")
		case string:
			if strings.EqualFold(strings.TrimSpace(v), "all") {
				info.CheckAll = true
			} else {
				info.CheckCols = columnList(v)
			}
		default:
			info.CheckCols = columnList(v)
		}
	}
	if len(info.UniqueKey) == 0 {
		errorf("set unique_key to the column (or list of columns) that identifies a row of the source", "unique_key is required")
	}
	if v, has := x["invalidate_hard_deletes"].(bool); has && v {
		info.HardDeletes = "invalidate"
	}
	if v, has := x["hard_deletes"].(string); has && v != "" {
		if _, legacy := x["invalidate_hard_deletes"]; legacy {
			errorf("keep hard_deletes, which replaces it", "invalidate_hard_deletes and hard_deletes cannot both be set")
		}
		info.HardDeletes = strings.ToLower(v)
	}
	if v, has := x["dbt_valid_to_current"].(string); has {
		info.ValidToCurrent = strings.TrimSpace(v)
	}
	if m, has := x["snapshot_meta_column_names"].(map[string]any); has {
		set := func(key string, dst *string) {
			if s, _ := m[key].(string); strings.TrimSpace(s) != "" {
				*dst = strings.TrimSpace(s)
			}
		}
		set("dbt_scd_id", &info.Meta.SCDID)
		set("dbt_updated_at", &info.Meta.UpdatedAt)
		set("dbt_valid_from", &info.Meta.ValidFrom)
		set("dbt_valid_to", &info.Meta.ValidTo)
		set("dbt_is_deleted", &info.Meta.IsDeleted)
	}
	if ok {
		n.Snapshot = info
	}
}

// checkSnapshotValue validates the value of snapshot config k written at
// pos; it reports whether k is one of them.
func (c *compiler) checkSnapshotValue(k string, v any, pos diag.Pos) bool {
	bad := func(format string, args ...any) *diag.Diagnostic { return c.diags.Errorf(pos, format, args...) }
	oneOf := func(allowed []string) {
		s, ok := v.(string)
		if ok && contains(allowed, strings.ToLower(s)) {
			return
		}
		d := bad("%s must be one of %s, not %q", k, quoteList(allowed), fmt.Sprint(v))
		d.Hint = diag.DidYouMean(fmt.Sprint(v), allowed)
	}
	switch k {
	case "strategy":
		oneOf(snapshotStrategies)
	case "hard_deletes":
		oneOf(hardDeletes)
	case "updated_at", "dbt_valid_to_current", "target_schema":
		if s, ok := v.(string); !ok || strings.TrimSpace(s) == "" {
			bad("%s must be a non-empty string, not %v", k, v)
		}
	case "check_cols":
		if !isNames(v) {
			bad("check_cols must be \"all\" or a list of column names, not %v", v)
		}
	case "invalidate_hard_deletes":
		if _, ok := v.(bool); !ok {
			bad("invalidate_hard_deletes must be true or false, not %v", v).Hint = "prefer hard_deletes: invalidate"
		}
	case "snapshot_meta_column_names":
		m, ok := v.(map[string]any)
		if !ok {
			bad("snapshot_meta_column_names must be a mapping of dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to, dbt_is_deleted to column names")
			return true
		}
		known := []string{"dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to", "dbt_is_deleted"}
		for key, name := range m {
			if !contains(known, key) {
				bad("unknown key %q in snapshot_meta_column_names", key).Hint = diag.DidYouMean(key, known)
			} else if s, ok := name.(string); !ok || strings.TrimSpace(s) == "" {
				bad("snapshot_meta_column_names: %s must be a column name, not %v", key, name)
			}
		}
	default:
		return false
	}
	return true
}

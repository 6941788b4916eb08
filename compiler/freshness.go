package compiler

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// freshness resolves a source table's freshness as dbt does: the table's
// freshness (property, else config) over the source's, over the project
// file's sources: config; freshness: null on the table turns it off; the
// same for loaded_at_field. It returns nil when no threshold is set.
func (c *compiler) freshness(file string, s *project.SourceProps, t *project.SourceTableProps, projectConfig map[string]any, external bool) *graph.Freshness {
	type level struct {
		node   *yaml.Node
		config map[string]any
		pos    diag.Pos
	}
	levels := []level{
		{&t.Freshness, t.Config, t.Pos(file)},
		{&s.Freshness, s.Config, s.Pos(file)},
		{nil, projectConfig, diag.Pos{File: c.p.File}},
	}
	var spec any
	var pos diag.Pos
	found := false
	for _, l := range levels {
		if l.node != nil && l.node.Kind != 0 {
			pos = diag.Pos{File: file, Line: l.node.Line, Col: l.node.Column}
			if err := l.node.Decode(&spec); err != nil {
				c.diags.Errorf(pos, "freshness: %v", err)
				return nil
			}
			found = true
			break
		}
		if v, ok := l.config["freshness"]; ok {
			spec, pos, found = v, l.pos, true
			break
		}
	}
	if !found || spec == nil {
		return nil
	}
	m, ok := spec.(map[string]any)
	if !ok {
		c.diags.Errorf(pos, "freshness must be a mapping, not %v", spec).Hint = "write freshness: {warn_after: {count: 12, period: hour}, error_after: {count: 24, period: hour}}"
		return nil
	}
	f := &graph.Freshness{Pos: pos}
	for _, k := range sortedKeys(m) {
		switch k {
		case "warn_after":
			f.WarnAfter = c.freshnessAfter(pos, k, m[k])
		case "error_after":
			f.ErrorAfter = c.freshnessAfter(pos, k, m[k])
		case "filter":
			if m[k] != nil {
				f.Filter = fmt.Sprint(m[k])
			}
		default:
			c.diags.Errorf(pos, "unknown key %q in freshness", k).Hint = "freshness takes warn_after, error_after and filter"
		}
	}
	if f.WarnAfter == nil && f.ErrorAfter == nil {
		return nil // dbt checks nothing without a threshold
	}
	for _, l := range []struct {
		v   string
		cfg map[string]any
	}{{t.LoadedAt, t.Config}, {s.LoadedAt, s.Config}, {"", projectConfig}} {
		if l.v != "" {
			f.LoadedAtField = l.v
			break
		}
		if v, ok := l.cfg["loaded_at_field"].(string); ok && v != "" {
			f.LoadedAtField = v
			break
		}
	}
	if f.LoadedAtField == "" && !external {
		c.diags.Errorf(pos, "source %q has a freshness but no loaded_at_field", s.Name+"."+t.Name).
			Hint = "add loaded_at_field: <the column of the time each row was loaded> (DuckDB keeps no load times of its own); a file-backed source uses its file's modification time"
		return nil
	}
	return f
}

// freshnessAfter reads warn_after or error_after: {count: N, period:
// minute|hour|day}; null, or a null count, is no threshold.
func (c *compiler) freshnessAfter(pos diag.Pos, key string, v any) *graph.FreshnessAfter {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	hint := fmt.Sprintf("write %s: {count: 12, period: hour}", key)
	if !ok {
		c.diags.Errorf(pos, "freshness %s must be a mapping {count, period}, not %v", key, v).Hint = hint
		return nil
	}
	for _, k := range sortedKeys(m) {
		if k != "count" && k != "period" {
			c.diags.Errorf(pos, "unknown key %q in freshness %s", k, key).Hint = hint
		}
	}
	if m["count"] == nil && m["period"] == nil {
		return nil
	}
	n, ok := wholeNumber(m["count"])
	if !ok || n <= 0 {
		c.diags.Errorf(pos, "freshness %s count must be a whole number above 0, not %v", key, m["count"]).Hint = hint
		return nil
	}
	period, _ := m["period"].(string)
	switch period {
	case "minute", "hour", "day":
	default:
		c.diags.Errorf(pos, "freshness %s period must be minute, hour or day, not %v", key, m["period"]).Hint = hint
		return nil
	}
	return &graph.FreshnessAfter{Count: int(n), Period: period}
}

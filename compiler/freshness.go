package compiler

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/jinja"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// freshness resolves a source table's freshness as dbt does: the table's
// freshness (property, else config) over the source's, over the project
// file's sources: config; freshness: null on the table turns it off; the
// same for loaded_at_field and loaded_at_query (loadedAt). It returns nil
// when no threshold is set.
func (c *compiler) freshness(file string, s *project.SourceProps, t *project.SourceTableProps, projectConfig map[string]any, external bool, rel sqlq.Relation) *graph.Freshness {
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
	if !c.loadedAt(file, s, t, projectConfig, rel, f) {
		return nil
	}
	if f.LoadedAtQuery != "" && f.Filter != "" {
		c.diags.Warnf(pos, "source %q: freshness's filter does not apply to its loaded_at_query, as in dbt", s.Name+"."+t.Name).
			Hint = "write the condition in the loaded_at_query's where, or remove the filter"
	}
	if f.LoadedAtField == "" && f.LoadedAtQuery == "" && !external {
		c.diags.Errorf(pos, "source %q has a freshness but no loaded_at_field", s.Name+"."+t.Name).
			Hint = "add loaded_at_field: <the column of the time each row was loaded> (DuckDB keeps no load times of its own), or loaded_at_query: <a query of the newest load time>; a file-backed source uses its file's modification time"
		return nil
	}
	return f
}

// loadedAt sets f's LoadedAtField or LoadedAtQuery as dbt 1.10 resolves
// them: the table's (property, else config) over the source's, over the
// project file's sources: config, the first level that sets either
// giving it; a level that sets both is an error at its loaded_at_query,
// as dbt's "Cannot specify both loaded_at_field and loaded_at_query"
// (dbt takes a table's loaded_at_query over its source's
// loaded_at_field, and a table's loaded_at_field clears its source's
// loaded_at_query: the nearest level wins). The query is rendered with
// var, env_var, target and this (the source's relation, quoted). It
// reports false after an error.
func (c *compiler) loadedAt(file string, s *project.SourceProps, t *project.SourceTableProps, projectConfig map[string]any, rel sqlq.Relation, f *graph.Freshness) bool {
	type level struct {
		what  string
		field string
		query *yaml.Node
		cfg   map[string]any
		cfgAt map[string]project.At
		pos   diag.Pos
	}
	levels := []level{
		{what: fmt.Sprintf("source table %q", s.Name+"."+t.Name), field: t.LoadedAt, query: &t.LoadedAtQ, cfg: t.Config, cfgAt: t.ConfigAt, pos: t.Pos(file)},
		{what: fmt.Sprintf("source %q", s.Name), field: s.LoadedAt, query: &s.LoadedAtQ, cfg: s.Config, cfgAt: s.ConfigAt, pos: s.Pos(file)},
		{what: "the sources: config of " + c.p.File, cfg: projectConfig, pos: diag.Pos{File: c.p.File}},
	}
	for _, l := range levels {
		field, query, qpos := l.field, "", l.pos
		if field == "" {
			field, _ = l.cfg["loaded_at_field"].(string)
		}
		switch {
		case l.query != nil && l.query.Kind != 0:
			qpos = diag.Pos{File: file, Line: l.query.Line, Col: l.query.Column}
			if l.query.Kind != yaml.ScalarNode || l.query.Tag == "!!null" {
				c.diags.Errorf(qpos, "loaded_at_query must be a query, as text").Hint = `write loaded_at_query: "select max(loaded_at) from {{ this }}"`
				return false
			}
			query = l.query.Value
		case l.cfg["loaded_at_query"] != nil:
			if a, ok := l.cfgAt["loaded_at_query"]; ok {
				qpos = a.Pos(file)
			}
			v, ok := l.cfg["loaded_at_query"].(string)
			if !ok {
				c.diags.Errorf(qpos, "loaded_at_query must be a query, as text, not %v", l.cfg["loaded_at_query"]).Hint = `write loaded_at_query: "select max(loaded_at) from {{ this }}"`
				return false
			}
			query = v
		}
		if strings.TrimSpace(query) != "" && field != "" {
			c.diags.Errorf(qpos, "%s sets both loaded_at_field and loaded_at_query", l.what).
				Hint = "keep one, as dbt refuses both at one level: loaded_at_field is the column of each row's load time, loaded_at_query a query of the newest load time"
			return false
		}
		if strings.TrimSpace(query) != "" {
			f.LoadedAtQuery, f.QueryPos = c.renderLoadedAtQuery(query, qpos, rel), qpos
			return true
		}
		if field != "" {
			f.LoadedAtField = field
			return true
		}
	}
	return true
}

// renderLoadedAtQuery renders the Jinja of a loaded_at_query written at
// pos: var, env_var, target, and this (rel, quoted), as dbt renders it in
// the source's context. Text without Jinja is returned as it is; an error
// is a diagnostic at pos.
func (c *compiler) renderLoadedAtQuery(text string, pos diag.Pos, rel sqlq.Relation) string {
	if !strings.Contains(text, "{{") && !strings.Contains(text, "{%") {
		return text
	}
	return c.renderYAMLText(text, pos, "loaded_at_query", jinja.MapGlobals{"this": jinja.FromGo(rel.String())})
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

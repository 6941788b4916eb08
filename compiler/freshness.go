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

// freshness resolves a source table's freshness as dbt's
// merge_source_freshness does: five levels, in order, the +freshness
// written directly under the root project file's sources: (dbt reads only
// that one), the source's freshness property, its config's, the
// table's property, its config's. Each level merges into the levels
// before it (freshLevel.over): a threshold it sets replaces theirs, one
// it sets to null drops theirs, one it leaves out (or writes {count:
// null, period: null}) keeps theirs, and so does filter; freshness: null
// drops everything of the levels before it. loaded_at_field and
// loaded_at_query come from loadedAt. It returns nil when the result has
// no threshold (dbt checks nothing then) or after an error.
func (c *compiler) freshness(file string, s *project.SourceProps, t *project.SourceTableProps, projectConfig map[string]any, external bool, rel sqlq.Relation) *graph.Freshness {
	var levels []*freshLevel
	root := c.root
	if root == nil {
		root = c.p
	}
	if v, ok := root.SourceConfig.Global["freshness"]; ok && v.Plus {
		levels = append(levels, c.freshLevelOf(v.Value, v.At.Pos(root.File)))
	}
	levels = append(levels,
		c.freshLevelNode(file, &s.Freshness),
		c.freshLevelConfig(file, s.Config, s.ConfigAt),
		c.freshLevelNode(file, &t.Freshness),
		c.freshLevelConfig(file, t.Config, t.ConfigAt))
	var merged freshLevel
	for _, l := range levels {
		if l == errLevel {
			return nil
		}
		merged.over(l)
	}
	if merged.warn.a == nil && merged.err.a == nil {
		return nil // dbt checks nothing without a threshold
	}
	f := &graph.Freshness{Pos: merged.pos, WarnAfter: merged.warn.a, ErrorAfter: merged.err.a}
	if merged.filter != nil {
		f.Filter = *merged.filter
	}
	pos := f.Pos
	if !c.loadedAt(file, s, t, projectConfig, rel, f) {
		return nil
	}
	if f.LoadedAtQuery != "" && f.Filter != "" {
		c.diags.Warnf(pos, "source %q: freshness's filter does not apply to its loaded_at_query, as in dbt", s.Name+"."+t.Name).
			Hint = "write the condition in the loaded_at_query's where, or remove the filter"
	}
	if f.LoadedAtField == "" && f.LoadedAtQuery == "" && !external {
		d := c.diags.Errorf(pos, "source %q has a freshness but no loaded_at_field", s.Name+"."+t.Name)
		if t.LoadedAt.Tag == "!!null" {
			d.Msg += ": its loaded_at_field: null drops its source's, as in dbt"
		}
		d.Hint = "add loaded_at_field: <the column of the time each row was loaded> (DuckDB keeps no load times of its own), or loaded_at_query: <a query of the newest load time>; a file-backed source uses its file's modification time"
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
// loaded_at_query: the nearest level wins; a table's loaded_at_field:
// null takes neither of its source's, as dbt's loaded_at_field_present,
// and is refused beside a loaded_at_query). The query is rendered with
// var, env_var, target and this (the source's relation, quoted). It
// reports false after an error.
func (c *compiler) loadedAt(file string, s *project.SourceProps, t *project.SourceTableProps, projectConfig map[string]any, rel sqlq.Relation, f *graph.Freshness) bool {
	type level struct {
		what  string
		field string
		node  *yaml.Node // the table's loaded_at_field, which may be null
		query *yaml.Node
		cfg   map[string]any
		cfgAt map[string]project.At
		pos   diag.Pos
	}
	levels := []level{
		{what: fmt.Sprintf("source table %q", s.Name+"."+t.Name), node: &t.LoadedAt, query: &t.LoadedAtQ, cfg: t.Config, cfgAt: t.ConfigAt, pos: t.Pos(file)},
		{what: fmt.Sprintf("source %q", s.Name), field: s.LoadedAt, query: &s.LoadedAtQ, cfg: s.Config, cfgAt: s.ConfigAt, pos: s.Pos(file)},
		{what: "the sources: config of " + c.p.File, cfg: projectConfig, pos: diag.Pos{File: c.p.File}},
	}
	for _, l := range levels {
		field, query, qpos, cleared := l.field, "", l.pos, false
		if n := l.node; n != nil && n.Kind != 0 {
			switch {
			case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
				cleared = true // dbt's loaded_at_field_present
			case n.Kind == yaml.ScalarNode && n.Value != "":
				field = n.Value
			default:
				c.diags.Errorf(diag.Pos{File: file, Line: n.Line, Col: n.Column}, "loaded_at_field must be a column or an expression, as text").
					Hint = "write loaded_at_field: loaded_at, or null to drop the source's"
				return false
			}
		}
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
		if strings.TrimSpace(query) != "" && (field != "" || cleared) {
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
		if cleared {
			return true // null: not the source's, as dbt
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

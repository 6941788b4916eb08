package compiler

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// freshLevel is the freshness one level writes (the project file's
// sources:, a source's property or config, a table's property or
// config), as dbt's FreshnessThreshold before merge_source_freshness;
// nil when the level writes no freshness, which changes nothing.
type freshLevel struct {
	null      bool // freshness: null: drops what the levels before set
	warn, err freshAfter
	filter    *string  // nil: not written (or null), keeps the levels before's
	pos       diag.Pos // where the freshness is written
}

// freshAfter is one level's warn_after or error_after.
type freshAfter struct {
	null bool                  // written null: drops the levels before's
	a    *graph.FreshnessAfter // nil and not null: keeps the levels before's
}

// errLevel is a level whose freshness could not be read (reported).
var errLevel = &freshLevel{}

// over merges level l into f, which holds the levels before it, as
// dbt's merge_source_freshness and merge_freshness_time_thresholds: a
// threshold l sets replaces f's, one l writes null drops f's, one l
// leaves out keeps f's (dbt's empty Time is false); a filter l writes
// replaces f's; freshness: null empties f.
func (f *freshLevel) over(l *freshLevel) {
	switch {
	case l == nil:
		return
	case l.null:
		*f = freshLevel{}
		return
	}
	f.pos = l.pos
	for _, p := range [][2]*freshAfter{{&f.warn, &l.warn}, {&f.err, &l.err}} {
		switch base, upd := p[0], p[1]; {
		case upd.null:
			*base = freshAfter{}
		case upd.a != nil:
			*base = *upd
		}
	}
	if l.filter != nil {
		f.filter = l.filter
	}
}

// freshLevelNode reads a freshness property (n of file); nil when it is
// not written.
func (c *compiler) freshLevelNode(file string, n *yaml.Node) *freshLevel {
	if n.Kind == 0 {
		return nil
	}
	pos := diag.Pos{File: file, Line: n.Line, Col: n.Column}
	var spec any
	if err := n.Decode(&spec); err != nil {
		c.diags.Errorf(pos, "freshness: %v", err)
		return errLevel
	}
	return c.freshLevelOf(spec, pos)
}

// freshLevelConfig reads the freshness of a config: block (dbt 1.9's
// config: {freshness: ...}); nil when it is not written.
func (c *compiler) freshLevelConfig(file string, cfg map[string]any, at map[string]project.At) *freshLevel {
	v, ok := cfg["freshness"]
	if !ok {
		return nil
	}
	return c.freshLevelOf(v, at["freshness"].Pos(file))
}

// freshLevelOf reads one level's freshness spec, written at pos: null,
// or a mapping of warn_after, error_after and filter.
func (c *compiler) freshLevelOf(spec any, pos diag.Pos) *freshLevel {
	if spec == nil {
		return &freshLevel{null: true, pos: pos}
	}
	m, ok := spec.(map[string]any)
	if !ok {
		c.diags.Errorf(pos, "freshness must be a mapping, not %v", spec).Hint = "write freshness: {warn_after: {count: 12, period: hour}, error_after: {count: 24, period: hour}}"
		return errLevel
	}
	l := &freshLevel{pos: pos}
	for _, k := range sortedKeys(m) {
		switch k {
		case "warn_after", "error_after":
			a := &l.warn
			if k == "error_after" {
				a = &l.err
			}
			if m[k] == nil {
				a.null = true
			} else {
				a.a = c.freshnessAfter(pos, k, m[k])
			}
		case "filter":
			if m[k] != nil {
				s := fmt.Sprint(m[k])
				l.filter = &s
			}
		default:
			c.diags.Errorf(pos, "unknown key %q in freshness", k).Hint = "freshness takes warn_after, error_after and filter"
		}
	}
	return l
}

// checkProjectFreshness warns of each freshness of the project file's
// sources: written below its top (under the project's name, a folder or
// a source) or without "+": dbt's source freshness reads only sources: {+freshness:
// ...} (merge_source_freshness's first level), so kiln does not apply
// the others either; they stay in the sources' config, as in dbt.
func (c *compiler) checkProjectFreshness() {
	root := c.root.SourceConfig
	if root == nil {
		return
	}
	var walk func(t *project.ConfigTree)
	walk = func(t *project.ConfigTree) {
		if v, ok := t.Configs["freshness"]; ok {
			g, ok := root.Global["freshness"]
			switch {
			case t != root || !ok || g.At.Line != v.At.Line || g.At.Col != v.At.Col:
				c.diags.Warnf(v.At.Pos(c.root.File), "this freshness of sources: is not applied to source freshness: dbt applies only the one written directly under sources:, to every source").
					Hint = "move it directly under sources: (sources: {+freshness: ...}), or write freshness: on the source or its table in their YAML file"
			case !v.Plus:
				c.diags.Warnf(v.At.Pos(c.root.File), "this freshness of sources:, written without \"+\", is not applied to source freshness: dbt reads only sources: {+freshness: ...}").
					Hint = "write +freshness:"
			}
		}
		for _, k := range sortedKeys(t.Children) {
			walk(t.Children[k])
		}
	}
	walk(root)
}

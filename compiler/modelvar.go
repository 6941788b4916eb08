package compiler

import (
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/template"
)

// modelVar is dbt's model context variable for node n: its manifest.json
// entry (Options.NodeEntries), as dbt's ModelContext gives the node's
// to_dict(omit_none=True): fields that are None are left out. The
// node's own SQL renders before it is compiled, so there compiled is
// false and compiled_code absent; a hook (compiled set) renders after,
// and sees compiled_code and its older name compiled_sql, as in dbt. Nil
// when Options.NodeEntries is not set.
func (c *compiler) modelVar(n *graph.Node, compiled bool) map[string]any {
	if c.opts.NodeEntries == nil {
		return nil
	}
	c.entryOnce.Do(func() {
		c.entryFn = c.opts.NodeEntries(&Manifest{Project: c.p, Engine: c.engine})
	})
	m := c.entryFn(n)
	if m == nil {
		return nil
	}
	if n.Relation.IsZero() && n.Kind == graph.Model {
		// An ephemeral model builds no relation, and its manifest entry
		// falls back on its schema config; dbt's node has the schema,
		// alias and database generate_schema_name and the others give it.
		rel := n.Named
		if rel.IsZero() {
			rel = c.relationOf(n)
		}
		m["schema"], m["alias"], m["database"] = rel.Schema, rel.Name, nilIfEmpty(rel.Database)
	}
	if m["database"] == nil && c.p.Target != nil && c.p.Target.Database != "" {
		// A kiln project's relations name no database: they are in the
		// target's, as a dbt project's node names it.
		m["database"] = c.p.Target.Database
	}
	omitNone(m)
	if cfg, ok := m["config"].(map[string]any); ok {
		omitNone(cfg)
	}
	if _, ok := m["compiled_code"]; ok {
		if compiled {
			m["compiled_sql"] = m["compiled_code"]
		} else {
			delete(m, "compiled_code")
			m["compiled"] = false
		}
	}
	return m
}

// omitNone deletes the keys of m whose value is nil.
func omitNone(m map[string]any) {
	for k, v := range m {
		if v == nil {
			delete(m, k)
		}
	}
}

// modelWhere is dbt's schema and database context variables in node n:
// the schema and database of its manifest entry (model.schema and
// model.database), nil when model is undefined.
func (c *compiler) modelWhere(model func() map[string]any) func() template.Where {
	if c.opts.NodeEntries == nil {
		return nil
	}
	return func() template.Where {
		m := model()
		return template.Where{Schema: m["schema"], Database: m["database"]}
	}
}

// targetWhere is dbt's schema and database outside a node (on-run-start,
// on-run-end, run-operation): the target's.
func (c *compiler) targetWhere() func() template.Where {
	t := c.p.Target
	if t == nil {
		return nil
	}
	return func() template.Where { return template.Where{Schema: t.Schema, Database: nilIfEmpty(t.Database)} }
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

package compiler

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// resolveNames settles the names that several models, or a model and a
// seed, share (c.shadows), once config() calls are known: as in dbt, a
// disabled node does not count, so one enabled node per name is fine and
// ref() means it; two enabled ones are an error naming both files. The
// models left out join the disabled nodes.
func (c *compiler) resolveNames() {
	if len(c.shadows) == 0 {
		return
	}
	byName := map[string][]*graph.Node{}
	var names []string
	for _, n := range c.shadows {
		if byName[n.Name] == nil {
			names = append(names, n.Name)
			byName[n.Name] = []*graph.Node{c.byName[n.Name]}
		}
		byName[n.Name] = append(byName[n.Name], n)
	}
	sort.Strings(names)
	for _, name := range names {
		all := byName[name]
		sort.SliceStable(all, func(i, j int) bool {
			if si, sj := all[i].Kind == graph.Seed, all[j].Kind == graph.Seed; si != sj {
				return si // a seed first: the message is about the model
			}
			return all[i].Path < all[j].Path
		})
		var enabled []*graph.Node
		for _, n := range all {
			if n.Config.Enabled {
				enabled = append(enabled, n)
			}
		}
		keep := c.byName[name]
		if len(enabled) > 0 {
			keep = enabled[0]
		}
		for _, other := range enabled[min(1, len(enabled)):] {
			first := enabled[0]
			var d *diag.Diagnostic
			if first.Kind == other.Kind {
				d = c.diags.Errorf(other.Pos, "two %ss are named %q: %s and %s", other.Kind, name, first.Path, other.Path)
			} else {
				d = c.diags.Errorf(other.Pos, "%s %q has the name of the %s in %s", other.Kind, name, first.Kind, first.Path)
			}
			d.Hint = "names are unique across folders, for ref(); rename one file, or disable one with enabled: false"
			c.clashed[other] = true
		}
		for _, n := range all {
			if n == keep {
				continue
			}
			if n.Kind == graph.Model {
				// A model left out shares its unique_id with the kept one:
				// it lives only in the disabled list.
				c.disabled = append(c.disabled, n)
				delete(c.nodes, n.ID)
			}
		}
		c.byName[name] = keep
		if keep.Kind == graph.Model {
			c.nodes[keep.ID] = keep
		}
	}
	sort.SliceStable(c.disabled, func(i, j int) bool { return c.disabled[i].Path < c.disabled[j].Path })
}

// checkRelations reports two enabled nodes that would write one relation:
// the last writer would replace the other's table. Writers are the models
// that are not ephemeral (incremental ones included), the seeds, the
// snapshots and the file-backed sources; the error is reported where the
// later one is named (rank: source, seed, model, snapshot).
// On DuckDB, which matches names without regard to case, "Orders" and
// "orders" are one relation; on PostgreSQL, where kiln quotes every name,
// they are two.
//
// A source may read the relation a seed, model or snapshot writes (a
// source over a seed's table is common in dbt projects, and dbt's docs
// once read snapshots with source()): as in dbt it is no dependency, but
// the source's After names the writer, so that a run holding both builds
// the writer before the source's readers (dbt leaves them unordered), and
// they never read the previous run's table. buildGraph refuses the one
// case kiln cannot order: the writer reads the source itself.
func (c *compiler) checkRelations() {
	type group struct{ writers, readers []*graph.Node }
	groups := map[string]*group{}
	var keys []string
	for _, id := range c.ids() {
		n := c.nodes[id]
		if !n.Config.Enabled || n.Relation.IsZero() || c.clashed[n] || !writesOrReads(n.Kind) {
			continue
		}
		key := c.relationKey(n.Relation)
		g := groups[key]
		if g == nil {
			g = &group{}
			groups[key] = g
			keys = append(keys, key)
		}
		if n.Kind == graph.Source && n.Source.External == nil {
			g.readers = append(g.readers, n)
		} else {
			g.writers = append(g.writers, n)
		}
	}
	rank := map[graph.Kind]int{graph.Source: 0, graph.Seed: 1, graph.Model: 2, graph.Snapshot: 3}
	for _, key := range keys {
		g := groups[key]
		sort.SliceStable(g.writers, func(i, j int) bool { return rank[g.writers[i].Kind] < rank[g.writers[j].Kind] })
		for _, w := range g.writers[min(1, len(g.writers)):] {
			first := g.writers[0]
			c.diags.Errorf(c.relationPos(w), "%s writes the relation %s, as %s does: one would replace the other",
				describeNode(w), w.Relation.Display(), describeNode(first)).
				Hint = c.caseNote(w.Relation, first.Relation) + "give one of them another alias or schema"
		}
		if len(g.writers) == 1 {
			for _, r := range g.readers {
				r.After = append(r.After, g.writers[0].ID)
			}
		}
	}
}

// writesOrReads reports whether nodes of kind k take part in
// checkRelations: the kinds that write a relation (models, seeds,
// snapshots, file-backed sources) and sources, which read one.
func writesOrReads(k graph.Kind) bool {
	return k == graph.Model || k == graph.Seed || k == graph.Snapshot || k == graph.Source
}

// relationKey is the key under which the target's database finds r: its
// parts, folded to lower case on DuckDB (which matches names without
// regard to case), as written on PostgreSQL (where kiln quotes them).
func (c *compiler) relationKey(r sqlq.Relation) string {
	k := r.Database + "\x00" + r.Schema + "\x00" + r.Name
	if c.p.Target == nil || c.p.Target.Type == "duckdb" {
		k = strings.ToLower(k)
	}
	return k
}

// caseNote explains, for a hint, why a and b are one relation when they
// are written in different cases (DuckDB matches names without regard to
// case); "" when they are written alike.
func (c *compiler) caseNote(a, b sqlq.Relation) string {
	if a.Display() == b.Display() { // always on PostgreSQL: see relationKey
		return ""
	}
	return fmt.Sprintf("%s and %s are one relation, as DuckDB matches names without regard to case; ", a.Display(), b.Display())
}

// relationPos is where n's relation is named, for a message: the alias,
// schema or database key (a snapshot's target_schema or target_database
// too) of its config() call or properties entry, its config() call, its
// YAML entry (sources), or the first line of its file.
func (c *compiler) relationPos(n *graph.Node) diag.Pos {
	keys := []string{"alias", "schema", "database"}
	if n.Kind == graph.Snapshot {
		keys = []string{"alias", "schema", "target_schema", "database", "target_database"}
	}
	if r := c.render[n]; r != nil && r.config != nil {
		for _, k := range keys {
			if _, ok := r.config[k]; ok {
				at, _ := r.configKeyPos(k)
				return at
			}
		}
	}
	if mp, file := c.nodeProps(n); mp != nil && file != "" {
		for _, k := range keys {
			if a, ok := mp.ConfigAt[k]; ok {
				return a.KeyPos(file)
			}
		}
	}
	if r := c.render[n]; r != nil && r.config != nil && r.configPos.File != "" {
		return r.configPos
	}
	pos := n.Pos
	if pos.Line == 0 {
		pos.Line, pos.Col = 1, 1
	}
	return pos
}

// describeNode names n and its file for a message: model "orders"
// (models/orders.sql).
func describeNode(n *graph.Node) string {
	return fmt.Sprintf("%s %q (%s)", n.Kind, n.DisplayName(), n.Path)
}

// checkAuditRelations reports a test that keeps its failing rows
// (store_failures) in the relation another node writes or reads, or in
// the one another such test keeps its rows in: storing them drops that
// relation and creates it again. A test's alias or schema config can name
// any relation, so this is checked once every test is collected. A dbt
// project's tests are named first (auditRelationOf).
func (c *compiler) checkAuditRelations() {
	key := func(r sqlq.Relation) string { return c.relationKey(sqlq.Relation{Schema: r.Schema, Name: r.Name}) }
	taken := map[string]*graph.Node{}
	ids := c.ids()
	if c.root.DBT {
		// dbt names a test as a model: its failing rows are stored in
		// the relation its naming macros give it.
		for _, id := range ids {
			if n := c.nodes[id]; n.Kind == graph.Test && n.Config.Enabled {
				n.Named = c.auditRelationOf(n)
			}
		}
	}
	for _, id := range ids {
		n := c.nodes[id]
		if n.Config.Enabled && !n.Relation.IsZero() && n.Kind != graph.Test {
			if _, dup := taken[key(n.Relation)]; !dup {
				taken[key(n.Relation)] = n
			}
		}
	}
	for _, id := range ids {
		n := c.nodes[id]
		if n.Kind != graph.Test || !n.Config.Enabled || !n.StoresFailures() {
			continue
		}
		rel := n.AuditRelation()
		if first := taken[key(rel)]; first != nil {
			what := "writes"
			if first.Kind == graph.Source && first.Source.External == nil {
				what = "reads"
			}
			if first.Kind == graph.Test {
				what = "keeps its failing rows in"
			}
			had := first.Relation
			if first.Kind == graph.Test {
				had = first.AuditRelation()
			}
			c.diags.Errorf(n.Pos, "test %q keeps its failing rows in %s, which %s %s: storing them would replace it",
				n.Name, rel.Display(), describeNode(first), what).
				Hint = c.caseNote(rel, had) + "give the test another alias or schema"
			continue
		}
		taken[key(rel)] = n
	}
}

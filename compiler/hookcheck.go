package compiler

import (
	"fmt"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// checkHooks parses the pre- and post-hooks of every model, seed and
// snapshot and reports a Jinja syntax error (an unclosed tag, an unknown
// filter) where the hook is written (as RunHooks places it at run time),
// so that kiln compile and kiln parse find it, not the build alone, as
// dbt's parser finds it. A hook is not rendered here: dbt renders hooks
// at parse time with a lenient undefined (indexing or calling what
// run_query, load_result or adapter.get_columns_in_relation give without
// the database yields nothing), so an error that only rendering would
// show is the build's, with the database, as before.
func (c *compiler) checkHooks() {
	c.checkRunHooks()
	// A hook of dbt_project.yml is every node's of its folder: each text
	// is parsed once.
	clean := map[string]bool{}
	for _, id := range c.ids() {
		n := c.nodes[id]
		if n.Kind != graph.Model && n.Kind != graph.Seed && n.Kind != graph.Snapshot {
			continue
		}
		for _, phase := range []string{"pre", "post"} {
			for _, inTx := range []bool{true, false} {
				for i, h := range NodeHooks(n, phase, inTx) {
					if clean[h] {
						continue
					}
					what := fmt.Sprintf("%s-hook %d", phase, i+1)
					_, l := c.engine.Env().Parse(fmt.Sprintf("%s (%s)", n.Path, what), h)
					if len(l) == 0 {
						clean[h] = true
						continue
					}
					t, _ := c.nodeHookText(n, h)
					he := hookJinjaError(what, h, t, n.Pos, l[0])
					d := diag.Errorf(he.Pos, "%s %q: %s: %s", n.Kind, n.Name, what, l[0].Msg)
					d.Hint = l[0].Hint
					c.diags.Add(d)
				}
			}
		}
	}
}

// checkRunHooks parses the on-run-start and on-run-end hooks of the
// project and its packages as checkHooks parses a node's, reporting a
// Jinja syntax error where the hook is written.
func (c *compiler) checkRunHooks() {
	for _, p := range append([]*project.Project{c.p}, c.p.Packages...) {
		for _, event := range []string{OnRunStart, OnRunEnd} {
			hooks := p.OnRunStart
			if event == OnRunEnd {
				hooks = p.OnRunEnd
			}
			for i, h := range hooks {
				what := fmt.Sprintf("%s %d of %s", event, i+1, p.Config.Name)
				_, l := c.engine.Env().Parse(fmt.Sprintf("%s (%s %d)", h.Pos.File, event, i+1), h.SQL)
				if len(l) == 0 {
					continue
				}
				rh := RunHook{Event: event, Package: p.Config.Name, Index: i, SQL: h.SQL, Pos: h.Pos}
				he := hookJinjaError(what, h.SQL, c.runHookText(rh), h.Pos, l[0])
				d := diag.Errorf(he.Pos, "%s: %s", what, l[0].Msg)
				d.Hint = l[0].Hint
				c.diags.Add(d)
			}
		}
	}
}

package compiler

import (
	"fmt"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/template"
)

// checkHooks renders the pre- and post-hooks of every model, seed and
// snapshot as the compile renders the nodes (execute false: run_query
// gives None, statement runs nothing), as dbt renders them while it
// parses, and reports a Jinja error where the hook is written (as
// RunHooks places it at run time), so that kiln compile and kiln parse
// find it, not the build alone. What a hook renders is not kept: it
// renders again with the database at run time.
func (c *compiler) checkHooks() {
	for _, id := range c.ids() {
		n := c.nodes[id]
		if n.Kind != graph.Model && n.Kind != graph.Seed && n.Kind != graph.Snapshot {
			continue
		}
		var tctx *template.Context
		for _, phase := range []string{"pre", "post"} {
			for _, inTx := range []bool{true, false} {
				for i, h := range NodeHooks(n, phase, inTx) {
					if tctx == nil {
						tctx = c.hookCompileContext(n)
					}
					what := fmt.Sprintf("%s-hook %d", phase, i+1)
					_, l := c.engine.Render(fmt.Sprintf("%s (%s)", n.Path, what), h, tctx)
					if len(l) == 0 {
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

// hookCompileContext is the context of node n's hooks at compile time:
// RunHooks' without the database, config() setting nothing, log() and
// print() silent (they show once, from the run's rendering).
func (c *compiler) hookCompileContext(n *graph.Node) *template.Context {
	this := template.Relation{Database: n.Relation.Database, Schema: n.Relation.Schema, Identifier: n.Relation.Name, Quoted: n.Relation.String()}
	tctx := &template.Context{Ref: c.finalRef(nil), Source: c.finalSource(nil), Var: c.varIn(n.Package), EnvVar: c.lookupEnv, This: this, Graph: c.graphVar,
		Config:      func(map[string]any, diag.Pos) error { return nil },
		ConfigValue: func(key string) (any, bool) { return configValue(n.Kind, configMap(n.Config), key) },
		Log:         func(string) {},
		Debug:       func(string) {},
	}
	if c.opts.NodeEntries != nil {
		tctx.Model = func() map[string]any { return c.modelVar(n, true) }
		tctx.Where = c.modelWhere(tctx.Model)
	}
	return tctx
}

package compiler

import (
	"fmt"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
)

// collectAnalyses creates a node per .sql file under analysis-paths
// (dbt's analyses): "analysis.<project>.<name>", configured by the
// project file's analyses: tree, its property file's analyses: entry and
// its config() call. They are rendered with the models (refs, sources,
// macros and vars resolved, a ref to a missing model an error), written
// by kiln compile and listed by kiln ls, and never run: IsExecutable is
// false, so no plan holds them and no fingerprint is kept for them.
func (c *compiler) collectAnalyses() {
	seen := map[string]string{}
	for _, f := range c.p.Analyses {
		name := baseName(f.Path)
		if prev, dup := seen[name]; dup {
			c.diags.Errorf(diag.Pos{File: f.Path, Line: 1, Col: 1}, "two analyses are named %q: %s and %s", name, prev, f.Path).Hint = "rename one file: an analysis is selected by its name"
			continue
		}
		seen[name] = f.Path
		fc := c.fileConfig(graph.Analysis, f, c.p.Config.AnalysisPaths, c.p.AnalysisConfig, graph.View) // dbt's default, which nothing builds
		n := &graph.Node{
			ID: graph.ID("analysis." + c.name + "." + name), Kind: graph.Analysis, Name: name, Package: c.name,
			Path: f.Path, Pos: diag.Pos{File: f.Path}, FQN: fqn(c.name, fc.dirs, name),
			RawCode: string(f.Content), Checksum: checksum(f.Content), Config: fc.config,
		}
		if fc.props != nil {
			n.Description = fc.props.Description
			n.Columns = columns(fc.props, fc.propsFile)
			c.describedAt(n, fc.props.Pos(fc.propsFile))
			for i := range fc.props.Columns {
				if col := &fc.props.Columns[i]; len(col.AllTests()) > 0 {
					c.diags.Errorf(col.Pos(fc.propsFile), "column %q of analysis %q has data tests: an analysis is never run, so nothing would test it", col.Name, name).
						Hint = "move the tests to the model the analysis reads"
				}
			}
		}
		c.add(n)
	}
	for _, pf := range c.p.Properties {
		for i := range pf.Analyses {
			a := &pf.Analyses[i]
			if _, ok := seen[a.Name]; !ok && a.Name != "" {
				d := diag.Diagnostic{Pos: a.Pos(pf.Path), Severity: diag.Warning, Event: diag.EventNoNodeForYamlKey,
					Msg: fmt.Sprintf("properties for analysis %q, which does not exist", a.Name)}
				d.Hint = diag.DidYouMean(a.Name, sortedKeys(seen))
				c.diags.Add(d)
			}
		}
	}
	for _, q := range c.p.Packages {
		for _, f := range q.Analyses {
			c.diags.Add(diag.Diagnostic{Pos: diag.Pos{File: f.Path, Line: 1, Col: 1}, Severity: diag.Warning, KilnOnly: true,
				Msg:  "analysis " + baseName(f.Path) + " of package " + q.Config.Name + " is not compiled: kiln compiles the root project's analyses only, not yet a package's",
				Hint: "copy it under the project's analysis-paths to compile it"})
		}
	}
}

package project

import (
	"github.com/kiln-build/kiln/compiler/yamljinja"
)

// propsRenderer makes renderers of the Jinja of property files' values as dbt's
// schema YAML renderer does when it parses them, with env_var, var (the
// --vars over the project's global vars) and target: a model's, seed's,
// snapshot's or source's values (schema, database, identifier, config,
// columns' data_type, ...), but not what dbt renders later in its own
// context (propsSkip).
func (p *Project) propsRenderer(o Options) func() *yamljinja.Renderer {
	vars := map[string]any{}
	for k, v := range p.Config.Vars {
		vars[k] = v
	}
	for k, v := range o.Vars {
		vars[k] = v
	}
	// A var's value is read as written, not rendered: dbt's schema YAML
	// context reads vars with ConfiguredVar, which returns them so.
	names := yamljinja.Names{Vars: vars, LookupEnv: o.LookupEnv, RawVars: true, Read: p.varsRead.add}
	if p.Target != nil {
		names.Target = p.Target.Context
	}
	return func() *yamljinja.Renderer {
		return yamljinja.New(names.Globals()).WithBools(propsBoolPath).WithNumbers(propsNumPath)
	}
}

// propsSkip says which values of a property file stay unrendered at load
// (the key path from the file's root, list items as "[]"), following
// dbt's SchemaYamlRenderer: descriptions (rendered with doc() later),
// data tests and their configs (rendered per test), hooks (rendered in
// the node's context), a source's loaded_at_query (rendered with this,
// the source's relation: compiler/freshness.go), and kiln's own
// late-rendered values: a source's
// external: (read with the run's vars), meta (dbt-duckdb's
// external_location has its own formatter). Entries other than models,
// seeds, snapshots and sources (unit tests, exposures, the semantic
// layer, whose filters are MetricFlow's Jinja) are left as written.
func propsSkip(path []string) bool {
	if len(path) == 0 {
		return false
	}
	switch path[0] {
	case "models", "seeds", "snapshots", "sources":
	default:
		return true
	}
	for _, k := range path[1:] {
		switch k {
		case "description", "tests", "data_tests", "pre_hook", "post_hook", "pre-hook", "post-hook", "external", "meta", "docs", "loaded_at_query":
			return true
		}
	}
	return false
}

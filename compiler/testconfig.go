package compiler

import (
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/jinja"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/template"
	"gopkg.in/yaml.v3"
)

// renderTestConfig renders the Jinja in the string values of a test's
// config (config: and the config keys written among its arguments), as
// dbt's TestBuilder does when it parses the test: with dbt's native
// renderer in the schema YAML's context (var, env_var, target), so that
// limit: "{{ var('limit') }}" is the var's number and enabled: "{{ not
// var('raw_dir').startswith('data/sample/') }}" a boolean. Text reading
// True or False (as {{ true }} prints) is read as a boolean, other text
// is trimmed. ref() and source() are errors, as in dbt: a config gives
// the test no dependency. It returns false after reporting an error at
// the value.
func (c *compiler) renderTestConfig(file string, te *project.TestEntry) bool {
	out, ok := c.renderYAMLConfig(file, "a test's config", te.Config,
		func(k string) (diag.Pos, *yaml.Node) { return te.ConfigAt(k).Pos(file), te.ConfigNode(k) })
	if out != nil {
		te.Config = out
	}
	return ok
}

// renderExportConfig renders the Jinja in the string values of an
// export's config: as a test's (renderTestConfig), so that enabled:
// "{{ not var('backfill') }}" is a boolean. It returns false after
// reporting an error at the value.
func (c *compiler) renderExportConfig(file string, e *project.ExportProps) bool {
	out, ok := c.renderYAMLConfig(file, "an export's config", e.Config,
		func(k string) (diag.Pos, *yaml.Node) { return e.ConfigAt[k].Pos(file), nil })
	if out != nil {
		e.Config = out
	}
	return ok
}

// renderYAMLConfig renders the string values of cfg that hold Jinja with
// dbt's native renderer (var, env_var, target; ref and source are
// errors), what naming the config in messages, at giving each value's
// position and YAML node (nil: errors at the value's start). It returns a
// new map when a value was rendered (nil otherwise) and false after
// reporting an error at the value.
func (c *compiler) renderYAMLConfig(file, what string, cfg map[string]any, at func(k string) (diag.Pos, *yaml.Node)) (map[string]any, bool) {
	var out map[string]any
	noRel := func(fn string) diag.Diagnostic {
		if what != "a test's config" {
			return diag.Diagnostic{Msg: fn + "() cannot be used in " + what + ": it renders with var, env_var and target only",
				Hint: "name the models an export writes in model: or sheets:, and those it waits for in depends_on: [ref('model')]"}
		}
		return diag.Diagnostic{Msg: fn + "() cannot be used in a test's config: dbt renders a test's config with var, env_var and target only",
			Hint: "name the relation in an argument of the test (arguments render with ref and source), or write a singular test"}
	}
	ctx := &template.Context{
		Ref:    func([]string, string, diag.Pos) (any, error) { return nil, noRel("ref") },
		Source: func(string, string, diag.Pos) (any, error) { return nil, noRel("source") },
		Var:    c.lookupVar, EnvVar: c.lookupEnv,
	}
	for _, k := range sortedKeys(cfg) {
		s, ok := cfg[k].(string)
		if !ok || !strings.Contains(s, "{{") && !strings.Contains(s, "{%") {
			continue
		}
		pos, n := at(k)
		v, l := c.engine.RenderNative(file, s, ctx)
		if len(l) > 0 {
			for i := range l {
				l[i].Pos = valuePos(pos, n, l[i].Pos, false)
				l[i].Msg = strings.TrimPrefix(l[i].Msg, "template error: ")
			}
			c.diags.Append(l)
			return out, false
		}
		if out == nil {
			out = make(map[string]any, len(cfg))
			for k2, v2 := range cfg {
				out[k2] = v2
			}
		}
		if text, ok := v.(string); ok {
			switch text = strings.TrimSpace(text); text {
			case "True", "true":
				out[k] = true
			case "False", "false":
				out[k] = false
			default:
				out[k] = text
			}
			continue
		}
		out[k] = plainArg(jinja.Plain(v))
	}
	return out, true
}

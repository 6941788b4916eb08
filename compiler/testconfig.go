package compiler

import (
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/jinja"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/template"
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
	var out map[string]any
	noRel := func(fn string) diag.Diagnostic {
		return diag.Diagnostic{Msg: fn + "() cannot be used in a test's config: dbt renders a test's config with var, env_var and target only",
			Hint: "name the relation in an argument of the test (arguments render with ref and source), or write a singular test"}
	}
	ctx := &template.Context{
		Ref:    func([]string, string, diag.Pos) (any, error) { return nil, noRel("ref") },
		Source: func(string, string, diag.Pos) (any, error) { return nil, noRel("source") },
		Var:    c.lookupVar, EnvVar: c.lookupEnv,
	}
	for _, k := range sortedKeys(te.Config) {
		s, ok := te.Config[k].(string)
		if !ok || !strings.Contains(s, "{{") && !strings.Contains(s, "{%") {
			continue
		}
		n := te.ConfigNode(k)
		v, l := c.engine.RenderNative(file, s, ctx)
		if len(l) > 0 {
			for i := range l {
				l[i].Pos = valuePos(te.ConfigAt(k).Pos(file), n, l[i].Pos, false)
				l[i].Msg = strings.TrimPrefix(l[i].Msg, "template error: ")
			}
			c.diags.Append(l)
			return false
		}
		if out == nil {
			out = make(map[string]any, len(te.Config))
			for k2, v2 := range te.Config {
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
	if out != nil {
		te.Config = out
	}
	return true
}

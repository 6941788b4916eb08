package compiler

import (
	"strings"

	"github.com/kiln-build/kiln/compiler/project"
)

// renderTestConfig renders the Jinja in the string values of a test's
// config, as dbt does (enabled: "{{ not var('raw_dir').startswith('data/sample/') }}"),
// reading Jinja's True and False back as booleans. It returns false after
// reporting an error at the value.
func (c *compiler) renderTestConfig(file string, te *project.TestEntry) bool {
	var out map[string]any
	for k, v := range te.Config {
		s, ok := v.(string)
		if !ok || !strings.Contains(s, "{{") {
			continue
		}
		text, _, l := c.renderArg(file, te.ConfigAt(k).Pos(file), s)
		if len(l) > 0 {
			c.diags.Append(l)
			return false
		}
		if out == nil {
			out = make(map[string]any, len(te.Config))
			for k2, v2 := range te.Config {
				out[k2] = v2
			}
		}
		switch strings.TrimSpace(text) {
		case "True", "true":
			out[k] = true
		case "False", "false":
			out[k] = false
		default:
			out[k] = strings.TrimSpace(text)
		}
	}
	if out != nil {
		te.Config = out
	}
	return true
}

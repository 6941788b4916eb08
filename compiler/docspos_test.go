package compiler

import (
	"strings"
	"testing"
)

// A bad docs.show or docs.node_color is reported at its own line, not
// at the line where the docs mapping begins (the first of its keys), in
// a config: block, in the docs property and in the project file.
func TestDocsValuePositions(t *testing.T) {
	_, l := compileDBTDiags(t, map[string]string{
		"dbt_project.yml": "name: p\nmodels:\n  p:\n    +docs:\n      node_color: purple\n      show: maybe\n",
		"models/a.sql":    "select 1 as id",
		"models/b.sql":    "select 1 as id",
		"models/c.sql":    "select 1 as id",
		"models/props.yml": `version: 2
models:
  - name: a
    config:
      docs:
        node_color: purple
        show: perhaps
  - name: b
    docs:
      node_color: gold
      show: sometimes
  - name: c
    config:
      persist_docs:
        relation: true
        columns: often
`,
	})
	got := l.Error()
	for _, want := range []string{
		"dbt_project.yml:6:13: docs.show must be true or false, not maybe",
		"models/props.yml:7:15: docs.show must be true or false, not perhaps",
		"models/props.yml:11:13: docs.show must be true or false, not sometimes",
		"models/props.yml:16:18: persist_docs.columns must be true or false, not often",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in\n%s", want, got)
		}
	}
}

package compiler

import (
	"strings"
	"testing"
)

// A model described twice in one property file names both entries: the
// second at its file:line:col, the first by its position.
func TestDescribedTwicePositions(t *testing.T) {
	_, diags := compileFiles(t, map[string]string{
		"project.yml":  "name: shop\n",
		"models/o.sql": "select 1 as id",
		"models/schema.yml": `version: 2
models:
  - name: o
    description: one
  - name: x
  - name: o
    description: two
`,
	})
	want := `models/schema.yml:6:5: model "o" is described twice: first at models/schema.yml:3:5, again here`
	if !strings.Contains(diags, want) {
		t.Errorf("diagnostics:\n%s\nwant %s", diags, want)
	}
}

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A YAML indentation mistake in any of the project's YAML files is
// reported by kiln at the culprit's line and column (yaml.v3 names the
// start of the enclosing block, or the line before), with a hint that
// names the fix.
func TestYAMLIndentationErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		args  []string
		want  string // the error line, from its position on
	}{
		{"property file: a column's key one space too far",
			map[string]string{"models/schema.yml": "version: 2\nmodels:\n  - name: m\n    columns:\n      - name: id\n         description: the key\n"},
			[]string{"compile"},
			`models/schema.yml:6:10: invalid YAML: mapping values are not allowed in this context; this line is indented deeper than "name" on line 5, so YAML reads it as more of that key's value "id": indent it like "name" (column 9); or, if it belongs under "name", remove "id" from line 5`},
		{"property file: a column's key one space too little",
			map[string]string{"models/schema.yml": "version: 2\nmodels:\n  - name: m\n    columns:\n      - name: id\n       description: the key\n"},
			[]string{"compile"},
			`models/schema.yml:6:8: invalid YAML: did not find expected '-' indicator; this line's indentation matches none of the lines above it: indent it like its siblings (with spaces, usually 2 per level); the blocks above it start at column 9 ("name" on line 5), column 7 ("- " on line 5), column 5 ("columns" on line 4)`},
		{"property file: a model's key at its dash",
			map[string]string{"models/schema.yml": "version: 2\nmodels:\n  - name: m\n    description: x\n  columns:\n    - name: id\n"},
			[]string{"compile"},
			`models/schema.yml:5:3: invalid YAML: did not find expected '-' indicator; this line is at the column of the list item on line 3 but does not start with "- ": start it with "- " for a new item, or indent it like "name" (column 5) to add to that item`},
		{"property file: a test mis-indented in its list",
			map[string]string{"models/schema.yml": "version: 2\nmodels:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n          - unique\n         - not_null\n"},
			[]string{"compile"},
			`models/schema.yml:8:10: invalid YAML: did not find expected key; this line's indentation matches none of the lines above it: indent it like its siblings (with spaces, usually 2 per level); the blocks above it start at column 11 ("- " on line 7), column 9 ("data_tests" on line 6), column 7 ("- " on line 5)`},
		{"property file: a tab",
			map[string]string{"models/schema.yml": "version: 2\nmodels:\n  - name: m\n\tdescription: x\n"},
			[]string{"compile"},
			`models/schema.yml:4:1: invalid YAML: found a tab character that violates indentation; YAML indents with spaces, never tabs: replace the tab with spaces`},
		{"project.yml: a var one space too far",
			map[string]string{"project.yml": "name: yerr\nvars:\n  a: 1\n   b: 2\n"},
			[]string{"compile"},
			`project.yml:4:4: invalid YAML: mapping values are not allowed in this context; this line is indented deeper than "a" on line 3, so YAML reads it as more of that key's value "1": indent it like "a" (column 3); or, if it belongs under "a", remove "1" from line 3`},
		{"dbt_project.yml: a config one space too little",
			map[string]string{"project.yml": "", "dbt_project.yml": "name: yerr\nprofile: yerr\nmodels:\n  yerr:\n    +materialized: table\n   +tags: [x]\n",
				"profiles.yml": "yerr:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: x.duckdb\n"},
			[]string{"compile"},
			`dbt_project.yml:6:4: invalid YAML: did not find expected key; this line's indentation matches none of the lines above it: indent it like its siblings (with spaces, usually 2 per level); the blocks above it start at column 5 ("+materialized" on line 5), column 3 ("yerr" on line 4), column 1 ("models" on line 3)`},
		{"profiles.yml: an output's key one space too far",
			map[string]string{"project.yml": "name: yerr\nprofile: yerr\n", "profiles.yml": "yerr:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n       path: x.duckdb\n"},
			[]string{"compile"},
			`profiles.yml:6:8: invalid YAML: mapping values are not allowed in this context; this line is indented deeper than "type" on line 5, so YAML reads it as more of that key's value "duckdb": indent it like "type" (column 7); or, if it belongs under "type", remove "duckdb" from line 5`},
		{"selectors.yml: a definition's key one space too little",
			map[string]string{"selectors.yml": "selectors:\n  - name: s\n    definition:\n      method: tag\n     value: x\n"},
			[]string{"ls"},
			`selectors.yml:5:6: invalid YAML: did not find expected key; this line's indentation matches none of the lines above it: indent it like its siblings (with spaces, usually 2 per level); the blocks above it start at column 7 ("method" on line 4), column 5 ("definition" on line 3), column 3 ("- " on line 2)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "project.yml"), "name: yerr\n")
			writeFile(t, filepath.Join(dir, "models", "m.sql"), "select 1 as id\n")
			for name, text := range c.files {
				if text == "" {
					if err := os.Remove(filepath.Join(dir, name)); err != nil {
						t.Fatal(err)
					}
					continue
				}
				writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), text)
			}
			code, out, errOut := kiln(t, dir, c.args...)
			if code == 0 {
				t.Fatalf("kiln %s succeeds:\n%s%s", strings.Join(c.args, " "), out, errOut)
			}
			found := false
			for _, l := range strings.Split(out+errOut, "\n") {
				if strings.HasSuffix(l, c.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("no line ends with\n%s\nin\n%s%s", c.want, out, errOut)
			}
		})
	}
}

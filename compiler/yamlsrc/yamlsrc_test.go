package yamlsrc

import (
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestLine gives the faulty line of syntax errors that yaml.v3 reports at
// the start of their block.
func TestLine(t *testing.T) {
	cases := []struct {
		src  string
		line int
		msg  string
	}{
		{"models:\n  - name: a\n    columns:\n      - name: x\n        tests:\n          - not_null\n         - unique\n", 7, "did not find expected key"},
		{"models:\n  - name: a\n    description: \"x\n    columns: []\n", 3, "found unexpected end of stream"},
		{"models:\n  - name: a\n    columns:\n      - name: b\n      description: foo\n        tests: [x]\n", 5, "did not find expected '-' indicator"},
		{"models:\n  - name: a\n    config:\n      tags: [a, b\n    columns: []\n  - name: c\n", 4, "did not find expected ',' or ']'"},
		{"version: 2\nmodels:\n  - name: a\n    description: this: is bad\n", 4, "mapping values are not allowed in this context"},
		{"models:\n  - name: a\n\tcolumns: []\n", 3, "found a tab character that violates indentation"},
		{"models:\n  - name: a\n    columns:\n      - name: x\n        description: ok\n      - name: y\n        description: 'it's'\n", 7, "did not find expected key"},
	}
	for _, c := range cases {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(c.src), &n)
		if err == nil {
			t.Fatalf("%q parses", c.src)
		}
		line, msg := Line([]byte(c.src), err)
		if line != c.line || msg != c.msg {
			t.Errorf("Line(%q) = %d, %q; want %d, %q (yaml.v3 says %v)", c.src, line, msg, c.line, c.msg, err)
		}
	}
}

// TestLocate gives the column of the token at fault and a hint for the
// usual mistakes.
func TestLocate(t *testing.T) {
	cases := []struct {
		src       string
		line, col int
		hint      string
	}{
		{"models:\n  - name: a\n    columns:\n      - name: b\n      description: foo\n        tests: [x]\n", 5, 7, `does not start with "- "`},
		{"models:\n  - name: a\n    description: \"x\n    columns: []\n", 3, 18, `this " is never closed`},
		{"models:\n  - name: a\n    config:\n      tags: [a, b\n    columns: []\n  - name: c\n", 4, 13, "this [ is not closed"},
		{"version: 2\nmodels:\n  - name: a\n    description: this: is bad\n", 4, 22, `description: "this: is bad"`},
		{"models:\n  - name: a\n\tcolumns: []\n", 3, 1, "never tabs"},
		{"models:\n  - name: a\n    columns:\n      - name: x\n        description: ok\n      - name: y\n        description: 'it's'\n", 7, 25, `quote it with " instead`},
		{"models:\n  - name: a\n    columns:\n\t- name: x\n", 4, 1, "never tabs"},
		// A quote left open: at the quote, wherever yaml.v3 stops (the
		// end, the next line, or a later quote that it pairs with).
		{"name: \"shop\nprofile: shop\n", 1, 7, `this " is never closed`},
		{"name: shop\nversion: '1.0\nprofile: shop\nmodels:\n  shop:\n    +materialized: table\n", 2, 10, `this ' is never closed`},
		{"models:\n  - name: a\n    description: \"abc\n    columns:\n      - name: id\n        description: \"the id\"\n", 3, 18, `this " is not closed on its line, so YAML reads the value on to the next " (line 6)`},
		{"models:\n  - name: a\n    tests:\n      - \"unique\n      - not_null\n", 4, 9, `this " is never closed`},
		// A key without its colon: at its line (yaml.v3 names the next
		// one when the key is the first of its mapping), at the key.
		{"version: 2\nmodels:\n  - name: a\n    columns:\n      - name id\n        description: \"x\"\n", 5, 9, `a key needs ": " after it (with a space), else YAML reads the line as text: write name: id`},
		{"version: 2\nmodels:\n  - name: a\n    config:\n      materialized \"table\"\n      tags: [x]\n", 5, 7, `write materialized: "table"`},
		{"version: 2\nmodels:\n  - description \"x\"\n    name: a\n", 3, 5, `write description: "x"`},
		{"version: 2\nmodels:\n  - name: a\n    description \"x\"\n    columns: []\n", 4, 5, `write description: "x"`},
		{"version: 2\nmodels:\n  - name: a\n    description\n    columns: []\n", 4, 5, `write description: followed by its value`},
		{"models:\n  - name: a\n    description: |\n      \"here: it is\n    config:\n      tags: [a, b\n    columns: []\n", 6, 13, "this [ is not closed"},
	}
	for _, c := range cases {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(c.src), &n)
		if err == nil {
			t.Fatalf("%q parses", c.src)
		}
		e := Locate([]byte(c.src), err)
		if e.Line != c.line || e.Col != c.col || !strings.Contains(e.Hint, c.hint) {
			t.Errorf("Locate(%q) = %d:%d %q, hint %q; want %d:%d and a hint with %q", c.src, e.Line, e.Col, e.Msg, e.Hint, c.line, c.col, c.hint)
		}
	}
}

// TestLocateIndentation gives, for the usual indentation mistakes, the
// culprit line (not yaml.v3's, which is the start of the enclosing block
// or the line after) and a hint that names the columns that would fit.
func TestLocateIndentation(t *testing.T) {
	cases := []struct {
		name, src string
		yamlLine  int // the line yaml.v3 reports
		line, col int
		msg, hint string
	}{
		{"key one space too far", "a:\n  b: 1\n   c: 2\n", 3, 3, 4, "mapping values are not allowed in this context",
			`this line is indented deeper than "b" on line 2, so YAML reads it as more of that key's value "1": indent it like "b" (column 3); or, if it belongs under "b", remove "1" from line 2`},
		{"key one space too little", "a:\n  b: 1\n c: 2\n", 2, 3, 2, "did not find expected key",
			`this line's indentation matches none of the lines above it: indent it like its siblings (with spaces, usually 2 per level); the blocks above it start at column 3 ("b" on line 2), column 1 ("a" on line 1)`},
		{"column key too far", "models:\n  - name: m\n    columns:\n      - name: id\n         description: x\n", 5, 5, 10, "mapping values are not allowed in this context",
			`this line is indented deeper than "name" on line 4, so YAML reads it as more of that key's value "id": indent it like "name" (column 9); or, if it belongs under "name", remove "id" from line 4`},
		{"column key too little", "models:\n  - name: m\n    columns:\n      - name: id\n       description: x\n", 3, 5, 8, "did not find expected '-' indicator",
			`this line's indentation matches none of the lines above it: indent it like its siblings (with spaces, usually 2 per level); the blocks above it start at column 9 ("name" on line 4), column 7 ("- " on line 4), column 5 ("columns" on line 3)`},
		{"list item too far", "models:\n  - name: m\n    columns:\n    - name: id\n      tests: [unique]\n     - name: v\n", 1, 6, 6, "did not find expected key",
			`this line's indentation matches none of the lines above it: indent it like its siblings (with spaces, usually 2 per level); the blocks above it start at column 7 ("tests" on line 5), column 5 ("- " on line 4), column 3 ("- " on line 2)`},
		{"list item too little", "a:\n  - 1\n - 2\n", 2, 3, 2, "did not find expected key",
			`this line's indentation matches none of the lines above it: indent it like its siblings (with spaces, usually 2 per level); the blocks above it start at column 3 ("- " on line 2), column 1 ("a" on line 1)`},
		{"key of a model at its item's dash", "version: 2\nmodels:\n  - name: m\n    description: x\n  columns:\n    - name: id\n", 2, 5, 3, "did not find expected '-' indicator",
			`this line is at the column of the list item on line 3 but does not start with "- ": start it with "- " for a new item, or indent it like "name" (column 5) to add to that item`},
		{"tab", "models:\n  - name: m\n\tdescription: x\n", 2, 3, 1, "found a tab character that violates indentation",
			"YAML indents with spaces, never tabs: replace the tab with spaces"},
	}
	for _, c := range cases {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(c.src), &n)
		if err == nil {
			t.Fatalf("%s: %q parses", c.name, c.src)
		}
		if want := fmt.Sprintf("yaml: line %d: %s", c.yamlLine, c.msg); err.Error() != want {
			t.Errorf("%s: yaml.v3 says %q, want %q", c.name, err, want)
		}
		e := Locate([]byte(c.src), err)
		if e.Line != c.line || e.Col != c.col || e.Msg != c.msg || e.Hint != c.hint {
			t.Errorf("%s: Locate = %d:%d %q\n hint %s\nwant %d:%d %q\n hint %s", c.name, e.Line, e.Col, e.Msg, e.Hint, c.line, c.col, c.msg, c.hint)
		}
	}
}

package yamlsrc

import (
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
		{"models:\n  - name: a\n    columns:\n      - name: b\n      description: foo\n        tests: [x]\n", 5, 7, "indent it like its siblings"},
		{"models:\n  - name: a\n    description: \"x\n    columns: []\n", 3, 18, `this " is never closed`},
		{"models:\n  - name: a\n    config:\n      tags: [a, b\n    columns: []\n  - name: c\n", 4, 13, "this [ is not closed"},
		{"version: 2\nmodels:\n  - name: a\n    description: this: is bad\n", 4, 22, `description: "this: is bad"`},
		{"models:\n  - name: a\n\tcolumns: []\n", 3, 1, "never tabs"},
		{"models:\n  - name: a\n    columns:\n      - name: x\n        description: ok\n      - name: y\n        description: 'it's'\n", 7, 25, `quote it with " instead`},
		{"models:\n  - name: a\n    columns:\n\t- name: x\n", 4, 1, "never tabs"},
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

package template

import (
	"testing"

	"github.com/kiln-build/kiln/compiler/diag"
)

// TestToYAMLIsPyYAMLs: toyaml writes what dbt's writes, PyYAML 6's
// yaml.safe_dump(value, sort_keys=False) (dbt/context/base.py): keys in
// their order, sequences in a mapping not indented, null and true,
// strings that would load as another type ('yes', '123', ”) or that
// start with an indicator single quoted, non-ASCII and control
// characters double quoted with escapes, lines wrapped past 80 columns,
// a lone plain scalar ended by "...". Each want is PyYAML 6.0.3's output.
func TestToYAMLIsPyYAMLs(t *testing.T) {
	cases := []struct{ json, want string }{
		{`{"b": 1, "a": ["x", null, true], "c": {"d": "yes"}}`, "b: 1\na:\n- x\n- null\n- true\nc:\n  d: 'yes'\n"},
		{`{"strings": ["yes", "No", "on", "y", "123", "1.5", "0x1f", "1e3", "", " lead", "a: b", "#x", "- x", "x #y", "2024-01-01", "null", "~", "it's", "caf\u00e9", "tab\there", "line1\nline2", "@x", "plain words"]}`, "strings:\n- 'yes'\n- 'No'\n- 'on'\n- y\n- '123'\n- '1.5'\n- '0x1f'\n- 1e3\n- ''\n- ' lead'\n- 'a: b'\n- '#x'\n- '- x'\n- 'x #y'\n- '2024-01-01'\n- 'null'\n- '~'\n- it's\n- \"caf\\xE9\"\n- \"tab\\there\"\n- 'line1\n\n  line2'\n- '@x'\n- plain words\n"},
		{`{"nested": {"list": [{"k": "v", "k2": [1, 2]}, [3, [4]]], "empty": {}, "none": []}}`, "nested:\n  list:\n  - k: v\n    k2:\n    - 1\n    - 2\n  - - 3\n    - - 4\n  empty: {}\n  none: []\n"},
		{`{"floats": [1.0, 2.5, 1e+20, 1e-07, 0.1, 3e+16]}`, "floats:\n- 1.0\n- 2.5\n- 1.0e+20\n- 1.0e-07\n- 0.1\n- 3.0e+16\n"},
		{`{"long": "word word word word word word word word word word word word word word word word word word word word end", "quoted": "it's it's it's it's it's it's it's it's it's it's it's it's it's it's it's it's it's it's end"}`, "long: word word word word word word word word word word word word word word word word\n  word word word word end\nquoted: it's it's it's it's it's it's it's it's it's it's it's it's it's it's it's\n  it's it's it's end\n"},
		{`[]`, "[]\n"},
		{`{}`, "{}\n"},
		{`"abc"`, "abc\n...\n"},
		{`42`, "42\n...\n"},
		{`null`, "null\n...\n"},
		{`true`, "true\n...\n"},
		{`2.5`, "2.5\n...\n"},
		{`""`, "''\n"},
		{`"yes"`, "'yes'\n"},
		{`[123456789012345678901234567890]`, "- 123456789012345678901234567890\n"},
	}
	e, _ := NewEngine(nil)
	for _, c := range cases {
		ctx := &Context{Var: func(string, any, bool, diag.Pos) (any, error) { return c.json, nil }}
		out, l := e.Render("m.sql", "{{ toyaml(fromjson(var('x'))) }}", ctx)
		if l != nil || out != c.want {
			t.Errorf("toyaml(%s)\ngot  %q %v\nwant %q", c.json, out, l, c.want)
		}
	}
}

// TestFromYAMLIsYAML11: fromyaml reads plain scalars as PyYAML's
// safe_load does (YAML 1.1): yes/no/on/off are booleans, 017 is octal,
// 1_000 and 12:30 (base 60) are integers, 1e3 without a dot is a string,
// ~ is None; quoted and tagged scalars keep their own type.
func TestFromYAMLIsYAML11(t *testing.T) {
	e, _ := NewEngine(nil)
	src := `{% set d = fromyaml("a: yes\nb: Off\nc: y\nx: 017\nh: 0x1F\nz: 0b101\nw: 1_000\nv: 12:30\nf: 1e3\ng: 1.0e+3\nm: .5\nn: ~\nq: 'yes'\nt: !!str 12") -%}
{{ d.a }} {{ d.b }} {{ d.c }} {{ d.x }} {{ d.h }} {{ d.z }} {{ d.w }} {{ d.v }} {{ d.f ~ '|' }} {{ d.g }} {{ d.m }} {{ d.n }} {{ d.q }} {{ d.t ~ '|' }}`
	out, l := e.Render("m.sql", src, &Context{})
	if want := "True False y 15 31 5 1000 750 1e3| 1000.0 0.5 None yes 12|"; l != nil || out != want {
		t.Errorf("got  %q %v\nwant %q", out, l, want)
	}
}

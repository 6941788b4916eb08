package jinja

import (
	"reflect"
	"testing"
)

// TestRenderNative checks dbt's native rendering (dbt-common's
// tests/unit/test_jinja.py table, native column, and the single-node
// rule of quoted_native_concat for values that are not folded).
func TestRenderNative(t *testing.T) {
	g := MapGlobals{
		"a_str": "100", "a_int": 100,
		"statuses": Func(func(c *Call) (any, error) { return NewList("placed", "shipped"), nil }),
	}
	cases := []struct {
		src  string
		want any
	}{
		{"bar", "bar"},
		{"'bar'", "'bar'"},
		{"{{ 'bar' | as_text }}", "bar"},
		{"{{ 'bar' | as_native }}", "bar"},
		{"{{ 1 }}", "1"}, // folded by Jinja2: text
		{"{{ '1' }}", "1"},
		{"'{{ 1 }}'", "'1'"},
		{"{{ 1 | as_text }}", "1"},
		{"{{ 1 | as_number }}", 1},
		{"{{ 1 | as_native }}", 1},
		{"{{ '1' | as_number }}", 1},
		{"{{ True }}", "True"},
		{"{{ true | as_bool }}", true},
		{"{{ 'True' | as_bool }}", true},
		{"{{ (a_int + 100) | as_native }}", 200},
		{"{{ (a_str ~ 100) | as_native }}", 100100},
		{"{{ a_str | as_native }}{{ a_str | as_native }}", "100100"},
		{"'{{ a_int | as_native }}{{ a_int | as_native }}'", "'100100'"},
		{"{{ '' | as_native }}", ""},
		{"{{ none | as_native }}", nil},
		{"{# #}hello", "hello"},
		{"{% if false %}{% endif %}hello", "hello"},
		{"{{ a_int }}", 100},       // one node, not folded: the value
		{"{{ a_str }}", "100"},     // a string stays a string
		{"{{ [1, 2] }}", "[1, 2]"}, // folded
		{"{{ '[1, 2]' | as_native }}", NewList(1, 2)},
		{"{{ statuses() }}", NewList("placed", "shipped")},
		{"{% if true %}{{ statuses() }}{% endif %}", NewList("placed", "shipped")},
		{"x{{ statuses() }}", "x['placed', 'shipped']"},
		{"{{ statuses() }}\n", NewList("placed", "shipped")}, // the trailing newline is dropped
	}
	env := NewEnv()
	for _, c := range cases {
		tmpl, l := env.Parse("t.yml", c.src)
		if len(l) > 0 {
			t.Fatalf("%q: %v", c.src, l)
		}
		got, l := env.RenderNative(tmpl, g)
		if len(l) > 0 {
			t.Fatalf("%q: %v", c.src, l)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %#v, want %#v", c.src, got, c.want)
		}
	}
	for _, src := range []string{"{{ 'bar' | as_bool }}", "{{ 'bar' | as_number }}", "{{ 1 | as_bool }}", "{{ True | as_number }}"} {
		tmpl, _ := env.Parse("t.yml", src)
		if _, l := env.RenderNative(tmpl, g); len(l) != 1 || l[0].Pos.Line != 1 {
			t.Errorf("%q: want one error at line 1, got %v", src, l)
		}
	}
}

func TestLiteralEval(t *testing.T) {
	for s, want := range map[string]any{"1": 1, "-2.5": -2.5, "'a'": "a", "True": true, "None": nil, "[1, 'a']": NewList(1, "a")} {
		got, ok := LiteralEval(s)
		if !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %#v, %v", s, got, ok)
		}
	}
	for _, s := range []string{"true", "none", "x", "f(1)", "1 + 2", "not 1", "bar"} {
		if v, ok := LiteralEval(s); ok {
			t.Errorf("%q: read as %#v", s, v)
		}
	}
}

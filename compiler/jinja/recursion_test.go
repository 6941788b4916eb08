package jinja

import (
	"strings"
	"testing"
)

// macrosOf parses macro files and returns Globals holding their macros.
func macrosOf(t *testing.T, env *Env, files map[string]string) MapGlobals {
	t.Helper()
	g := MapGlobals{}
	for path, src := range files {
		tmpl, l := env.Parse(path, src)
		if len(l) > 0 {
			t.Fatal(l)
		}
		for _, m := range tmpl.Macros {
			g[m.Name] = NewMacro(m)
		}
	}
	return g
}

// A macro that calls itself forever stops at the depth limit with an
// error at the call in the macro's file and the chain of calls, instead
// of exhausting Go's stack.
func TestEndlessRecursionIsAnErrorWithTheChain(t *testing.T) {
	env := NewEnv()
	g := macrosOf(t, env, map[string]string{
		"macros/loop.sql": "{% macro forever(n) %}\n  {{ forever(n + 1) }}\n{% endmacro %}",
	})
	tmpl, _ := env.Parse("models/m.sql", "select\n{{ forever(0) }}")
	_, l := env.Render(tmpl, g)
	if len(l) != 1 {
		t.Fatalf("want one error, got %v", l)
	}
	d := l[0]
	if d.Pos.String() != "macros/loop.sql:2:6" {
		t.Errorf("position %s, want the recursive call at macros/loop.sql:2:6", d.Pos)
	}
	for _, want := range []string{"more than 200 deep", `models/m.sql:2:4 calls "forever"`, `macros/loop.sql:2:6 calls "forever", and so on`} {
		if !strings.Contains(d.Msg, want) {
			t.Errorf("message lacks %q:\n%s", want, d.Msg)
		}
	}
	if !strings.Contains(d.Hint, "condition that ends the recursion") {
		t.Errorf("hint %q", d.Hint)
	}
}

// Mutual recursion shows the cycle once, and the limit is configurable.
func TestMutualRecursionShowsTheCycle(t *testing.T) {
	env := NewEnv()
	env.MaxDepth = 50
	g := macrosOf(t, env, map[string]string{
		"macros/a.sql": "{% macro a() %}{{ b() }}{% endmacro %}",
		"macros/b.sql": "{% macro b() %}{{ a() }}{% endmacro %}",
	})
	tmpl, _ := env.Parse("models/m.sql", "{{ a() }}")
	_, l := env.Render(tmpl, g)
	if len(l) != 1 {
		t.Fatalf("got %v", l)
	}
	want := `template error: macro calls nest more than 50 deep: models/m.sql:1:4 calls "a", macros/a.sql:1:19 calls "b", macros/b.sql:1:19 calls "a", and so on`
	if l[0].Msg != want {
		t.Errorf("got  %s\nwant %s", l[0].Msg, want)
	}
}

// Deep but finite recursion under the limit works.
func TestRecursionUnderTheLimit(t *testing.T) {
	env := NewEnv()
	g := macrosOf(t, env, map[string]string{
		"macros/sum.sql": "{% macro total(n) %}{% if n == 0 %}{{ return(0) }}{% endif %}{{ return(n + total(n - 1)) }}{% endmacro %}",
	})
	tmpl, _ := env.Parse("m.sql", "{{ total(150) }}")
	out, l := env.Render(tmpl, g)
	if l != nil || out != "11325" {
		t.Fatalf("got %q %v", out, l)
	}
}

// A recursive for loop is bounded too.
func TestRecursiveLoopIsBounded(t *testing.T) {
	env := NewEnv()
	tmpl, _ := env.Parse("m.sql", "{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}")
	_, l := env.Render(tmpl, nil)
	if len(l) != 1 || !strings.Contains(l[0].Msg, "more than 200 deep") {
		t.Fatalf("got %v", l)
	}
}

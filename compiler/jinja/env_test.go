package jinja

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// With Lenient (dbt's undefined while parsing), reading through an
// undefined value gives undefined instead of an error.
func TestLenientUndefined(t *testing.T) {
	env := NewEnv()
	env.Lenient = true
	tmpl, _ := env.Parse("m.sql", "[{{ adapter.get_relation(a, b).name }}][{{ x['k'].y }}][{{ undefined_fn() }}]")
	out, l := env.Render(tmpl, nil)
	if l != nil || out != "[][][]" {
		t.Fatalf("got %q %v", out, l)
	}
}

// Env.Call calls a macro or a Func from Go with keyword arguments; a
// macro's return() value comes back as it is.
func TestCallFromGo(t *testing.T) {
	env := NewEnv()
	g := macrosOf(t, env, map[string]string{"macros/m.sql": "{% macro m(a, b=2) %}{{ return([a, b]) }}{% endmacro %}"})
	v, l := env.Call("x.yml", g["m"], nil, []KV{{Key: "a", Value: []string{"x"}}}, g)
	if l != nil || Str(v) != "[['x'], 2]" {
		t.Fatalf("got %v %v", v, l)
	}
	f := Func(func(c *Call) (any, error) { return fmt.Sprintf("%v %v", c.Args...), nil })
	if v, l := env.Call("x.yml", f, []any{1, "b"}, nil, nil); l != nil || v != "1 b" {
		t.Fatalf("got %v %v", v, l)
	}
}

// A Func gets the call's position, the root call's, and the calling
// code's package, and can call template values back.
func TestFuncSeesPositionsAndCallsBack(t *testing.T) {
	env := NewEnv()
	var seen []string
	probe := Func(func(c *Call) (any, error) {
		seen = append(seen, fmt.Sprintf("%s root %s pkg %q", c.Pos, c.Root(), c.Package()))
		if len(c.Args) > 0 {
			return c.CallValue(c.Args[0], []any{"arg"}, nil)
		}
		return "", nil
	})
	tmpl, l := env.Parse("macros/p.sql", "{% macro inner(x) %}<{{ x }}>{{ probe() }}{% endmacro %}")
	if l != nil {
		t.Fatal(l)
	}
	tmpl.Package = "pkg"
	g := MapGlobals{"probe": probe, "inner": NewMacro(tmpl.Macros[0])}
	model, _ := env.Parse("models/m.sql", "a\n  {{ probe(inner) }}")
	out, l := env.Render(model, g)
	if l != nil || out != "a\n  <arg>" {
		t.Fatalf("got %q %v", out, l)
	}
	want := `models/m.sql:2:6 root models/m.sql:2:6 pkg ""; macros/p.sql:1:33 root models/m.sql:2:6 pkg "pkg"`
	if got := strings.Join(seen, "; "); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// One parsed template renders concurrently (run with -race).
func TestConcurrentRenders(t *testing.T) {
	env := NewEnv()
	g := macrosOf(t, env, map[string]string{"macros/m.sql": "{% macro twice(x) %}{{ x }}{{ x }}{% endmacro %}"})
	tmpl, _ := env.Parse("m.sql", "{% set ns = namespace(n=0) %}{% for i in range(50) %}{% set ns.n = ns.n + i %}{{ twice(i) }}{% endfor %}={{ ns.n }}")
	var wg sync.WaitGroup
	outs := make([]string, 8)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], _ = env.Render(tmpl, g)
		}()
	}
	wg.Wait()
	for _, o := range outs {
		if o != outs[0] || !strings.HasSuffix(o, "=1225") {
			t.Fatalf("renders differ: %q vs %q", o, outs[0])
		}
	}
}

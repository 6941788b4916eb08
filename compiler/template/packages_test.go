package template

import (
	"strings"
	"testing"
)

// A package's macros are reached through its namespace; unqualified
// names resolve as dbt-core's MacroNamespace resolves them: in the
// package of the node being rendered, then the project's, then kiln's
// built-ins, whatever the package of the macro whose code names them
// (dbt renders every macro with the node's context). So a package macro
// called from the project's model finds the project's helper, not its
// own, and the same macro called from the package's own node finds the
// package's.
func TestPackageNamespacesAndResolutionOrder(t *testing.T) {
	e, l := NewEngine([]Source{
		{Path: "<builtin>/b.sql", Text: "{% macro helper() %}builtin{% endmacro %}{% macro only_builtin() %}B{% endmacro %}"},
		{Path: "dbt_packages/pkg/macros/m.sql", Package: "pkg", Text: "{% macro greet(x) %}{{ helper() }}:{{ x }}{% endmacro %}{% macro helper() %}pkg{% endmacro %}"},
		{Path: "macros/h.sql", Text: "{% macro helper() %}project{% endmacro %}"},
	})
	if l != nil {
		t.Fatal(l)
	}
	out, l := e.Render("models/m.sql", "{{ pkg.greet('a') }} {{ helper() }} {{ only_builtin() }} {{ pkg.helper() }}", &Context{})
	if l != nil {
		t.Fatal(l)
	}
	if out != "project:a project B pkg" {
		t.Fatalf("from the project's node: got %q", out)
	}
	out, l = e.RenderIn("pkg", "dbt_packages/pkg/models/p.sql", "{{ greet('a') }} {{ helper() }}", &Context{})
	if l != nil || out != "pkg:a pkg" {
		t.Fatalf("from the package's node: got %q %v", out, l)
	}
	if e.MacroFile("helper") != "macros/h.sql" || !e.HasMacro("only_builtin") || e.HasMacro("greet") {
		t.Fatalf("lookups from the project: %q %v %v", e.MacroFile("helper"), e.HasMacro("only_builtin"), e.HasMacro("greet"))
	}
}

// A package macro that calls a sibling by its bare name fails for a node
// of another package, as in dbt ("'sibling' is undefined"): the error
// says why and how to call it.
func TestPackageSiblingCallNeedsNamespace(t *testing.T) {
	e, l := NewEngine([]Source{
		{Path: "dbt_packages/pkg/macros/m.sql", Package: "pkg", Text: "{% macro outer() %}[{{ sibling() }}]{% endmacro %}\n{% macro sibling() %}s{% endmacro %}"},
	})
	if l != nil {
		t.Fatal(l)
	}
	if out, l := e.RenderIn("pkg", "dbt_packages/pkg/models/p.sql", "{{ outer() }}", &Context{}); l != nil || out != "[s]" {
		t.Fatalf("from the package's node: got %q %v", out, l)
	}
	_, l = e.Render("models/m.sql", "{{ pkg.outer() }}", &Context{})
	if len(l) != 1 {
		t.Fatalf("from the project's node: %v, want one error", l)
	}
	got := l[0].Error()
	for _, want := range []string{`dbt_packages/pkg/macros/m.sql:1:24: template error: "sibling" is not a function or macro`, `package "pkg" defines sibling`, "(the root project here), then in dbt's own", "call it as pkg.sibling"} {
		if !strings.Contains(got, want) {
			t.Errorf("error %q lacks %q", got, want)
		}
	}
}

// The resolution is a hook: a Resolver installed with SetResolver
// decides what every free name designates.
func TestResolverIsPluggable(t *testing.T) {
	e, _ := NewEngine([]Source{{Path: "macros/a.sql", Text: "{% macro a() %}A{% endmacro %}"}})
	var asked []string
	e.SetResolver(resolverFunc(func(name, pkg string) (any, bool) {
		asked = append(asked, name)
		return e.Index().Resolve(name, pkg)
	}))
	out, l := e.Render("m.sql", "{{ a() }}{% set x = 1 %}{{ x }}", &Context{})
	if l != nil || out != "A1" || strings.Join(asked, ",") != "a" {
		t.Fatalf("got %q %v, asked %v", out, l, asked)
	}
}

type resolverFunc func(name, pkg string) (any, bool)

func (f resolverFunc) Resolve(name, pkg string) (any, bool) { return f(name, pkg) }
func (f resolverFunc) Names() []string                      { return nil }

// A ref() inside a macro gets the position of the model's outermost call
// (where the dependency is written, for the graph's messages); its error
// is reported at the ref() in the macro file, with the chain of calls.
func TestRefInsideMacro(t *testing.T) {
	e, _ := NewEngine([]Source{{Path: "macros/m.sql", Text: "{% macro from_orders(name) %}\nselect * from {{ ref(name) }}\n{% endmacro %}"}})
	ctx, seen := ctxWith(map[string]string{"orders": `"main"."orders"`})
	out, l := e.Render("models/x.sql", "-- x\n{{ from_orders('orders') }}", ctx)
	if l != nil || !strings.Contains(out, `select * from "main"."orders"`) {
		t.Fatalf("got %q %v", out, l)
	}
	if got := strings.Join(*seen, ";"); got != "ref orders at models/x.sql:2:4" {
		t.Fatalf("ref seen %s", got)
	}
	_, l = e.Render("models/x.sql", "-- x\n{{ from_orders('nope') }}", ctx)
	want := `macros/m.sql:2:18: unknown model "nope" in ref() (in macro "from_orders" called at models/x.sql:2:4)`
	if len(l) != 1 || l[0].Error() != want {
		t.Fatalf("got %v\nwant %s", l, want)
	}
}

// Every failing statement of a template is reported, not only the first;
// every syntax error too.
func TestEveryErrorOfAFile(t *testing.T) {
	e, _ := NewEngine(nil)
	ctx, _ := ctxWith(map[string]string{"a": "a"})
	_, l := e.Render("models/m.sql", "select {{ ref('x') }},\n  {{ ref('a') }},\n  {{ ref('y') }},\n  {{ undefined_fn() }}", ctx)
	var got []string
	for _, d := range l {
		got = append(got, d.Pos.String())
	}
	if strings.Join(got, " ") != "models/m.sql:1:11 models/m.sql:3:6 models/m.sql:4:6" {
		t.Fatalf("got %v", l)
	}
	_, l = e.Render("models/m.sql", "{{ 1 + }}\n{% if %}{% endif %}\n{{ ) }}", ctx)
	if len(l) != 3 {
		t.Fatalf("want 3 syntax errors, got %v", l)
	}
}

// Macro files: every syntax error of every file is reported.
func TestEverySyntaxErrorOfMacroFiles(t *testing.T) {
	_, l := NewEngine([]Source{
		{Path: "macros/a.sql", Text: "{% macro a() %}{{ 1 + }}{% endmacro %}\n{% macro b() %}{{ ( }}{% endmacro %}"},
		{Path: "macros/b.sql", Text: "{% macro c( %}"},
	})
	var files []string
	for _, d := range l {
		files = append(files, d.Pos.String())
	}
	if strings.Join(files, " ") != "macros/a.sql:1:23 macros/a.sql:2:19 macros/b.sql:1:11 macros/b.sql:1:1" {
		t.Fatalf("got %v", l)
	}
}

// A macro that calls itself forever is an error at its file:line:col
// naming the chain of calls (issue 11), not a crash.
func TestEndlessMacroRecursion(t *testing.T) {
	e, _ := NewEngine([]Source{{Path: "macros/r.sql", Text: "{% macro r(n) %}\n  {{- r(n + 1) -}}\n{% endmacro %}"}})
	_, l := e.Render("models/m.sql", "select {{ r(0) }}", &Context{})
	if len(l) != 1 || l[0].Pos.String() != "macros/r.sql:2:7" || !strings.Contains(l[0].Msg, `models/m.sql:1:11 calls "r", macros/r.sql:2:7 calls "r", and so on`) {
		t.Fatalf("got %v", l)
	}
}

// dbt's Jinja: return(), varargs and kwargs, trailing commas, a
// conditional without else, unpacking set, as dbt packages write them.
func TestDbtJinjaSyntax(t *testing.T) {
	e, l := NewEngine([]Source{{Path: "macros/k.sql", Text: `{% macro cols(prefix) -%}
{%- set out = [] -%}
{%- for c in varargs -%}{%- do out.append(prefix ~ c) -%}{%- endfor -%}
{{ return(out + [kwargs.get('extra', 'none')]) }}
{%- endmacro %}`}})
	if l != nil {
		t.Fatal(l)
	}
	src := "{% set a, b = 'x', 'y' %}{{ cols('t.', a, b, extra='z',) | join(', ') }} {{ ('!' if b) }}{{ 'never' if not b }}"
	out, l := e.Render("models/m.sql", src, &Context{})
	if l != nil || out != "t.x, t.y, z !" {
		t.Fatalf("got %q %v", out, l)
	}
	got, err := e.CallMacro("x.yml", "cols", map[string]any{"prefix": "p."}, &Context{})
	if err != nil || got != "['none']" {
		t.Fatalf("CallMacro gave %q %v", got, err)
	}
}

// A failing call of a test macro names the problem without a position
// when it is the call itself, and with the macro file's position inside.
func TestCallMacroErrors(t *testing.T) {
	e, _ := NewEngine([]Source{{Path: "tests/generic/t.sql", Text: "{% test t(model) %}\n{{ model.nope.deeper }}\n{% endtest %}"}})
	_, err := e.CallMacro("models/x.yml", "test_t", map[string]any{"model": "m", "extra": 1}, &Context{})
	if err == nil || err.Error() != `macro "test_t" takes no keyword argument "extra"` {
		t.Fatalf("got %v", err)
	}
	_, err = e.CallMacro("models/x.yml", "test_t", map[string]any{"model": map[string]any{}}, &Context{})
	if err == nil || !strings.HasPrefix(err.Error(), `tests/generic/t.sql:2:10: template error: the dict has no attribute "nope"`) {
		t.Fatalf("got %v", err)
	}
}

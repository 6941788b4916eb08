package template

import (
	"strings"
	"testing"
)

// TestModelSchemaDatabase renders dbt's model, schema and database from
// the node's entry: a dict whose keys read as attributes too, nested
// (model.config.materialized), by item (model.config['my_team']) and
// with .get, and schema and database as Where gives them.
func TestModelSchemaDatabase(t *testing.T) {
	e, l := NewEngine(nil)
	if l != nil {
		t.Fatal(l)
	}
	calls := 0
	entry := func() map[string]any {
		calls++
		return map[string]any{
			"unique_id": "model.shop.orders", "name": "orders", "resource_type": "model",
			"schema": "main_sales", "database": "shop", "fqn": []any{"shop", "marts", "orders"},
			"tags":       []any{"daily", "finance"},
			"config":     map[string]any{"materialized": "table", "my_team": "finance", "tags": []any{"daily"}},
			"depends_on": map[string]any{"nodes": []any{"model.shop.stg_orders"}, "macros": []any{}},
		}
	}
	ctx, _ := ctxWith(nil)
	ctx.Model = entry
	ctx.Where = func() Where { m := entry(); return Where{Schema: m["schema"], Database: m["database"]} }
	src := `{{ model.unique_id }}|{{ model.name }}|{{ model.config.materialized }}|{{ model.config['my_team'] }}|` +
		`{{ model.config.get('my_team') }}|{{ model.config.get('unique_key', 'none') }}|{{ model.fqn | join('.') }}|` +
		`{{ model.tags | join(',') }}|{{ model.depends_on.nodes[0] }}|{{ model['resource_type'] }}|{{ schema }}|{{ database }}|` +
		`{{ model.compiled_code is defined }}`
	out, dl := e.Render("models/orders.sql", src, ctx)
	if dl != nil {
		t.Fatal(dl)
	}
	want := "model.shop.orders|orders|table|finance|finance|none|shop.marts.orders|daily,finance|model.shop.stg_orders|model|main_sales|shop|False"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if calls == 0 {
		t.Error("Model was not called")
	}
}

// TestModelUndefinedWithoutNode: without Model and Where, model, schema
// and database are undefined (a render error at their position), and a
// Globals entry named model (a generic test's) is not shadowed.
func TestModelUndefinedWithoutNode(t *testing.T) {
	e, _ := NewEngine(nil)
	for _, name := range []string{"model", "schema", "database"} {
		ctx, _ := ctxWith(nil)
		out, l := e.Render("models/m.sql", "{{ "+name+" is defined }}", ctx)
		if l != nil || strings.TrimSpace(out) != "False" {
			t.Errorf("%s: got %q, %v; want False", name, out, l)
		}
	}
	ctx, _ := ctxWith(nil)
	ctx.Globals = map[string]any{"model": `"main"."orders"`}
	ctx.Model = func() map[string]any { return map[string]any{"unique_id": "test.shop.x"} }
	out, l := e.Render("tests/t.sql", "{{ model }}", ctx)
	if l != nil || out != `"main"."orders"` {
		t.Errorf("Globals' model: got %q, %v", out, l)
	}
	// A nil entry leaves model undefined.
	ctx, _ = ctxWith(nil)
	ctx.Model = func() map[string]any { return nil }
	out, _ = e.Render("models/m.sql", "{{ model is defined }}", ctx)
	if out != "False" {
		t.Errorf("nil entry: model is defined gave %q", out)
	}
}

// TestBuiltinsAndContext: builtins holds the context's own members
// (builtins.ref is ref, whatever macro is named ref) and context every
// top-level name, macros included, so a macro named at run time is
// found with context.get or context[name].
func TestBuiltinsAndContext(t *testing.T) {
	e, l := NewEngine([]Source{{Path: "macros/m.sql", Text: "{% macro shout(x) %}{{ x | upper }}{% endmacro %}"}})
	if l != nil {
		t.Fatal(l)
	}
	ctx, _ := ctxWith(map[string]string{"orders": `"main"."orders"`})
	src := `{{ builtins.ref('orders') }}|{{ 'ref' in builtins }}|{{ 'shout' in builtins }}|{{ 'model' in builtins }}|` +
		`{{ context.get('shout')('hi') }}|{{ context['shout']('yo') }}|{{ 'shout' in context }}|{{ 'nope' in context }}|` +
		`{{ context.get('nope', 'none') }}|{{ context.ref('orders') }}|{{ builtins.get('shout') }}`
	out, dl := e.Render("models/m.sql", src, ctx)
	if dl != nil {
		t.Fatal(dl)
	}
	want := `"main"."orders"|True|False|False|HI|YO|True|False|none|"main"."orders"|None`
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

// TestStoreResult: store_result and store_raw_result keep a response and
// a table for load_result, as dbt's do (an empty table when none is
// given; store_raw_result's response prints as its message).
func TestStoreResult(t *testing.T) {
	e, _ := NewEngine(nil)
	ctx, _ := ctxWith(nil)
	src := `{% do store_result('a', response='done') %}{% set r = load_result('a') %}{{ r.response }}|{{ r.data | length }}|` +
		`{% do store_raw_result('b', message='INSERT 0 3', code='INSERT', rows_affected=3) %}{% set b = load_result('b') %}` +
		`{{ b.response }}|{{ b.response.code }}|{{ b.response.rows_affected }}|{{ b.response._message }}|{{ load_result('c') }}`
	out, dl := e.Render("macros/x.sql", src, ctx)
	if dl != nil {
		t.Fatal(dl)
	}
	if want := "done|0|INSERT 0 3|INSERT|3|INSERT 0 3|None"; out != want {
		t.Errorf("got %s, want %s", out, want)
	}
	// As in dbt, a result loads once (main excepted) until stored again.
	out, dl = e.Render("macros/x.sql", `{% do store_result('m', response='1') %}{% do store_result('main', response='M') %}`+
		`{{ load_result('m').response }}{% do store_result('m', response='2') %}{{ load_result('m').response }}`+
		`{{ load_result('main').response }}{{ load_result('main').response }}`, ctx)
	if dl != nil || out != "12MM" {
		t.Errorf("results stored again, and main loaded twice: %q, %v; want 12MM", out, dl)
	}
	_, dl = e.Render("macros/x.sql", "{% do store_result('m', response='1') %}{% set a = load_result('m') %}\n{% set b = load_result('m') %}", ctx)
	if want := `macros/x.sql:2:`; dl == nil || !strings.Contains(dl.Error(), want) ||
		!strings.Contains(dl.Error(), `load_result("m"): the statement result named "m" has already been loaded into a variable`) {
		t.Errorf("a result loaded twice: %v, want an error at %s", dl, want)
	}
	_, dl = e.Render("macros/x.sql", `{% do store_result('a', 'x', agate_table='no') %}`, ctx)
	if dl == nil || !strings.Contains(dl.Error(), "agate_table is a table") {
		t.Errorf("a text as agate_table: %v, want an error", dl)
	}
}

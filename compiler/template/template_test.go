package template

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/diag"
)

func ctxWith(refs map[string]string) (*Context, *[]string) {
	var seen []string
	return &Context{
		Ref: func(args []string, _ string, pos diag.Pos) (any, error) {
			name := args[len(args)-1]
			seen = append(seen, fmt.Sprintf("ref %s at %s", name, pos))
			rel, ok := refs[name]
			if !ok {
				return nil, fmt.Errorf("unknown model %q in ref()", name)
			}
			return rel, nil
		},
		Source: func(s, t string, pos diag.Pos) (any, error) {
			seen = append(seen, fmt.Sprintf("source %s.%s at %s", s, t, pos))
			return `"raw"."` + t + `"`, nil
		},
		Config: func(kw map[string]any, pos diag.Pos, _ map[string]ArgPos) error {
			seen = append(seen, fmt.Sprintf("config %v at %s", kw, pos))
			return nil
		},
		Var: func(name string, def any, has bool, pos diag.Pos) (any, error) {
			if name == "known" {
				return "K", nil
			}
			if has {
				return def, nil
			}
			return nil, fmt.Errorf("required var %q is not set", name)
		},
	}, &seen
}

func TestRenderRefSourceConfigWithPositions(t *testing.T) {
	e, l := NewEngine(nil)
	if l != nil {
		t.Fatal(l)
	}
	ctx, seen := ctxWith(map[string]string{"a": `"main"."a"`})
	src := "{{ config(materialized='table') }}\nselect *\nfrom {{ ref('a') }} join {{ source('raw', 'erp') }} using (id)\nwhere x = '{{ var('known') }}' and y = '{{ var('missing', 'D') }}'\n"
	out, l := e.Render("models/m.sql", src, ctx)
	if l != nil {
		t.Fatal(l)
	}
	want := "\nselect *\nfrom \"main\".\"a\" join \"raw\".\"erp\" using (id)\nwhere x = 'K' and y = 'D'\n"
	if out != want {
		t.Fatalf("got %q\nwant %q", out, want)
	}
	got := strings.Join(*seen, "\n")
	wantSeen := "config map[materialized:table] at models/m.sql:1:4\nref a at models/m.sql:3:9\nsource raw.erp at models/m.sql:3:29"
	if got != wantSeen {
		t.Fatalf("got\n%s\nwant\n%s", got, wantSeen)
	}
}

func TestUnknownRefIsReportedAtItsCall(t *testing.T) {
	e, _ := NewEngine(nil)
	ctx, _ := ctxWith(map[string]string{"a": "a"})
	_, l := e.Render("models/m.sql", "select 1\nfrom {{ ref('a') }}\njoin {{ ref('nope') }}", ctx)
	if len(l) != 1 || l[0].Error() != `models/m.sql:3:9: unknown model "nope" in ref()` {
		t.Fatalf("got %v", l)
	}
}

func TestMissingVarHasPosition(t *testing.T) {
	e, _ := NewEngine(nil)
	ctx, _ := ctxWith(nil)
	_, l := e.Render("models/m.sql", "select\n  '{{ var(\"raw_dir\") }}'", ctx)
	if len(l) != 1 || l[0].Error() != `models/m.sql:2:7: required var "raw_dir" is not set` {
		t.Fatalf("got %v", l)
	}
}

func TestSyntaxErrorHasPosition(t *testing.T) {
	e, _ := NewEngine(nil)
	ctx, _ := ctxWith(nil)
	_, l := e.Render("models/m.sql", "select 1\n{% if %}x{% endif %}", ctx)
	if len(l) != 1 || l[0].Pos.Line != 2 || !strings.HasPrefix(l[0].Msg, "template error:") {
		t.Fatalf("got %#v", l)
	}
}

func TestGlobalMacrosCallRefAndEachOther(t *testing.T) {
	e, l := NewEngine([]Source{
		{Path: "macros/a.sql", Text: "{% macro cents(col) %}round({{ col }} * 100){% endmacro %}"},
		{Path: "macros/b.sql", Text: "{% macro total(m) %}select sum({{ cents('x') }}) from {{ ref(m) }}{% endmacro %}"},
	})
	if l != nil {
		t.Fatal(l)
	}
	if !e.HasMacro("cents") || !e.HasMacro("total") {
		t.Fatal("macros not registered")
	}
	e.SetRun(Run{ProjectName: "shop"})
	var called []string
	ctx, _ := ctxWith(map[string]string{"orders": `"main"."orders"`})
	ctx.OnMacro = func(n string) { called = append(called, n) }
	out, l := e.Render("models/m.sql", "{{ total('orders') }}", ctx)
	if l != nil {
		t.Fatal(l)
	}
	if out != `select sum(round(x * 100)) from "main"."orders"` {
		t.Fatalf("got %q", out)
	}
	// dbt's depends_on.macros: the macro the model calls, not cents,
	// which total calls.
	if strings.Join(called, ",") != "shop.total" {
		t.Fatalf("macros seen: %v", called)
	}
}

// TestOnMacroTellsTopLevelCallsAsDBTIDs: OnMacro is told each call the
// template makes itself, as dbt records depends_on.macros (depth 0): a
// package's macro through its namespace, a dispatched macro under its
// package, is_incremental() as dbt's, and a built-in under dbt's package
// name; the macros those macros call are not told.
func TestOnMacroTellsTopLevelCallsAsDBTIDs(t *testing.T) {
	e, l := NewEngine([]Source{
		{Path: "<builtin>/dbt.sql", Text: "{% macro type_string() %}varchar{% endmacro %}"},
		{Path: "macros/a.sql", Text: "{% macro cents(c) %}{{ c }} * 100{% endmacro %}{% macro total(c) %}sum({{ cents(c) }}){% endmacro %}"},
		{Path: "dbt_packages/utils/macros/s.sql", Package: "utils", Text: "{% macro star() %}{{ utils.inner() }}{% endmacro %}{% macro inner() %}*{% endmacro %}"},
	})
	if l != nil {
		t.Fatal(l)
	}
	e.SetRun(Run{ProjectName: "shop"})
	var called []string
	ctx, _ := ctxWith(nil)
	ctx.OnMacro = func(id string) { called = append(called, id) }
	out, l := e.Render("models/m.sql", "select {{ utils.star() }}, {{ total('x') }}::{{ type_string() }}{% if is_incremental() %}{% endif %}", ctx)
	if l != nil {
		t.Fatal(l)
	}
	if out != "select *, sum(x * 100)::varchar" {
		t.Fatalf("got %q", out)
	}
	if got := strings.Join(called, ","); got != "utils.star,shop.total,dbt.type_string,dbt.is_incremental" {
		t.Errorf("macros told: %s, want utils.star,shop.total,dbt.type_string,dbt.is_incremental", got)
	}
}

func TestDuplicateMacroNamesBothFiles(t *testing.T) {
	_, l := NewEngine([]Source{
		{Path: "macros/a.sql", Text: "{% macro m() %}1{% endmacro %}"},
		{Path: "macros/b.sql", Text: "\n{% macro m() %}2{% endmacro %}"},
	})
	if len(l) != 1 || l[0].Error() != `macros/b.sql:2:4: macro "m" is defined twice: in macros/a.sql and in macros/b.sql; rename or delete one of them` {
		t.Fatalf("got %v", l)
	}
}

func TestGenericTestBlockBecomesMacro(t *testing.T) {
	e, l := NewEngine([]Source{{Path: "tests/generic/positive.sql", Text: "{% test positive(model, column_name) %}\nselect * from {{ model }} where {{ column_name }} <= 0\n{% endtest %}"}})
	if l != nil {
		t.Fatal(l)
	}
	ctx, _ := ctxWith(nil)
	out, err := e.CallMacro("models/x.yml", "test_positive", map[string]any{"model": `"main"."t"`, "column_name": "price"}, ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != `select * from "main"."t" where price <= 0` {
		t.Fatalf("got %q", out)
	}
}

func TestThisRelationAttributes(t *testing.T) {
	e, _ := NewEngine(nil)
	ctx := &Context{This: Relation{Schema: "marts", Identifier: "kpi", Quoted: `"marts"."kpi"`}}
	out, l := e.Render("m.sql", "{{ this }} {{ this.schema }} {{ this.name }} {{ is_incremental() }}", ctx)
	if l != nil {
		t.Fatal(l)
	}
	if out != `"marts"."kpi" marts kpi False` {
		t.Fatalf("got %q", out)
	}
}

func TestPlainSQLIsUntouched(t *testing.T) {
	e, _ := NewEngine(nil)
	src := "select 1 as x -- no template here\n"
	out, l := e.Render("m.sql", src, &Context{})
	if l != nil || out != src {
		t.Fatalf("got %q %v", out, l)
	}
}

func TestUnknownFunctionSuggestsMacro(t *testing.T) {
	e, _ := NewEngine([]Source{{Path: "macros/m.sql", Text: "{% macro cents(x) %}{{ x }}{% endmacro %}"}})
	ctx, _ := ctxWith(nil)
	_, l := e.Render("models/m.sql", "select\n  {{ cent('a') }}", ctx)
	if len(l) != 1 || l[0].Error() != `models/m.sql:2:6: template error: "cent" is not a function or macro; did you mean "cents"?` {
		t.Fatalf("got %v", l)
	}
}

func TestProjectMacroOverridesBuiltin(t *testing.T) {
	e, l := NewEngine([]Source{
		{Path: "<builtin>/tests.sql", Text: "{% test unique(model, column_name) %}builtin{% endtest %}"},
		{Path: "macros/u.sql", Text: "{% test unique(model, column_name) %}mine{% endtest %}"},
	})
	if l != nil {
		t.Fatal(l)
	}
	out, err := e.CallMacro("x.yml", "test_unique", map[string]any{"model": "m", "column_name": "c"}, &Context{})
	if err != nil || out != "mine" {
		t.Fatalf("got %q %v", out, err)
	}
	if e.MacroFile("test_unique") != "macros/u.sql" {
		t.Fatalf("file %q", e.MacroFile("test_unique"))
	}
}

func TestConfigKeepsListsAndDicts(t *testing.T) {
	e, _ := NewEngine(nil)
	var got map[string]any
	ctx := &Context{Config: func(kw map[string]any, _ diag.Pos, _ map[string]ArgPos) error { got = kw; return nil }}
	if _, l := e.Render("m.sql", "{{ config(tags=['a', 'b'], contract={'enforced': true}, limit=3) }}", ctx); l != nil {
		t.Fatal(l)
	}
	if fmt.Sprint(got["tags"]) != "[a b]" || fmt.Sprint(got["contract"]) != "map[enforced:true]" || fmt.Sprint(got["limit"]) != "3" {
		t.Fatalf("got %#v", got)
	}
}

package template

import (
	"testing"

	"github.com/kiln-build/kiln/compiler/diag"
)

// benchCtx answers ref, source, var and config without recording anything.
func benchCtx() *Context {
	return &Context{
		Ref: func(args []string, _ string, pos diag.Pos) (any, error) {
			return Relation{Quoted: `"main"."` + args[len(args)-1] + `"`}, nil
		},
		Source: func(s, t string, pos diag.Pos) (any, error) {
			return Relation{Quoted: `"` + s + `"."` + t + `"`}, nil
		},
		Var:    func(name string, def any, has bool, pos diag.Pos) (any, error) { return def, nil },
		Config: func(map[string]any, diag.Pos, map[string]ArgPos) error { return nil },
	}
}

// A model on the fast path: SQL and ref() calls.
const benchFast = "-- m1\nselect greatest(p.a, q.a) + 1 as a, 'w2' as b, 2.5 as c\nfrom {{ ref('m0') }} as p\ncross join {{ ref('m2') }} as q\n"

// A model that needs the full engine: config, a loop, a condition, a macro.
const benchFull = `{{ config(materialized='table', tags=['daily']) }}
{%- set cols = ['a', 'b', 'c', 'd'] %}
select
{%- for c in cols %}
    {{ cents('p.' ~ c) }} as {{ c }}_cents{% if not loop.last %},{% endif %}
{%- endfor %}
from {{ ref('orders') }} as p
where p.region = '{{ var('region', 'eu') | upper }}'
`

func benchEngine(b *testing.B) *Engine {
	e, l := NewEngine([]Source{{Path: "macros/cents.sql", Text: "{% macro cents(col) %}round({{ col }} * 100){% endmacro %}"}})
	if l != nil {
		b.Fatal(l)
	}
	return e
}

func BenchmarkRenderFastPath(b *testing.B) {
	e := benchEngine(b)
	for b.Loop() {
		if _, l := e.Render("models/m1.sql", benchFast, benchCtx()); l != nil {
			b.Fatal(l)
		}
	}
}

func BenchmarkRenderFull(b *testing.B) {
	e := benchEngine(b)
	for b.Loop() {
		if _, l := e.Render("models/m1.sql", benchFull, benchCtx()); l != nil {
			b.Fatal(l)
		}
	}
}

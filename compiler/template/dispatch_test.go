package template

import (
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// adapter.dispatch looks for <type>__name then default__name in the
// packages of the namespace's search order (dispatch: of
// dbt_project.yml); without one, in the root project first, then in the
// namespace (dbt's default); the dbt namespace is the project's macros,
// then kiln's built-ins.
func TestDispatchSearchOrder(t *testing.T) {
	e, l := NewEngine([]Source{
		{Path: "<builtin>/dbt.sql", Text: "{% macro default__type_string() %}varchar{% endmacro %}{% macro type_string() %}{{ return(adapter.dispatch('type_string', 'dbt')()) }}{% endmacro %}"},
		{Path: "dbt_packages/pkg/macros/m.sql", Package: "pkg", Text: `{% macro f(x) %}{{ return(adapter.dispatch('f', 'pkg')(x)) }}{% endmacro %}
{% macro default__f(x) %}pkg-default:{{ x }}{% endmacro %}
{% macro duckdb__g() %}pkg-duckdb{% endmacro %}{% macro default__g() %}pkg-default{% endmacro %}
{% macro g() %}{{ adapter.dispatch('g', 'pkg')() }}{% endmacro %}`},
		{Path: "macros/over.sql", Text: "{% macro default__f(x) %}project:{{ x }}{% endmacro %}{% macro default__type_string() %}text{% endmacro %}"},
	})
	if l != nil {
		t.Fatal(l)
	}
	src := "{{ pkg.f(1) }}|{{ pkg.g() }}|{{ dbt.type_string() }}|{{ type_string() }}"
	e.SetDispatch(Dispatch{AdapterType: "duckdb", RootPackage: "proj"})
	out, l := e.Render("models/m.sql", src, &Context{})
	if l != nil || out != "project:1|pkg-duckdb|text|text" {
		t.Fatalf("without search order: %q %v", out, l)
	}
	e.SetDispatch(Dispatch{AdapterType: "duckdb", RootPackage: "proj", SearchOrder: map[string][]string{"pkg": {"pkg", "proj"}}})
	out, l = e.Render("models/m.sql", src, &Context{})
	if l != nil || out != "pkg-default:1|pkg-duckdb|text|text" {
		t.Fatalf("with search order: %q %v", out, l)
	}
	_, l = e.Render("models/m.sql", "{{ adapter.dispatch('nope', 'pkg')() }}", &Context{})
	if len(l) != 1 || !strings.Contains(l[0].Msg, "no macro duckdb__nope or default__nope in pkg, proj") {
		t.Fatalf("missing macro: %v", l)
	}
}

// dbt's context: execute is false while compiling (run_query gives
// None), and the helpers behave as dbt's.
func TestDBTContextAtCompileTime(t *testing.T) {
	e, _ := NewEngine(nil)
	src := `{{ execute }}|{{ run_query('select 1') is none }}|{{ tojson({'b': 1, 'a': [1, 2]}) }}|{{ fromjson('{"x": [1, 2]}').x[1] }}|` +
		`{{ zip([1, 2], ['a', 'b', 'c']) | list }}|{{ local_md5('kiln') }}|{{ modules.re.match('^a(b+)', 'abbc').group(1) }}|` +
		`{{ modules.datetime.datetime(2024, 1, 2) if false else 'x' }}|{{ adapter.quote('a"b') }}`
	out, l := e.Render("m.sql", src, &Context{})
	// tojson is json.dumps(value, sort_keys=False): the dict's order.
	want := `False|True|{"b": 1, "a": [1, 2]}|2|[(1, 'a'), (2, 'b')]|` + "9e8287435ae73a052c9459e215e46a28" + `|bb|x|"a""b"`
	if l != nil || out != want {
		t.Fatalf("got  %q %v\nwant %q", out, l, want)
	}
	_, l = e.Render("m.sql", "{{ exceptions.raise_compiler_error('bad input') }}", &Context{})
	if len(l) != 1 || !strings.Contains(l[0].Msg, "bad input") {
		t.Fatalf("raise_compiler_error: %v", l)
	}
}

// A relation is a dict key (dbt_utils.unpivot keys a dict by relation).
func TestRelationIsADictKey(t *testing.T) {
	e, _ := NewEngine(nil)
	out, l := e.Render("m.sql", "{% set d = {} %}{% do d.update({this: 1}) %}{{ d[this] }}|{{ this.incorporate(type='table').type }}", &Context{This: Relation{Schema: "main", Identifier: "x", Quoted: `"main"."x"`}})
	if l != nil || out != "1|table" {
		t.Fatalf("got %q %v", out, l)
	}
}

// set() is Python's set: == ignores the order (dbt_utils' equality test
// compares two relations' column sets so), items are unique, an empty set
// is false, and its methods work.
func TestSet(t *testing.T) {
	e, _ := NewEngine(nil)
	src := `{{ set(['"id"', '"b"', '"a"']) == set(['"a"', '"id"', '"b"']) }}|{{ set(['a', 'b']) != set(['a', 'c']) }}|` +
		`{{ set([1, 1, 2.0, 2]) | length }}|{{ 'a' in set(['a']) }}|{{ 'yes' if set([]) else 'empty' }}|{{ set(['b', 'a']) }}|` +
		`{% set s = set(['a']) %}{% do s.add('b') %}{% do s.update(['c', 'a']) %}{{ s | sort | join(',') }}|` +
		`{{ s.union(['d']) | length }}|{{ s.difference(['a']) | sort | join(',') }}|{{ s.intersection(['a', 'z']) | list }}|` +
		`{{ set(['a']).issubset(['a', 'b']) }}|{{ set(['a', 'b']) == ['a', 'b'] }}|{{ set(5) is none }}`
	out, l := e.Render("m.sql", src, &Context{})
	want := `True|True|2|True|empty|{'b', 'a'}|a,b,c|4|b,c|['a']|True|False|True`
	if l != nil || out != want {
		t.Fatalf("got  %q %v\nwant %q", out, l, want)
	}
}

// api.Relation and api.Column, as dbt_utils' get_relations_by_pattern and
// _is_ephemeral call them.
func TestAPI(t *testing.T) {
	e, _ := NewEngine(nil)
	src := `{% set r = api.Relation.create(database='db', schema=row_schema, identifier='t"x', type='view') %}{{ r }}|{{ r.schema }}|{{ r.is_view }}|` +
		`{{ api.Relation.create(schema='s', identifier='t') }}|{{ api.Relation.add_ephemeral_prefix('m') }}|` +
		`{% set c = api.Column.create('Amount', 'DOUBLE') %}{{ c.quoted }} {{ c.data_type }} {{ c.is_float() }}|` +
		`{{ api.Column.string_type(10) }}|{{ api.Column.numeric_type('numeric', 28, 6) }}|{{ api.Column.numeric_type('numeric', none, none) }}`
	out, l := e.Render("m.sql", src, &Context{Globals: map[string]any{"row_schema": "main"}})
	want := `"db"."main"."t""x"|main|True|"s"."t"|__dbt__cte__m|"Amount" DOUBLE True|character varying(10)|numeric(28,6)|numeric`
	if l != nil || out != want {
		t.Fatalf("got  %q %v\nwant %q", out, l, want)
	}
}

// Column's tests and sizes as dbt's base Column (with dbt-postgres's
// data_type) gives them, for PostgreSQL's format_type spellings and
// DuckDB's: dbt_utils' union_relations widens a string column with
// string_size().
func TestColumnMethods(t *testing.T) {
	e, _ := NewEngine(nil)
	src := `{% for c in cols %}{{ c.name }}:{{ c.data_type }}:{{ c.is_string() }}{{ c.is_number() }}{{ c.is_numeric() }}{{ c.is_integer() }}{{ c.is_float() }}:` +
		`{{ c.string_size() if c.is_string() else '-' }}:{{ c.char_size }}:{{ c.numeric_precision }}:{{ c.numeric_scale }}|{% endfor %}` +
		`{{ cols[0].can_expand_to(cols[1]) }}{{ cols[1].can_expand_to(cols[0]) }}{{ cols[0].can_expand_to(cols[3]) }}|{{ cols[3].literal(5) }}|{{ cols[0].string_type(9) }}`
	cols := []any{
		Column{Name: "a", Type: "character varying(50)"},
		Column{Name: "b", Type: "text"},
		Column{Name: "c", Type: "VARCHAR"},
		Column{Name: "d", Type: "numeric(28,6)"},
		Column{Name: "e", Type: "DECIMAL(18,3)"},
		Column{Name: "f", Type: "integer"},
		Column{Name: "g", Type: "BIGINT"},
		Column{Name: "h", Type: "double precision"},
		Column{Name: "i", Type: "FLOAT"},
		Column{Name: "j", Type: "INTERVAL"},
		Column{Name: "k", Type: "character(3)"},
		Column{Name: "l", Type: "numeric"},
	}
	list := jinja.NewList()
	list.Items = cols
	out, l := e.Render("m.sql", src, &Context{Globals: map[string]any{"cols": list}})
	want := `a:character varying(50):TrueFalseFalseFalseFalse:50:50:None:None|` +
		`b:text:TrueFalseFalseFalseFalse:256:None:None:None|` +
		`c:VARCHAR:TrueFalseFalseFalseFalse:256:None:None:None|` +
		`d:numeric(28,6):FalseTrueTrueFalseFalse:-:None:28:6|` +
		`e:DECIMAL(18,3):FalseTrueTrueFalseFalse:-:None:18:3|` +
		`f:integer:FalseTrueFalseTrueFalse:-:None:None:None|` +
		`g:BIGINT:FalseTrueFalseTrueFalse:-:None:None:None|` +
		`h:double precision:FalseTrueFalseFalseTrue:-:None:None:None|` +
		`i:FLOAT:FalseTrueFalseFalseTrue:-:None:None:None|` +
		`j:INTERVAL:FalseFalseFalseFalseFalse:-:None:None:None|` +
		`k:character(3):TrueFalseFalseFalseFalse:3:3:None:None|` +
		`l:numeric:FalseTrueTrueFalseFalse:-:None:None:None|` +
		`TrueFalseFalse|5::numeric(28,6)|character varying(9)`
	if l != nil || out != want {
		t.Fatalf("got  %q %v\nwant %q", out, l, want)
	}
	_, l = e.Render("m.sql", `{{ cols[5].string_size() }}`, &Context{Globals: map[string]any{"cols": list}})
	if len(l) != 1 || !strings.Contains(l[0].Msg, "Column.string_size() called on the non-string column f of type integer") {
		t.Fatalf("string_size of an integer: %v", l)
	}
}

// modules.pytz: time zones for datetime's now, astimezone and replace,
// and pytz's localize.
func TestPytz(t *testing.T) {
	e, _ := NewEngine(nil)
	src := `{% set paris = modules.pytz.timezone('Europe/Paris') %}{{ paris }}|{{ paris.zone }}|` +
		`{{ run_started_at.astimezone(paris) }}|{{ run_started_at.astimezone(modules.pytz.utc).strftime('%H:%M %z') }}|` +
		`{{ paris.localize(modules.datetime.datetime.strptime('2024-07-01 10:00:00', '%Y-%m-%d %H:%M:%S')) }}|` +
		`{{ run_started_at.replace(tzinfo=none) }}|{{ run_started_at.tzinfo }}|{{ modules.datetime.datetime.now(paris).tzinfo }}`
	e.SetRun(Run{StartedAt: "2024-01-15T09:30:00Z"})
	out, l := e.Render("m.sql", src, &Context{})
	want := `Europe/Paris|Europe/Paris|2024-01-15 10:30:00+01:00|09:30 +0000|2024-07-01 10:00:00+02:00|2024-01-15 09:30:00|UTC|Europe/Paris`
	if l != nil || out != want {
		t.Fatalf("got  %q %v\nwant %q", out, l, want)
	}
	_, l = e.Render("m.sql", "{{ modules.pytz.timezone('Mars/Base') }}", &Context{})
	if len(l) != 1 || !strings.Contains(l[0].Msg, `unknown time zone "Mars/Base"`) {
		t.Fatalf("unknown zone: %v", l)
	}
}

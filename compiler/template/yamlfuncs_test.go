package template

import (
	"strings"
	"testing"
)

// fromyaml and toyaml are dbt's: fromyaml keeps a mapping's order and
// types its scalars, toyaml writes block YAML in the dict's order unless
// sort_keys, and both give default (None) for what they cannot read or
// write.
func TestFromYAMLAndToYAML(t *testing.T) {
	e, _ := NewEngine(nil)
	cases := map[string]string{
		`{% set d = fromyaml("b: 1\na: [x, 2.5, true, null]\nc: {d: 'e'}") %}{{ d.keys() | list }}|{{ d.a[0] }} {{ d.a[1] + 1 }} {{ d.a[2] }} {{ d.a[3] is none }}|{{ d.b + 1 }}|{{ d['c'].d }}`: `['b', 'a', 'c']|x 3.5 True True|2|e`,
		`{{ fromyaml("a: [1", none) is none }}|{{ fromyaml("a: [1", default='bad') }}|{{ fromyaml("") is none }}`:                                                                                `True|bad|True`,
		`{{ toyaml({'b': 1, 'a': ['x', none, true], 'c': {'d': 'yes'}}) }}`:                                                                                                                      "b: 1\na:\n- x\n- null\n- true\nc:\n  d: 'yes'\n",
		`{{ toyaml({'b': 1, 'a': 2}, sort_keys=true) }}`:                                                                                                                                         "a: 2\nb: 1\n",
		`{{ toyaml(this, default='none') }}|{{ fromyaml(toyaml({'k': [1, 'two']})).k[1] }}`:                                                                                                      "none|two",
	}
	ctx := &Context{This: Relation{Schema: "s", Identifier: "t", Quoted: `"s"."t"`}}
	for src, want := range cases {
		out, l := e.Render("m.sql", src, ctx)
		if l != nil || out != want {
			t.Errorf("%s\ngot  %q %v\nwant %q", src, out, l, want)
		}
	}
	// dbt's toyaml gives default (None) for what PyYAML cannot represent.
	if out, l := e.Render("m.sql", `{{ toyaml(this) }}|{{ toyaml({'a': this}) is none }}`, ctx); l != nil || out != "None|True" {
		t.Errorf("toyaml(this): %q %v", out, l)
	}
	// sort_keys cannot order a string and a number: Python's TypeError.
	if _, l := e.Render("m.sql", `{{ toyaml({'a': 1, 2: 3}, sort_keys=true) }}`, ctx); len(l) != 1 || !strings.Contains(l[0].Error(), "toyaml: sort_keys cannot order") {
		t.Errorf("toyaml of mixed keys, sorted: %v", l)
	}
}

// TestYAMLTimestamps: fromyaml reads a plain timestamp as PyYAML's
// safe_load constructs it (construct_yaml_timestamp): a date, a naive
// datetime, an aware one with Z or an offset (its fraction cut to
// microseconds), with their attributes; an impossible date is Python's
// ValueError, which dbt's fromyaml turns into its default; a quoted one
// stays a string. toyaml writes dates and datetimes as SafeRepresenter
// does (isoformat, a space before the time, plain). The expected texts
// are PyYAML 6's (yaml.safe_load, then str() and yaml.safe_dump).
func TestYAMLTimestamps(t *testing.T) {
	e, _ := NewEngine(nil)
	doc := `a: 2020-01-02\nb: 2020-01-02 10:11:12\nc: 2020-01-02T10:11:12Z\nd: 2001-12-14t21:59:43.10-05:00\ne: 2001-2-3 4:05:06.1234567 +1\ng: '2020-01-02'`
	src := `{% set y = fromyaml("` + doc + `") %}{{ y.a }}|{{ y.b }}|{{ y.c }}|{{ y.d }}|{{ y.e }}|{{ y.g }}|{{ y.a.year }} {{ y.b.hour }} {{ y.c.tzinfo is not none }} {{ y.b.tzinfo is none }} {{ y.d.microsecond }}|` +
		`{{ toyaml(y) }}|{{ fromyaml("x: 2020-02-30", "bad") }}|{{ fromyaml("2020-01-02").day }}|{{ toyaml(modules.datetime.date(2020, 1, 2)) }}`
	want := "2020-01-02|2020-01-02 10:11:12|2020-01-02 10:11:12+00:00|2001-12-14 21:59:43.100000-05:00|2001-02-03 04:05:06.123456+01:00|2020-01-02|2020 10 True True 100000|" +
		"a: 2020-01-02\nb: 2020-01-02 10:11:12\nc: 2020-01-02 10:11:12+00:00\nd: 2001-12-14 21:59:43.100000-05:00\ne: 2001-02-03 04:05:06.123456+01:00\ng: '2020-01-02'\n|bad|2|2020-01-02\n...\n"
	if out, l := e.Render("m.sql", src, &Context{}); l != nil || out != want {
		t.Errorf("got  %q %v\nwant %q", out, l, want)
	}
}

// TestFromYAMLAndFromJSONDefaultNone: as dbt's (dbt/context/base.py:
// safe_load and json.loads in a try that returns default), fromyaml and
// fromjson give None for text they cannot read when no default is given,
// not an error; fromjson reads one JSON value, with nothing after it,
// its objects' keys in the text's order.
func TestFromYAMLAndFromJSONDefaultNone(t *testing.T) {
	e, _ := NewEngine(nil)
	cases := map[string]string{
		`{{ fromyaml("a: [1") }}|{{ fromyaml("a: [1") is none }}|{{ fromyaml(none) is none }}|{{ fromyaml(none, 'd') }}`:                         `None|True|True|d`,
		`{{ fromjson("{x") }}|{{ fromjson("{x") is none }}|{{ fromjson("1 2") is none }}|{{ fromjson("[1] ") }}|{{ fromjson("{x", default=7) }}`: `None|True|True|[1]|7`,
		// json.loads keeps an object's order (a repeated key: its first place, its last value).
		`{{ fromjson('{"b": 1, "a": {"z": 2.0, "y": [3]}, "b": 4}') }}`: `{'b': 4, 'a': {'z': 2.0, 'y': [3]}}`,
		`{{ fromjson('[123456789012345678901234567890, 1.5e300]') }}`:   `[123456789012345678901234567890, 1.5e+300]`,
	}
	for src, want := range cases {
		out, l := e.Render("m.sql", src, &Context{})
		if l != nil || out != want {
			t.Errorf("%s\ngot  %q %v\nwant %q", src, out, l, want)
		}
	}
}

// TestToJSONIsJSONDumps: dbt's tojson(value, default=None,
// sort_keys=False) is json.dumps(value, sort_keys=sort_keys)
// (dbt/context/base.py): keys in the dict's order unless sort_keys, and
// a value json.dumps cannot serialize is an error (its TypeError, which
// dbt does not catch), default or not.
func TestToJSONIsJSONDumps(t *testing.T) {
	e, _ := NewEngine(nil)
	ctx := &Context{This: Relation{Schema: "s", Identifier: "t", Quoted: `"s"."t"`}}
	src := `{{ tojson({'b': 1, 'a': {'d': none, 'c': 'é'}}) }}|{{ tojson({'b': 1, 'a': {'d': 2, 'c': 3}}, sort_keys=true) }}|{{ tojson({'b': 1, 'a': 2}, none, true) }}`
	want := `{"b": 1, "a": {"d": null, "c": "\u00e9"}}|{"a": {"c": 3, "d": 2}, "b": 1}|{"a": 2, "b": 1}`
	if out, l := e.Render("m.sql", src, ctx); l != nil || out != want {
		t.Errorf("got  %q %v\nwant %q", out, l, want)
	}
	if _, l := e.Render("m.sql", `{{ tojson(this, default='x') }}`, ctx); len(l) != 1 || !strings.Contains(l[0].Error(), "tojson: ") || !strings.Contains(l[0].Error(), "not JSON serializable") {
		t.Errorf("tojson(this): %v", l)
	}
}

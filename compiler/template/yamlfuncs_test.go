package template

import (
	"strings"
	"testing"
)

// fromyaml and toyaml are dbt's: fromyaml keeps a mapping's order and
// types its scalars, toyaml writes block YAML in the dict's order unless
// sort_keys, and both give default for what they cannot read or write
// (as kiln's fromjson, an error when no default is given: not None).
func TestFromYAMLAndToYAML(t *testing.T) {
	e, _ := NewEngine(nil)
	cases := map[string]string{
		`{% set d = fromyaml("b: 1\na: [x, 2.5, true, null]\nc: {d: 'e'}") %}{{ d.keys() | list }}|{{ d.a[0] }} {{ d.a[1] + 1 }} {{ d.a[2] }} {{ d.a[3] is none }}|{{ d.b + 1 }}|{{ d['c'].d }}`: `['b', 'a', 'c']|x 3.5 True True|2|e`,
		`{{ fromyaml("a: [1", none) is none }}|{{ fromyaml("a: [1", default='bad') }}|{{ fromyaml("") is none }}`:                                                                                `True|bad|True`,
		`{{ toyaml({'b': 1, 'a': ['x', none, true], 'c': {'d': 'yes'}}) }}`:                                                                                                                      "b: 1\na:\n  - x\n  - null\n  - true\nc:\n  d: \"yes\"\n",
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
	_, l := e.Render("m.sql", `{{ fromyaml("a: [1") }}`, ctx)
	if len(l) != 1 || !strings.Contains(l[0].Error(), "fromyaml: yaml:") {
		t.Fatalf("got %v", l)
	}
	_, l = e.Render("m.sql", `{{ toyaml(this) }}`, ctx)
	if len(l) != 1 || !strings.Contains(l[0].Error(), "toyaml: a Relation has no YAML form") {
		t.Fatalf("got %v", l)
	}
}

package template

import (
	"strings"
	"testing"
)

func TestErrorPositionsFromTheLexerAndFilters(t *testing.T) {
	e, _ := NewEngine(nil)
	ctx, _ := ctxWith(map[string]string{"a": "a"})
	cases := []struct{ src, want string }{
		{"select *\nfrom {{ ref('a') }\n", `m.sql:2:18: template error: unexpected "}": an expression ends with "}}"`},
		{"select\n  {{ 'x' | nosuchfilter }}", `m.sql:2:12: template error: unknown filter "nosuchfilter"`},
	}
	for _, c := range cases {
		_, l := e.Render("m.sql", c.src, ctx)
		if len(l) != 1 || !strings.HasPrefix(l[0].Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant %s", c.src, l, c.want)
		}
	}
}

func TestUnclosedBlockPointsAtItsTag(t *testing.T) {
	e, _ := NewEngine(nil)
	_, l := e.Render("m.sql", "select 1\n  {% if true %}\nwhere x\n\n", &Context{})
	if len(l) != 1 || l[0].Pos.Line != 2 || l[0].Pos.Col != 3 || !strings.Contains(l[0].Hint, "{% endif %}") {
		t.Fatalf("got %v", l)
	}
}

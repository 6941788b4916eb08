package template

import (
	"math"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/diag"
)

func TestSQLLiteral(t *testing.T) {
	for _, c := range []struct {
		in   any
		want string
	}{
		{"it's", `'it''s'`},
		{"", `''`},
		{`a\'b`, `'a\''b'`}, // a backslash escapes nothing in a SQL string
		{"(select length(content) from read_text('/etc/passwd'))", `'(select length(content) from read_text(''/etc/passwd''))'`},
		{"x'; drop table t; --", `'x''; drop table t; --'`},
		{2, "2"},
		{int64(-7), "-7"},
		{uint64(18446744073709551615), "18446744073709551615"},
		{2.5, "2.5"},
		{1e21, "1e+21"},
		{float32(0.5), "0.5"},
		{true, "true"},
		{false, "false"},
		{nil, "null"},
	} {
		got, err := SQLLiteral(c.in)
		if err != nil || got != c.want {
			t.Errorf("SQLLiteral(%#v) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, in := range []any{math.NaN(), math.Inf(1), "a\x00b", []any{1}, map[string]any{}} {
		if got, err := SQLLiteral(in); err == nil {
			t.Errorf("SQLLiteral(%#v) = %q, want an error", in, got)
		}
	}
}

// TestSQLLiteralFilter renders the filter over vars of each type, and
// reports a list at the filter's position.
func TestSQLLiteralFilter(t *testing.T) {
	e, l := NewEngine(nil)
	if l != nil {
		t.Fatal(l)
	}
	vars := map[string]any{"s": "O'Brien", "n": 2.5, "i": 3, "b": true, "none": nil, "list": []any{1, 2}}
	ctx := &Context{Var: func(name string, def any, has bool, pos diag.Pos) (any, error) { return vars[name], nil }}
	src := "select {{ var('s') | sql_literal }}, {{ var('n') | sql_literal }}, {{ var('i')|sql_literal }}, {{ var('b') | sql_literal }}, {{ var('none') | sql_literal }}, {{ 'x' | sql_literal }}"
	out, l := e.Render("models/m.sql", src, ctx)
	if l != nil {
		t.Fatal(l)
	}
	if want := "select 'O''Brien', 2.5, 3, true, null, 'x'"; out != want {
		t.Errorf("got %q\nwant %q", out, want)
	}
	_, l = e.Render("models/m.sql", "select\n  {{ var('list') | sql_literal }}", ctx)
	if l == nil || !strings.Contains(l.Error(), "sql_literal writes a string, a number, a boolean or none") || !strings.Contains(l.Error(), "models/m.sql:2") {
		t.Errorf("a list: %v", l)
	}
}

package execute

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter"
)

// syntaxHint names only the causes it can see in the SQL: PostgreSQL's
// error at FROM after a trailing comma, an unclosed comment or dollar
// quote, and no keyword suggestion for a name the SQL uses or a plural.
func TestSyntaxHintCauses(t *testing.T) {
	for _, c := range []struct {
		sql, near, msg string // near: the token the database stopped at ("" after the SQL)
		hint           string
	}{
		{"select id,\nfrom t", "from", `syntax error at or near "from"`, "the comma at 1:10 is followed by FROM: remove it, or write what it should list"},
		{"select id, v,\n)", ")", `syntax error at or near ")"`, `the ) at 2:1 closes no parenthesis: remove it, or add the ( it closes; the comma at 1:13 is followed by ")": remove it, or write what it should list`},
		{"select id /* the key\nfrom t", "/*", "unterminated /* comment", "the /* comment opened by /* at 1:11 is never closed: close it"},
		{"select $x$abc from t", "$x$", "unterminated dollar-quoted string", "the dollar-quoted string opened by $x$ at 1:8 is never closed: close it"},
		{"select 'a', 'b from t", "'b", "unterminated quoted string", "the ' quotes do not pair up: the last one, at 1:13, opens a quoted string that is never closed; find the ' without its partner"},
		{"select o.id from orders o\nwhere o.id = 1 orders", "orders", `syntax error at or near "orders"`, "the parser stopped at this token: look just before it for a missing comma, operator or keyword, or a word that should be quoted"},
		{"select gross net total from t", "total", `syntax error at or near "total"`, "the parser stopped at this token: look just before it for a missing comma, operator or keyword, or a word that should be quoted"},
		{"select id form t", "t", `syntax error at or near "t"`, `"form" at 1:11: did you mean "FROM"?`},
		// FROM misspelt before a ref(), which renders a quoted relation.
		{`select * form "staging"."stg_erp"`, `"staging"`, `syntax error at or near ""staging""`, `"form" at 1:10: did you mean "FROM"?`},
		{"select id\nfrmo \"main\".\"a\" where id > 1", `"main"`, `syntax error at or near ""main""`, `"frmo" at 2:1: did you mean "FROM"?`},
		{"select id from t where id in (1, 2", "", "syntax error at end of input", "the ( at 1:30 is never closed: add its )"},
		// The ( the parser was reading when it stopped, not the outer one
		// that the last ) leaves open when matched as written.
		{"select * from (\n  select cast(a as int from t\n)", "from", `syntax error at or near "from"`, "the ( at 2:14 is never closed: add its )"},
		{"select (1 + (2 * 3) as x", "as", `syntax error at or near "as"`, "the ( at 1:8 is never closed: add its )"},
		{"select id from t where", "", "syntax error at end of input", `the SQL ends after "where" (1:18) before its statement is complete: finish the expression or clause, or remove it`},
	} {
		off := len(c.sql)
		if c.near != "" {
			off = strings.LastIndex(c.sql, c.near)
		}
		in := syntaxInput{sql: c.sql, off: off, at: func(i int) string {
			l := 1 + strings.Count(c.sql[:i], "\n")
			return fmt.Sprintf("%d:%d", l, i-strings.LastIndexByte(c.sql[:i], '\n'))
		}}
		got := syntaxHint(&adapter.Error{Class: adapter.Syntax, Msg: c.msg}, in)
		if got != c.hint {
			t.Errorf("%q:\n got %s\nwant %s", c.sql, got, c.hint)
		}
	}
	if h := syntaxHint(&adapter.Error{Class: adapter.Semantic}, syntaxInput{sql: "select (", off: 0}); h != "" {
		t.Errorf("a binder error's syntax hint: %q, want none", h)
	}
}

// FuzzSyntaxHint checks that any SQL and stop offset give a hint without
// panicking.
func FuzzSyntaxHint(f *testing.F) {
	f.Add("select (1, 'a", 3)
	f.Add("select $x$ from t", 100)
	f.Add("/* a\nselect 1,,)", 0)
	f.Fuzz(func(t *testing.T, sql string, off int) {
		off = min(max(off, 0), len(sql))
		in := syntaxInput{sql: sql, off: off, at: func(i int) string {
			if i < 0 || i > len(sql) {
				t.Fatalf("offset %d outside the SQL (%d bytes)", i, len(sql))
			}
			return fmt.Sprint(i)
		}}
		if syntaxHint(&adapter.Error{Class: adapter.Syntax}, in) == "" {
			t.Fatal("no hint")
		}
	})
}

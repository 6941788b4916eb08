package compiler

import (
	"testing"
)

func TestOneStatement(t *testing.T) {
	cases := []struct {
		in, body string
		second   int
	}{
		{"select 1", "select 1", -1},
		{"select 1;", "select 1 ", -1},
		{"select 1; -- end\n\n/* c; */\n", "select 1  -- end\n\n/* c; */\n", -1},
		{"select 1;;\n;", "select 1  \n ", -1},
		{"select ';' as a, \"b;\" from t", "select ';' as a, \"b;\" from t", -1},
		{"select 'it''s;'; select 2", "", 17},
		{"select E'\\';' ;", "select E'\\';'  ", -1},
		{"select $$a;b$$, $x$;$x$;", "select $$a;b$$, $x$;$x$ ", -1},
		{"select $1;", "select $1 ", -1},
		{"/* a /* nested; */ still; */ select 1;", "/* a /* nested; */ still; */ select 1 ", -1},
		{"-- only; a comment\nselect 1", "-- only; a comment\nselect 1", -1},
		{"; select 1", "; select 1", -1},
		{"select 1;\ndelete from t", "", 10},
		{"select 1 -- no newline; at the end", "select 1 -- no newline; at the end", -1},
	}
	for _, c := range cases {
		body, second := oneStatement(c.in)
		if second != c.second || (second < 0 && body != c.body) {
			t.Errorf("oneStatement(%q) = %q, %d; want %q, %d", c.in, body, second, c.body, c.second)
		}
	}
}

func TestSecondInTemplate(t *testing.T) {
	for in, want := range map[string]int{
		"select 1;\n{{ config(x=1) }}":                 10,
		"select 1;\n{% if x %}{% endif %}\n{# c; #}\n": -1,
		"select '{{ x }};' from t;":                    -1,
		"{% set q = 'a;b' %}select 1 as x;\nselect 2":  34,
		"select {{ \"a;b\" }} as x":                    -1,
	} {
		if got := secondInTemplate(in); got != want {
			t.Errorf("secondInTemplate(%q) = %d, want %d", in, got, want)
		}
	}
}

// FuzzOneStatement: the scan never panics; one statement keeps every byte
// but the blanked semicolons; a second statement starts on a token after
// a semicolon.
func FuzzOneStatement(f *testing.F) {
	for _, s := range []string{"select 1;", "select ';';x", "/*", "'", "$a$;", "E'\\", "--;\n;x", "\"a\"\";\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		body, second := oneStatement(s)
		if second >= 0 {
			if second >= len(s) || s[second] == ' ' || s[second] == ';' {
				t.Fatalf("second statement at %d of %q", second, s)
			}
			return
		}
		if len(body) != len(s) {
			t.Fatalf("length changed: %q -> %q", s, body)
		}
		for i := range s {
			if body[i] != s[i] && !(s[i] == ';' && body[i] == ' ') {
				t.Fatalf("byte %d changed: %q -> %q", i, s, body)
			}
		}
		again, second2 := oneStatement(body)
		if second2 >= 0 || again != body {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, body, again)
		}
	})
}

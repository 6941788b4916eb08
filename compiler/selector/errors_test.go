package selector

import (
	"errors"
	"fmt"
	"testing"
)

func TestSyntaxErrors(t *testing.T) {
	cases := []struct {
		arg  string
		col  int
		want string
	}{
		{"tagg:nightly", 1, `selector "tagg:nightly" at column 1: unknown method "tagg"; did you mean "tag"?`},
		{"stg_orders +tagg:x", 13, `selector "stg_orders +tagg:x" at column 13: unknown method "tagg"; did you mean "tag"?`},
		{"confg.materialized:table", 1, `selector "confg.materialized:table" at column 1: unknown method "confg"; did you mean "config"?`},
		{"selector:nightly", 1, `selector "selector:nightly" at column 1: unknown method "selector"; YAML selectors are chosen with --selector NAME`},
		{"tag:", 5, `selector "tag:" at column 5: missing value after "tag:"; write tag:VALUE`},
		{"+", 2, `selector "+" at column 2: missing node name; give a node name or a method such as tag:nightly after the graph operator`},
		{"@+stg_orders", 2, `selector "@+stg_orders" at column 2: "@" cannot be combined with a leading "+"; "@x" already selects the ancestors of x's descendants; write "@x" or "+x+"`},
		{"0+stg_orders", 1, `selector "0+stg_orders" at column 1: depth must be at least 1, not 0; write 2+x for the parents and grandparents of x`},
		{"stg_orders+99999999999999999999", 12, `selector "stg_orders+99999999999999999999" at column 12: depth 99999999999999999999 is too large; write x+2 for the children and grandchildren of x`},
		{"stg_orders+abc", 11, `selector "stg_orders+abc" at column 11: unexpected "+" in "stg_orders+abc"; graph operators go at the ends: +x, 2+x, x+, x+1, @x`},
		{"2+@stg_orders", 3, `selector "2+@stg_orders" at column 3: unexpected "@" in "@stg_orders"; graph operators go at the ends: +x, 2+x, x+, x+1, @x`},
		{"revenue tag:+finance", 13, `selector "revenue tag:+finance" at column 13: "+" must come before the method; write +tag:finance`},
		{"state:modifed", 7, `selector "state:modifed" at column 7: unknown state "modifed"; did you mean "modified" or "unmodified"?`},
		{"result:errored", 8, `selector "result:errored" at column 8: unknown result status "errored"; did you mean "error"?`},
		{"test_type:sql", 11, `selector "test_type:sql" at column 11: unknown test type "sql"; use one of data, unit, generic, singular`},
		{"resource_type:modle", 15, `selector "resource_type:modle" at column 15: unknown resource type "modle"; did you mean "model"?`},
		{"a,,b", 3, `selector "a,,b" at column 3: empty selector in an intersection; write a,b with something on each side of the comma`},
		{"x stg_orders,", 14, `selector "x stg_orders," at column 14: empty selector in an intersection; write a,b with something on each side of the comma`},
		{"   ", 1, `selector "   " at column 1: empty selector; give a node name or a method such as tag:nightly`},
		{"config:table", 1, `selector "config:table" at column 1: method "config" needs a key; write config.materialized:table`},
		{"config..x:y", 1, `selector "config..x:y" at column 1: empty config key; write config.materialized:table`},
		{"tag.x:y", 1, `selector "tag.x:y" at column 1: method "tag" takes no argument after a dot; write tag:VALUE`},
		{"source:a.b.c.d", 8, `selector "source:a.b.c.d" at column 8: invalid source selector "a.b.c.d"; write source:SOURCE, source:SOURCE.TABLE or source:PACKAGE.SOURCE.TABLE`},
		{"path:[models", 6, `selector "path:[models" at column 6: invalid pattern "[models"; close each "[" with "]"`},
	}
	for _, c := range cases {
		_, err := Parse(c.arg)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a *SyntaxError", c.arg, err)
			continue
		}
		if se.Error() != c.want || se.Col != c.col {
			t.Errorf("Parse(%q):\ngot  %s (column %d)\nwant %s (column %d)", c.arg, se, se.Col, c.want, c.col)
		}
		// Select reports the same error, from --select and --exclude.
		g := shopGraph(t)
		if _, err := Select(g, []string{"revenue", c.arg}, nil, Options{}); err == nil || err.Error() != c.want {
			t.Errorf("Select(%q) = %v", c.arg, err)
		}
		if _, err := Select(g, nil, []string{c.arg}, Options{}); err == nil || err.Error() != c.want {
			t.Errorf("Select(exclude %q) = %v", c.arg, err)
		}
	}
}

func TestSelectErrors(t *testing.T) {
	g := shopGraph(t)
	_, err := Select(g, []string{"revenue state:modified+"}, nil, Options{})
	const noState = `selector "revenue state:modified+" at column 9: no previous state to compare with; pass --state DIR, the target directory of an earlier run (with its manifest.json)`
	if err == nil || err.Error() != noState || !errors.Is(err, ErrNoState) {
		t.Errorf("got %v, want %s", err, noState)
	}
	_, err = Select(g, nil, []string{"result:fail"}, Options{})
	const noResults = `selector "result:fail" at column 1: no previous run results to compare with; run a build first, or pass --state DIR with the run_results.json of an earlier run`
	if err == nil || err.Error() != noResults || !errors.Is(err, ErrNoResults) {
		t.Errorf("got %v, want %s", err, noResults)
	}
	_, err = Select(g, []string{"revenue"}, nil, Options{Indirect: "greedy"})
	if err == nil || err.Error() != `unknown indirect selection "greedy"; use eager, cautious, buildable or empty` {
		t.Errorf("got %v", err)
	}
}

func TestUnmatched(t *testing.T) {
	g := shopGraph(t)
	var got []string
	opt := Options{Unmatched: func(w string) { got = append(got, w) }}
	if _, err := Select(g, []string{"revenue stg_order", "tag:nope,revenue"}, []string{"nothing"}, opt); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[stg_order tag:nope,revenue nothing]" {
		t.Errorf("got %q", got)
	}
}

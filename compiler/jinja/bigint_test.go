package jinja

import (
	"math/big"
	"testing"
)

func renderExpr(t *testing.T, src string, g MapGlobals) string {
	t.Helper()
	env := NewEnv()
	tmpl, l := env.Parse("m.sql", src)
	if l != nil {
		t.Fatalf("%s: %v", src, l)
	}
	out, l := env.Render(tmpl, g)
	if l != nil {
		t.Fatalf("%s: %v", src, l)
	}
	return out
}

// Integers beyond 64 bits are exact, as Python's unbounded ints: they
// print in full, compare and do arithmetic with ints and floats; a
// result back within int64 is an int again.
func TestBigIntegers(t *testing.T) {
	u, _ := new(big.Int).SetString("18446744073709551615", 10)
	g := MapGlobals{"u": FromGo(uint64(18446744073709551615)), "h": FromGo(u)}
	for src, want := range map[string]string{
		"{{ 10 ** 20 }}":                          "100000000000000000000",
		"{{ 2 ** 64 }}":                           "18446744073709551616",
		"{{ 9223372036854775807 + 1 }}":           "9223372036854775808",
		"{{ -9223372036854775807 - 2 }}":          "-9223372036854775809",
		"{{ 3037000500 * 3037000500 }}":           "9223372037000250000",
		"{{ (2 ** 64) // 2 ** 32 }}":              "4294967296",
		"{{ ((2 ** 64) // 2 ** 32) is integer }}": "True",
		"{{ (2 ** 64) - 2 ** 64 + 1 }}":           "1",
		"{{ -(2 ** 64) // 3 }}":                   "-6148914691236517206",
		"{{ -(2 ** 64) % 7 }}":                    "5",
		"{{ (2 ** 64) % -7 }}":                    "-5",
		"{{ u }}":                                 "18446744073709551615",
		"{{ u + 1 }}":                             "18446744073709551616",
		"{{ u > 9223372036854775807 }}":           "True",
		"{{ u == h }}":                            "True",
		"{{ u == 1.8446744073709552e19 }}":        "False",
		"{{ 2 ** 64 == 1.8446744073709552e19 }}":  "True",
		"{{ u / 5 }}":                             "3.6893488147419105e+18",
		"{{ -u }}":                                "-18446744073709551615",
		"{{ [u] }}":                               "[18446744073709551615]",
		"{{ u | tojson }}":                        "18446744073709551615",
		"{{ '18446744073709551615' | int }}":      "18446744073709551615",
		"{{ {u: 1}[h] }}":                         "1",
		"{{ u | string }}":                        "18446744073709551615",
		"{{ (u * 0) is integer }}":                "True",
	} {
		if got := renderExpr(t, src, g); got != want {
			t.Errorf("%s = %q, want %q", src, got, want)
		}
	}
}

// range() is Python's range object: it prints as range(0, 5) and
// iterates, indexes and slices as its items; str.expandtabs pads to tab
// stops.
func TestRangeAndExpandTabs(t *testing.T) {
	for src, want := range map[string]string{
		"{{ range(5) }}":                             "range(0, 5)",
		"{{ range(2, 10, 3) }}":                      "range(2, 10, 3)",
		"{{ range(5) | list }}":                      "[0, 1, 2, 3, 4]",
		"{{ range(5)[-1] }} {{ range(5)|length }}":   "4 5",
		"{% for i in range(3) %}{{ i }}{% endfor %}": "012",
		"{{ range(10)[2:5] }}":                       "range(2, 5)",
		"{{ 3 in range(5) }}":                        "True",
		"{{ range(3) | join(',') }}":                 "0,1,2",
		"{{ 'a\\tbc\\td'.expandtabs() }}":            "a       bc      d",
		"{{ 'a\\tb\\nxy\\tz'.expandtabs(4) }}":       "a   b\nxy  z",
	} {
		if got := renderExpr(t, src, nil); got != want {
			t.Errorf("%s = %q, want %q", src, got, want)
		}
	}
}

// An integer literal beyond int64 and %-formatting of one are exact.
func TestBigIntegerLiteralsAndFormat(t *testing.T) {
	for src, want := range map[string]string{
		"{{ 9223372036854775808 }}":       "9223372036854775808",
		"{{ -9223372036854775808 }}":      "-9223372036854775808",
		"{{ 18446744073709551616 - 1 }}":  "18446744073709551615",
		"{{ '%d' % (2 ** 64) }}":          "18446744073709551616",
		"{{ '%x' % (2 ** 64) }}":          "10000000000000000",
		"{{ '{:,}'.format(-(2 ** 64)) }}": "-18,446,744,073,709,551,616",
	} {
		if got := renderExpr(t, src, nil); got != want {
			t.Errorf("%s = %q, want %q", src, got, want)
		}
	}
}

package jinja

import (
	"math/big"
	"testing"
)

// The round filter is Jinja2's do_round: for the method common it is
// Python's round(value, precision), so an int stays an int ({{ 10 | round }}
// is 10, not 10.0), rounded half to even at a negative precision; a
// Decimal stays a Decimal at the precision's scale; a float is a float.
// ceil and floor are math.ceil/floor(value * 10**precision) /
// 10**precision, always a float. Expected values: Jinja2 3.1.6 on Python
// 3.11 (jinja2.Environment().from_string(src).render()).
func TestRoundFilterAsJinja2(t *testing.T) {
	d := func(unscaled int64, scale int) Decimal { return Decimal{Unscaled: big.NewInt(unscaled), Scale: scale} }
	g := MapGlobals{"d25": d(25, 1), "d35": d(35, 1), "d1234": d(1234, 3), "d15": d(15, 1)}
	for src, want := range map[string]string{
		"{{ 10 | round }}|{{ 10 | round(1) }}|{{ 10 | round(0, 'floor') }}|{{ 10 | round(1, 'ceil') }}":                       "10|10|10.0|10.0",
		"{{ 1250 | round(-2) }}|{{ 1350 | round(-2) }}|{{ -1250 | round(-2) }}|{{ 15 | round(-1) }}|{{ 25 | round(-1) }}":     "1200|1400|-1200|20|20",
		"{{ 2.5 | round }}|{{ 3.5 | round }}|{{ 2.675 | round(2) }}|{{ -2.5 | round }}|{{ 1250.0 | round(-2) }}":              "2.0|4.0|2.67|-2.0|1200.0",
		"{{ 1350.0 | round(-2) }}|{{ -4.0 | round(-1) }}":                                                                     "1400.0|-0.0",
		"{{ 42.55 | round(1, 'floor') }}|{{ 42.55 | round(1, 'ceil') }}|{{ -42.55 | round(0, 'floor') }}|{{ 42.55 | round }}": "42.5|42.6|-43.0|43.0",
		"{{ true | round }}|{{ (2 ** 70) | round(-20) }}|{{ 7 | round(-1, 'floor') }}":                                        "1|1200000000000000000000|0.0",
		"{{ (10 | round) is integer }}|{{ (10 | round(0, 'floor')) is float }}":                                               "True|True",
		// Python: round(Decimal('2.5'), 0) is Decimal('2'); round(Decimal('3.5'), 0)
		// Decimal('4'); round(Decimal('1.234'), 2) Decimal('1.23');
		// round(Decimal('1.5'), 2) Decimal('1.50'); ceil gives a float.
		"{{ d25 | round }}|{{ d35 | round }}|{{ d1234 | round(2) }}|{{ d15 | round(2) }}|{{ [d25 | round] }}|{{ d15 | round(0, 'ceil') }}": "2|4|1.23|1.50|[Decimal('2')]|2.0",
	} {
		if got := renderExpr(t, src, g); got != want {
			t.Errorf("%s\n got  %q\n want %q", src, got, want)
		}
	}
}

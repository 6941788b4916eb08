package jinja

import (
	"encoding/json"
	"math/big"
	"testing"
)

// A Decimal prints with its scale and does exact arithmetic with ints and
// Decimals, as Python's decimal.Decimal (Python 3.12's output in want).
func TestDecimalAsPython(t *testing.T) {
	g := MapGlobals{"d": Decimal{Unscaled: big.NewInt(150), Scale: 2}, "e": Decimal{Unscaled: big.NewInt(-5), Scale: 3}}
	for src, want := range map[string]string{
		"{{ d }}":                     "1.50",
		"{{ e }}":                     "-0.005",
		"{{ d + 1 }}":                 "2.50",
		"{{ 1 - d }}":                 "-0.50",
		"{{ d + e }}":                 "1.495",
		"{{ d * e }}":                 "-0.00750",
		"{{ d * 2 }}":                 "3.00",
		"{{ -d }}":                    "-1.50",
		"{{ d == 1.5 }}":              "True",
		"{{ d > 1 and e < 0 }}":       "True",
		"{{ [d] }}":                   "[Decimal('1.50')]",
		"{{ d | float }}":             "1.5",
		"{{ d | int }}":               "1",
		"{{ d | abs }} {{ e | abs }}": "1.50 0.005",
		"{{ d is number }}":           "True",
		"{{ [d, e] | sum }}":          "1.495",
		"{{ {'k': d} | tojson }}":     `{"k": 1.50}`,
	} {
		if got := renderExpr(t, src, g); got != want {
			t.Errorf("%s = %q, want %q", src, got, want)
		}
	}
}

// A Decimal a template passes on (config, vars) marshals as a JSON number
// with its scale.
func TestDecimalJSON(t *testing.T) {
	b, err := json.Marshal(map[string]any{"d": Decimal{Unscaled: big.NewInt(150), Scale: 2}})
	if err != nil || string(b) != `{"d":1.50}` {
		t.Fatalf("got %s %v", b, err)
	}
}

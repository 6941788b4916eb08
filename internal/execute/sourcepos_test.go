package execute

import (
	"strings"
	"testing"
)

// rawPos maps a position in a rendered template back to the template:
// lines left as they were keep their column; a token on a rendered line is
// found on the raw lines between the aligned ones.
func TestRawPos(t *testing.T) {
	raw := `{{ config(materialized='table') }}

-- the products sold on both sites
select
    e.product_id,
    w.no_such_column,
    {{ z_score('price') }} as z
from {{ ref('stg_erp') }} e
join {{ ref('stg_web') }} w using (product_id)
where {{ var('min_price') }} < e.price and bad_col > 0
`
	compiled := `

-- the products sold on both sites
select
    e.product_id,
    w.no_such_column,
    (price - avg(price) over ()) / stddev(price) over () as z
from "staging"."stg_erp" e
join "staging"."stg_web" w using (product_id)
where 12 < e.price and bad_col > 0
`
	for _, tc := range []struct {
		token      string
		line, col  int
		occurrence int
	}{
		{"no_such_column", 6, 7, 0}, // an unchanged line: same column
		{"product_id", 9, 36, 1},    // a rendered line: the token on the raw line
		{"bad_col", 10, 44, 0},      // a rendered line, the token further right in the raw
		{"stddev", 7, 0, 0},         // a token only the macro wrote: the line, no column
		{`"stg_erp"`, 8, 0, 0},      // a relation a ref rendered
	} {
		off := nthIndex(compiled, tc.token, tc.occurrence)
		if off < 0 {
			t.Fatalf("%q not in the compiled SQL", tc.token)
		}
		line, col, ok := rawPos(raw, compiled, off)
		if !ok || line != tc.line || col != tc.col {
			t.Errorf("%s: %d:%d (%v), want %d:%d", tc.token, line, col, ok, tc.line, tc.col)
		}
	}
	if _, _, ok := rawPos(raw, compiled, len(compiled)+1); ok {
		t.Error("an offset past the end maps somewhere")
	}
}

func nthIndex(s, sub string, n int) int {
	off := -1
	for i := 0; i <= n; i++ {
		j := strings.Index(s[off+1:], sub)
		if j < 0 {
			return -1
		}
		off += j + 1
	}
	return off
}

func TestTokenAndWord(t *testing.T) {
	if got := tokenAt(`select "Order Id", x`, 7); got != `"Order Id"` {
		t.Errorf("tokenAt(quoted) = %q", got)
	}
	if got := tokenAt("a.price_eur + 1", 2); got != "price_eur" {
		t.Errorf("tokenAt(word) = %q", got)
	}
	if i := indexWord("price_eur, price", "price"); i != 11 {
		t.Errorf("indexWord found price at %d, want 11 (not inside price_eur)", i)
	}
}

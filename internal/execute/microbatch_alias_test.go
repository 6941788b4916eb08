package execute

import "testing"

// TestAliased: what follows a filtered input in a microbatch model's SQL
// names it (kiln then adds no name) or not (kiln names the subquery).
func TestAliased(t *testing.T) {
	for rest, want := range map[string]bool{
		"":                         false,
		"\n":                       false,
		" as s":                    true,
		" AS s":                    true,
		" s\nwhere x":              true,
		` "my alias"`:              true,
		"\ngroup by all":           false,
		" where d > 0":             false,
		" join b on true":          false,
		" left join b on true":     false,
		", b":                      false,
		")":                        false,
		" -- the input\n e":        true,
		" -- the input\n where":    false,
		" /* x */ order by 1":      false,
		" /* x /* nested */ */ s2": true,
		" -- unterminated":         false,
		" limit 3":                 false,
		" union all select 1":      false,
		" 2":                       false,
	} {
		if got := aliased(rest); got != want {
			t.Errorf("aliased(%q) = %v, want %v", rest, got, want)
		}
	}
}

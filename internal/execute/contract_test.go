package execute

import "testing"

// A type without size, precision or scale (PostgreSQL's sum of numeric)
// meets the declared type of that name with them; a stated precision
// must be the declared one.
func TestSameType(t *testing.T) {
	for _, c := range []struct {
		got, want string
		same      bool
	}{
		{"numeric", "numeric(38,2)", true},
		{"DECIMAL(38,2)", "DECIMAL(38,2)", true},
		{"DECIMAL(18,3)", "DECIMAL(38,2)", false},
		{"numeric(12,2)", "numeric(38,2)", false},
		{"bigint", "numeric(38,2)", false},
		{"numeric", "bigint", false},
		{"character varying", "character varying(10)", true},
		{"text", "character varying(10)", false},
	} {
		if got := sameType(c.got, c.want); got != c.same {
			t.Errorf("sameType(%q, %q) = %v, want %v", c.got, c.want, got, c.same)
		}
	}
}

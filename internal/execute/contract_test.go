package execute

import "testing"

// Types are compared by name without size, precision or scale, as dbt
// compares them: DECIMAL(5,2) meets a declared decimal(8,2) (the table
// then has the declared type); a different name does not, nor a nested
// type with other fields.
func TestSameType(t *testing.T) {
	for _, c := range []struct {
		got, want string
		same      bool
	}{
		{"numeric", "numeric(38,2)", true},
		{"DECIMAL(38,2)", "DECIMAL(38,2)", true},
		{"DECIMAL(18,3)", "DECIMAL(38,2)", true},
		{"DECIMAL(5,2)", "DECIMAL(8, 2)", true},
		{"numeric(12,2)", "numeric(38,2)", true},
		{"bigint", "numeric(38,2)", false},
		{"numeric", "bigint", false},
		{"character varying", "character varying(10)", true},
		{"text", "character varying(10)", false},
		{"VARCHAR[]", "VARCHAR(10)[]", true},
		{"TIMESTAMP WITH TIME ZONE", "timestamp with time zone", true},
		{"DOUBLE", "DECIMAL(38,2)", false},
		{"TIMESTAMP", "TIMESTAMP WITH TIME ZONE", false},
		{"STRUCT(a INTEGER)", "STRUCT(b INTEGER)", false},
		{"INTEGER[]", "INTEGER", false},
	} {
		if got := sameType(c.got, c.want); got != c.same {
			t.Errorf("sameType(%q, %q) = %v, want %v", c.got, c.want, got, c.same)
		}
	}
}

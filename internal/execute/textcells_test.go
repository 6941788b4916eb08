package execute

import "testing"

// TestConvertedValue reads the value and the source column out of the
// conversion errors of DuckDB 1.5 (checked against it) and PostgreSQL.
func TestConvertedValue(t *testing.T) {
	for _, c := range []struct{ msg, quoted, value, column string }{
		{`Could not convert string "12,50 EUR" to DECIMAL(12,2) when casting from source column price`, `"12,50 EUR"`, "12,50 EUR", "price"},
		{`Could not convert string '12,50 EUR' to INT32 when casting from source column price`, `'12,50 EUR'`, "12,50 EUR", "price"},
		{`Could not convert string 'x' to BOOL`, `'x'`, "x", ""},
		{`invalid date field format: "x", expected format is (YYYY-MM-DD) when casting from source column d`, `"x"`, "x", "d"},
		{`invalid timestamp field format: "a, b", expected format is (YYYY-MM-DD HH:MM:SS[.US][±HH[:MM[:SS]]| ZONE]) when casting from source column d`, `"a, b"`, "a, b", "d"},
		{`invalid input syntax for type numeric: "12,50 EUR"`, `"12,50 EUR"`, "12,50 EUR", ""},
		{`invalid input syntax for type double precision: "n/a"`, `"n/a"`, "n/a", ""},
	} {
		q, v, col, ok := convertedValue(c.msg)
		if !ok || q != c.quoted || v != c.value || col != c.column {
			t.Errorf("%s:\n got %q %q %q %v\nwant %q %q %q", c.msg, q, v, col, ok, c.quoted, c.value, c.column)
		}
	}
	for _, msg := range []string{`Cannot compare values of type VARCHAR and type INTEGER_LITERAL`, `Referenced column "x" not found`} {
		if _, _, _, ok := convertedValue(msg); ok {
			t.Errorf("%s: read as a conversion error", msg)
		}
	}
}

package load

import (
	"fmt"
	"strings"
)

// agateCurrency are the currency symbols agate's Number strips from a
// number (agate/data_types/number.py, DEFAULT_CURRENCY_SYMBOLS).
const agateCurrency = "؋$ƒ៛¥₡₱£€¢﷼₪₩₭₮₦฿₤₫"

// agateNumber returns the SQL expression (DuckDB's and PostgreSQL's) of
// the text expr as agate's Number.cast reads it before it parses it: "%"
// and the currency symbols dropped, and the group separator ",": "$1,000"
// is 1000, "50%" is 50 (not 0.5), "-€5" is -5. It applies to a column whose
// values all read so (the seed's types were inferred from them), so
// dropping the symbols anywhere is dropping them at the ends.
func agateNumber(expr string) string {
	return "regexp_replace(" + expr + ", '[%," + agateCurrency + "]', '', 'g')"
}

// isNumberType reports whether typ is one of the number types a dbt
// seed's inference gives (INTEGER, BIGINT, DOUBLE).
func isNumberType(typ string) bool {
	switch strings.ToUpper(strings.TrimSpace(typ)) {
	case "INTEGER", "BIGINT", "DOUBLE":
		return true
	}
	return false
}

// castProblem says that value val of column col (at where: " in cell
// B3", or "") does not cast to typ, and where typ came from: column_types,
// or kiln's inference (inferred).
func castProblem(col, val, where, typ string, inferred, declared bool) string {
	switch {
	case inferred:
		return fmt.Sprintf("column %q: value %q%s cannot be cast to %s, the type kiln inferred from the seed's values as dbt does (agate)", col, val, where, typ)
	case declared:
		return fmt.Sprintf("column %q: value %q%s cannot be cast to %s (its data_type in the source's YAML)", col, val, where, typ)
	}
	return fmt.Sprintf("column %q: value %q%s cannot be cast to %s (from column_types)", col, val, where, typ)
}

// castHint says how to load a column whose value does not cast.
func castHint(col string, inferred, declared bool) string {
	switch {
	case inferred:
		return fmt.Sprintf("fix the value, or give the column a type in the seed's config: column_types: {%s: varchar}", col)
	case declared:
		return fmt.Sprintf("fix the value in the file, or change the data_type of %q in the source's YAML (varchar loads any value)", col)
	}
	return fmt.Sprintf("fix the value, or change the type of %q in column_types", col)
}

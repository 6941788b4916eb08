package template

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// SQLLiteral writes v as a SQL literal, the text of the sql_literal filter
// ({{ var('region') | sql_literal }}): a string between single quotes with
// its quotes doubled (SQL-92's <character string literal>, which DuckDB and
// PostgreSQL read with no other escape), a number as its shortest decimal
// or exponent form, a boolean as true or false, none as null. So a value
// given on the command line or by an orchestrator stays one value of the
// statement, whatever it holds. It returns an error for a string holding
// a NUL character, a NaN or infinite number, and any other type (lists,
// mappings).
func SQLLiteral(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "null", nil
	case bool:
		return strconv.FormatBool(v), nil
	case string:
		if strings.ContainsRune(v, 0) {
			return "", fmt.Errorf("sql_literal cannot write a string holding a NUL character")
		}
		return "'" + strings.ReplaceAll(v, "'", "''") + "'", nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case int32:
		return strconv.FormatInt(int64(v), 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case uint:
		return strconv.FormatUint(uint64(v), 10), nil
	case float32:
		return floatLiteral(float64(v))
	case float64:
		return floatLiteral(v)
	}
	return "", fmt.Errorf("sql_literal writes a string, a number, a boolean or none, not %s", jinja.AType(v))
}

func floatLiteral(f float64) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("sql_literal cannot write %v as a SQL literal", f)
	}
	return strconv.FormatFloat(f, 'g', -1, 64), nil
}

// filterSQLLiteral is the sql_literal filter: {{ value | sql_literal }}.
func filterSQLLiteral(c *jinja.Call, v any) (any, error) {
	if len(c.Args) > 0 || len(c.Kwargs) > 0 {
		return nil, fmt.Errorf("sql_literal takes no arguments")
	}
	if u, ok := v.(jinja.Undefined); ok {
		return nil, fmt.Errorf("sql_literal got an undefined value (%s)", u.Name)
	}
	return SQLLiteral(v)
}

package load

import (
	"fmt"
	"strconv"
	"strings"
)

// DuckDB types that inference gives.
const (
	typeBigint    = "BIGINT"
	typeDouble    = "DOUBLE"
	typeBoolean   = "BOOLEAN"
	typeDate      = "DATE"
	typeTimestamp = "TIMESTAMP"
	typeVarchar   = "VARCHAR"
)

// valueKind is what one non-NULL input value looks like.
type valueKind uint8

const (
	kindInt   valueKind = 1 << iota // an integer in the BIGINT range
	kindFloat                       // another number
	kindBool
	kindDate  // a date without time of day
	kindStamp // a date with a time of day
	kindText
)

// colInfer accumulates the kinds of a column's values and gives its type:
// all integers -> BIGINT; numbers -> DOUBLE; booleans -> BOOLEAN; dates ->
// DATE, or TIMESTAMP when any has a time of day; anything else, a mix of
// those families, or no value at all -> VARCHAR.
type colInfer struct{ seen valueKind }

func (c *colInfer) add(k valueKind) { c.seen |= k }

func (c *colInfer) typ() string {
	switch s := c.seen; {
	case s == 0 || s&kindText != 0:
		return typeVarchar
	case s&^(kindInt|kindFloat) == 0:
		if s&kindFloat != 0 {
			return typeDouble
		}
		return typeBigint
	case s == kindBool:
		return typeBoolean
	case s&^(kindDate|kindStamp) == 0:
		if s&kindStamp != 0 {
			return typeTimestamp
		}
		return typeDate
	}
	return typeVarchar
}

// numberKind classifies a number as written in a cell: kindInt for a plain
// integer literal in the BIGINT range, kindFloat for any other number,
// kindText when it does not parse.
func numberKind(v string) valueKind {
	if isIntLiteral(v) {
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			return kindInt
		}
		return kindFloat
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return kindFloat
	}
	return kindText
}

func isIntLiteral(v string) bool {
	if v != "" && (v[0] == '-' || v[0] == '+') {
		v = v[1:]
	}
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// columnNames turns header texts into unique column names: trimmed; an
// empty one becomes column_<n> (n its 1-based position); a name already
// taken (ignoring case, as DuckDB resolves identifiers) gets _2, _3, ...
func columnNames(header []string) []string {
	names := make([]string, len(header))
	taken := make(map[string]bool, len(header))
	for i, h := range header {
		name := strings.TrimSpace(h)
		if name == "" {
			name = fmt.Sprintf("column_%d", i+1)
		}
		if taken[strings.ToLower(name)] {
			for k := 2; ; k++ {
				if cand := fmt.Sprintf("%s_%d", name, k); !taken[strings.ToLower(cand)] {
					name = cand
					break
				}
			}
		}
		taken[strings.ToLower(name)] = true
		names[i] = name
	}
	return names
}

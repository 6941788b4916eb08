package sqlq

import (
	"sort"
	"strings"
)

// keywords are DuckDB's keywords that are not "unreserved"
// (duckdb_keywords() of DuckDB 1.5: the reserved, column_name and
// type_function categories), lower case and sorted. A column named like one
// of them is quoted in generated SQL, since some contexts reject it bare
// ("select group from t"). TestKeywordsMatchDuckDB holds the list to the
// linked DuckDB.
var keywords = []string{
	"all", "analyse", "analyze", "and", "anti", "any", "array", "as", "asc", "asof", "asymmetric", "at",
	"authorization", "between", "bigint", "binary", "bit", "boolean", "both", "by", "case", "cast", "char",
	"character", "check", "coalesce", "collate", "collation", "column", "columns", "concurrently", "constraint",
	"create", "cross", "dec", "decimal", "default", "deferrable", "desc", "describe", "distinct", "do", "else",
	"end", "except", "exists", "extract", "false", "fetch", "float", "for", "foreign", "freeze", "from", "full",
	"generated", "glob", "group", "grouping", "grouping_id", "having", "ilike", "in", "initially", "inner",
	"inout", "int", "integer", "intersect", "interval", "into", "is", "isnull", "join", "lambda", "lateral",
	"leading", "left", "like", "limit", "map", "national", "natural", "nchar", "none", "not", "notnull", "null",
	"nullif", "numeric", "offset", "on", "only", "or", "order", "out", "outer", "overlaps", "overlay", "pivot",
	"pivot_longer", "pivot_wider", "placing", "position", "positional", "precision", "primary", "qualify",
	"real", "references", "returning", "right", "row", "select", "semi", "setof", "show", "similar", "smallint",
	"some", "struct", "substring", "summarize", "symmetric", "table", "tablesample", "then", "time", "timestamp",
	"to", "trailing", "treat", "trim", "true", "try_cast", "union", "unique", "unpack", "unpivot", "using",
	"values", "varchar", "variadic", "verbose", "when", "where", "window", "with", "xmlattributes", "xmlconcat",
	"xmlelement", "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize",
	"xmltable",
}

// IsKeyword reports whether s (any case) is one of DuckDB's keywords that
// cannot always stand bare as a column name.
func IsKeyword(s string) bool {
	s = strings.ToLower(s)
	i := sort.SearchStrings(keywords, s)
	return i < len(keywords) && keywords[i] == s
}

// NeedsQuotes reports whether column name s must be quoted to be read as
// that one column: it is empty, holds a character other than an ASCII
// letter, digit or underscore, starts with a digit, or is a keyword. Case
// alone does not need quotes: DuckDB matches names case-insensitively,
// quoted or not.
func NeedsQuotes(s string) bool {
	if s == "" || IsKeyword(s) {
		return true
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || i > 0 && b >= '0' && b <= '9' {
			continue
		}
		return true
	}
	return false
}

// IsQuoted reports whether s is already one quoted identifier: "a""b".
func IsQuoted(s string) bool {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return false
	}
	inner := s[1 : len(s)-1]
	return !strings.Contains(strings.ReplaceAll(inner, `""`, ""), `"`)
}

package duckdb

import "github.com/kiln-build/kiln/adapter/ansi"

// RowsDigest is the number of rows and the sum of DuckDB's hash of each
// row (a struct): one pass, no sort.
func (Dialect) RowsDigest(query string) string {
	return "select cast(count(*) as varchar) || ':' || coalesce(cast(sum(hash(x)) as varchar), '') from (\n" + ansi.Body(query) + "\n) as x"
}

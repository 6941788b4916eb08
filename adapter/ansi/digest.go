package ansi

// RowsDigest is the number of rows and the md5 of the sorted md5 of each
// row as text.
func (Dialect) RowsDigest(query string) string {
	return "select cast(count(*) as varchar) || ':' || coalesce(md5(string_agg(h, ',' order by h)), '') from (select md5(cast(x as varchar)) as h from (\n" +
		Body(query) + "\n) as x) as y"
}

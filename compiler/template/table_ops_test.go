package template

import (
	"math/big"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter"
)

// agate's Table.print_table (agate 1.7's layout, which dbt prints): a
// header, a divider of dashes, text left-justified and numbers
// right-justified with thousands separators and the column's most
// decimal places (1.50 has one: normalized), values longer than
// max_column_width cut to it with "...", "..." for the rows and columns
// beyond max_rows and max_columns, more places than max_precision
// rounded with "…". The expected tables are written from agate's
// print_table, utils.max_precision and make_number_formatter (babel's
// format_decimal in en_US).
func TestPrintTableAsAgate(t *testing.T) {
	dec := func(u int64, s int) adapter.Decimal { return adapter.Decimal{Unscaled: big.NewInt(u), Scale: s} }
	tbl := NewTable([]string{"id", "name", "amount", "note"}, []string{"INTEGER", "VARCHAR", "DECIMAL(10,2)", "VARCHAR"}, [][]any{
		{int64(1), "alice", dec(150, 2), nil},
		{int64(1234), "bob", dec(-2025, 2), "x"},
		{int64(3), "a very long name that exceeds", dec(3, 0), "y"},
	})
	var printed []string
	tbl.logTo(func(s string) { printed = append(printed, s) })
	floats := NewTable([]string{"f"}, []string{"DOUBLE"}, [][]any{{1.23456}, {2.5}}).logTo(func(s string) { printed = append(printed, s) })
	e, _ := NewEngine(nil)
	for _, c := range []struct{ src, want string }{
		{`{% do t.print_table() %}`, `|    id | name                 | amount | note |
| ----- | -------------------- | ------ | ---- |
|     1 | alice                |   1.50 |      |
| 1,234 | bob                  | -20.25 | x    |
|     3 | a very long name ... |   3.00 | y    |`},
		{`{% do t.print_table(max_rows=2, max_columns=2) %}`, `|    id | name  | ... |
| ----- | ----- | --- |
|     1 | alice | ... |
| 1,234 | bob   | ... |
|   ... | ...   | ... |`},
		{`{% do t.select(['name', 'id']).order_by('id', reverse=true).limit(2).print_table(max_column_width=None) %}`, `| name                          |    id |
| ----------------------------- | ----- |
| bob                           | 1,234 |
| a very long name that exceeds |     3 |`},
		{`{% do t.exclude('note').rename({'amount': 'amt'}).limit(1, 2).print_table() %}`, `|    id | name |    amt |
| ----- | ---- | ------ |
| 1,234 | bob  | -20.25 |`},
		{`{% do f.print_table() %}`, `|      f |
| ------ |
| 1.235… |
| 2.500… |`},
		{`{% do f.print_table(max_precision=None) %}`, `|       f |
| ------- |
| 1.23456 |
| 2.50000 |`},
	} {
		printed = nil
		_, l := e.Render("m.sql", c.src, &Context{Globals: map[string]any{"t": tbl, "f": floats}})
		if l != nil || strings.Join(printed, "\n") != c.want {
			t.Errorf("%s\n got\n%s\n%v\n want\n%s", c.src, strings.Join(printed, "\n"), l, c.want)
		}
	}
	_, l := e.Render("m.sql", "\n{% do t.group_by('id') %}", &Context{Globals: map[string]any{"t": tbl}})
	if l == nil || !strings.Contains(l.Error(), "m.sql:2:") || !strings.Contains(l.Error(), "agate's Table.group_by() is not supported yet") {
		t.Errorf("group_by: %v, want a plain not-supported error at m.sql:2", l)
	}
	_, l = e.Render("m.sql", "{% do t.select('nope') %}", &Context{Globals: map[string]any{"t": tbl}})
	if l == nil || !strings.Contains(l.Error(), "Table.select(): no column 'nope' (columns: id, name, amount, note)") {
		t.Errorf("select of a missing column: %v", l)
	}
}

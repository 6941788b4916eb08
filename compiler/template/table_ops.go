package template

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// agateUnsupported are agate Table's other methods: calling one is an
// error saying so, not "no attribute".
var agateUnsupported = map[string]bool{
	"aggregate": true, "bar_chart": true, "bins": true, "column_chart": true, "compute": true, "denormalize": true,
	"distinct": true, "find": true, "group_by": true, "homogenize": true, "join": true, "line_chart": true,
	"merge": true, "normalize": true, "pivot": true, "print_bars": true, "print_csv": true, "print_html": true,
	"print_json": true, "print_structure": true, "scatterplot": true, "to_csv": true, "to_json": true,
	"where": true, "from_csv": true, "from_json": true, "from_object": true, "from_fixed": true, "row_names": true,
}

// tableMethod returns agate Table's method name: select, exclude, limit,
// order_by, rename and print_table.
func (t *Table) tableMethod(name string, log func(string)) (any, bool) {
	switch name {
	case "select", "exclude":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			a, err := bindArgs(c, "Table."+name, "key")
			if err != nil {
				return nil, err
			}
			idx, err := t.columnKeys(name, a[0])
			if err != nil {
				return nil, err
			}
			if name == "exclude" {
				drop := map[int]bool{}
				for _, i := range idx {
					drop[i] = true
				}
				idx = idx[:0]
				for i := range t.names {
					if !drop[i] {
						idx = append(idx, i)
					}
				}
			}
			return t.project(idx), nil
		}), true
	case "limit":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			a, err := bindArgs(c, "Table.limit", "start_or_stop?", "stop?", "step?")
			if err != nil {
				return nil, err
			}
			// Python's slice(start_or_stop) or slice(start, stop, step).
			lo, hi, step := any(nil), a[0], a[2]
			if a[1] != nil {
				lo, hi = a[0], a[1]
			}
			l, err := jinja.Slice(jinja.NewList(t.Items()...), lo, hi, step)
			if err != nil {
				return nil, fmt.Errorf("Table.limit(): %v", err)
			}
			out := &Table{names: t.names, types: t.types, log: t.log}
			for _, r := range l.(*jinja.List).Items {
				out.rows = append(out.rows, &tableRow{t: out, vals: r.(*tableRow).vals})
			}
			return out, nil
		}), true
	case "order_by":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			a, err := bindArgs(c, "Table.order_by", "key", "reverse?")
			if err != nil {
				return nil, err
			}
			idx, err := t.columnKeys("order_by", a[0])
			if err != nil {
				return nil, err
			}
			rows := append([]*tableRow(nil), t.rows...)
			var cmpErr error
			// agate sorts with None last (first when reversed), stable.
			less := func(x, y *tableRow) bool {
				for _, i := range idx {
					a, b := x.vals[i], y.vals[i]
					if a == nil || b == nil {
						if a == nil && b == nil {
							continue
						}
						return b == nil
					}
					lt, err := jinja.Less(a, b)
					if err != nil {
						cmpErr = err
						return false
					}
					if lt {
						return true
					}
					if gt, _ := jinja.Less(b, a); gt {
						return false
					}
				}
				return false
			}
			rev := jinja.Truth(a[1])
			sort.SliceStable(rows, func(i, j int) bool {
				if rev {
					return less(rows[j], rows[i])
				}
				return less(rows[i], rows[j])
			})
			if cmpErr != nil {
				return nil, fmt.Errorf("Table.order_by(): %v", cmpErr)
			}
			out := &Table{names: t.names, types: t.types, log: t.log}
			for _, r := range rows {
				out.rows = append(out.rows, &tableRow{t: out, vals: r.vals})
			}
			return out, nil
		}), true
	case "rename":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			a, err := bindArgs(c, "Table.rename", "column_names?", "row_names?", "slug_columns?", "slug_rows?")
			if err != nil {
				return nil, err
			}
			if a[1] != nil || jinja.Truth(a[2]) || jinja.Truth(a[3]) {
				return nil, fmt.Errorf("Table.rename(): row_names, slug_columns and slug_rows are not supported yet; give column_names")
			}
			names := append([]string(nil), t.names...)
			switch m := a[0].(type) {
			case *jinja.Dict:
				for i, n := range names {
					if v, ok := m.Get(n); ok {
						names[i] = jinja.Str(v)
					}
				}
			case *jinja.List, jinja.Tuple:
				items := jinja.Items(m)
				if len(items) != len(names) {
					return nil, fmt.Errorf("Table.rename(): column_names has %d names for %d columns", len(items), len(names))
				}
				for i, v := range items {
					names[i] = jinja.Str(v)
				}
			case nil:
			default:
				return nil, fmt.Errorf("Table.rename(): column_names is a dict or a list, not %s", jinja.AType(a[0]))
			}
			out := &Table{names: names, types: t.types, log: t.log}
			for _, r := range t.rows {
				out.rows = append(out.rows, &tableRow{t: out, vals: r.vals})
			}
			return out, nil
		}), true
	case "print_table":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			a, err := bindArgs(c, "Table.print_table", "max_rows?", "max_columns?", "output?", "max_column_width?", "locale?", "max_precision?")
			if err != nil {
				return nil, err
			}
			if a[2] != nil || a[4] != nil {
				return nil, fmt.Errorf("print_table(): output and locale are not supported yet; kiln prints the table where print() prints, in agate's default locale (en_US)")
			}
			opt := func(v any, def int) (int, error) {
				if _, given := v.(int); given {
					return v.(int), nil
				}
				if v == nil {
					return def, nil
				}
				return 0, fmt.Errorf("print_table(): expected an integer or None, not %s", jinja.AType(v))
			}
			var o printOpts
			if o.rows, err = opt(argOr(c, a[0], "max_rows", 20), len(t.rows)); err != nil {
				return nil, err
			}
			if o.cols, err = opt(argOr(c, a[1], "max_columns", 6), len(t.names)); err != nil {
				return nil, err
			}
			if o.width, err = opt(argOr(c, a[3], "max_column_width", 20), -1); err != nil {
				return nil, err
			}
			if o.precision, err = opt(argOr(c, a[5], "max_precision", 3), math.MaxInt32); err != nil {
				return nil, err
			}
			if log != nil {
				log(strings.TrimSuffix(t.printTable(o), "\n"))
			}
			return "", nil
		}), true
	}
	if agateUnsupported[name] {
		return jinja.Func(func(*jinja.Call) (any, error) {
			return nil, fmt.Errorf("agate's Table.%s() is not supported yet; kiln's tables have rows, columns, column_names, column_types, select, exclude, limit, order_by, rename and print_table (or do it in SQL)", name)
		}), true
	}
	return nil, false
}

// argOr is an argument's value: def when it was not given at all (a
// given None stays None, agate's "no limit").
func argOr(c *jinja.Call, v any, name string, def int) any {
	if v != nil {
		return v
	}
	if _, ok := c.Kwarg(name); ok {
		return nil
	}
	positions := map[string]int{"max_rows": 0, "max_columns": 1, "max_column_width": 3, "max_precision": 5}
	if p := positions[name]; p < len(c.Args) {
		return nil
	}
	return def
}

// columnKeys resolves agate's key: a column name or index, or a list of them.
func (t *Table) columnKeys(fn string, key any) ([]int, error) {
	keys := []any{key}
	switch k := key.(type) {
	case *jinja.List, jinja.Tuple:
		keys = jinja.Items(k)
	}
	var out []int
	for _, k := range keys {
		i, ok := t.column(k)
		if !ok {
			return nil, fmt.Errorf("Table.%s(): no column %s (columns: %s)", fn, jinja.Repr(k), strings.Join(t.names, ", "))
		}
		out = append(out, i)
	}
	return out, nil
}

// project returns the table of the columns idx, in that order.
func (t *Table) project(idx []int) *Table {
	out := &Table{log: t.log}
	for _, i := range idx {
		out.names = append(out.names, t.names[i])
		typ := ""
		if i < len(t.types) {
			typ = t.types[i]
		}
		out.types = append(out.types, typ)
	}
	for _, r := range t.rows {
		vals := make([]any, len(idx))
		for k, i := range idx {
			vals[k] = r.vals[i]
		}
		out.rows = append(out.rows, &tableRow{t: out, vals: vals})
	}
	return out
}

type printOpts struct{ rows, cols, width, precision int }

// isNumber reports whether a value is one agate holds as a Number.
func isNumberValue(v any) bool {
	switch v.(type) {
	case int, float64, *big.Int, jinja.Decimal:
		return true
	}
	return false
}

// printTable is agate's Table.print_table layout (agate 1.7): a header
// row, a divider of dashes, the rows (text left-justified, other values
// right-justified), "..." for truncated rows and columns; numbers with
// thousands separators and the column's most decimal places (at most
// max_precision, then "…"), as babel's format_decimal in en_US.
func (t *Table) printTable(o printOpts) string {
	const ellipsis = "..."
	ncols := len(t.names)
	rowsTruncated := o.rows < len(t.rows)
	colsTruncated := o.cols < ncols
	trunc := func(s string) string {
		if o.width >= 0 && utf8.RuneCountInString(s) > o.width {
			r := []rune(s)
			return string(r[:max(o.width-3, 0)]) + "..."
		}
		return s
	}
	var header []string
	for i, n := range t.names {
		if i >= o.cols {
			break
		}
		header = append(header, trunc(n))
	}
	if colsTruncated {
		header = append(header, ellipsis)
	}
	shown := t.rows
	if rowsTruncated {
		shown = t.rows[:max(o.rows, 0)]
	}
	// A column is text (left-justified) when a value is a str, a number
	// when every value is a number (or None).
	text := make([]bool, ncols)
	places := make([]int, ncols)
	number := make([]bool, ncols)
	for j := range ncols {
		number[j] = true
		for _, r := range t.rows {
			switch v := r.vals[j].(type) {
			case nil:
			case string, uuidValue:
				text[j], number[j] = true, false
			default:
				if !isNumberValue(v) {
					number[j] = false
				}
			}
		}
		if number[j] {
			for _, r := range shown {
				if p := decimalPlaces(r.vals[j]); p > places[j] {
					places[j] = p
				}
			}
		}
	}
	widths := make([]int, len(header))
	for j, h := range header {
		widths[j] = utf8.RuneCountInString(h)
	}
	var data [][]string
	for _, r := range shown {
		var row []string
		for j, v := range r.vals {
			var s string
			switch {
			case j >= o.cols:
				s = ellipsis
			case v == nil:
				s = ""
			case number[j]:
				s = formatNumber(v, places[j], o.precision)
			default:
				s = jinja.Str(v)
			}
			s = trunc(s)
			if w := utf8.RuneCountInString(s); w > widths[j] {
				widths[j] = w
			}
			row = append(row, s)
			if j >= o.cols {
				break
			}
		}
		data = append(data, row)
	}
	var b strings.Builder
	writeRow := func(cells []string) {
		b.WriteByte('|')
		for j, d := range cells {
			if j > 0 {
				b.WriteByte('|')
			}
			pad := strings.Repeat(" ", max(widths[j]-utf8.RuneCountInString(d), 0))
			if j < ncols && text[j] {
				b.WriteString(" " + d + pad + " ")
			} else {
				b.WriteString(" " + pad + d + " ")
			}
		}
		b.WriteString("|\n")
	}
	writeRow(header)
	dashes := make([]string, len(widths))
	for j, w := range widths {
		dashes[j] = strings.Repeat("-", w)
	}
	b.WriteString("| " + strings.Join(dashes, " | ") + " |\n")
	for _, row := range data {
		writeRow(row)
	}
	if rowsTruncated {
		cells := make([]string, len(header))
		for j := range cells {
			cells[j] = ellipsis
		}
		writeRow(cells)
	}
	return b.String()
}

// decimalRat returns a number as an exact rational and its decimal text
// (a float as Python's repr, as agate's Number casts it).
func decimalRat(v any) (*big.Rat, string) {
	var s string
	switch x := v.(type) {
	case int:
		s = fmt.Sprint(x)
	case *big.Int:
		s = x.String()
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, jinja.Str(x)
		}
		s = jinja.Str(x)
	case jinja.Decimal:
		s = x.String()
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, s
	}
	return r, s
}

// decimalPlaces is agate's max_precision of one value: the places after
// the point of its normalized decimal (1.50 has 1, 100 has 0).
func decimalPlaces(v any) int {
	_, s := decimalRat(v)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		// 1e-07: places from the exponent and the mantissa's decimals.
		mant, exp := s[:i], 0
		fmt.Sscan(s[i+1:], &exp)
		p := 0
		if k := strings.IndexByte(mant, '.'); k >= 0 {
			p = len(strings.TrimRight(mant[k+1:], "0"))
		}
		return max(p-exp, 0)
	}
	k := strings.IndexByte(s, '.')
	if k < 0 {
		return 0
	}
	return len(strings.TrimRight(s[k+1:], "0"))
}

// formatNumber is babel's format_decimal(v, '#,##0.' + '0'*places) in
// en_US, rounded half to even, with "…" when places exceeds precision.
func formatNumber(v any, places, precision int) string {
	r, s := decimalRat(v)
	if r == nil {
		return s
	}
	suffix := ""
	if places > precision {
		places, suffix = precision, "…"
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	n := jinja.RoundHalfEven(new(big.Rat).Mul(r, new(big.Rat).SetInt(scale)))
	neg := n.Sign() < 0
	digits := new(big.Int).Abs(n).String()
	if len(digits) <= places {
		digits = strings.Repeat("0", places-len(digits)+1) + digits
	}
	whole, frac := digits[:len(digits)-places], digits[len(digits)-places:]
	var g strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			g.WriteByte(',')
		}
		g.WriteRune(c)
	}
	out := g.String()
	if places > 0 {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out + suffix
}

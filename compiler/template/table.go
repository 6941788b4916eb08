package template

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/jinja"
)

// Table is a query's result as dbt gives it to templates (an agate
// Table, https://agate.readthedocs.io): rows (tuples, also indexed by
// column name), columns (by position or name, each with name and
// values()), column_names, column_types and len().
type Table struct {
	names []string
	types []string
	rows  []*tableRow
	log   func(string) // where print_table prints (print()'s), nil for nowhere
}

// logTo sets where print_table prints: where print() prints.
func (t *Table) logTo(log func(string)) *Table {
	t.log = log
	return t
}

// NewTable returns the table of a query's column names, database types
// and rows (values as adapter.Conn gives them).
func NewTable(names, types []string, rows [][]any) *Table {
	t := &Table{names: names, types: types}
	for _, r := range rows {
		vals := make([]any, len(r))
		for i, v := range r {
			typ := ""
			if i < len(types) {
				typ = types[i]
			}
			vals[i] = tableValue(v, typ)
		}
		t.rows = append(t.rows, &tableRow{t: t, vals: vals})
	}
	return t
}

// tableValue converts a database value of type typ (the database's name
// for it, "" when unknown) to the template value dbt's agate table holds,
// as Python's drivers give it: integers exact however large, DECIMAL a
// Decimal keeping its scale, UUID a uuid.UUID printing its canonical
// form, DATE a date, TIMESTAMP a naive datetime, TIMESTAMPTZ an aware one
// (printed with its offset), INTERVAL a timedelta, TIME its text.
func tableValue(v any, typ string) any {
	typ = strings.ToLower(typ)
	switch x := v.(type) {
	case int64:
		return int(x)
	case int32:
		return int(x)
	case float32:
		return float64(x)
	case *big.Int:
		return jinja.NormInt(x)
	case adapter.Decimal:
		return jinja.Decimal{Unscaled: x.Unscaled, Scale: x.Scale}
	case adapter.Duration:
		return timeDelta{x.Microseconds()}
	case string:
		if typ == "uuid" {
			return uuidValue(x)
		}
		return x
	case time.Time:
		switch {
		case typ == "date":
			return dateTime{t: time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, naive), dateOnly: true}
		case typ == "time" || strings.HasPrefix(typ, "time without") || strings.HasPrefix(typ, "timetz") || strings.HasPrefix(typ, "time with"):
			s := x.Format("15:04:05")
			if x.Nanosecond() != 0 {
				s += fmt.Sprintf(".%06d", x.Nanosecond()/1000)
			}
			return s
		case typ == "timestamptz" || strings.HasPrefix(typ, "timestamp with time zone"):
			return dateTime{t: x, aware: true}
		case typ == "":
			// A value of unknown type: a date when at midnight, as
			// before types were known.
			if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
				return dateTime{t: time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, naive), dateOnly: true}
			}
		}
		return naiveOf(x)
	case []byte:
		return string(x)
	}
	return jinja.FromGo(v)
}

// uuidValue is Python's uuid.UUID: it prints in its canonical 8-4-4-4-12
// form; hex gives the 32 digits.
type uuidValue string

func (u uuidValue) String() string { return string(u) }

// PyType is "UUID".
func (uuidValue) PyType() string { return "UUID" }

// Attr implements jinja.Getter: hex.
func (u uuidValue) Attr(name string) (any, bool) {
	if name == "hex" {
		return strings.ReplaceAll(string(u), "-", ""), true
	}
	return nil, false
}

// Items implements jinja.Iterable: the rows.
func (t *Table) Items() []any {
	out := make([]any, len(t.rows))
	for i, r := range t.rows {
		out[i] = r
	}
	return out
}

// Attr implements jinja.Getter.
func (t *Table) Attr(name string) (any, bool) {
	switch name {
	case "rows":
		return jinja.NewList(t.Items()...), true
	case "columns":
		return tableColumns{t}, true
	case "column_names":
		out := make(jinja.Tuple, len(t.names))
		for i, n := range t.names {
			out[i] = n
		}
		return out, true
	case "column_types":
		out := make(jinja.Tuple, len(t.types))
		for i, n := range t.types {
			out[i] = n
		}
		return out, true
	}
	return t.tableMethod(name, t.log)
}

// Data returns the rows as a list of tuples (load_result(...)['data']).
func (t *Table) Data() *jinja.List {
	out := jinja.NewList()
	for _, r := range t.rows {
		out.Items = append(out.Items, jinja.Tuple(r.vals))
	}
	return out
}

func (t *Table) String() string { return fmt.Sprintf("<agate.Table %d rows>", len(t.rows)) }

func (t *Table) column(key any) (int, bool) {
	switch k := key.(type) {
	case int:
		if k < 0 {
			k += len(t.names)
		}
		return k, k >= 0 && k < len(t.names)
	case string:
		for i, n := range t.names {
			if n == k {
				return i, true
			}
		}
	}
	return 0, false
}

type tableRow struct {
	t    *Table
	vals []any
}

func (r *tableRow) Items() []any { return r.vals }

// String is how a row prints in a template, as agate's Row repr:
// <agate.Row: (1, 'a', Decimal('1.50'))>.
func (r *tableRow) String() string { return "<agate.Row: " + jinja.Str(jinja.Tuple(r.vals)) + ">" }

func (r *tableRow) Item(key any) (any, bool) {
	if i, ok := r.t.column(key); ok {
		return r.vals[i], true
	}
	return nil, false
}

func (r *tableRow) Attr(name string) (any, bool) {
	switch name {
	case "keys":
		return jinja.Func(func(*jinja.Call) (any, error) { return jinja.FromGo(r.t.names), nil }), true
	case "values":
		return jinja.Func(func(*jinja.Call) (any, error) { return jinja.Tuple(r.vals), nil }), true
	case "dict":
		return jinja.Func(func(*jinja.Call) (any, error) {
			d := jinja.NewDict()
			for i, n := range r.t.names {
				_ = d.Set(n, r.vals[i])
			}
			return d, nil
		}), true
	}
	return r.Item(name)
}

type tableColumns struct{ t *Table }

func (c tableColumns) Items() []any {
	out := make([]any, len(c.t.names))
	for i := range c.t.names {
		out[i] = tableColumn{c.t, i}
	}
	return out
}

func (c tableColumns) Item(key any) (any, bool) {
	if i, ok := c.t.column(key); ok {
		return tableColumn{c.t, i}, true
	}
	return nil, false
}

// Attr gives the agate MappedSequence methods: keys, values, items.
func (c tableColumns) Attr(name string) (any, bool) {
	switch name {
	case "keys":
		return jinja.Func(func(*jinja.Call) (any, error) { return jinja.FromGo(c.t.names), nil }), true
	case "values":
		return jinja.Func(func(*jinja.Call) (any, error) { return jinja.NewList(c.Items()...), nil }), true
	case "items":
		return jinja.Func(func(*jinja.Call) (any, error) {
			out := jinja.NewList()
			for i, n := range c.t.names {
				out.Items = append(out.Items, jinja.Tuple{n, tableColumn{c.t, i}})
			}
			return out, nil
		}), true
	}
	return nil, false
}

type tableColumn struct {
	t *Table
	i int
}

func (c tableColumn) Attr(name string) (any, bool) {
	switch name {
	case "name":
		return c.t.names[c.i], true
	case "data_type":
		if c.i < len(c.t.types) {
			return c.t.types[c.i], true
		}
		return nil, true
	case "values", "values_distinct", "values_without_nulls":
		return jinja.Func(func(*jinja.Call) (any, error) {
			out := jinja.Tuple{}
			seen := map[any]bool{}
			for _, r := range c.t.rows {
				v := r.vals[c.i]
				if name == "values_without_nulls" && v == nil {
					continue
				}
				if name == "values_distinct" {
					k := fmt.Sprint(v)
					if seen[k] {
						continue
					}
					seen[k] = true
				}
				out = append(out, v)
			}
			return out, nil
		}), true
	}
	return nil, false
}

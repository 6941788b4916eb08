package load

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/kiln-build/kiln/internal/duck"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// staged is input data read into DuckDB but not yet typed: a relation
// (a temporary staging table, or a read_parquet call) and, for each output
// column, the SQL expression that reads it and the type it gets.
type staged struct {
	from  string // SQL relation
	where string // SQL filter of the rows to keep, "" for all
	// rowExpr is the SQL expression of a row's position in the input for
	// messages (the sheet row, the CSV row counting the header as 1), ""
	// when unknown.
	rowExpr string
	// sheetExpr is the SQL expression of the index in sheets of the xlsx
	// sheet a row comes from, "" for other inputs.
	sheetExpr string
	sheets    []string
	cols      []stagedCol
}

// orderBy returns the SQL list that orders the rows as in the input, ""
// when unknown.
func (st staged) orderBy() string {
	if st.sheetExpr != "" && st.rowExpr != "" {
		return st.sheetExpr + ", " + st.rowExpr
	}
	return st.rowExpr
}

type stagedCol struct {
	name     string // output column name
	expr     string // SQL expression over from
	typ      string // DuckDB type to cast to; "" keeps expr's type
	override bool   // typ comes from column_types
	letter   string // xlsx column letters for messages ("B"), "" otherwise
}

// applyOverrides sets the column_types of spec on cols, matching names
// ignoring case. It returns *InputError for a name that is not a column or
// a type that is not a plain DuckDB type name.
func applyOverrides(spec Spec, cols []stagedCol) error {
	for _, name := range slices.Sorted(maps.Keys(spec.ColumnTypes)) {
		typ := spec.ColumnTypes[name]
		i := findColumn(cols, name)
		if i < 0 {
			names := make([]string, len(cols))
			for j, c := range cols {
				names[j] = c.name
			}
			return &InputError{Path: spec.Path, Sheet: spec.Sheet,
				Problem: fmt.Sprintf("column_types names %q, which is not a column of the input (columns: %s)", name, quoteList(names)),
				Hint:    "fix the column name in column_types"}
		}
		if !typeName.MatchString(strings.TrimSpace(typ)) {
			return &InputError{Path: spec.Path, Sheet: spec.Sheet,
				Problem: fmt.Sprintf("column_types gives column %q the type %q, which is not a DuckDB type name", cols[i].name, typ),
				Hint:    "use a DuckDB type such as BIGINT, DOUBLE, DECIMAL(12,2), VARCHAR, BOOLEAN, DATE or TIMESTAMP"}
		}
		cols[i].typ, cols[i].override = strings.TrimSpace(typ), true
	}
	return nil
}

func findColumn(cols []stagedCol, name string) int {
	for i, c := range cols {
		if c.name == name {
			return i
		}
	}
	for i, c := range cols {
		if strings.EqualFold(c.name, name) {
			return i
		}
	}
	return -1
}

// typeName accepts type names such as BIGINT, DECIMAL(12, 2), VARCHAR[],
// TIMESTAMP WITH TIME ZONE; it keeps column_types from smuggling SQL in.
var typeName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\d*\])*$`)

// swap replaces target with the typed rows of st, on conn, which must be
// inside a transaction (Load's): it checks that every overridden column
// casts, creates target's schema if missing, and creates or replaces the
// table. It returns the number of rows written and the table's columns.
func swap(ctx context.Context, conn *duck.Conn, spec Spec, st staged, target sqlq.Relation) (Result, error) {
	for _, c := range st.cols {
		if c.override {
			if err := checkCast(ctx, conn, spec, st, c); err != nil {
				return Result{}, err
			}
		}
	}
	if target.Schema != "" {
		schema := sqlq.Relation{Database: target.Database, Name: target.Schema}
		if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema.String()); err != nil {
			return Result{}, err
		}
	}
	kind, err := conn.RelationKind(ctx, target.Schema, target.Name)
	if err != nil {
		return Result{}, err
	}
	if kind == "view" && target.Database == "" {
		if _, err := conn.Exec(ctx, "DROP VIEW "+target.String()); err != nil {
			return Result{}, err
		}
	}
	var b strings.Builder
	b.WriteString("CREATE OR REPLACE TABLE ")
	b.WriteString(target.String())
	b.WriteString(" AS SELECT ")
	for i, c := range st.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(castExpr(c))
		b.WriteString(" AS ")
		b.WriteString(sqlq.Ident(c.name))
	}
	b.WriteString(" FROM ")
	b.WriteString(st.from)
	if st.where != "" {
		b.WriteString(" WHERE ")
		b.WriteString(st.where)
	}
	if ob := st.orderBy(); ob != "" {
		b.WriteString(" ORDER BY ")
		b.WriteString(ob)
	}
	if _, err := conn.Exec(ctx, b.String()); err != nil {
		return Result{}, err
	}
	n, err := conn.QueryInt(ctx, "SELECT count(*) FROM "+target.String())
	if err != nil {
		return Result{}, err
	}
	_, rows, err := conn.QueryRows(ctx, "DESCRIBE "+target.String())
	if err != nil {
		return Result{}, err
	}
	res := Result{Rows: n, Columns: make([]duck.Column, 0, len(rows))}
	for _, r := range rows {
		name, _ := r[0].(string)
		typ, _ := r[1].(string)
		res.Columns = append(res.Columns, duck.Column{Name: name, Type: typ})
	}
	return res, nil
}

func castExpr(c stagedCol) string {
	if c.typ == "" {
		return c.expr
	}
	return "CAST(" + c.expr + " AS " + c.typ + ")"
}

// checkCast looks for the first value of overridden column c that does not
// cast to its type and reports it with its cell and sheet (xlsx) or row.
func checkCast(ctx context.Context, conn *duck.Conn, spec Spec, st staged, c stagedCol) error {
	row, sheet := st.rowExpr, st.sheetExpr
	if row == "" {
		row = "NULL"
	}
	if sheet == "" {
		sheet = "NULL"
	}
	q := fmt.Sprintf("SELECT %s, %s, CAST(%s AS VARCHAR) FROM %s WHERE %s IS NOT NULL AND TRY_CAST(%s AS %s) IS NULL",
		row, sheet, c.expr, st.from, c.expr, c.expr, c.typ)
	if st.where != "" {
		q += " AND (" + st.where + ")"
	}
	if ob := st.orderBy(); ob != "" {
		q += " ORDER BY " + ob
	}
	_, rows, err := conn.QueryRows(ctx, q+" LIMIT 1")
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return &InputError{Path: spec.Path, Sheet: spec.Sheet, Err: err,
			Problem: fmt.Sprintf("column_types gives column %q the type %q: %v", c.name, c.typ, err),
			Hint:    "use a DuckDB type such as BIGINT, DOUBLE, DECIMAL(12,2), VARCHAR, BOOLEAN, DATE or TIMESTAMP"}
	}
	if len(rows) == 0 {
		return nil
	}
	sheetName := spec.Sheet
	if i, ok := rows[0][1].(int64); ok && 0 <= i && i < int64(len(st.sheets)) {
		sheetName = st.sheets[i]
	}
	where := ""
	if n, ok := rows[0][0].(int64); ok {
		switch {
		case c.letter != "" && sheetName != "":
			where = fmt.Sprintf(" in cell %s%d of sheet %q", c.letter, n, sheetName)
		case c.letter != "":
			where = fmt.Sprintf(" in cell %s%d", c.letter, n)
		default:
			where = fmt.Sprintf(" in row %d", n)
		}
	}
	val, _ := rows[0][2].(string)
	return &InputError{Path: spec.Path, Sheet: sheetName,
		Problem: fmt.Sprintf("column %q: value %q%s cannot be cast to %s (from column_types)", c.name, val, where, c.typ),
		Hint:    fmt.Sprintf("fix the value, or change the type of %q in column_types", c.name)}
}

package load

// Everything specific to DuckDB: the entry point that loads into a DuckDB
// connection, the sink that stages rows through DuckDB's appender and
// types them with SQL, Parquet read natively by DuckDB, and DuckDB's read
// errors. Another database gets its own file like this one.

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/internal/duck"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// Load reads the input of spec and atomically replaces table target with
// it, creating target's schema if missing. The rows are staged and typed in
// one transaction on conn (joining the caller's, if conn is in one), so any
// error leaves the previous table exactly as it was, with its rows, and no
// staging table behind. Errors are *InputError for problems of the input,
// *duck.Error for DuckDB failures, or the context's error.
func Load(ctx context.Context, conn *duck.Conn, spec Spec, target sqlq.Relation) (Result, error) {
	f, delim, err := format(spec)
	if err != nil {
		return Result{}, err
	}
	if err := checkOptions(spec, f); err != nil {
		return Result{}, err
	}
	if err := checkFile(spec); err != nil {
		return Result{}, err
	}
	var res Result
	err = conn.Tx(ctx, func() error {
		if f == formatParquet {
			res, err = loadParquet(ctx, conn, spec, target)
			return err
		}
		snk := &duckSink{conn: conn, target: target}
		defer snk.abort() // before the rollback
		var t *table
		if f == formatXLSX {
			t, err = readXLSX(ctx, spec, snk)
		} else {
			t, err = readCSV(ctx, spec, delim, snk)
		}
		if err != nil {
			return err
		}
		res, err = snk.finish(ctx, t)
		res.Cells, res.TextColumns = t.cells, t.text
		return err
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// stageTable is the prefix of the connection-local staging tables.
const stageTable = "kiln_load_stage"

// duckSink stages each part of an input in a temporary table of text
// columns (_row, then c1...cN) through its own appender, then creates the
// target with one CREATE TABLE AS over the first part's table and one
// INSERT per other part, which keeps the parts' order without sorting.
type duckSink struct {
	conn   *duck.Conn
	target sqlq.Relation
	apps   []*duck.Appender
	names  []string // staging tables, by part
	vals   []driver.Value
}

func (s *duckSink) stage(ctx context.Context, parts, width int) error {
	var cols strings.Builder
	cols.WriteString("(_row BIGINT")
	for i := range width {
		fmt.Fprintf(&cols, ", c%d VARCHAR", i+1)
	}
	cols.WriteString(")")
	for p := range parts {
		name := stageTable + "_" + strconv.Itoa(p)
		if _, err := s.conn.Exec(ctx, "CREATE OR REPLACE TEMP TABLE "+name+" "+cols.String()); err != nil {
			return err
		}
		s.names = append(s.names, name)
		app, err := s.conn.Appender("temp", name)
		if err != nil {
			return err
		}
		s.apps = append(s.apps, app)
	}
	s.vals = make([]driver.Value, width+1)
	return nil
}

func (s *duckSink) append(part int, row int64, vals []any) error {
	s.vals[0] = row
	for i, v := range vals {
		s.vals[i+1] = v
	}
	return s.apps[part].AppendRow(s.vals...)
}

// closeAppenders flushes and releases the appenders.
func (s *duckSink) closeAppenders() error {
	var err error
	for _, a := range s.apps {
		err = errors.Join(err, a.Close())
	}
	s.apps = nil
	return err
}

func (s *duckSink) abort() { _ = s.closeAppenders() }

func (s *duckSink) finish(ctx context.Context, t *table) (Result, error) {
	if err := s.closeAppenders(); err != nil {
		return Result{}, err
	}
	parts := make([]duckPart, len(s.names))
	for i, n := range s.names {
		parts[i] = duckPart{from: "temp." + n, rowExpr: "_row", sheet: t.parts[i]}
	}
	cols := make([]duckCol, len(t.cols))
	for i, c := range t.cols {
		col := "c" + strconv.Itoa(i+1)
		cols[i] = duckCol{name: c.name, expr: col, letter: c.letter}
		trimmed := "NULLIF(trim(" + col + "), '')"
		switch {
		case c.override != "":
			cols[i].typ, cols[i].override, cols[i].inferred, cols[i].declared = c.override, true, c.inferred, c.declared
			if t.csv && !isTextType(c.override) {
				cols[i].expr = trimmed
				if c.inferred && isNumberType(c.override) {
					cols[i].expr = agateNumber(trimmed)
				}
			}
		case c.typ != typeText:
			cols[i].typ = duckTypes[c.typ]
			if t.csv {
				cols[i].expr = trimmed
			}
		}
	}
	res, err := duckSwap(ctx, s.conn, t.spec, parts, cols, s.target, t.csv)
	if err != nil {
		return Result{}, err
	}
	for _, n := range s.names {
		if _, err := s.conn.Exec(ctx, "DROP TABLE temp."+n); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

// duckTypes are DuckDB's names of the inferred types.
var duckTypes = map[colType]string{
	typeText: "VARCHAR", typeBigint: "BIGINT", typeDouble: "DOUBLE", typeBoolean: "BOOLEAN",
	typeDate: "DATE", typeTimestamp: "TIMESTAMP", typeTimestampTZ: "TIMESTAMPTZ",
}

// isTextType reports a character type, whose values keep their spaces.
func isTextType(typ string) bool {
	t := strings.ToUpper(strings.TrimSpace(typ))
	for _, p := range []string{"VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// duckPart is a relation of input rows: a staging table, or read_parquet.
type duckPart struct {
	from    string // SQL relation
	rowExpr string // SQL expression of a row's number in the input for messages, "" when unknown
	sheet   string // the xlsx sheet, "" otherwise
}

// duckCol is an output column: the SQL expression that reads it and its
// type.
type duckCol struct {
	name     string
	expr     string // over the part's relation
	typ      string // DuckDB type to cast to; "" keeps expr's type
	override bool   // typ comes from column_types
	inferred bool   // typ was inferred as dbt does, not given (Spec.Inferred)
	declared bool   // typ is the source's declared data_type (Spec.Declared)
	letter   string // xlsx column letters for messages ("B"), "" otherwise
}

func castExpr(c duckCol) string {
	if c.typ == "" {
		return c.expr
	}
	return "CAST(" + c.expr + " AS " + c.typ + ")"
}

// duckSwap replaces target with the typed rows of parts, in order, on
// conn, which must be inside a transaction (Load's): it checks that every
// overridden column casts, creates target's schema if missing, replaces a
// view of that name, and creates the table. It returns the number of rows
// written and the table's columns.
func duckSwap(ctx context.Context, conn *duck.Conn, spec Spec, parts []duckPart, cols []duckCol, target sqlq.Relation, csv bool) (Result, error) {
	for _, c := range cols {
		if !c.override {
			continue
		}
		for _, p := range parts {
			if err := checkCast(ctx, conn, spec, p, c, csv); err != nil {
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
	var sel strings.Builder
	sel.WriteString("SELECT ")
	for i, c := range cols {
		if i > 0 {
			sel.WriteString(", ")
		}
		sel.WriteString(castExpr(c))
		sel.WriteString(" AS ")
		sel.WriteString(sqlq.Ident(c.name))
	}
	sel.WriteString(" FROM ")
	for i, p := range parts {
		q := sel.String() + p.from
		if i == 0 {
			q = "CREATE OR REPLACE TABLE " + target.String() + " AS " + q
		} else {
			q = "INSERT INTO " + target.String() + " " + q
		}
		if _, err := conn.Exec(ctx, q); err != nil {
			return Result{}, err
		}
	}
	n, err := conn.QueryInt(ctx, "SELECT count(*) FROM "+target.String())
	if err != nil {
		return Result{}, err
	}
	_, rows, err := conn.QueryRows(ctx, "DESCRIBE "+target.String())
	if err != nil {
		return Result{}, err
	}
	res := Result{Rows: n, Columns: make([]Column, len(rows))}
	for i, r := range rows {
		res.Columns[i].Name, _ = r[0].(string)
		res.Columns[i].Type, _ = r[1].(string)
	}
	return res, nil
}

// checkCast looks for the first value of overridden column c in part p
// that does not cast to its type and reports it with its cell and sheet
// (xlsx) or line (CSV).
func checkCast(ctx context.Context, conn *duck.Conn, spec Spec, p duckPart, c duckCol, csv bool) error {
	row := p.rowExpr
	if row == "" {
		row = "NULL"
	}
	q := fmt.Sprintf("SELECT %s, CAST(%s AS VARCHAR) FROM %s WHERE %s IS NOT NULL AND TRY_CAST(%s AS %s) IS NULL",
		row, c.expr, p.from, c.expr, c.expr, c.typ)
	if p.rowExpr != "" {
		q += " ORDER BY " + p.rowExpr
	}
	_, rows, err := conn.QueryRows(ctx, q+" LIMIT 1")
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return &InputError{Path: spec.Path, Sheet: spec.Sheet, Err: err,
			Problem: fmt.Sprintf("column_types gives column %q the type %q: %v", c.name, c.typ, err),
			Hint:    typeHint}
	}
	if len(rows) == 0 {
		return nil
	}
	ie := &InputError{Path: spec.Path, Sheet: p.sheet, Hint: castHint(c.name, c.inferred, c.declared)}
	where := ""
	if n, ok := rows[0][0].(int64); ok {
		switch {
		case c.letter != "" && p.sheet != "":
			where = fmt.Sprintf(" in cell %s%d of sheet %q", c.letter, n, p.sheet)
		case c.letter != "":
			where = fmt.Sprintf(" in cell %s%d", c.letter, n)
		case csv:
			ie.Line = int(n)
		default:
			where = fmt.Sprintf(" in row %d", n)
		}
	}
	val, _ := rows[0][1].(string)
	ie.Problem = castProblem(c.name, val, where, c.typ, c.inferred, c.declared)
	return ie
}

// loadParquet copies a Parquet file into target, keeping its column types
// (column_types may override them), in one CREATE OR REPLACE TABLE inside
// the load's transaction.
func loadParquet(ctx context.Context, conn *duck.Conn, spec Spec, target sqlq.Relation) (Result, error) {
	if err := checkParquet(spec); err != nil {
		return Result{}, err
	}
	path := sqlq.Literal(spec.Path)
	_, rows, err := conn.QueryRows(ctx, "DESCRIBE SELECT * FROM read_parquet("+path+")")
	if err != nil {
		return Result{}, duckInputError(ctx, spec, err)
	}
	part := duckPart{from: "read_parquet(" + path + ", file_row_number = true)", rowExpr: "file_row_number + 1"}
	header := make([]string, len(rows))
	for i, r := range rows {
		header[i], _ = r[0].(string)
		if header[i] == "file_row_number" {
			part = duckPart{from: "read_parquet(" + path + ")"}
		}
	}
	tcols, err := resolveColumns(spec, header, make([]colInfer, len(header)), false)
	if err != nil {
		return Result{}, err
	}
	cols := make([]duckCol, len(header))
	for i, name := range header {
		cols[i] = duckCol{name: tcols[i].name, expr: sqlq.Ident(name), typ: tcols[i].override, override: tcols[i].override != "", declared: tcols[i].declared}
	}
	res, err := duckSwap(ctx, conn, spec, []duckPart{part}, cols, target, false)
	return res, duckInputError(ctx, spec, err)
}

// checkParquet checks the magic number that starts a Parquet file.
func checkParquet(spec Spec) error {
	f, err := os.Open(spec.Path)
	if err != nil {
		return &InputError{Path: spec.Path, Problem: unwrapPathError(err), Err: err}
	}
	defer f.Close()
	head := make([]byte, 4)
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, []byte("PAR1")) {
		return &InputError{Path: spec.Path, Problem: "not a Parquet file", Hint: "check the file, or set its format"}
	}
	return nil
}

// duckInputError turns DuckDB's failure to read a file into *InputError;
// other errors pass unchanged.
func duckInputError(ctx context.Context, spec Spec, err error) error {
	if err == nil || ctx.Err() != nil {
		return err
	}
	var de *duck.Error
	if !errors.As(err, &de) || (de.Type != "IO" && de.Type != "Invalid Input") {
		return err
	}
	problem := strings.TrimSuffix(lowerFirst(de.Msg), ".")
	return &InputError{Path: spec.Path, Problem: problem, Err: err}
}

func lowerFirst(s string) string {
	if s == "" || strings.ToUpper(s[:1]) != s[:1] || (len(s) > 1 && strings.ToUpper(s[1:2]) == s[1:2]) {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

package load

// The sink of a database that loads through an adapter's bulk writer:
// PostgreSQL, whose adapter.Conn.Bulk is COPY ... FROM STDIN. The rows are
// staged as text in one temporary table (part, row number, then one text
// column per input column) in one COPY, then typed with SQL casts into
// the target in one CREATE TABLE AS, inside the caller's transaction.
// Nothing here imports a driver: the statements are standard SQL but for
// the temporary schema (pg_temp) and PostgreSQL's names of the types.

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// LoadAdapter reads the input of spec (xlsx or CSV, with kiln's readers)
// and atomically replaces table target with it on conn, an adapter
// connection with a bulk writer, in one transaction (joining the
// caller's, if any). Errors are *InputError for problems of the input,
// *adapter.Error for the database's, or the context's error. Parquet
// files are not supported here yet (*InputError).
func LoadAdapter(ctx context.Context, conn adapter.Conn, d adapter.Dialect, spec Spec, target sqlq.Relation) (Result, error) {
	return LoadAdapterInto(ctx, conn, d, spec, target, nil)
}

// Placement is where LoadAdapterInto writes the rows: into a new table,
// or into the existing one.
type Placement uint8

const (
	// Replace creates table target anew with the input's columns (a
	// relation there is dropped first).
	Replace Placement = iota
	// InPlace keeps table target (its views, grants and indexes): its
	// rows are truncated and the input's inserted, as dbt's seed
	// materialization reloads an existing seed (reset_csv_table). The
	// input's columns must be the table's.
	InPlace
)

// PlaceFunc decides where LoadAdapterInto writes the rows, once the input
// is read and staged and before target changes: have are target's
// columns (none when it does not exist), want the columns of the input's
// rows, both as the database's catalog spells their types. It runs in
// the load's transaction, so what it changes (a copy of the rows kept
// aside, the table moved aside) commits or rolls back with the load; an
// error stops the load.
type PlaceFunc func(ctx context.Context, have, want []adapter.Column) (Placement, error)

// LoadAdapterInto is LoadAdapter, with place (nil: always Replace)
// deciding whether the rows replace table target or are loaded into it
// in place.
func LoadAdapterInto(ctx context.Context, conn adapter.Conn, d adapter.Dialect, spec Spec, target sqlq.Relation, place PlaceFunc) (Result, error) {
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
	if f == formatParquet {
		return Result{}, &InputError{Path: spec.Path, Problem: "loading Parquet files into this database is not supported yet",
			Hint: "convert the file to CSV, or build on DuckDB"}
	}
	var res Result
	err = conn.Tx(ctx, func() error {
		snk := &copySink{conn: conn, d: d, target: target, place: place}
		defer snk.abort()
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

// copyStage is the temporary table of a load through the bulk writer.
var copyStage = sqlq.Relation{Schema: "pg_temp", Name: "kiln_load_stage"}

// copyTypes are PostgreSQL's names of the inferred types.
var copyTypes = map[colType]string{
	typeText: "text", typeBigint: "bigint", typeDouble: "double precision", typeBoolean: "boolean",
	typeDate: "date", typeTimestamp: "timestamp", typeTimestampTZ: "timestamptz",
}

// duckTypeNames are DuckDB's names of types that PostgreSQL spells
// otherwise: the seed types kiln infers as dbt does are written in DuckDB
// (compiler/seedtypes.go: DOUBLE for agate's Number, dbt-postgres's
// float8), as a project written for DuckDB writes its column_types.
var duckTypeNames = map[string]string{"DOUBLE": "double precision"}

// copySink stages every part's rows through one bulk writer.
type copySink struct {
	conn   adapter.Conn
	d      adapter.Dialect
	target sqlq.Relation
	place  PlaceFunc
	w      adapter.RowWriter
	vals   []any
}

func (s *copySink) stage(ctx context.Context, parts, width int) error {
	if _, err := s.conn.Run(ctx, s.d.DropRelation(copyStage, adapter.Table, true)); err != nil {
		return err
	}
	cols := []adapter.Column{{Name: "_part", Type: "integer"}, {Name: "_row", Type: "bigint"}}
	for i := range width {
		cols = append(cols, adapter.Column{Name: "c" + strconv.Itoa(i+1), Type: "text"})
	}
	w, err := s.conn.Bulk(ctx, copyStage, cols)
	if err != nil {
		return err
	}
	s.w = w
	s.vals = make([]any, width+2)
	return nil
}

func (s *copySink) append(part int, row int64, vals []any) error {
	s.vals[0], s.vals[1] = int64(part), row
	copy(s.vals[2:], vals)
	return s.w.Write(s.vals...)
}

func (s *copySink) abort() {
	if s.w != nil {
		_, _ = s.w.Close()
		s.w = nil
	}
}

func (s *copySink) finish(ctx context.Context, t *table) (Result, error) {
	if s.w != nil {
		w := s.w
		s.w = nil
		if _, err := w.Close(); err != nil {
			return Result{}, err
		}
	}
	stage := s.d.QuoteRelation(copyStage)
	sel := make([]string, len(t.cols))
	for i, c := range t.cols {
		expr := "c" + strconv.Itoa(i+1)
		typ := ""
		switch {
		case c.override != "":
			typ = c.override
			if pg, ok := duckTypeNames[strings.ToUpper(strings.TrimSpace(typ))]; ok {
				typ = pg
			}
			if t.csv && !isTextType(c.override) {
				expr = "nullif(trim(" + expr + "), '')"
				if c.inferred && isNumberType(c.override) {
					// numeric first: PostgreSQL refuses "5.00" as an
					// integer, which agate reads as 5.
					expr = "cast(" + agateNumber(expr) + " as numeric)"
				}
			}
			if err := s.checkCast(ctx, t, c, expr, typ); err != nil {
				return Result{}, err
			}
		case c.typ != typeText:
			typ = copyTypes[c.typ]
			if t.csv {
				expr = "nullif(trim(" + expr + "), '')"
			}
		}
		if typ != "" {
			expr = "cast(" + expr + " as " + typ + ")"
		}
		sel[i] = expr + " as " + s.d.Quote(c.name)
	}
	if s.target.Schema != "" {
		if _, err := s.conn.Run(ctx, s.d.CreateSchema(s.target.Schema)); err != nil {
			return Result{}, err
		}
	}
	q := "select " + strings.Join(sel, ", ") + " from " + stage + " order by _part, _row"
	placement := Replace
	if s.place != nil {
		have, err := s.conn.Columns(ctx, s.target)
		if err != nil {
			return Result{}, err
		}
		want, err := s.conn.DescribeQuery(ctx, q)
		if err != nil {
			return Result{}, err
		}
		if placement, err = s.place(ctx, have, want); err != nil {
			return Result{}, err
		}
	}
	var n int64
	if placement == InPlace {
		names := make([]string, len(t.cols))
		for i, c := range t.cols {
			names[i] = s.d.Quote(c.name)
		}
		if _, err := s.conn.Exec(ctx, "truncate table "+s.d.QuoteRelation(s.target)); err != nil {
			return Result{}, err
		}
		ins := adapter.Stmt{SQL: "insert into " + s.d.QuoteRelation(s.target) + " (" + strings.Join(names, ", ") + ")\n" + q, Body: -1, CountRows: true}
		var err error
		if n, err = s.conn.Run(ctx, ins); err != nil {
			return Result{}, err
		}
	} else {
		if kind, err := s.conn.RelationKind(ctx, s.target); err != nil {
			return Result{}, err
		} else if kind != "" {
			if _, err := s.conn.Run(ctx, s.d.DropRelation(s.target, kind, false)); err != nil {
				return Result{}, err
			}
		}
		var err error
		if n, err = s.conn.Run(ctx, s.d.CreateTableAs(s.target, q)); err != nil {
			return Result{}, err
		}
	}
	if _, err := s.conn.Run(ctx, s.d.DropRelation(copyStage, adapter.Table, false)); err != nil {
		return Result{}, err
	}
	cols, err := s.conn.Columns(ctx, s.target)
	if err != nil {
		return Result{}, err
	}
	res := Result{Rows: n, Columns: make([]Column, len(cols))}
	for i, c := range cols {
		res.Columns[i] = Column{Name: c.Name, Type: c.Type}
	}
	return res, nil
}

// badValue finds the value in the database's message of a failed cast
// ("invalid input syntax for type integer: "abc"").
var badValue = regexp.MustCompile(`: "(.*)"$`)

// checkCast casts every value of column c (expr over the stage) to its
// column_types type typ, in a savepoint; when one does not cast, it
// returns *InputError naming its cell (xlsx) or line (CSV).
func (s *copySink) checkCast(ctx context.Context, t *table, c tableCol, expr, typ string) error {
	if _, err := s.conn.Exec(ctx, "savepoint kiln_cast"); err != nil {
		return err
	}
	_, castErr := s.conn.Exec(ctx, "select count(cast("+expr+" as "+typ+")) from "+s.d.QuoteRelation(copyStage))
	if _, err := s.conn.Exec(ctx, "rollback to savepoint kiln_cast"); err != nil {
		return err
	}
	if castErr == nil {
		return nil
	}
	var de *adapter.Error
	if ctx.Err() != nil || !errors.As(castErr, &de) || de.Class != adapter.Data {
		return &InputError{Path: t.spec.Path, Err: castErr,
			Problem: fmt.Sprintf("column_types gives column %q the type %q: %v", c.name, typ, castErr), Hint: typeHint}
	}
	ie := &InputError{Path: t.spec.Path, Err: castErr, Hint: castHint(c.name, c.inferred, c.declared)}
	val := ""
	if m := badValue.FindStringSubmatch(de.Msg); m != nil {
		val = m[1]
	}
	where := ""
	_, rows, err := s.conn.QueryRows(ctx, "select _part, _row from "+s.d.QuoteRelation(copyStage)+" where "+expr+" = "+s.d.Literal(val)+" order by _part, _row limit 1")
	if err == nil && len(rows) == 1 {
		part, _ := rows[0][0].(int64)
		n, _ := rows[0][1].(int64)
		sheet := ""
		if int(part) < len(t.parts) {
			sheet = t.parts[part]
		}
		ie.Sheet = sheet
		switch {
		case c.letter != "" && sheet != "":
			where = fmt.Sprintf(" in cell %s%d of sheet %q", c.letter, n, sheet)
		case c.letter != "":
			where = fmt.Sprintf(" in cell %s%d", c.letter, n)
		case t.csv:
			ie.Line = int(n)
		default:
			where = fmt.Sprintf(" in row %d", n)
		}
	}
	ie.Problem = castProblem(c.name, val, where, typ, c.inferred, c.declared)
	return ie
}

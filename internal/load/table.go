package load

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// A load is a reader and a sink. The reader (xlsx or CSV) streams an
// input's rows, every value as text or NULL, in one pass, while it infers
// each column's type; the sink stages the rows as text as they come (one
// staging area per part: an xlsx sheet, or the CSV file), then types them
// with the inferred types and the column_types overrides and replaces the
// target table in one transaction. DuckDB's appender is the first sink
// (duckdb.go); a PostgreSQL sink would stage with COPY the same way.

// sink receives an input's rows and makes its table.
type sink interface {
	// stage prepares parts staging areas of width text columns, with each
	// row's number in its part, for messages.
	stage(ctx context.Context, parts, width int) error
	// append stages one row of part: its row number and width values,
	// each a string or nil for NULL. The values are only valid during the
	// call.
	append(part int, row int64, vals []any) error
	// finish types the staged rows as t describes and replaces the target
	// with them, in the staging order (part by part, row by row).
	finish(ctx context.Context, t *table) (Result, error)
	// abort releases what stage made after a failure (the caller's
	// transaction is rolled back).
	abort()
}

// table describes an input read: its columns and their types, and its
// parts.
type table struct {
	spec  Spec
	cols  []tableCol
	parts []string     // the sheet of each part ("" for a CSV file)
	csv   bool         // values are CSV fields: typed columns are trimmed, and rows are lines
	cells string       // xlsx: the cells digest (Result.Cells); "" otherwise
	text  []TextColumn // xlsx: the columns typed VARCHAR by inference (Result.TextColumns)
}

// tableCol is one column: its name, and the type it gets.
type tableCol struct {
	name     string
	typ      colType // inferred
	override string  // the column_types type, "" when none
	inferred bool    // override was inferred as dbt does (Spec.Inferred), not given
	declared bool    // override is the source's declared data_type (Spec.Declared)
	letter   string  // xlsx column letters for messages ("B"), "" otherwise
}

// colType is an inferred column type.
type colType uint8

const (
	typeText colType = iota
	typeBigint
	typeDouble
	typeBoolean
	typeDate
	typeTimestamp
	typeTimestampTZ
)

// Column is a column of a loaded table: its name and database type.
type Column struct {
	Name string
	Type string
}

// batch is a run of rows of one part, from a reader to the sink.
type batch struct {
	part  int
	rows  []int64 // row numbers
	vals  []any   // len(rows) * width values
	infer []colInfer
	err   error
	done  bool // the part's last message: infer holds its column kinds
}

// testHookStaged, when set by a test, is called every 4096 rows staged
// with the number of rows staged so far.
var testHookStaged func(rows int)

// batchRows is the number of rows a batch holds.
const batchRows = 512

// pump runs produce for each part (at most workers at a time, in part
// order), each on its own goroutine, and appends their rows to snk on the
// caller's goroutine, counting them in m. produce sends its rows through emit and returns its
// columns' kinds. pump returns the kinds merged over the parts, or the
// first error (after stopping the other parts).
func pump(ctx context.Context, snk sink, parts, width, workers int, m *meter, produce func(ctx context.Context, part int, e *emitter) ([]colInfer, error)) ([]colInfer, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan *batch, 2*workers)
	free := make(chan *batch, 4*workers)
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for p := range parts {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			if ctx.Err() != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				e := &emitter{ctx: ctx, part: p, width: width, out: out, free: free}
				kinds, err := produce(ctx, p, e)
				if err == nil {
					err = e.flush()
				}
				select {
				case out <- &batch{part: p, infer: kinds, err: err, done: true}:
				case <-ctx.Done():
				}
			}()
		}
	}()
	merged := make([]colInfer, width)
	finished, staged := 0, 0
	var err error
	for finished < parts && err == nil {
		var b *batch
		select {
		case b = <-out:
		case <-ctx.Done():
			err = ctx.Err()
			continue
		}
		if b.done {
			finished++
			if err = b.err; err == nil {
				for i := range min(len(merged), len(b.infer)) {
					merged[i].merge(&b.infer[i])
				}
			}
			continue
		}
		for i, row := range b.rows {
			if err = snk.append(b.part, row, b.vals[i*width:(i+1)*width]); err != nil {
				break
			}
			if staged++; testHookStaged != nil && staged%4096 == 0 {
				testHookStaged(staged)
			}
		}
		m.add(len(b.rows))
		clear(b.vals)
		b.rows, b.vals = b.rows[:0], b.vals[:0]
		select {
		case free <- b:
		default:
		}
	}
	// Every send of the producers also waits for the cancellation.
	cancel()
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return merged, nil
}

// emitter collects a part's rows into batches for pump.
type emitter struct {
	ctx   context.Context
	part  int
	width int
	out   chan<- *batch
	free  chan *batch
	cur   *batch
}

// row returns the width values of a new row numbered n, all nil, to fill.
func (e *emitter) row(n int64) ([]any, error) {
	if e.cur != nil && len(e.cur.rows) == batchRows {
		if err := e.flush(); err != nil {
			return nil, err
		}
	}
	if e.cur == nil {
		select {
		case e.cur = <-e.free:
			e.cur.part = e.part
		default:
			e.cur = &batch{part: e.part, rows: make([]int64, 0, batchRows), vals: make([]any, 0, batchRows*e.width)}
		}
	}
	e.cur.rows = append(e.cur.rows, n)
	k := len(e.cur.vals)
	if cap(e.cur.vals)-k < e.width {
		e.cur.vals = slices.Grow(e.cur.vals, e.width)
	}
	e.cur.vals = e.cur.vals[:k+e.width] // nil values: batches are cleared before reuse
	return e.cur.vals[k : k+e.width : k+e.width], nil
}

// flush sends the current batch.
func (e *emitter) flush() error {
	if e.cur == nil || len(e.cur.rows) == 0 {
		return nil
	}
	select {
	case e.out <- e.cur:
		e.cur = nil
		return nil
	case <-e.ctx.Done():
		return e.ctx.Err()
	}
}

// resolveColumns names the columns from the header texts, sets their
// inferred types from kinds, and applies the column_types of spec,
// matching names ignoring case. It returns *InputError for a name that is
// not a column or a type that is not a plain type name.
func resolveColumns(spec Spec, header []string, kinds []colInfer, letters bool) ([]tableCol, error) {
	names := columnNames(header)
	cols := make([]tableCol, len(names))
	for i, n := range names {
		cols[i] = tableCol{name: n, typ: kinds[i].typ()}
		if letters {
			cols[i].letter = columnName(i + 1)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(spec.ColumnTypes)) {
		typ := strings.TrimSpace(spec.ColumnTypes[name])
		i := findColumn(cols, name)
		declared := spec.Declared[name]
		if i < 0 {
			if declared {
				return nil, &InputError{Path: spec.Path, Sheet: spec.Sheet,
					Problem: fmt.Sprintf("the source's YAML declares a data_type for column %q, which is not a column of the input (columns: %s)", name, quoteList(names)),
					Hint:    "fix the column's name in the source's YAML, or remove its data_type"}
			}
			return nil, &InputError{Path: spec.Path, Sheet: spec.Sheet,
				Problem: fmt.Sprintf("column_types names %q, which is not a column of the input (columns: %s)", name, quoteList(names)),
				Hint:    "fix the column name in column_types"}
		}
		if !typeName.MatchString(typ) {
			what := "column_types gives column %q the type %q, which is not a type name"
			if declared {
				what = "the source's YAML declares column %q with data_type %q, which is not a type name"
			}
			return nil, &InputError{Path: spec.Path, Sheet: spec.Sheet,
				Problem: fmt.Sprintf(what, cols[i].name, typ), Hint: typeHint}
		}
		cols[i].override = typ
		cols[i].inferred = spec.Inferred[name]
		cols[i].declared = declared
	}
	return cols, nil
}

const typeHint = "use a type such as BIGINT, DOUBLE, DECIMAL(12,2), VARCHAR, BOOLEAN, DATE, TIMESTAMP or TIMESTAMPTZ"

func findColumn(cols []tableCol, name string) int {
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

package load

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/internal/duck"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// stageTable is the connection-local staging table of xlsx and CSV loads.
const stageTable = "kiln_load_stage"

// testHookStaged, when set by a test, is called every 4096 data rows with
// the number of rows read so far.
var testHookStaged func(rows int)

// openXLSX opens the workbook of spec, as *InputError on failure.
func openXLSX(spec Spec) (*workbook, error) {
	wb, err := openWorkbook(spec.Path)
	if err != nil {
		ie := &InputError{Path: spec.Path, Problem: err.Error(), Err: err}
		if errors.Is(err, errNotXLSX) {
			ie.Hint = "check that the file is an Excel workbook saved as .xlsx"
		}
		return nil, ie
	}
	return wb, nil
}

// pickSheet returns the sheet spec names, or *InputError listing the
// workbook's sheets.
func pickSheet(wb *workbook, spec Spec) (sheetRef, error) {
	ref, ok := wb.sheet(spec.Sheet)
	if !ok {
		problem := fmt.Sprintf("sheet %q not found (sheets: %s)", spec.Sheet, quoteList(wb.sheetNames()))
		if spec.Sheet == "" {
			problem = "the workbook has no sheet"
		}
		return sheetRef{}, &InputError{Path: spec.Path, Sheet: spec.Sheet, Problem: problem, Hint: "set sheet to one of the workbook's sheets"}
	}
	if ref.kind != "worksheet" {
		return sheetRef{}, &InputError{Path: spec.Path, Sheet: ref.name,
			Problem: fmt.Sprintf("sheet %q is a %s, not a worksheet with cells", ref.name, ref.kind),
			Hint:    fmt.Sprintf("set sheet to one of the workbook's sheets (%s)", quoteList(wb.sheetNames()))}
	}
	return ref, nil
}

// xlsxLoad is one streaming pass over a worksheet: the header row names
// the columns; every following row with a value is appended as text (or
// NULL) to an all-VARCHAR staging table, its sheet row number in _row,
// while colInfer tracks each column's type.
type xlsxLoad struct {
	wb     *workbook
	spec   Spec
	conn   *duck.Conn
	header []string // header texts by column (1-based column i at i-1)
	infer  []colInfer
	app    *duck.Appender
	vals   []driver.Value
}

func loadXLSX(ctx context.Context, conn *duck.Conn, spec Spec, target sqlq.Relation) (Result, error) {
	wb, err := openXLSX(spec)
	if err != nil {
		return Result{}, err
	}
	defer wb.Close()
	ref, err := pickSheet(wb, spec)
	if err != nil {
		return Result{}, err
	}
	spec.Sheet = ref.name
	rows, err := wb.openSheet(ref)
	if err != nil {
		return Result{}, &InputError{Path: spec.Path, Sheet: ref.name, Problem: err.Error(), Err: err}
	}
	defer rows.Close()

	l := &xlsxLoad{wb: wb, spec: spec, conn: conn}
	for rows.next() {
		if len(rows.cells) > 0 {
			l.setHeader(rows.cells)
			break
		}
	}
	if err := rows.Err(); err != nil {
		return Result{}, l.inputError(err)
	}
	if l.header == nil {
		return Result{}, &InputError{Path: spec.Path, Sheet: ref.name,
			Problem: fmt.Sprintf("sheet %q is empty: no header row", ref.name),
			Hint:    "put the column names in the first row"}
	}
	var res Result
	err = conn.Tx(ctx, func() error {
		defer l.closeAppender() // on error, before the rollback
		if err := l.createStage(ctx); err != nil {
			return err
		}
		for n := 0; rows.next(); n++ {
			if n%4096 == 0 {
				if testHookStaged != nil {
					testHookStaged(n)
				}
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := l.appendRow(ctx, rows.row, rows.cells); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return l.inputError(err)
		}
		if err := l.closeAppender(); err != nil {
			return err
		}
		st, err := l.staged()
		if err != nil {
			return err
		}
		if res, err = swap(ctx, conn, spec, st, target); err != nil {
			return err
		}
		_, err = conn.Exec(ctx, "DROP TABLE temp."+stageTable)
		return err
	})
	return res, err
}

// maxCol returns the rightmost column of cells (producers other than
// Excel may write cells out of order).
func maxCol(cells []cell) int {
	n := 0
	for _, c := range cells {
		n = max(n, c.col)
	}
	return n
}

// closeAppender flushes and releases the appender, if open.
func (l *xlsxLoad) closeAppender() error {
	if l.app == nil {
		return nil
	}
	err := l.app.Close()
	l.app = nil
	return err
}

func (l *xlsxLoad) inputError(err error) error {
	return &InputError{Path: l.spec.Path, Sheet: l.spec.Sheet, Problem: err.Error(), Err: err}
}

// setHeader records the header row's texts; its width is its rightmost
// non-empty cell.
func (l *xlsxLoad) setHeader(cells []cell) {
	width := maxCol(cells)
	l.header = make([]string, width)
	for _, c := range cells {
		v, _ := l.text(c)
		l.header[c.col-1] = v
	}
	l.infer = make([]colInfer, width)
}

// createStage creates the staging table: _row, then one VARCHAR per column.
func (l *xlsxLoad) createStage(ctx context.Context) error {
	var b strings.Builder
	b.WriteString("CREATE OR REPLACE TEMP TABLE " + stageTable + " (_row BIGINT")
	for i := range l.header {
		fmt.Fprintf(&b, ", c%d VARCHAR", i+1)
	}
	b.WriteString(")")
	if _, err := l.conn.Exec(ctx, b.String()); err != nil {
		return err
	}
	return l.openAppender()
}

func (l *xlsxLoad) openAppender() error {
	app, err := l.conn.Appender("temp", stageTable)
	if err != nil {
		return err
	}
	l.app = app
	l.vals = make([]driver.Value, len(l.header)+1)
	return nil
}

// widen adds staging columns up to width, for data rows that hold values
// right of the header's last column; they are named column_<n>.
func (l *xlsxLoad) widen(ctx context.Context, width int) error {
	if err := l.closeAppender(); err != nil {
		return err
	}
	for i := len(l.header); i < width; i++ {
		if _, err := l.conn.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN c%d VARCHAR", stageTable, i+1)); err != nil {
			return err
		}
		l.header = append(l.header, "")
		l.infer = append(l.infer, colInfer{})
	}
	return l.openAppender()
}

func (l *xlsxLoad) appendRow(ctx context.Context, row int, cells []cell) error {
	if len(cells) == 0 {
		return nil
	}
	if last := maxCol(cells); last > len(l.header) {
		if err := l.widen(ctx, last); err != nil {
			return err
		}
	}
	for i := range l.vals {
		l.vals[i] = nil
	}
	hasValue := false
	for _, c := range cells {
		v, k := l.text(c)
		if v == "" {
			continue
		}
		l.vals[c.col] = v
		l.infer[c.col-1].add(k)
		hasValue = true
	}
	if !hasValue {
		return nil // every cell empty
	}
	l.vals[0] = int64(row)
	return l.app.AppendRow(l.vals...)
}

// text returns a cell's value as staged, and its kind: numbers as written
// in the file, date-formatted numbers and t="d" dates as ISO text,
// booleans as TRUE/FALSE, texts as they are; "" for NULL.
func (l *xlsxLoad) text(c cell) (string, valueKind) {
	switch c.kind {
	case cellText:
		return c.value, kindText
	case cellBool:
		switch c.value {
		case "1", "true", "TRUE":
			return "TRUE", kindBool
		case "0", "false", "FALSE":
			return "FALSE", kindBool
		}
		return c.value, kindText
	case cellISODate:
		if t, hasTime, ok := parseISOCell(c.value); ok {
			return isoText(t, hasTime), dateKind(hasTime)
		}
		return c.value, kindText
	}
	k := numberKind(c.value)
	if k != kindText && l.wb.dateStyle(c.style) {
		f, _ := strconv.ParseFloat(c.value, 64)
		if t, hasTime, err := serialTime(f, l.wb.date1904); err == nil {
			return isoText(t, hasTime), dateKind(hasTime)
		}
	}
	return c.value, k
}

func dateKind(hasTime bool) valueKind {
	if hasTime {
		return kindStamp
	}
	return kindDate
}

// staged describes the staging table for swap.
func (l *xlsxLoad) staged() (staged, error) {
	names := columnNames(l.header)
	st := staged{from: "temp." + stageTable, rowExpr: "_row"}
	for i, name := range names {
		typ := l.infer[i].typ()
		if typ == typeVarchar {
			typ = ""
		}
		st.cols = append(st.cols, stagedCol{
			name:   name,
			expr:   "c" + strconv.Itoa(i+1),
			typ:    typ,
			letter: columnName(i + 1),
		})
	}
	if err := applyOverrides(l.spec, st.cols); err != nil {
		return staged{}, err
	}
	return st, nil
}

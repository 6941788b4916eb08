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

// allSheets, as Spec.Sheet, loads every worksheet of a workbook into one
// table.
const allSheets = "*"

// openXLSX opens the workbook of spec for loading, as *InputError on
// failure.
func openXLSX(spec Spec) (*workbook, error) {
	wb, err := openWorkbook(spec.Path)
	if err != nil {
		return nil, xlsxOpenError(spec, err)
	}
	return wb, nil
}

// checkXLSX opens the package of spec, as *InputError on failure.
func checkXLSX(spec Spec) (*xlsxPackage, error) {
	p, err := openPackage(spec.Path)
	if err != nil {
		return nil, xlsxOpenError(spec, err)
	}
	return p, nil
}

func xlsxOpenError(spec Spec, err error) error {
	ie := &InputError{Path: spec.Path, Problem: err.Error(), Err: err}
	if errors.Is(err, errNotXLSX) {
		ie.Hint = "check that the file is an Excel workbook saved as .xlsx"
	}
	return ie
}

// pickSheets returns the sheets spec names: the one named, or with "*"
// every worksheet in tab order. It returns *InputError listing the
// workbook's sheets when there is none such.
func pickSheets(p *xlsxPackage, spec Spec) ([]sheetRef, error) {
	if spec.Sheet == allSheets {
		var refs []sheetRef
		for _, s := range p.sheets {
			if s.kind == "worksheet" {
				refs = append(refs, s)
			}
		}
		if len(refs) == 0 {
			return nil, &InputError{Path: spec.Path, Sheet: spec.Sheet, Problem: "the workbook has no worksheet",
				Hint: "check that the file is the workbook of the export"}
		}
		return refs, nil
	}
	ref, ok := p.sheet(spec.Sheet)
	if !ok {
		problem := fmt.Sprintf("sheet %q not found (sheets: %s)", spec.Sheet, quoteList(p.sheetNames()))
		if spec.Sheet == "" {
			problem = "the workbook has no sheet"
		}
		return nil, &InputError{Path: spec.Path, Sheet: spec.Sheet, Problem: problem, Hint: "set sheet to one of the workbook's sheets"}
	}
	if ref.kind != "worksheet" {
		problem := fmt.Sprintf("sheet %q is a %s, not a worksheet with cells", ref.name, ref.kind)
		if ref.kind == "" {
			problem = fmt.Sprintf("sheet %q has no part in the file", ref.name)
		}
		return nil, &InputError{Path: spec.Path, Sheet: ref.name, Problem: problem,
			Hint: fmt.Sprintf("set sheet to one of the workbook's sheets (%s)", quoteList(p.sheetNames()))}
	}
	return []sheetRef{ref}, nil
}

// xlsxLoad is one streaming pass over the sheets to load: the header row
// of the first names the columns (the others must repeat it); every
// following row with a value is appended as text (or NULL) to an
// all-VARCHAR staging table, with its sheet (index in sheets) in _sheet and
// its sheet row number in _row, while colInfer tracks each column's type.
type xlsxLoad struct {
	wb     *workbook
	spec   Spec
	conn   *duck.Conn
	sheets []string // names of the sheets staged, by _sheet
	first  []string // the first staged sheet's header texts, trimmed
	header []string // header texts by column (1-based column i at i-1), widened
	infer  []colInfer
	app    *duck.Appender
	vals   []driver.Value
	rows   int // data rows read, for testHookStaged
}

func loadXLSX(ctx context.Context, conn *duck.Conn, spec Spec, target sqlq.Relation) (Result, error) {
	wb, err := openXLSX(spec)
	if err != nil {
		return Result{}, err
	}
	defer wb.Close()
	refs, err := pickSheets(wb.xlsxPackage, spec)
	if err != nil {
		return Result{}, err
	}
	if len(refs) == 1 {
		spec.Sheet = refs[0].name
	}
	l := &xlsxLoad{wb: wb, spec: spec, conn: conn}
	var res Result
	err = conn.Tx(ctx, func() error {
		defer l.closeAppender() // on error, before the rollback
		for _, ref := range refs {
			if err := l.readSheet(ctx, ref, len(refs) > 1); err != nil {
				return err
			}
		}
		if l.header == nil {
			return &InputError{Path: spec.Path, Sheet: spec.Sheet, Problem: "every worksheet is empty: no header row",
				Hint: "put the column names in the first row"}
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

// readSheet stages one sheet: its first row with a value is the header,
// the rows with a value after it are data. A sheet without any value is an
// error, unless skipEmpty.
func (l *xlsxLoad) readSheet(ctx context.Context, ref sheetRef, skipEmpty bool) error {
	rows, err := l.wb.openSheet(ref)
	if err != nil {
		return l.inputError(ref.name, err)
	}
	defer rows.Close()
	if !rows.next() {
		if err := rows.Err(); err != nil {
			return l.inputError(ref.name, err)
		}
		if skipEmpty {
			return nil
		}
		return &InputError{Path: l.spec.Path, Sheet: ref.name,
			Problem: fmt.Sprintf("sheet %q is empty: no header row", ref.name),
			Hint:    "put the column names in the first row"}
	}
	texts := l.headerTexts(rows.cells)
	if l.header == nil {
		l.header, l.first = texts, trimAll(texts)
		l.infer = make([]colInfer, len(texts))
		if err := l.createStage(ctx); err != nil {
			return err
		}
	} else if err := l.sameHeader(ref.name, trimAll(texts)); err != nil {
		return err
	}
	sheet := int64(len(l.sheets))
	l.sheets = append(l.sheets, ref.name)
	for rows.next() {
		if l.rows%4096 == 0 {
			if testHookStaged != nil {
				testHookStaged(l.rows)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		l.rows++
		if err := l.appendRow(ctx, sheet, rows.row, rows.cells); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return l.inputError(ref.name, err)
	}
	return nil
}

// maxCol returns the rightmost column of cells.
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

func (l *xlsxLoad) inputError(sheet string, err error) error {
	return &InputError{Path: l.spec.Path, Sheet: sheet, Problem: err.Error(), Err: err}
}

// headerTexts returns the texts of a header row; its width is its
// rightmost non-empty cell.
func (l *xlsxLoad) headerTexts(cells []cell) []string {
	texts := make([]string, maxCol(cells))
	for _, c := range cells {
		texts[c.col-1], _ = l.text(c)
	}
	return texts
}

func trimAll(texts []string) []string {
	out := make([]string, len(texts))
	for i, t := range texts {
		out[i] = strings.TrimSpace(t)
	}
	return out
}

// sameHeader checks that the trimmed header texts of sheet are those of
// the first sheet staged; it returns *InputError naming the first column
// that differs.
func (l *xlsxLoad) sameHeader(sheet string, texts []string) error {
	for i := range max(len(texts), len(l.first)) {
		var got, want string
		if i < len(texts) {
			got = texts[i]
		}
		if i < len(l.first) {
			want = l.first[i]
		}
		if got != want {
			return &InputError{Path: l.spec.Path, Sheet: sheet,
				Problem: fmt.Sprintf("the header of sheet %q differs from sheet %q's: column %s is %q, not %q", sheet, l.sheets[0], columnName(i+1), got, want),
				Hint:    `with sheet "*", every sheet must start with the same header row; load the sheets one by one otherwise`}
		}
	}
	return nil
}

// createStage creates the staging table: _sheet, _row, then one VARCHAR
// per column.
func (l *xlsxLoad) createStage(ctx context.Context) error {
	var b strings.Builder
	b.WriteString("CREATE OR REPLACE TEMP TABLE " + stageTable + " (_sheet BIGINT, _row BIGINT")
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
	l.vals = make([]driver.Value, len(l.header)+2)
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

func (l *xlsxLoad) appendRow(ctx context.Context, sheet int64, row int, cells []cell) error {
	if last := maxCol(cells); last > len(l.header) {
		if err := l.widen(ctx, last); err != nil {
			return err
		}
	}
	for i := range l.vals {
		l.vals[i] = nil
	}
	for _, c := range cells {
		v, k := l.text(c)
		l.vals[c.col+1] = v
		l.infer[c.col-1].add(k)
	}
	l.vals[0], l.vals[1] = sheet, int64(row)
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
	st := staged{from: "temp." + stageTable, rowExpr: "_row", sheetExpr: "_sheet", sheets: l.sheets}
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

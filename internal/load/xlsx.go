package load

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unsafe"
)

// allSheets, as Spec.Sheet, loads every worksheet of a workbook into one
// table.
const allSheets = "*"

func xlsxOpenError(spec Spec, err error) error {
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	return faultError(&InputError{Path: spec.Path, Problem: err.Error(), Err: err})
}

// faultError gives ie the problem and hint of the *workbookFault it wraps,
// if any, and returns it.
func faultError(ie *InputError) *InputError {
	var wf *workbookFault
	if errors.As(ie.Err, &wf) {
		ie.Problem, ie.Hint = wf.problem, wf.hint
	}
	return ie
}

// pickSheets returns the sheets spec names: the one named, or with "*"
// every worksheet in tab order. It returns *InputError listing the
// workbook's sheets when there is none such.
func pickSheets(wb *workbook, spec Spec) ([]sheetRef, error) {
	if spec.Sheet == allSheets {
		var refs []sheetRef
		for _, s := range wb.sheets {
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
	ref, ok := wb.sheet(spec.Sheet)
	if !ok {
		problem := fmt.Sprintf("sheet %q not found (sheets: %s)", spec.Sheet, quoteList(wb.sheetNames()))
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
			Hint: fmt.Sprintf("set sheet to one of the workbook's sheets (%s)", quoteList(wb.sheetNames()))}
	}
	return []sheetRef{ref}, nil
}

// xlsxInput is a workbook opened for reading one table out of its sheets.
type xlsxInput struct {
	spec   Spec
	wb     *workbook
	refs   []sheetRef // the sheets that hold a header, in tab order
	rows   []int      // the header row of each
	header []string   // the first sheet's header texts: the columns
	conv   cellConv
}

// openXLSX opens the workbook of spec, picks its sheets and reads their
// header rows: the first row with a value of each sheet; with sheet "*",
// empty sheets are skipped and the others must repeat the first's header.
// With all false it reads the shared strings only as far as the headers
// need them (for Check); with all true, whole, for loading. It returns
// *InputError.
func openXLSX(spec Spec, all bool) (*xlsxInput, error) {
	wb, err := openWorkbook(spec.Path, spec.Limits, spec.Seed)
	if err != nil {
		return nil, xlsxOpenError(spec, err)
	}
	in := &xlsxInput{spec: spec, wb: wb, conv: cellConv{wb: wb, nulls: newNullSet(spec.NullValues)}}
	if err := in.readHeaders(all); err != nil {
		wb.Close()
		return nil, err
	}
	return in, nil
}

func (in *xlsxInput) Close() error { return in.wb.Close() }

func (in *xlsxInput) inputError(sheet string, err error) error {
	var ie *InputError
	if errors.As(err, &ie) {
		if ie.Sheet == "" {
			ie.Sheet = sheet
		}
		return ie
	}
	return faultError(&InputError{Path: in.spec.Path, Sheet: sheet, Problem: err.Error(), Err: err})
}

func (in *xlsxInput) readHeaders(all bool) error {
	spec, wb := in.spec, in.wb
	refs, err := pickSheets(wb, spec)
	if err != nil {
		return err
	}
	for _, ref := range refs {
		if err := wb.checkDeclared(ref.part); err != nil {
			return in.inputError(ref.name, err)
		}
	}
	if wb.sstPart != "" {
		if err := wb.checkDeclared(wb.sstPart); err != nil {
			return in.inputError("", err)
		}
	}
	if err := wb.openSST(); err != nil {
		return in.inputError("", err)
	}
	if all {
		if err := wb.sst.readAll(); err != nil {
			return in.inputError("", err)
		}
	}
	var first string
	for _, ref := range refs {
		texts, row, err := in.readHeader(ref)
		if err != nil {
			return in.inputError(ref.name, err)
		}
		if texts == nil {
			if len(refs) > 1 {
				continue
			}
			return &InputError{Path: spec.Path, Sheet: ref.name,
				Problem: fmt.Sprintf("sheet %q is empty: no header row", ref.name),
				Hint:    "put the column names in the first row"}
		}
		if in.header == nil {
			in.header, first = texts, ref.name
		} else if err := sameHeader(spec, first, ref.name, in.header, texts); err != nil {
			return err
		}
		in.refs = append(in.refs, ref)
		in.rows = append(in.rows, row)
	}
	if in.header == nil {
		return &InputError{Path: spec.Path, Sheet: spec.Sheet, Problem: "every worksheet is empty: no header row",
			Hint: "put the column names in the first row"}
	}
	return nil
}

// readHeader returns the texts of a sheet's first row with a value (its
// width is its rightmost non-empty cell) and its number; nil for an empty
// sheet.
func (in *xlsxInput) readHeader(ref sheetRef) ([]string, int, error) {
	r, err := in.wb.openSheet(ref)
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	ok, err := r.next()
	if err != nil || !ok {
		return nil, 0, err
	}
	texts := make([]string, r.cells[len(r.cells)-1].col)
	for _, c := range r.cells {
		texts[c.col-1], _ = in.conv.text(c, false)
	}
	return texts, r.row, nil
}

// sameHeader checks that the trimmed header texts of sheet are those of
// the first sheet; it returns *InputError naming the first column that
// differs.
func sameHeader(spec Spec, first, sheet string, want, got []string) error {
	for i := range max(len(want), len(got)) {
		var g, w string
		if i < len(got) {
			g = strings.TrimSpace(got[i])
		}
		if i < len(want) {
			w = strings.TrimSpace(want[i])
		}
		if g != w {
			return &InputError{Path: spec.Path, Sheet: sheet,
				Problem: fmt.Sprintf("the header of sheet %q differs from sheet %q's: column %s is %q, not %q", sheet, first, columnName(i+1), g, w),
				Hint:    `with sheet "*", every sheet must start with the same header row; load the sheets one by one otherwise`}
		}
	}
	return nil
}

// readXLSX streams the data rows of spec's sheets into snk, the sheets in
// parallel (as many at a time as there are CPUs), and returns the table
// they make.
func readXLSX(ctx context.Context, spec Spec, snk sink) (*table, error) {
	in, err := openXLSX(spec, true)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	if len(in.refs) == 1 {
		spec.Sheet = in.refs[0].name
	}
	width := len(in.header)
	if err := snk.stage(ctx, len(in.refs), width); err != nil {
		return nil, err
	}
	var total int64
	for _, ref := range in.refs {
		total += in.wb.compressedSize(ref.part)
	}
	meter := newMeter(spec.Progress, spec.Path, total, &in.wb.consumed)
	sums := make([][]byte, len(in.refs)) // each sheet's cells digest, by its own goroutine
	kinds, err := pump(ctx, snk, len(in.refs), width, runtime.GOMAXPROCS(0), meter, func(ctx context.Context, part int, e *emitter) ([]colInfer, error) {
		d := newCellDigest()
		kinds, err := in.readSheet(ctx, part, e, d)
		if err != nil {
			return nil, in.inputError(in.refs[part].name, err)
		}
		sums[part] = d.sum()
		return kinds, nil
	})
	if err != nil {
		return nil, err
	}
	meter.done()
	cols, err := resolveColumns(spec, in.header, kinds, true)
	if err != nil {
		return nil, err
	}
	t := &table{spec: spec, cols: cols, cells: cellsSum(in.header, sums)}
	for _, ref := range in.refs {
		t.parts = append(t.parts, ref.name)
	}
	t.text = textColumns(cols, kinds, t.parts)
	return t, nil
}

// readSheet emits the data rows of sheet part, those after its header
// row that hold a value, adds them to d, and returns its columns' kinds.
func (in *xlsxInput) readSheet(ctx context.Context, part int, e *emitter, d *cellDigest) ([]colInfer, error) {
	ref, header := in.refs[part], in.rows[part]
	r, err := in.wb.openSheet(ref)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	width := len(in.header)
	kinds := make([]colInfer, width)
	for n := 0; ; n++ {
		ok, err := r.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if r.row <= header {
			continue
		}
		if n%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if last := r.cells[len(r.cells)-1]; last.col > width {
			return nil, &InputError{Path: in.spec.Path, Sheet: ref.name,
				Problem: fmt.Sprintf("cell %s%d of sheet %q holds a value right of the header's last column, %s: expected %d columns, found %d",
					columnName(last.col), r.row, ref.name, columnName(width), width, last.col),
				Hint: fmt.Sprintf("give column %s a header in row %d, or remove the values right of column %s", columnName(last.col), header, columnName(width))}
		}
		vals, err := e.row(int64(r.row))
		if err != nil {
			return nil, err
		}
		d.row()
		for _, c := range r.cells {
			v, k := in.conv.text(c, true)
			if k == 0 {
				continue // a NULL marker
			}
			vals[c.col-1] = v
			kinds[c.col-1].addAt(k, part, r.row, v)
			if k == kindText && c.kind == cellText {
				kinds[c.col-1].addISOText(v)
			}
			d.cell(c.col, k, v)
		}
	}
	if err := r.drain(); err != nil {
		return nil, err
	}
	return kinds, nil
}

// cellConv turns cells into the text the sink stages.
type cellConv struct {
	wb    *workbook
	nulls nullSet
}

// text returns a cell's value as staged, and its kind: numbers as written
// in the file, date-formatted numbers and t="d" dates as ISO text,
// booleans as TRUE/FALSE, texts as they are. With data, a text that is a
// NULL marker gives kind 0.
func (cv cellConv) text(c cell, data bool) (string, valueKind) {
	switch c.kind {
	case cellText:
		s := string(c.value)
		if data && cv.nulls.match(unsafe.String(unsafe.SliceData(c.value), len(c.value))) {
			return "", 0
		}
		return s, kindText
	case cellBool:
		switch string(c.value) {
		case "1", "true", "TRUE":
			return "TRUE", kindBool
		case "0", "false", "FALSE":
			return "FALSE", kindBool
		}
		return string(c.value), kindText
	case cellISODate:
		if t, hasTime, ok := parseISOCell(string(c.value)); ok {
			return isoText(t, hasTime), dateValueKind(hasTime)
		}
		return string(c.value), kindText
	}
	v := string(c.value)
	k := numberKind(v)
	if k != kindText && cv.wb.dateStyle(c.style) {
		f, _ := strconv.ParseFloat(v, 64)
		if t, hasTime, err := serialTime(f, cv.wb.date1904); err == nil {
			return isoText(t, hasTime), dateValueKind(hasTime)
		}
	}
	return v, k
}

func dateValueKind(hasTime bool) valueKind {
	if hasTime {
		return kindStamp
	}
	return kindDate
}

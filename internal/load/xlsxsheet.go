package load

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/xuri/excelize/v2"
)

// cellKind is the type of a worksheet cell as the file stores it.
type cellKind uint8

const (
	cellNumber  cellKind = iota // no t, or t="n": value is the number as written
	cellText                    // t="s", "inlineStr", "str" (a formula's text result)
	cellBool                    // t="b": value "1" or "0"
	cellISODate                 // t="d": value is an ISO 8601 date
)

// cell is one non-empty cell of a row; empty cells, empty texts and error
// cells (#N/A, ...) are left out, as NULL.
type cell struct {
	col   int // 1-based column
	kind  cellKind
	style int    // index into the workbook's cell formats
	value string // see cellKind; formulas give their cached value
}

// sheetRows streams the rows of a worksheet that hold a value: excelize's
// row iterator gives the values (shared strings, inline and rich text,
// _xHHHH_ escapes, booleans, formulas' cached values), a cellScan of the
// same part their types and styles. Each parses the XML on its own, in a
// goroutine that reads up to readAhead rows ahead; next pairs their rows.
// Memory stays bounded by those rows, beside what excelize keeps for the
// workbook (see xlsxOptions).
type sheetRows struct {
	rows    *excelize.Rows
	scan    *cellScan
	values  chan valueRow
	attrs   chan attrRow
	stop    chan struct{} // closed by Close: the goroutines return
	wait    sync.WaitGroup
	scanned attrRow // the scan's row received last

	row   int    // current row number, 1-based
	cells []cell // current row's non-empty cells, in column order
	err   error
}

// valueRow is a row of excelize's iterator: vals[i] is column i+1.
type valueRow struct {
	row  int
	vals []string
	err  error
}

// attrRow is a row of the cell scan.
type attrRow struct {
	row   int
	cells []cellAttr
	err   error
}

// readAhead is how many rows each reader of a sheet reads ahead.
const readAhead = 64

// openSheet opens the rows of a worksheet; close them with Close.
func (wb *workbook) openSheet(ref sheetRef) (*sheetRows, error) {
	if ref.kind != "worksheet" {
		return nil, fmt.Errorf("sheet %q is not a worksheet", ref.name)
	}
	rc, err := wb.openPart(ref.part)
	if err != nil {
		return nil, err
	}
	rows, err := wb.f.Rows(ref.name)
	if err != nil {
		rc.Close()
		return nil, err
	}
	s := &sheetRows{
		rows:   rows,
		scan:   newCellScan(rc, ref.part, wb.f.CharsetReader),
		values: make(chan valueRow, readAhead),
		attrs:  make(chan attrRow, readAhead),
		stop:   make(chan struct{}),
	}
	s.wait.Add(2)
	go s.readValues()
	go s.readAttrs()
	return s, nil
}

// Close stops the readers and releases the sheet.
func (s *sheetRows) Close() error {
	close(s.stop)
	s.wait.Wait()
	err := s.rows.Close()
	if cerr := s.scan.Close(); err == nil {
		err = cerr
	}
	return err
}

// send sends v on out unless the sheet is being closed.
func send[T any](stop <-chan struct{}, out chan<- T, v T) bool {
	select {
	case out <- v:
		return true
	case <-stop:
		return false
	}
}

// readValues sends the rows of excelize's iterator that hold a value, or
// the error that stops it.
func (s *sheetRows) readValues() {
	defer s.wait.Done()
	defer close(s.values)
	// excelize's Next steps through every row number, 1, 2, 3..., gaps
	// included (their Columns are empty).
	for n := 1; s.rows.Next(); n++ {
		vals, err := s.rows.Columns(rawValues)
		if err == nil && !hasValue(vals) {
			continue
		}
		if !send(s.stop, s.values, valueRow{row: n, vals: vals, err: err}) || err != nil {
			return
		}
	}
	if err := s.rows.Error(); err != nil {
		send(s.stop, s.values, valueRow{err: err})
	}
}

// readAttrs sends the scanned rows that hold cells, or the error that
// stops the scan.
func (s *sheetRows) readAttrs() {
	defer s.wait.Done()
	defer close(s.attrs)
	for {
		if err := s.scan.next(); err != nil {
			send(s.stop, s.attrs, attrRow{err: err})
			return
		}
		if s.scan.done {
			return
		}
		if len(s.scan.cells) > 0 && !send(s.stop, s.attrs, attrRow{row: s.scan.row, cells: slices.Clone(s.scan.cells)}) {
			return
		}
	}
}

// Err returns the error that stopped next, nil at the end of the sheet.
func (s *sheetRows) Err() error { return s.err }

// next reads the next row that holds a value; it returns false at the end
// of the sheet or on error.
func (s *sheetRows) next() bool {
	for s.err == nil {
		v, ok := <-s.values
		if !ok {
			// excelize's iterator stops quietly on malformed XML; the
			// scan, which reads the part to its end, reports it.
			for a := range s.attrs {
				if a.err != nil {
					s.err = a.err
				}
			}
			return false
		}
		if v.err != nil {
			s.err = v.err
			return false
		}
		s.row = v.row
		if s.err = s.setCells(v.vals); s.err == nil && len(s.cells) > 0 {
			return true
		}
	}
	return false
}

func hasValue(vals []string) bool {
	for _, v := range vals {
		if v != "" {
			return true
		}
	}
	return false
}

// scannedRow returns the scanned cells of row n, receiving past the rows
// before it.
func (s *sheetRows) scannedRow(n int) ([]cellAttr, error) {
	for s.scanned.row < n {
		a, ok := <-s.attrs
		if !ok {
			break
		}
		if a.err != nil {
			return nil, a.err
		}
		s.scanned = a
	}
	if s.scanned.row != n {
		return nil, fmt.Errorf("malformed %s: row %d not found", s.scan.part, n)
	}
	return s.scanned.cells, nil
}

// setCells pairs the values of the current row (vals[i] is column i+1) with
// the scanned types and styles of its cells.
func (s *sheetRows) setCells(vals []string) error {
	attrs, err := s.scannedRow(s.row)
	if err != nil {
		return err
	}
	s.cells = s.cells[:0]
	i := 0
	for j, v := range vals {
		if v == "" {
			continue
		}
		col := j + 1
		for i < len(attrs) && attrs[i].col < col {
			i++
		}
		if i == len(attrs) || attrs[i].col != col {
			return fmt.Errorf("malformed %s: no cell %s%d where excelize read %q", s.scan.part, columnName(col), s.row, v)
		}
		c := cell{col: col, style: attrs[i].style, value: v}
		switch attrs[i].typ {
		case "s", "inlineStr", "str":
			c.kind = cellText
		case "b":
			c.kind, c.value = cellBool, strings.TrimSpace(v)
		case "d":
			c.kind = cellISODate
		case "e":
			continue // #N/A, #DIV/0!, ...: NULL
		default:
			c.kind, c.value = cellNumber, strings.TrimSpace(v)
		}
		if c.value != "" {
			s.cells = append(s.cells, c)
		}
	}
	return nil
}

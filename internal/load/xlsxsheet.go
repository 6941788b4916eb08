package load

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// cellKind is the type of a worksheet cell as the file stores it.
type cellKind uint8

const (
	cellNumber  cellKind = iota // no t, or t="n": value is the number as written
	cellText                    // t="s", "inlineStr", "str" (a formula's text result)
	cellBool                    // t="b": value "1" or "0"
	cellISODate                 // t="d": value is an ISO 8601 date
)

// cell is one cell of a row that holds a value; empty cells, empty texts
// and error cells (#N/A, ...) are left out, as NULL.
type cell struct {
	col   int // 1-based column
	kind  cellKind
	style int // index into the workbook's cell formats
	// value is the cell's text (cellKind says how to read it): formulas
	// give their cached value, numbers, booleans and t="d" dates are
	// trimmed of spaces. It lives in the row's arena, valid until the next
	// row.
	value []byte
}

// Excel's sheet size.
const (
	maxRows    = 1_048_576
	maxColumns = 16_384
)

// sheetReader streams the rows of a worksheet part that hold a value, one
// at a time, reading the XML once (inflated as it goes) with xmlScanner:
// memory stays bounded by one row, beside the workbook's shared strings.
// It numbers rows and cells as excelize does (the r attribute, else one
// more than the previous) and, where excelize would merge rows or shift
// cells out of order, reports the part as malformed rather than misplace
// values.
type sheetReader struct {
	wb      *workbook
	ref     sheetRef
	pr      *partReader
	s       *xmlScanner
	started bool // <sheetData> was reached
	done    bool // </sheetData>, or the end of the part, was reached

	row   int    // number of the row read last; 0 before the first
	cells []cell // its cells that hold a value, in column order
	arena []byte // their values
	nc    int64  // cells read since the last addition to the package's count
	typ   []byte // scratch for a cell's t attribute
	text  []byte // scratch for an inline string
}

// openSheet opens the rows of a worksheet; close them with Close. It
// loads the workbook's shared strings first.
func (wb *workbook) openSheet(ref sheetRef) (*sheetReader, error) {
	if ref.kind != "worksheet" {
		return nil, fmt.Errorf("sheet %q is not a worksheet", ref.name)
	}
	if err := wb.openSST(); err != nil {
		return nil, err
	}
	pr, err := wb.open(ref.part)
	if err != nil {
		return nil, err
	}
	pr.isData = true
	return &sheetReader{wb: wb, ref: ref, pr: pr, s: newXMLScanner(pr, ref.part)}, nil
}

// Close releases the sheet's part.
func (r *sheetReader) Close() error { return r.pr.Close() }

// drain reads the rest of the part after its sheet data, so that its size
// and CRC-32 are checked.
func (r *sheetReader) drain() error {
	_, err := io.Copy(io.Discard, r.pr)
	return err
}

// next reads the next row that holds a value into row and cells; it
// returns false at the end of the sheet data.
func (r *sheetReader) next() (bool, error) {
	s := r.s
	if !r.started {
		if err := r.findSheetData(); err != nil || r.done {
			return false, err
		}
	}
	for !r.done {
		if err := s.next(); err != nil {
			return false, err
		}
		switch s.kind {
		case tokEOF:
			return false, s.eofError()
		case tokEnd:
			if string(s.name) == "sheetData" {
				r.done = true
				return false, r.flushCells()
			}
		case tokStart:
			if string(s.name) != "row" {
				if err := s.skip(); err != nil {
					return false, err
				}
				continue
			}
			if err := r.readRow(); err != nil {
				return false, err
			}
			if len(r.cells) > 0 {
				return true, nil
			}
		}
	}
	return false, nil
}

// findSheetData reads up to <sheetData>; a part without it has no rows.
func (r *sheetReader) findSheetData() error {
	r.started = true
	for {
		if err := r.s.next(); err != nil {
			return err
		}
		switch r.s.kind {
		case tokEOF:
			r.done = true
			return nil
		case tokStart:
			if string(r.s.name) == "sheetData" {
				if r.s.selfClosing() {
					r.done = true
					return r.s.next()
				}
				return nil
			}
		}
	}
}

// flushCells adds the cells read to the package's count and checks
// MaxCells.
func (r *sheetReader) flushCells() error {
	if r.nc == 0 {
		return nil
	}
	n := r.wb.cells.Add(r.nc)
	r.nc = 0
	if n > r.wb.limits.MaxCells {
		return r.wb.cellsError(r.ref.name)
	}
	return nil
}

// readRow reads the <row> element just started.
func (r *sheetReader) readRow() error {
	s := r.s
	n := r.row + 1
	if v, _ := attrValue(s.attrs, "r"); len(v) > 0 {
		if x, err := strconv.Atoi(string(bytes.TrimSpace(v))); err == nil && x != 0 {
			n = x
		}
	}
	switch {
	case n <= r.row || n < 1:
		return s.errorf("row %d comes after row %d", n, r.row)
	case n > maxRows:
		return s.errorf("row %d is beyond Excel's last row, %d", n, maxRows)
	}
	r.row = n
	r.cells, r.arena = r.cells[:0], r.arena[:0]
	d := s.depth()
	col := 0
	for {
		if err := s.next(); err != nil {
			return err
		}
		switch s.kind {
		case tokEOF:
			return s.eofError()
		case tokEnd:
			if s.depth() < d {
				if r.nc >= 4096 {
					return r.flushCells()
				}
				return nil
			}
		case tokStart:
			if string(s.name) != "c" {
				if err := s.skip(); err != nil {
					return err
				}
				continue
			}
			r.nc++
			var err error
			if col, err = r.readCell(col); err != nil {
				return err
			}
		}
	}
}

// readCell reads the <c> element just started, after column prev, and
// returns its column.
func (r *sheetReader) readCell(prev int) (int, error) {
	s := r.s
	c := cell{col: prev + 1}
	var typ []byte
	// One pass over the attributes: r, s and t.
	a := s.attrs
	for len(a) > 0 {
		var key, val []byte
		var ok bool
		if key, val, a, ok = nextAttr(a); !ok {
			return 0, s.errorf("attributes %q of a cell in row %d", bytes.TrimSpace(s.attrs), r.row)
		}
		if len(key) != 1 || len(val) == 0 {
			continue
		}
		switch key[0] {
		case 'r':
			col, good := columnOf(val)
			if !good {
				return 0, s.errorf("cell reference %q", val)
			}
			c.col = col
		case 's':
			c.style = atoi(string(val))
			if !digits(string(val)) {
				c.style = 0
			}
		case 't':
			// Copied: the scanner's buffer moves on.
			typ = append(r.typ[:0], val...)
			r.typ = typ
		}
	}
	switch {
	case c.col <= prev:
		return 0, s.errorf("in row %d, column %s comes after column %s", r.row, columnName(c.col), columnName(prev))
	case c.col > maxColumns:
		return 0, s.errorf("cell %s%d is beyond Excel's last column, XFD", columnName(c.col), r.row)
	}
	start := len(r.arena)
	d := s.depth()
	inV, hasIS := false, false
	for {
		if err := s.next(); err != nil {
			return 0, err
		}
		switch s.kind {
		case tokEOF:
			return 0, s.eofError()
		case tokText:
			if inV && !hasIS {
				var err error
				if s.cdata {
					r.arena = append(r.arena, s.text...)
				} else if r.arena, err = appendText(r.arena, s.text); err != nil {
					return 0, s.errorf("cell %s%d: %v", columnName(c.col), r.row, err)
				}
			}
		case tokStart:
			switch string(s.name) {
			case "v":
				inV = true
			case "is":
				// An inline string: its text replaces any <v>.
				hasIS = true
				r.arena = r.arena[:start]
				var err error
				if r.text, err = readRichText(s, r.text[:0]); err != nil {
					return 0, err
				}
				r.arena = appendBstr(r.arena, r.text)
			default: // <f>, <extLst>
				if err := s.skip(); err != nil {
					return 0, err
				}
			}
		case tokEnd:
			inV = false
			if s.depth() < d {
				return c.col, r.addCell(c, typ, start)
			}
		}
	}
}

// addCell keeps cell c, whose raw value is arena[start:], if it holds a
// value.
func (r *sheetReader) addCell(c cell, typ []byte, start int) error {
	v := r.arena[start:]
	switch string(typ) {
	case "s":
		idx, err := strconv.Atoi(string(bytes.TrimSpace(v)))
		if len(bytes.TrimSpace(v)) == 0 {
			r.arena = r.arena[:start]
			return nil
		}
		text, ok, serr := r.wb.sst.get(idx)
		if serr != nil {
			return serr
		}
		if err != nil || !ok {
			return r.s.errorf("cell %s%d refers to shared string %q; the workbook has %d", columnName(c.col), r.row, v, len(r.wb.sst.ends))
		}
		r.arena = append(r.arena[:start], text...)
		c.kind = cellText
	case "inlineStr", "str":
		c.kind = cellText
	case "b":
		c.kind = cellBool
	case "d":
		c.kind = cellISODate
	case "e":
		r.arena = r.arena[:start] // #N/A, #DIV/0!, ...: NULL
		return nil
	default:
		c.kind = cellNumber
	}
	if c.kind != cellText {
		t := bytes.TrimSpace(r.arena[start:])
		r.arena = append(r.arena[:start], t...) // copy within: t starts at or after start
	}
	if len(r.arena) == start {
		return nil
	}
	c.value = r.arena[start:len(r.arena):len(r.arena)]
	r.cells = append(r.cells, c)
	return nil
}

// columnOf parses the column letters of a cell reference ("AB12" -> 28).
func columnOf(ref []byte) (int, bool) {
	ref = bytes.TrimSpace(ref)
	col, i := 0, 0
	for i < len(ref) {
		c := ref[i] | 0x20 // lower case
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
		if col > maxColumns {
			return 0, false
		}
		i++
	}
	if i == 0 || i == len(ref) {
		return 0, false
	}
	for _, d := range ref[i:] {
		if d < '0' || d > '9' {
			return 0, false
		}
	}
	return col, true
}

// columnName returns the letters of 1-based column n (28 -> "AB"), "?"
// outside Excel's columns.
func columnName(n int) string {
	if n < 1 || n > maxColumns {
		return "?"
	}
	var b [3]byte
	i := len(b)
	for n > 0 {
		n--
		i--
		b[i] = byte('A' + n%26)
		n /= 26
	}
	return string(b[i:])
}

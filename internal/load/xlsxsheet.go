package load

import (
	"fmt"
	"io"
	"strconv"
	"strings"
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
	style int    // index into the workbook's cellXfs
	value string // see cellKind; formulas give their cached value
}

// sheetRows streams the rows of a worksheet part: each call to next reads
// one <row> element. Memory stays bounded by one row, plus the shared
// string table.
type sheetRows struct {
	rc    io.ReadCloser
	x     *xmlScan
	part  string
	sst   []string
	row   int    // current row number, 1-based
	cells []cell // current row's non-empty cells, in column order
	err   error
	buf   []byte
	in    bool // inside <sheetData>
	done  bool
}

func (wb *workbook) openSheet(ref sheetRef) (*sheetRows, error) {
	if ref.kind != "worksheet" {
		return nil, fmt.Errorf("sheet %q is a %s, not a worksheet", ref.name, ref.kind)
	}
	f := wb.parts[strings.ToLower(ref.part)]
	if f == nil {
		return nil, fmt.Errorf("%w: sheet %q has no part %s", errNotXLSX, ref.name, ref.part)
	}
	sst, err := wb.sharedStrings()
	if err != nil {
		return nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	return &sheetRows{rc: rc, x: newXMLScan(rc), part: ref.part, sst: sst}, nil
}

func (s *sheetRows) Close() error { return s.rc.Close() }

// Err returns the error that stopped next, nil at the end of the sheet.
func (s *sheetRows) Err() error { return s.err }

// next reads the next row; it returns false at the end of the sheet data
// or on error.
func (s *sheetRows) next() bool {
	if s.done || s.err != nil {
		return false
	}
	x := s.x
	s.cells = s.cells[:0]
	inRow := false
	col := 0
	for x.next() {
		switch {
		case !s.in:
			if x.is("sheetData") && !x.end {
				s.in = !x.selfClosing
				if x.selfClosing {
					s.done = true
					return false
				}
			}
		case x.is("row"):
			if x.end {
				return true
			}
			s.row++
			if r := x.attr("r"); r != nil {
				n, err := strconv.Atoi(string(r))
				if err != nil || n < 1 {
					s.err = fmt.Errorf("malformed %s: row number %q", s.part, r)
					return false
				}
				s.row = n
			}
			if x.selfClosing {
				return true
			}
			inRow, col = true, 0
		case x.is("c") && inRow && !x.end:
			col++
			if r := x.attr("r"); r != nil {
				n, ok := columnNumber(r)
				if !ok {
					s.err = fmt.Errorf("malformed %s: cell reference %q", s.part, r)
					return false
				}
				col = n
			}
			if x.selfClosing {
				continue
			}
			if err := s.readCell(col); err != nil {
				s.err = err
				return false
			}
		case x.is("sheetData") && x.end:
			s.done = true
			return inRow
		}
	}
	if err := x.Err(); err != nil {
		s.err = syntaxError(s.part, err)
	} else if s.in {
		s.err = syntaxError(s.part, io.ErrUnexpectedEOF)
	}
	return false
}

// readCell reads the content of the <c> element just opened at column
// col, up to its end tag, and appends it to s.cells unless empty.
func (s *sheetRows) readCell(col int) error {
	x := s.x
	c := cell{col: col}
	if st := x.attr("s"); st != nil {
		c.style, _ = strconv.Atoi(string(st))
	}
	t := string(x.attr("t"))
	s.buf = s.buf[:0]
	hasV := false
	inIS, inRPh := false, 0
	for x.next() {
		switch {
		case x.is("c") && x.end:
			return s.addCell(c, t, hasV)
		case x.is("v") && !x.end:
			s.buf = x.text(s.buf[:0])
			hasV = true
		case x.is("is"):
			inIS = !x.end && !x.selfClosing
			hasV = true
		case x.is("rPh"):
			if x.end {
				inRPh--
			} else if !x.selfClosing {
				inRPh++
			}
		case x.is("t") && inIS && inRPh == 0 && !x.end:
			s.buf = x.text(s.buf)
		}
	}
	if err := x.Err(); err != nil {
		return syntaxError(s.part, err)
	}
	return syntaxError(s.part, io.ErrUnexpectedEOF)
}

func (s *sheetRows) addCell(c cell, t string, hasV bool) error {
	if !hasV {
		return nil // no value: a styled empty cell, or a formula never computed
	}
	switch t {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(string(s.buf)))
		if err != nil || i < 0 || i >= len(s.sst) {
			return fmt.Errorf("malformed %s: shared string index %q out of range", s.part, s.buf)
		}
		c.kind, c.value = cellText, s.sst[i]
	case "inlineStr":
		c.kind, c.value = cellText, decodeEscapes(string(s.buf))
	case "str":
		c.kind, c.value = cellText, decodeEscapes(string(s.buf))
	case "b":
		c.kind, c.value = cellBool, strings.TrimSpace(string(s.buf))
	case "e":
		return nil // #N/A, #DIV/0!, ...: NULL
	case "d":
		c.kind, c.value = cellISODate, string(s.buf)
	default:
		c.kind, c.value = cellNumber, strings.TrimSpace(string(s.buf))
	}
	if c.value == "" {
		return nil
	}
	s.cells = append(s.cells, c)
	return nil
}

// columnNumber returns the 1-based column of a cell reference ("AB12" ->
// 28).
func columnNumber(ref []byte) (int, bool) {
	n, i := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i]
		switch {
		case 'A' <= c && c <= 'Z':
			n = n*26 + int(c-'A'+1)
		case 'a' <= c && c <= 'z':
			n = n*26 + int(c-'a'+1)
		default:
			return n, i > 0 && n <= maxColumns
		}
		if n > maxColumns {
			return 0, false
		}
	}
	return n, i > 0
}

// maxColumns is Excel's column limit (XFD).
const maxColumns = 16384

// columnName returns the letters of 1-based column n (28 -> "AB").
func columnName(n int) string {
	var b []byte
	for n > 0 {
		n--
		b = append([]byte{byte('A' + n%26)}, b...)
		n /= 26
	}
	return string(b)
}

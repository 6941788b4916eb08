package load

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// cellScan reads, row by row, the type (t) and style (s) attributes of the
// cells of a worksheet part: the two things excelize's row iterator does
// not return with a value (a text "123" and a number 123 look the same, and
// a date is a number with a date style), and that excelize only gives
// through GetCellType and GetCellStyle, which load the whole worksheet in
// memory.
//
// It streams the part (a second time, beside excelize's pass) with
// encoding/xml's Token, as excelize does, and looks at nothing but the
// start tags of <row> and <c>, numbering rows and cells as excelize does:
// the r attribute, else one more than the previous. Memory stays bounded by
// one row. OOXML requires rows and cells in increasing order; where they
// are not, excelize merges rows and shifts cells, so the scan reports the
// part as malformed rather than pair values with the wrong types. It also
// reports the malformed XML (a truncated part, tags that do not match) on
// which excelize's iterator stops without an error.
type cellScan struct {
	rc    io.ReadCloser
	d     *xml.Decoder
	part  string
	row   int        // number of the row read last; 0 before the first
	col   int        // column of the cell read last in it
	cells []cellAttr // the cells of row, in column order
	done  bool       // the end of the sheet data, or of the part, was read
}

// cellAttr is what cellScan reads of one <c> element.
type cellAttr struct {
	col   int    // 1-based column
	style int    // s: index of the cell's format in the workbook's styles; 0 when absent
	typ   string // t: "s", "inlineStr", "str", "b", "e", "d" or "n"; "" (a number) when absent
}

// newCellScan scans the worksheet part read by rc, named part in messages.
// charset, if not nil, decodes parts that are not UTF-8 (excelize's).
func newCellScan(rc io.ReadCloser, part string, charset func(string, io.Reader) (io.Reader, error)) *cellScan {
	d := xml.NewDecoder(rc)
	d.CharsetReader = charset
	return &cellScan{rc: rc, d: d, part: part}
}

func (s *cellScan) Close() error { return s.rc.Close() }

// next reads the next <row> element into row and cells; at the end of the
// sheet data it sets done instead.
func (s *cellScan) next() error {
	s.cells = s.cells[:0]
	inRow := false
	for {
		tok, err := s.d.Token()
		if err == io.EOF {
			s.done = true
			if inRow {
				return syntaxError(s.part, io.ErrUnexpectedEOF)
			}
			return nil
		}
		if err != nil {
			return syntaxError(s.part, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case t.Name.Local == "row":
				if err := s.startRow(t.Attr); err != nil {
					return err
				}
				inRow = true
			case t.Name.Local == "c" && inRow:
				if err := s.addCell(t.Attr); err != nil {
					return err
				}
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "row":
				if inRow {
					return nil
				}
			case "sheetData":
				s.done = true
				return nil
			}
		}
	}
}

func (s *cellScan) startRow(attrs []xml.Attr) error {
	n := s.row + 1
	for _, a := range attrs {
		if a.Name.Local == "r" {
			if r, err := strconv.Atoi(a.Value); err == nil && r != 0 {
				n = r
			}
		}
	}
	switch {
	case n <= s.row || n < 1:
		return fmt.Errorf("malformed %s: row %d comes after row %d", s.part, n, s.row)
	case n > excelize.TotalRows:
		return fmt.Errorf("malformed %s: row %d is beyond Excel's last row, %d", s.part, n, excelize.TotalRows)
	}
	s.row, s.col = n, 0
	return nil
}

func (s *cellScan) addCell(attrs []xml.Attr) error {
	c := cellAttr{col: s.col + 1}
	for _, a := range attrs {
		switch a.Name.Local {
		case "r":
			if a.Value == "" {
				continue
			}
			col, _, err := excelize.CellNameToCoordinates(a.Value)
			if err != nil {
				return fmt.Errorf("malformed %s: cell reference %q", s.part, a.Value)
			}
			c.col = col
		case "s":
			c.style, _ = strconv.Atoi(a.Value)
		case "t":
			c.typ = a.Value
		}
	}
	if c.col <= s.col {
		return fmt.Errorf("malformed %s: in row %d, column %s comes after column %s", s.part, s.row, columnName(c.col), columnName(s.col))
	}
	s.col = c.col
	s.cells = append(s.cells, c)
	return nil
}

// columnName returns the letters of 1-based column n (28 -> "AB"), "?"
// outside Excel's columns.
func columnName(n int) string {
	name, err := excelize.ColumnNumberToName(n)
	if err != nil {
		return "?"
	}
	return name
}

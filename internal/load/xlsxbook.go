package load

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
)

// workbook is an open xlsx package: the parts that describe the workbook
// (sheets, date system, number formats) are read at open; the worksheets
// and the shared strings are streamed on demand.
//
// Why not excelize here: its streaming reader (File.Rows, Rows.Columns)
// returns each cell's value but neither its type (a text "123" and a
// number 123 look the same) nor its style (needed to tell a date serial
// from a number), and GetCellType/GetCellStyle load the whole worksheet in
// memory. The tests check this reader against excelize cell by cell.
type workbook struct {
	zr       *zip.ReadCloser
	parts    map[string]*zip.File // by lower-case part name (OOXML part names are case-insensitive)
	sheets   []sheetRef
	date1904 bool
	sstPart  string
	xfNumFmt []int          // cellXfs index (a cell's s attribute) -> numFmtId
	numFmts  map[int]string // custom number formats by id
	isDate   []int8         // cache by style index: 0 unknown, 1 date, -1 not
}

type sheetRef struct {
	name string
	part string // "" when the workbook names a sheet it does not hold
	kind string // "worksheet", "chartsheet", "dialogsheet", "macrosheet"
}

// maxMetaPart bounds the size of the small parts read whole.
const maxMetaPart = 64 << 20

var errNotXLSX = errors.New("not an xlsx workbook")

func openWorkbook(name string) (*workbook, error) {
	if err := sniffOLE(name); err != nil {
		return nil, err
	}
	zr, err := zip.OpenReader(name)
	if err != nil {
		if errors.Is(err, zip.ErrFormat) {
			return nil, fmt.Errorf("%w (%v)", errNotXLSX, err)
		}
		return nil, err
	}
	wb := &workbook{zr: zr, parts: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		wb.parts[strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(f.Name, `\`, "/"), "/"))] = f
	}
	if err := wb.readMeta(); err != nil {
		zr.Close()
		return nil, err
	}
	return wb, nil
}

// sniffOLE recognizes the compound-file container of .xls workbooks and of
// password-protected xlsx files, which are not zip archives.
func sniffOLE(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 8)
	if n, _ := io.ReadFull(f, head); n == 8 && bytes.Equal(head, []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}) {
		return fmt.Errorf("%w: it is an Excel 97-2003 (.xls) or password-protected workbook", errNotXLSX)
	}
	return nil
}

func (wb *workbook) Close() error { return wb.zr.Close() }

type xRels struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
		Mode   string `xml:"TargetMode,attr"`
	} `xml:"Relationship"`
}

type xWorkbook struct {
	Pr struct {
		Date1904 string `xml:"date1904,attr"`
	} `xml:"workbookPr"`
	Sheets []struct {
		Name  string     `xml:"name,attr"`
		Attrs []xml.Attr `xml:",any,attr"`
	} `xml:"sheets>sheet"`
}

type xStyles struct {
	NumFmts []struct {
		ID   int    `xml:"numFmtId,attr"`
		Code string `xml:"formatCode,attr"`
	} `xml:"numFmts>numFmt"`
	CellXfs []struct {
		NumFmtID int `xml:"numFmtId,attr"`
	} `xml:"cellXfs>xf"`
}

func (wb *workbook) readMeta() error {
	// The package relationships name the workbook part.
	bookPart := "xl/workbook.xml"
	var root xRels
	if ok, err := wb.readXML("_rels/.rels", &root); err != nil {
		return err
	} else if ok {
		for _, r := range root.Rels {
			if strings.HasSuffix(r.Type, "/officeDocument") {
				bookPart = resolvePart("", r.Target)
			}
		}
	}
	var book xWorkbook
	if ok, err := wb.readXML(bookPart, &book); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("%w: no workbook part", errNotXLSX)
	}
	wb.date1904 = book.Pr.Date1904 == "1" || strings.EqualFold(book.Pr.Date1904, "true")

	dir := path.Dir(bookPart)
	var rels xRels
	if _, err := wb.readXML(path.Join(dir, "_rels", path.Base(bookPart)+".rels"), &rels); err != nil {
		return err
	}
	byID := map[string]sheetRef{}
	stylesPart := ""
	for _, r := range rels.Rels {
		if strings.EqualFold(r.Mode, "External") {
			continue
		}
		target := resolvePart(dir, r.Target)
		kind := r.Type[strings.LastIndexByte(r.Type, '/')+1:]
		switch kind {
		case "worksheet", "chartsheet", "dialogsheet", "macrosheet", "xlMacrosheet":
			byID[r.ID] = sheetRef{part: target, kind: kind}
		case "sharedStrings":
			wb.sstPart = target
		case "styles":
			stylesPart = target
		}
	}
	for _, s := range book.Sheets {
		ref := sheetRef{name: s.Name}
		for _, a := range s.Attrs {
			if a.Name.Local == "id" && strings.Contains(a.Name.Space, "relationships") {
				if r, ok := byID[a.Value]; ok {
					ref.part, ref.kind = r.part, r.kind
				}
			}
		}
		wb.sheets = append(wb.sheets, ref)
	}
	if stylesPart != "" {
		var st xStyles
		if _, err := wb.readXML(stylesPart, &st); err != nil {
			return err
		}
		wb.numFmts = make(map[int]string, len(st.NumFmts))
		for _, f := range st.NumFmts {
			wb.numFmts[f.ID] = f.Code
		}
		for _, xf := range st.CellXfs {
			wb.xfNumFmt = append(wb.xfNumFmt, xf.NumFmtID)
		}
		wb.isDate = make([]int8, len(wb.xfNumFmt))
	}
	return nil
}

// resolvePart resolves a relationship target against the directory of the
// part that holds the relationship.
func resolvePart(dir, target string) string {
	target = strings.ReplaceAll(target, `\`, "/")
	if strings.HasPrefix(target, "/") {
		return path.Clean(target[1:])
	}
	return path.Clean(path.Join(dir, target))
}

// readXML decodes a small part; it reports false when the part is absent.
func (wb *workbook) readXML(name string, v any) (bool, error) {
	f := wb.parts[strings.ToLower(name)]
	if f == nil {
		return false, nil
	}
	if f.UncompressedSize64 > maxMetaPart {
		return false, fmt.Errorf("part %s is too large (%d bytes)", name, f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return false, err
	}
	defer rc.Close()
	if err := xml.NewDecoder(rc).Decode(v); err != nil {
		return false, syntaxError(name, err)
	}
	return true, nil
}

// sheetNames returns the names of the workbook's sheets in tab order.
func (wb *workbook) sheetNames() []string {
	names := make([]string, len(wb.sheets))
	for i, s := range wb.sheets {
		names[i] = s.name
	}
	return names
}

// sheet finds a sheet by name (exactly, else ignoring case, as Excel
// does); "" names the first sheet.
func (wb *workbook) sheet(name string) (sheetRef, bool) {
	if name == "" {
		if len(wb.sheets) == 0 {
			return sheetRef{}, false
		}
		return wb.sheets[0], true
	}
	for _, s := range wb.sheets {
		if s.name == name {
			return s, true
		}
	}
	for _, s := range wb.sheets {
		if strings.EqualFold(s.name, name) {
			return s, true
		}
	}
	return sheetRef{}, false
}

// dateStyle reports whether style index s (a cell's s attribute) has a
// date or time number format.
func (wb *workbook) dateStyle(s int) bool {
	if s < 0 || s >= len(wb.xfNumFmt) {
		return false
	}
	if wb.isDate[s] == 0 {
		id := wb.xfNumFmt[s]
		date := false
		if code, ok := wb.numFmts[id]; ok {
			date = isDateFormatCode(code)
		} else {
			date = isBuiltinDateFormat(id)
		}
		wb.isDate[s] = -1
		if date {
			wb.isDate[s] = 1
		}
	}
	return wb.isDate[s] == 1
}

// sharedStrings reads the shared string table: the text of each <si>, rich
// text runs concatenated, phonetic runs left out, _xHHHH_ escapes decoded.
func (wb *workbook) sharedStrings() ([]string, error) {
	if wb.sstPart == "" {
		return nil, nil
	}
	f := wb.parts[strings.ToLower(wb.sstPart)]
	if f == nil {
		return nil, nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	x := newXMLScan(rc)
	var (
		sst   []string
		buf   []byte
		inSI  bool
		inRPh int
	)
	for x.next() {
		switch {
		case x.is("sst") && !x.end:
			if n, err := strconv.Atoi(string(x.attr("uniqueCount"))); err == nil && n > 0 {
				sst = make([]string, 0, min(n, 1<<20))
			}
		case x.is("si"):
			if x.end || x.selfClosing {
				if inSI || x.selfClosing {
					sst = append(sst, decodeEscapes(string(buf)))
				}
				inSI, buf = false, buf[:0]
			} else {
				inSI, buf = true, buf[:0]
			}
		case x.is("rPh"):
			if !x.end && !x.selfClosing {
				inRPh++
			} else if x.end {
				inRPh--
			}
		case x.is("t") && inSI && inRPh == 0 && !x.end:
			buf = x.text(buf)
		}
	}
	if err := x.Err(); err != nil {
		return nil, syntaxError(wb.sstPart, err)
	}
	return sst, nil
}

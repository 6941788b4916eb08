package load

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// workbook is an xlsx workbook open for reading: its sheets in tab order
// with the part of each, its date system, which cell formats are dates,
// and, once loaded, its shared strings. It reads the package
// relationships, the workbook part and its relationships, and the styles
// (a few KB) when opened; the shared strings only when a sheet is read.
type workbook struct {
	*zipPackage
	sheets   []sheetRef
	date1904 bool
	isDate   []bool // by cell format (a cell's s attribute)
	sstPart  string // "" when the workbook has no shared strings
	sst      *sharedStrings
}

type sheetRef struct {
	name string
	part string // "" when the workbook relates no part to the sheet
	kind string // "worksheet", "chartsheet", "dialogsheet", "macrosheet"; "" with no part
}

// maxMetaPart bounds the size of the workbook parts decoded whole with
// encoding/xml (relationships, workbook, styles).
const maxMetaPart = 64 << 20

// openWorkbook opens the workbook at name and reads its sheet list, date
// system and styles. Errors are *workbookFault when the file is not an xlsx
// package; the limits' errors are *InputError.
func openWorkbook(name string, limits Limits, seed bool) (*workbook, error) {
	p, err := openZip(name, limits, seed)
	if err != nil {
		return nil, err
	}
	wb := &workbook{zipPackage: p}
	if err := wb.readMeta(); err != nil {
		p.Close()
		return nil, err
	}
	return wb, nil
}

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

// readMeta finds the workbook part through the package relationships, and
// each sheet's part, the styles and the shared strings through the
// workbook's, as Excel and excelize do.
func (wb *workbook) readMeta() error {
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
		return &workbookFault{problem: fmt.Sprintf("not an Excel workbook: its zip archive has no workbook part (%s)", bookPart), hint: hintReexport}
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
		kind := r.Type[strings.LastIndexByte(r.Type, '/')+1:]
		switch kind {
		case "worksheet", "chartsheet", "dialogsheet", "macrosheet", "xlMacrosheet":
			byID[r.ID] = sheetRef{part: resolvePart(dir, r.Target), kind: kind}
		case "styles":
			stylesPart = resolvePart(dir, r.Target)
		case "sharedStrings":
			wb.sstPart = resolvePart(dir, r.Target)
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
		if ref.kind == "worksheet" && !wb.has(ref.part) {
			ref.part, ref.kind = "", ""
		}
		wb.sheets = append(wb.sheets, ref)
	}
	if wb.sstPart != "" && !wb.has(wb.sstPart) {
		wb.sstPart = ""
	}
	if stylesPart != "" {
		var st xStyles
		if _, err := wb.readXML(stylesPart, &st); err != nil {
			return err
		}
		custom := make(map[int]string, len(st.NumFmts))
		for _, f := range st.NumFmts {
			custom[f.ID] = f.Code
		}
		wb.isDate = make([]bool, len(st.CellXfs))
		for i, xf := range st.CellXfs {
			wb.isDate[i] = numFmtIsDate(xf.NumFmtID, custom)
		}
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

// readXML decodes a small part with encoding/xml; it reports false when
// the part is absent.
func (wb *workbook) readXML(name string, v any) (bool, error) {
	if !wb.has(name) {
		return false, nil
	}
	r, err := wb.open(name)
	if err != nil {
		return false, err
	}
	defer r.Close()
	d := xml.NewDecoder(io.LimitReader(r, maxMetaPart+1))
	if err := d.Decode(v); err != nil {
		if r.err != nil {
			return false, r.err
		}
		if d.InputOffset() > maxMetaPart {
			return false, fmt.Errorf("part %s is too large (more than %s)", name, formatSize(maxMetaPart))
		}
		return false, syntaxError(name, err)
	}
	return true, nil
}

// syntaxError describes a malformed part, from encoding/xml's error, as
// a *workbookFault.
func syntaxError(part string, err error) error {
	var se *xml.SyntaxError
	switch {
	case errors.As(err, &se) && se.Msg == "unexpected EOF":
		return malformed(part, fmt.Sprintf("the XML ends early, at line %d", se.Line))
	case errors.As(err, &se):
		return malformed(part, fmt.Sprintf("line %d: %s", se.Line, se.Msg))
	case errors.Is(err, io.EOF):
		return malformed(part, "the part is empty")
	}
	return malformed(part, err.Error())
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

// dateStyle reports whether cell format s has a date or time number
// format.
func (wb *workbook) dateStyle(s int) bool { return s >= 0 && s < len(wb.isDate) && wb.isDate[s] }

// sharedStrings is the shared string table of a workbook: every string,
// decoded, in one arena. It is read lazily, as far as get needs, until
// readAll; after readAll it is never modified, and get may be called from
// several goroutines.
type sharedStrings struct {
	arena []byte
	ends  []uint32 // end offset of string i in arena; string i starts at ends[i-1]
	pr    *partReader
	s     *xmlScanner // nil once read to the end
	text  []byte
}

// openSST prepares the shared strings, once; a workbook without them has
// an empty table.
func (wb *workbook) openSST() error {
	if wb.sst != nil {
		return nil
	}
	sst := &sharedStrings{}
	if wb.sstPart != "" {
		pr, err := wb.open(wb.sstPart)
		if err != nil {
			return err
		}
		sst.pr, sst.s = pr, newXMLScanner(pr, wb.sstPart)
	}
	wb.sst = sst
	return nil
}

// get returns string i, reading on as needed; ok is false when there is
// none such. The string shares the arena's memory, which is never
// modified.
func (s *sharedStrings) get(i int) (string, bool, error) {
	for i >= len(s.ends) && s.s != nil {
		if err := s.readOne(); err != nil {
			return "", false, err
		}
	}
	if i < 0 || i >= len(s.ends) {
		return "", false, nil
	}
	start := uint32(0)
	if i > 0 {
		start = s.ends[i-1]
	}
	if start == s.ends[i] {
		return "", true, nil
	}
	return unsafe.String(&s.arena[start], s.ends[i]-start), true, nil
}

// readAll reads the rest of the table.
func (s *sharedStrings) readAll() error {
	for s.s != nil {
		if err := s.readOne(); err != nil {
			return err
		}
	}
	return nil
}

// readOne reads the next string (<si>), or the end of the part. Each
// string is what excelize's xlsxSI.String gives: the text of <t> and of
// each rich text run's <t>, without phonetic runs (<rPh>), with _xHHHH_
// escapes decoded. Strings that share the arena: strings handed out before
// a growth keep the old array alive, unchanged.
func (s *sharedStrings) readOne() error {
	for {
		if err := s.s.next(); err != nil {
			return err
		}
		if s.s.kind == tokEOF {
			s.s = nil
			return s.pr.Close()
		}
		if s.s.kind != tokStart || string(s.s.name) != "si" {
			continue
		}
		var err error
		if s.text, err = readRichText(s.s, s.text[:0]); err != nil {
			return err
		}
		s.arena = appendBstr(s.arena, s.text)
		if len(s.arena) > 1<<32-1 {
			return fmt.Errorf("part %s: shared strings of more than 4 GB", s.s.part)
		}
		s.ends = append(s.ends, uint32(len(s.arena)))
		return nil
	}
}

// readRichText appends to dst the text of the element just started (<si>
// or <is>): its <t>, and the <t> of its <r> runs; <rPh> phonetic runs
// and other children are skipped. It returns after the element's end.
func readRichText(s *xmlScanner, dst []byte) ([]byte, error) {
	d := s.depth()
	inT := false
	for {
		if err := s.next(); err != nil {
			return dst, err
		}
		switch s.kind {
		case tokEOF:
			return dst, s.eofError()
		case tokText:
			if inT {
				var err error
				if s.cdata {
					dst = append(dst, s.text...)
				} else if dst, err = appendText(dst, s.text); err != nil {
					return dst, s.errorf("%v", err)
				}
			}
		case tokStart:
			switch n := string(s.name); {
			case n == "t" && (s.depth() == d+1 || s.depth() == d+2):
				inT = true
			case n == "r" && s.depth() == d+1:
			default:
				if err := s.skip(); err != nil {
					return dst, err
				}
			}
		case tokEnd:
			inT = false
			if s.depth() < d {
				return dst, nil
			}
		}
	}
}

// appendBstr appends text to dst with the _xHHHH_ escapes of OOXML's
// ST_Xstring decoded as excelize's bstrUnmarshal does: "_x005F_" is "_",
// another _xHHHH_ the UTF-16 code unit HHHH (a pair of them a surrogate
// pair; a lone surrogate is U+FFFD).
func appendBstr(dst, text []byte) []byte {
	for {
		i := indexBstr(text)
		if i < 0 {
			return append(dst, text...)
		}
		dst = append(dst, text[:i]...)
		u, _ := strconv.ParseUint(string(text[i+2:i+6]), 16, 16)
		text = text[i+7:]
		r := rune(u)
		if 0xD800 <= r && r < 0xDC00 {
			if j := indexBstr(text); j == 0 {
				if lo, _ := strconv.ParseUint(string(text[2:6]), 16, 16); 0xDC00 <= lo && lo < 0xE000 {
					r = 0x10000 + (r-0xD800)<<10 + rune(lo) - 0xDC00
					text = text[7:]
				}
			}
		}
		if 0xD800 <= r && r < 0xE000 {
			r = 0xFFFD
		}
		dst = utf8.AppendRune(dst, r)
	}
}

// indexBstr returns the position of the first _xHHHH_ in text, or -1.
func indexBstr(text []byte) int {
	off := 0
	for {
		i := bytes.Index(text[off:], []byte("_x"))
		if i < 0 {
			return -1
		}
		i += off
		if i+7 <= len(text) && text[i+6] == '_' && isHex(text[i+2]) && isHex(text[i+3]) && isHex(text[i+4]) && isHex(text[i+5]) {
			return i
		}
		off = i + 1
	}
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// numFmtIsDate reports whether number format id is a date or time format,
// as excelize's GetStyle resolves it: a built-in id (0-4, 9-22, 37-49, and
// the locale-dependent 27-36, 50-62, 67-81) by its built-in format, any
// other by the workbook's custom format code.
func numFmtIsDate(id int, custom map[int]string) bool {
	switch {
	case 0 <= id && id <= 4, 9 <= id && id <= 22, 37 <= id && id <= 49,
		27 <= id && id <= 36, 50 <= id && id <= 62, 67 <= id && id <= 81:
		return isBuiltinDateFormat(id)
	}
	if code, ok := custom[id]; ok {
		return isDateFormatCode(code)
	}
	return false
}

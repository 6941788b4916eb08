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
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxPackage is the zip side of an xlsx workbook: the sheets, in tab
// order, with the part that holds each. It reads only the package
// relationships, the workbook part and its relationships (a few KB), so
// Check stays cheap on workbooks of any size; excelize, which unzips every
// worksheet at open, is only opened to load (see workbook).
type xlsxPackage struct {
	zr     *zip.ReadCloser
	parts  map[string]*zip.File // by lower-case name (OOXML part names are case-insensitive)
	sheets []sheetRef
}

type sheetRef struct {
	name string
	part string // "" when the workbook relates no part to the sheet
	kind string // "worksheet", "chartsheet", "dialogsheet", "macrosheet"; "" with no part
}

// maxMetaPart bounds the size of the workbook parts read whole.
const maxMetaPart = 64 << 20

var errNotXLSX = errors.New("not an xlsx workbook")

// openPackage opens the zip of the workbook at name and reads its sheet
// list. Errors wrap errNotXLSX when the file is not an xlsx package.
func openPackage(name string) (*xlsxPackage, error) {
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
	p := &xlsxPackage{zr: zr, parts: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		p.parts[strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(f.Name, `\`, "/"), "/"))] = f
	}
	if err := p.readSheets(); err != nil {
		zr.Close()
		return nil, err
	}
	return p, nil
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

func (p *xlsxPackage) Close() error { return p.zr.Close() }

type xRels struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
		Mode   string `xml:"TargetMode,attr"`
	} `xml:"Relationship"`
}

type xWorkbook struct {
	Sheets []struct {
		Name  string     `xml:"name,attr"`
		Attrs []xml.Attr `xml:",any,attr"`
	} `xml:"sheets>sheet"`
}

// readSheets finds the workbook part through the package relationships,
// and each sheet's part through the workbook's, as excelize does.
func (p *xlsxPackage) readSheets() error {
	bookPart := "xl/workbook.xml"
	var root xRels
	if ok, err := p.readXML("_rels/.rels", &root); err != nil {
		return err
	} else if ok {
		for _, r := range root.Rels {
			if strings.HasSuffix(r.Type, "/officeDocument") {
				bookPart = resolvePart("", r.Target)
			}
		}
	}
	var book xWorkbook
	if ok, err := p.readXML(bookPart, &book); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("%w: no workbook part", errNotXLSX)
	}
	dir := path.Dir(bookPart)
	var rels xRels
	if _, err := p.readXML(path.Join(dir, "_rels", path.Base(bookPart)+".rels"), &rels); err != nil {
		return err
	}
	byID := map[string]sheetRef{}
	for _, r := range rels.Rels {
		kind := r.Type[strings.LastIndexByte(r.Type, '/')+1:]
		switch kind {
		case "worksheet", "chartsheet", "dialogsheet", "macrosheet", "xlMacrosheet":
			if !strings.EqualFold(r.Mode, "External") {
				byID[r.ID] = sheetRef{part: resolvePart(dir, r.Target), kind: kind}
			}
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
		p.sheets = append(p.sheets, ref)
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
func (p *xlsxPackage) readXML(name string, v any) (bool, error) {
	f := p.parts[strings.ToLower(name)]
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

// openPart opens a part of the package for streaming.
func (p *xlsxPackage) openPart(name string) (io.ReadCloser, error) {
	f := p.parts[strings.ToLower(name)]
	if f == nil {
		return nil, fmt.Errorf("%w: no part %s", errNotXLSX, name)
	}
	return f.Open()
}

// sheetNames returns the names of the workbook's sheets in tab order.
func (p *xlsxPackage) sheetNames() []string {
	names := make([]string, len(p.sheets))
	for i, s := range p.sheets {
		names[i] = s.name
	}
	return names
}

// sheet finds a sheet by name (exactly, else ignoring case, as Excel
// does); "" names the first sheet.
func (p *xlsxPackage) sheet(name string) (sheetRef, bool) {
	if name == "" {
		if len(p.sheets) == 0 {
			return sheetRef{}, false
		}
		return p.sheets[0], true
	}
	for _, s := range p.sheets {
		if s.name == name {
			return s, true
		}
	}
	for _, s := range p.sheets {
		if strings.EqualFold(s.name, name) {
			return s, true
		}
	}
	return sheetRef{}, false
}

// syntaxError describes a malformed part.
func syntaxError(part string, err error) error {
	return fmt.Errorf("malformed %s: %w", part, err)
}

// xlsxOptions are excelize's options for reading. A worksheet or shared
// string part that unzips to more than UnzipXMLSizeLimit goes to a
// temporary file (removed by File.Close) instead of memory: excelize then
// keeps about 40 bytes per shared string and reads each one back from
// disk, where below the limit it parses the whole table into structures
// about ten times the part's size. UnzipSizeLimit, excelize's default,
// refuses workbooks that unzip to more than 16 GB (zip bombs).
var xlsxOptions = excelize.Options{UnzipXMLSizeLimit: 1 << 20, UnzipSizeLimit: excelize.UnzipSizeLimit}

// rawValues asks excelize's row iterator for values as stored, without
// number formats: numbers as written, dates as serials, booleans as 1/0.
var rawValues = excelize.Options{RawCellValue: true}

// workbook is a workbook open for loading: its package, and excelize's
// view of it, which lists the sheets, gives the date system and the
// styles, and streams the cell values.
type workbook struct {
	*xlsxPackage
	f        *excelize.File
	date1904 bool
	isDate   []int8 // by style index: 0 unknown, 1 a date or time format, -1 not
}

// openWorkbook opens the workbook at name with excelize; errors wrap
// errNotXLSX when the file is not an xlsx workbook.
func openWorkbook(name string) (*workbook, error) {
	p, err := openPackage(name)
	if err != nil {
		return nil, err
	}
	f, err := excelize.OpenFile(name, xlsxOptions)
	if err != nil {
		if f != nil {
			_ = f.Close() // removes the temporary files made so far
		}
		p.Close()
		if errors.Is(err, zip.ErrFormat) {
			err = fmt.Errorf("%w (%v)", errNotXLSX, err)
		}
		return nil, err
	}
	wb := &workbook{xlsxPackage: p, f: f}
	props, err := f.GetWorkbookProps()
	if err != nil {
		wb.Close()
		return nil, err
	}
	wb.date1904 = props.Date1904 != nil && *props.Date1904
	// The sheets as excelize lists them, with their parts from the package.
	names := f.GetSheetList()
	sheets := make([]sheetRef, len(names))
	for i, n := range names {
		sheets[i] = sheetRef{name: n}
		for _, s := range p.sheets {
			if s.name == n {
				sheets[i] = s
			}
		}
	}
	wb.sheets = sheets
	return wb, nil
}

// Close releases the workbook and removes excelize's temporary files.
func (wb *workbook) Close() error {
	err := wb.f.Close()
	if cerr := wb.xlsxPackage.Close(); err == nil {
		err = cerr
	}
	return err
}

// dateStyle reports whether style index s (a cell's s attribute) has a
// date or time number format, from excelize's GetStyle.
func (wb *workbook) dateStyle(s int) bool {
	if s < 0 || s >= excelize.MaxCellStyles {
		return false
	}
	if s >= len(wb.isDate) {
		wb.isDate = append(wb.isDate, make([]int8, s+1-len(wb.isDate))...)
	}
	if wb.isDate[s] == 0 {
		wb.isDate[s] = -1
		if st, err := wb.f.GetStyle(s); err == nil && isDateStyle(st) {
			wb.isDate[s] = 1
		}
	}
	return wb.isDate[s] == 1
}
